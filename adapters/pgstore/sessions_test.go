package pgstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestSessionStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) liveness.Store {
		_, p := migrated(t)
		return pgstore.NewSessionStore(p)
	})
}

// TestSessionStoreTwoPools commits to one session through two pools, as
// two replicas would: no commit is lost.
func TestSessionStoreTwoPools(t *testing.T) {
	db, p1 := migrated(t)
	stores := []*pgstore.SessionStore{pgstore.NewSessionStore(p1), pgstore.NewSessionStore(db.pool(t))}
	ctx := t.Context()
	require.NoError(t, stores[0].Commit(ctx, &liveness.Change{Session: storetest.Session("x", 0), Create: true}))
	const each = 10
	done := make(chan error, 4)
	for w := range 4 {
		s := stores[w%2]
		go func() {
			for i := range each {
				for {
					h, err := s.Get(ctx, "x")
					if err != nil {
						done <- err
						return
					}
					h.Frames++
					err = s.Commit(ctx, &liveness.Change{Session: h, Frames: []liveness.FrameRecord{storetest.Frame(w*100 + i)}})
					if err == liveness.ErrConflict {
						continue
					}
					if err != nil {
						done <- err
						return
					}
					break
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
	h, err := stores[1].Get(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, 4*each, h.Frames)
	frames, err := stores[0].Frames(ctx, "x", 0)
	require.NoError(t, err)
	require.Len(t, frames, 4*each)
}
