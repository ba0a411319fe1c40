package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
)

// Reference returns a registered reference for tests; n makes it distinct.
func Reference(n int) *liveness.Reference {
	emb := make([]float32, 8)
	for i := range emb {
		emb[i] = float32(n) + float32(i)/8
	}
	return &liveness.Reference{
		ID: fmt.Sprintf("ref_%032x", n), SHA256: fmt.Sprintf("%064x", n), Model: "mobilefacenet-test",
		Embedding: emb, Owner: "tenant-a", CreatedAt: t0.Add(time.Duration(n) * time.Second),
	}
}

// RunReferences runs the suite every liveness.ReferenceStore must pass:
// a stored reference comes back equal (embedding, model, hash, owner,
// creation time), unknown and deleted ids are liveness.ErrNotFound, the
// caller's copy is not shared, and concurrent use is safe.
func RunReferences(t *testing.T, newStore func(t *testing.T) liveness.ReferenceStore) {
	ctx := context.Background()

	t.Run("PutGetDelete", func(t *testing.T) {
		s := newStore(t)
		in := Reference(1)
		require.NoError(t, s.PutReference(ctx, in))
		in.Embedding[0] = -1 // the store keeps its own copy
		got, err := s.GetReference(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, Reference(1), got)
		got.Embedding[1] = -1
		again, err := s.GetReference(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, Reference(1), again)

		_, err = s.GetReference(ctx, Reference(2).ID)
		require.ErrorIs(t, err, liveness.ErrNotFound)
		require.ErrorIs(t, s.DeleteReference(ctx, Reference(2).ID), liveness.ErrNotFound)

		require.NoError(t, s.DeleteReference(ctx, in.ID))
		_, err = s.GetReference(ctx, in.ID)
		require.ErrorIs(t, err, liveness.ErrNotFound)
		require.ErrorIs(t, s.DeleteReference(ctx, in.ID), liveness.ErrNotFound)
	})

	t.Run("NoOwner", func(t *testing.T) {
		s := newStore(t)
		in := Reference(3)
		in.Owner, in.CreatedAt = "", time.Time{}
		require.NoError(t, s.PutReference(ctx, in))
		got, err := s.GetReference(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, in, got)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for n := range 8 {
			wg.Go(func() {
				r := Reference(10 + n)
				assert.NoError(t, s.PutReference(ctx, r))
				got, err := s.GetReference(ctx, r.ID)
				if assert.NoError(t, err) {
					assert.Equal(t, r, got)
				}
				if n%2 == 0 {
					assert.NoError(t, s.DeleteReference(ctx, r.ID))
				}
			})
		}
		wg.Wait()
		for n := range 8 {
			_, err := s.GetReference(ctx, Reference(10+n).ID)
			if n%2 == 0 {
				assert.ErrorIs(t, err, liveness.ErrNotFound)
			} else {
				assert.NoError(t, err)
			}
		}
	})
}
