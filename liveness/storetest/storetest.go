// Package storetest is the conformance suite every liveness.Store must
// pass (memory, bbolt, Redis): create, read, optimistic updates under
// concurrency, and the pending-expiry index when the store has one.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) liveness.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	session := func(id string, exp time.Duration) *liveness.Session {
		return &liveness.Session{
			ID: id, Status: liveness.StatusPending, Challenges: []challenge.ID{challenge.Blink, challenge.Smile},
			CreatedAt: now, ExpiresAt: now.Add(exp),
			History: []liveness.FrameRecord{{Obs: challenge.Observation{Time: time.Second, FaceCount: 1, EARLeft: 0.3}}},
		}
	}

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		in := session("a", time.Minute)
		if err := s.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
		if in.Version != 1 {
			t.Errorf("version after create %d, want 1", in.Version)
		}
		if err := s.Create(ctx, session("a", time.Minute)); !errors.Is(err, liveness.ErrExists) {
			t.Errorf("duplicate create: %v", err)
		}
		got, err := s.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || len(got.Challenges) != 2 || got.Challenges[1] != challenge.Smile || len(got.History) != 1 || got.History[0].Obs.EARLeft != 0.3 || !got.ExpiresAt.Equal(in.ExpiresAt) {
			t.Errorf("round trip: %+v", got)
		}
		if _, err := s.Get(ctx, "b"); !errors.Is(err, liveness.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
	})

	t.Run("OptimisticUpdate", func(t *testing.T) {
		s := newStore(t)
		s.Create(ctx, session("a", time.Minute))
		r1, _ := s.Get(ctx, "a")
		r2, _ := s.Get(ctx, "a")
		r1.Frames = 1
		if err := s.Update(ctx, r1); err != nil || r1.Version != 2 {
			t.Fatalf("update: %v, version %d", err, r1.Version)
		}
		r2.Frames = 5
		if err := s.Update(ctx, r2); !errors.Is(err, liveness.ErrConflict) {
			t.Errorf("stale update: %v", err)
		}
		if got, _ := s.Get(ctx, "a"); got.Frames != 1 || got.Version != 2 {
			t.Errorf("stored %+v", got)
		}
		if err := s.Update(ctx, &liveness.Session{ID: "zz", Version: 1}); !errors.Is(err, liveness.ErrNotFound) {
			t.Errorf("update of a missing session: %v", err)
		}
	})

	t.Run("ConcurrentIncrements", func(t *testing.T) {
		s := newStore(t)
		s.Create(ctx, session("a", time.Minute))
		const workers, each = 4, 10
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					for {
						r, err := s.Get(ctx, "a")
						if err != nil {
							t.Error(err)
							return
						}
						r.Frames++
						err = s.Update(ctx, r)
						if errors.Is(err, liveness.ErrConflict) {
							continue
						}
						if err != nil {
							t.Error(err)
						}
						break
					}
				}
			}()
		}
		wg.Wait()
		got, _ := s.Get(ctx, "a")
		if got.Frames != workers*each || got.Version != workers*each+1 {
			t.Errorf("frames %d version %d, want %d and %d: updates were lost", got.Frames, got.Version, workers*each, workers*each+1)
		}
	})

	t.Run("ExpiredPending", func(t *testing.T) {
		s := newStore(t)
		pl, ok := s.(liveness.PendingLister)
		if !ok {
			t.Skip("store does not list pending sessions")
		}
		for i, d := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
			s.Create(ctx, session(fmt.Sprint("s", i), d))
		}
		ids, err := pl.ExpiredPending(ctx, now.Add(2*time.Minute), 0)
		if err != nil || len(ids) != 2 {
			t.Fatalf("expired at +2m: %v %v", ids, err)
		}
		// A session that ended leaves the index.
		r, _ := s.Get(ctx, "s0")
		r.Status = liveness.StatusExpired
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids, _ = pl.ExpiredPending(ctx, now.Add(time.Hour), 0)
		if len(ids) != 2 {
			t.Errorf("after ending s0: %v", ids)
		}
		ids, _ = pl.ExpiredPending(ctx, now.Add(time.Hour), 1)
		if len(ids) != 1 {
			t.Errorf("limit 1: %v", ids)
		}
	})
}
