package boltstore_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) liveness.Store {
		return open(t, filepath.Join(t.TempDir(), "sessions.db"))
	})
}

// TestMigration writes schema 1 records the way the previous version of
// this store did (one JSON session per key, the pending index by expiry)
// and opens the file.
func TestMigration(t *testing.T) {
	storetest.RunMigration(t, func(t *testing.T, legacy map[string][]byte) liveness.Store {
		path := filepath.Join(t.TempDir(), "sessions.db")
		db, err := bolt.Open(path, 0o600, nil)
		require.NoError(t, err)
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			sb, _ := tx.CreateBucketIfNotExists([]byte("sessions"))
			pb, _ := tx.CreateBucketIfNotExists([]byte("pending_by_expiry"))
			for id, v := range legacy {
				s, _, err := liveness.UnmarshalSession(v)
				require.NoError(t, err)
				k := binary.BigEndian.AppendUint64(nil, uint64(s.ExpiresAt.UnixNano()))
				require.NoError(t, pb.Put(append(k, id...), nil))
				require.NoError(t, sb.Put([]byte(id), v))
			}
			return nil
		}))
		require.NoError(t, db.Close())
		return open(t, path)
	})
}

func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s, err := boltstore.Open(path)
	require.NoError(t, err)
	ctx := context.Background()
	sess := storetest.Session("s1", time.Minute)
	sess.Frames = 1
	require.NoError(t, s.Commit(ctx, &liveness.Change{Session: sess, Create: true, Frames: []liveness.FrameRecord{storetest.Frame(1)},
		Intents: []liveness.Intent{{ID: "s1/1/0", SessionID: "s1", Kind: liveness.IntentAudit, AuditType: "SESSION_CREATED"}}}))
	require.NoError(t, s.Close())
	s = open(t, path)
	got, err := s.Get(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, 1, got.Frames)
	assert.EqualValues(t, 1, got.Version)
	frames, err := s.Frames(ctx, "s1", 0)
	require.NoError(t, err)
	assert.Equal(t, []liveness.FrameRecord{storetest.Frame(1)}, frames)
	ids, _ := s.ExpiredPending(ctx, sess.ExpiresAt, 0)
	assert.Equal(t, []string{"s1"}, ids)
	its, err := s.Intents(ctx, time.Now(), 0)
	require.NoError(t, err)
	require.Len(t, its, 1)
	assert.Equal(t, "s1/1/0", its[0].ID)
}

// TestMigratedSessionContinues: after the migration the engine rebuilds
// the detectors of a schema 1 session from its migrated frame log and
// takes its next frame.
func TestMigratedSessionContinues(t *testing.T) {
	id, rec := storetest.LegacyV1()
	path := filepath.Join(t.TempDir(), "sessions.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("sessions"))
		require.NoError(t, err)
		return b.Put([]byte(id), rec)
	}))
	require.NoError(t, db.Close())
	s := open(t, path)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 3, 0, time.UTC)
	e, err := liveness.New(liveness.WithStore(s), liveness.WithFrameAnalyzer(synth{}), liveness.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	out, err := e.Submit(ctx, id, []liveness.Frame{{Data: []byte("rest")}}, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, out.Session.Frames)
	assert.Equal(t, liveness.StatusPending, out.Session.Status)
	frames, err := s.Frames(ctx, id, 0)
	require.NoError(t, err)
	assert.Len(t, frames, 4)
	assert.Greater(t, frames[3].TimeNS, frames[2].TimeNS, "the new frame follows the migrated ones")
}
