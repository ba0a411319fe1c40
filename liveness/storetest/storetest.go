// Package storetest is the conformance suite every liveness.Store must
// pass (memory, bbolt, Redis, PostgreSQL): headers, the append-only frame
// log, atomic optimistic commits with their intents under concurrency,
// the outbox, the pending-expiry index, retention, and the migration of a
// schema 1 record (RunMigration); RunReferences is the suite of a
// liveness.ReferenceStore (memory, bbolt, PostgreSQL).
package storetest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

//go:embed testdata/session_v1.json
var legacyV1 []byte

// LegacyV1 returns the id and the bytes of a schema 1 session record, as
// the stores kept them before schema 2 (one JSON Session with a history of
// three frames), for RunMigration.
func LegacyV1() (id string, record []byte) {
	return "0b6f3c2e-5a1d-4c8e-9f7a-2d4b6e8f0a1c", append([]byte(nil), legacyV1...)
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Session returns a pending session header for tests.
func Session(id string, expires time.Duration) *liveness.Session {
	return &liveness.Session{
		ID: id, Status: liveness.StatusPending, Challenges: []challenge.ID{challenge.Blink, challenge.Smile},
		CreatedAt: t0, ExpiresAt: t0.Add(expires), ClientTokenHash: "abc",
	}
}

// Frame returns a frame record for tests; n makes it distinct.
func Frame(n int) liveness.FrameRecord {
	return liveness.FrameRecord{
		TimeNS: int64(n) * int64(100*time.Millisecond), Faces: 1, Yaw: float64(n) / 4, EARLeft: 0.3, EARRight: 0.25,
		Box: [4]int{10, 20, 110, 140}, Pts: [][2]float32{{1.5, 2.25}}, Thumb: []byte{byte(n), 2, 3},
		Spoof: &liveness.FrameSpoof{Score: 0.75, Margin: 0.5, LaplacianVar: 120},
	}
}

func create(t *testing.T, s liveness.Store, sess *liveness.Session) {
	t.Helper()
	require.NoError(t, s.Commit(context.Background(), &liveness.Change{Session: sess, Create: true}))
}

func intent(id, sid string, kind liveness.IntentKind, at time.Time) liveness.Intent {
	it := liveness.Intent{ID: id, SessionID: sid, Kind: kind, CreatedAt: at}
	if kind == liveness.IntentAudit {
		it.AuditType, it.Payload = "SESSION_CREATED", []byte(`{"a":1}`)
	} else {
		it.EventType, it.EventID, it.Session = "session.created", "evt_1", Session(sid, time.Minute)
	}
	return it
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) liveness.Store) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		in := Session("a", time.Minute)
		in.Passed = []liveness.PassedChallenge{{Challenge: challenge.Blink, Confidence: 0.5, Frame: 1, At: t0}}
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: in, Create: true}))
		assert.EqualValues(t, 1, in.Version)
		require.ErrorIs(t, s.Commit(ctx, &liveness.Change{Session: Session("a", time.Minute), Create: true}), liveness.ErrExists)
		got, err := s.Get(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, in, got)
		frames, err := s.Frames(ctx, "a", 0)
		require.NoError(t, err)
		assert.Empty(t, frames)
		_, err = s.Get(ctx, "b")
		require.ErrorIs(t, err, liveness.ErrNotFound)
		_, err = s.Frames(ctx, "b", 0)
		require.ErrorIs(t, err, liveness.ErrNotFound)
	})

	t.Run("FrameLog", func(t *testing.T) {
		s := newStore(t)
		create(t, s, Session("a", time.Minute))
		for n := 1; n <= 5; n++ {
			h, err := s.Get(ctx, "a")
			require.NoError(t, err)
			h.Frames++
			require.NoError(t, s.Commit(ctx, &liveness.Change{Session: h, Frames: []liveness.FrameRecord{Frame(n)}}))
		}
		h, _ := s.Get(ctx, "a")
		h.Frames += 2 // a burst
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: h, Frames: []liveness.FrameRecord{Frame(6), Frame(7)}}))
		all, err := s.Frames(ctx, "a", 0)
		require.NoError(t, err)
		require.Len(t, all, 7)
		for i, f := range all {
			assert.Equal(t, Frame(i+1), f, "frame %d", i)
		}
		tail, err := s.Frames(ctx, "a", 5)
		require.NoError(t, err)
		assert.Equal(t, []liveness.FrameRecord{Frame(6), Frame(7)}, tail)
		past, err := s.Frames(ctx, "a", 9)
		require.NoError(t, err)
		assert.Empty(t, past)
		got, _ := s.Get(ctx, "a")
		assert.Equal(t, 7, got.Frames)
		assert.EqualValues(t, 7, got.Version)
	})

	t.Run("OptimisticCommit", func(t *testing.T) {
		s := newStore(t)
		create(t, s, Session("a", time.Minute))
		r1, _ := s.Get(ctx, "a")
		r2, _ := s.Get(ctx, "a")
		r1.Frames = 1
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: r1, Frames: []liveness.FrameRecord{Frame(1)}, Intents: []liveness.Intent{intent("a/2/0", "a", liveness.IntentAudit, t0)}}))
		assert.EqualValues(t, 2, r1.Version)
		// The stale change stores nothing: no header, no frame, no intent.
		r2.Frames, r2.FacesSeen = 1, 9
		err := s.Commit(ctx, &liveness.Change{Session: r2, Frames: []liveness.FrameRecord{Frame(9)}, Intents: []liveness.Intent{intent("a/2/9", "a", liveness.IntentAudit, t0)}})
		require.ErrorIs(t, err, liveness.ErrConflict)
		assert.EqualValues(t, 1, r2.Version, "a failed commit leaves the version")
		got, _ := s.Get(ctx, "a")
		assert.Equal(t, 0, got.FacesSeen)
		assert.EqualValues(t, 2, got.Version)
		frames, _ := s.Frames(ctx, "a", 0)
		assert.Equal(t, []liveness.FrameRecord{Frame(1)}, frames)
		its, err := s.Intents(ctx, t0.Add(time.Hour), 0)
		require.NoError(t, err)
		require.Len(t, its, 1)
		assert.Equal(t, "a/2/0", its[0].ID)
		missing := Session("zz", time.Minute)
		missing.Version = 1
		require.ErrorIs(t, s.Commit(ctx, &liveness.Change{Session: missing}), liveness.ErrNotFound)
	})

	t.Run("ConcurrentCommits", func(t *testing.T) {
		s := newStore(t)
		create(t, s, Session("a", time.Minute))
		const workers, each = 4, 10
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					for {
						r, err := s.Get(ctx, "a")
						if !assert.NoError(t, err) {
							return
						}
						r.Frames++
						err = s.Commit(ctx, &liveness.Change{Session: r, Frames: []liveness.FrameRecord{Frame(100*w + i)},
							Intents: []liveness.Intent{intent(fmt.Sprintf("a/%d/0", r.Version+1), "a", liveness.IntentWebhook, t0)}})
						if errors.Is(err, liveness.ErrConflict) {
							continue
						}
						assert.NoError(t, err)
						break
					}
				}
			}()
		}
		wg.Wait()
		got, _ := s.Get(ctx, "a")
		assert.Equal(t, workers*each, got.Frames, "commits were lost")
		assert.EqualValues(t, workers*each+1, got.Version)
		frames, _ := s.Frames(ctx, "a", 0)
		assert.Len(t, frames, workers*each)
		its, _ := s.Intents(ctx, t0, 0)
		assert.Len(t, its, workers*each, "one intent per committed change")
	})

	t.Run("Outbox", func(t *testing.T) {
		s := newStore(t)
		sess := Session("a", time.Minute)
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: sess, Create: true, Intents: []liveness.Intent{
			intent("a/1/0", "a", liveness.IntentWebhook, t0),
			intent("a/1/1", "a", liveness.IntentAudit, t0),
		}}))
		sess.Status, sess.CompletedAt = liveness.StatusCancelled, t0.Add(time.Minute)
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: sess, Intents: []liveness.Intent{intent("a/2/0", "a", liveness.IntentWebhook, t0.Add(time.Minute))}}))
		its, err := s.Intents(ctx, t0.Add(time.Hour), 0)
		require.NoError(t, err)
		require.Len(t, its, 3)
		assert.Equal(t, []string{"a/1/0", "a/1/1", "a/2/0"}, []string{its[0].ID, its[1].ID, its[2].ID}, "oldest first, ties by id")
		assert.Equal(t, intent("a/1/1", "a", liveness.IntentAudit, t0), its[1])
		want := intent("a/1/0", "a", liveness.IntentWebhook, t0)
		assert.Equal(t, want, its[0])
		early, _ := s.Intents(ctx, t0, 0)
		assert.Len(t, early, 2, "intents created after the bound are left")
		one, _ := s.Intents(ctx, t0.Add(time.Hour), 1)
		assert.Len(t, one, 1)
		require.NoError(t, s.DeleteIntents(ctx, "a/1/0", "a/1/1", "nope"))
		require.NoError(t, s.DeleteIntents(ctx, "a/1/0"), "deleting twice is fine")
		its, _ = s.Intents(ctx, t0.Add(time.Hour), 0)
		require.Len(t, its, 1)
		assert.Equal(t, "a/2/0", its[0].ID)
	})

	t.Run("ExpiredPending", func(t *testing.T) {
		s := newStore(t)
		for i, d := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
			create(t, s, Session(fmt.Sprint("s", i), d))
		}
		ids, err := s.ExpiredPending(ctx, t0.Add(2*time.Minute), 0)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"s0", "s1"}, ids)
		// A session that ended leaves the index.
		r, _ := s.Get(ctx, "s0")
		r.Status, r.CompletedAt = liveness.StatusExpired, t0.Add(time.Minute)
		require.NoError(t, s.Commit(ctx, &liveness.Change{Session: r}))
		ids, _ = s.ExpiredPending(ctx, t0.Add(time.Hour), 0)
		assert.ElementsMatch(t, []string{"s1", "s2"}, ids)
		ids, _ = s.ExpiredPending(ctx, t0.Add(time.Hour), 1)
		assert.Len(t, ids, 1)
	})

	t.Run("Prune", func(t *testing.T) {
		s := newStore(t)
		for i := range 4 {
			sess := Session(fmt.Sprint("s", i), time.Minute)
			create(t, s, sess)
			sess.Frames = 2
			if i < 3 {
				sess.Status, sess.CompletedAt = liveness.StatusPassed, t0.Add(time.Duration(i)*time.Hour)
			}
			require.NoError(t, s.Commit(ctx, &liveness.Change{Session: sess, Frames: []liveness.FrameRecord{Frame(1), Frame(2)}}))
		}
		n, err := s.Prune(ctx, t0.Add(90*time.Minute), 0) // s0 and s1 ended before
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		for _, id := range []string{"s0", "s1"} {
			_, err := s.Get(ctx, id)
			require.ErrorIs(t, err, liveness.ErrNotFound, id)
			_, err = s.Frames(ctx, id, 0)
			require.ErrorIs(t, err, liveness.ErrNotFound, id)
		}
		for _, id := range []string{"s2", "s3"} {
			frames, err := s.Frames(ctx, id, 0)
			require.NoError(t, err, id)
			assert.Len(t, frames, 2, id)
		}
		n, err = s.Prune(ctx, t0.Add(100*time.Hour), 0)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "a pending session is never pruned")
		_, err = s.Get(ctx, "s3")
		require.NoError(t, err)
		ids, _ := s.ExpiredPending(ctx, t0.Add(time.Hour), 0)
		assert.Equal(t, []string{"s3"}, ids)
	})
}

// RunMigration checks that a store reads a schema 1 record: open returns
// a store holding the given raw records as its previous version stored
// them (key: session id). The header must read as before, the history
// must have become the frame log, and the session must take commits.
func RunMigration(t *testing.T, open func(t *testing.T, legacy map[string][]byte) liveness.Store) {
	ctx := context.Background()
	id, rec := LegacyV1()
	s := open(t, map[string][]byte{id: rec})
	h, err := s.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, liveness.StatusPending, h.Status)
	assert.EqualValues(t, 4, h.Version)
	assert.Equal(t, 3, h.Frames)
	assert.Equal(t, "user-42", h.ReferenceID)
	assert.Equal(t, []challenge.ID{challenge.Blink, challenge.TurnLeft}, h.Challenges)
	frames, err := s.Frames(ctx, id, 0)
	require.NoError(t, err)
	require.Len(t, frames, 3)
	assert.Equal(t, int64(1600*time.Millisecond), frames[1].TimeNS)
	assert.Equal(t, [4]int{200, 120, 380, 300}, frames[1].Box)
	assert.Equal(t, []uint8{10, 20, 30}, frames[1].EyeBand)
	assert.InDelta(t, -2.25, frames[1].Pitch, 0)
	assert.Len(t, frames[1].Thumb, 64*64)
	require.NotNil(t, frames[2].Spoof)
	assert.Equal(t, liveness.FrameSpoof{Score: 0.3, Margin: -0.4, LaplacianVar: 90, Attack: true, Reason: "attack", Cause: "texture"}, *frames[2].Spoof)
	h.Frames++
	require.NoError(t, s.Commit(ctx, &liveness.Change{Session: h, Frames: []liveness.FrameRecord{Frame(4)}}))
	frames, err = s.Frames(ctx, id, 0)
	require.NoError(t, err)
	assert.Len(t, frames, 4)
	ids, err := s.ExpiredPending(ctx, t0.Add(time.Hour), 0)
	require.NoError(t, err)
	assert.Equal(t, []string{id}, ids, "a migrated pending session is in the expiry index")
}
