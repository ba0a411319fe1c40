package evidence_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

type store interface {
	liveness.EvidenceStore
	liveness.EvidenceLister
}

func TestStores(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dir, err := evidence.NewDir(t.TempDir())
	require.NoError(t, err)
	for name, s := range map[string]store{
		"memory": evidence.NewMemory(func() time.Time { return now }),
		"dir":    dir,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			require.NoError(t, s.Put(ctx, "s1", "a.jpg", []byte("x")))
			b, err := s.Get(ctx, "s1", "a.jpg")
			require.NoError(t, err)
			assert.Equal(t, "x", string(b))
			_, err = s.Get(ctx, "s1", "b.jpg")
			assert.ErrorIs(t, err, liveness.ErrNotFound)
			ids, err := s.SessionsBefore(ctx, time.Now().Add(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, []string{"s1"}, ids)
			require.NoError(t, s.Delete(ctx, "s1"))
			_, err = s.Get(ctx, "s1", "a.jpg")
			assert.ErrorIs(t, err, liveness.ErrNotFound, "after delete")
		})
	}
}

func TestDirRejectsBadNames(t *testing.T) {
	d, err := evidence.NewDir(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	for _, bad := range [][2]string{{"../s1", "a"}, {"s1", "../../etc/passwd"}, {"s1", ".hidden"}, {"", "a"}} {
		assert.ErrorIs(t, d.Put(ctx, bad[0], bad[1], nil), liveness.ErrBadRequest, "Put(%q, %q)", bad[0], bad[1])
		_, err := d.Get(ctx, bad[0], bad[1])
		assert.ErrorIs(t, err, liveness.ErrNotFound, "Get(%q, %q)", bad[0], bad[1])
	}
	assert.ErrorIs(t, d.Delete(ctx, "../s1"), liveness.ErrBadRequest)
}

// TestDirSealsManifest: writing the manifest syncs what it lists; a
// listed frame a crash lost, or a manifest that is not one, is no error.
func TestDirSealsManifest(t *testing.T) {
	d, err := evidence.NewDir(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, d.Put(ctx, "s1", "a.jpg", []byte("a")))
	require.NoError(t, d.Put(ctx, "s1", "old.jpg", []byte("replaced")))
	for _, m := range []string{
		`{"session_id":"s1","items":[{"kind":"best_frontal","name":"a.jpg"},{"kind":"challenge","name":"lost.jpg"}]}`,
		`{"session_id":"s1","items":[]}`,
		`not a manifest`,
	} {
		require.NoError(t, d.Put(ctx, "s1", "manifest.json", []byte(m)), m)
		b, err := d.Get(ctx, "s1", "manifest.json")
		require.NoError(t, err)
		assert.Equal(t, m, string(b))
	}
}
