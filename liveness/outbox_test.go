package liveness_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

var errDown = errors.New("down")

// flaky wraps a Notifier and an audit log; both fail while down.
type flaky struct {
	mu   sync.Mutex
	down bool
	rec  recorder
	log  *audit.Log
}

func (f *flaky) isDown() bool  { f.mu.Lock(); defer f.mu.Unlock(); return f.down }
func (f *flaky) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flaky) Notify(ctx context.Context, ev liveness.Event) error {
	if f.isDown() {
		return errDown
	}
	return f.rec.Notify(ctx, ev)
}

type flakyAudit struct{ f *flaky }

func (a flakyAudit) Append(ctx context.Context, r audit.Record) (audit.Entry, error) {
	if a.f.isDown() {
		return audit.Entry{}, errDown
	}
	return a.f.log.Append(ctx, r)
}

func (a flakyAudit) BySession(ctx context.Context, id string) ([]audit.Entry, error) {
	return a.f.log.BySession(ctx, id)
}

// forgetful is a store whose DeleteIntents fails while on: the relay
// happened, but a crash lost the fact.
type forgetful struct {
	*liveness.MemoryStore
	mu sync.Mutex
	on bool
}

func (s *forgetful) DeleteIntents(ctx context.Context, ids ...string) error {
	s.mu.Lock()
	on := s.on
	s.mu.Unlock()
	if on {
		return errDown
	}
	return s.MemoryStore.DeleteIntents(ctx, ids...)
}

func outboxEngine(t *testing.T, clk *clock, store liveness.Store) (*liveness.Engine, *flaky) {
	t.Helper()
	signer, err := audit.NewSigner("k1", ed25519.NewKeyFromSeed(make([]byte, 32)))
	require.NoError(t, err)
	log, err := audit.Open(context.Background(), audit.WithSigner(signer), audit.WithClock(clk.Now))
	require.NoError(t, err)
	f := &flaky{log: log}
	return newEngine(t, clk, liveness.WithStore(store), liveness.WithNotifier(f), liveness.WithAuditor(flakyAudit{f})), f
}

func auditTypes(t *testing.T, log *audit.Log, id string) []audit.EventType {
	t.Helper()
	ents, err := log.BySession(context.Background(), id)
	require.NoError(t, err)
	var out []audit.EventType
	for _, e := range ents {
		out = append(out, e.EventType)
	}
	return out
}

// TestOutboxSurvivesFailures: a change commits even when the notifier and
// the audit log are down; its events and entries wait in the outbox and
// the reconciler relays each exactly once, with derived event ids.
func TestOutboxSurvivesFailures(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := liveness.NewMemoryStore()
	e, f := outboxEngine(t, clk, store)
	f.set(true)
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ConsentText: "I agree"})
	require.NoError(t, err)
	id := c.Session.ID
	s, err := e.Cancel(ctx, id)
	require.NoError(t, err, "the change is acknowledged once durable, whatever the relay")
	assert.Equal(t, liveness.StatusCancelled, s.Status)
	relayed(t, e)
	its, err := store.Intents(ctx, clk.Now(), 0)
	require.NoError(t, err)
	assert.Len(t, its, 5, "created event, SESSION_CREATED, CONSENT_RECORDED, LIVENESS_RESULT, cancelled event")
	assert.Empty(t, f.rec.types())

	f.set(false)
	n, err := e.Reconcile(ctx, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, []string{liveness.EventCreated, liveness.EventCancelled}, f.rec.types())
	assert.Equal(t, liveness.EventID(id, 1, liveness.EventCreated), f.rec.events[0].ID)
	assert.Equal(t, liveness.EventID(id, 2, liveness.EventCancelled), f.rec.events[1].ID)
	assert.Equal(t, liveness.StatusCancelled, f.rec.events[1].Session.Status, "the event carries the session as committed")
	assert.Equal(t, []audit.EventType{audit.SessionCreated, audit.ConsentRecorded, audit.LivenessResult}, auditTypes(t, f.log, id))

	n, err = e.Reconcile(ctx, clk.Now())
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left")
	assert.Len(t, f.rec.types(), 2)
}

// TestReconcileAfterLostDelete: the relay ran but the outbox kept the
// intents (a crash before the delete). The reconciler sends the events
// again with the same ids, marked Replay, and appends no audit entry
// twice.
func TestReconcileAfterLostDelete(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := &forgetful{MemoryStore: liveness.NewMemoryStore(), on: true}
	e, f := outboxEngine(t, clk, store)
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1})
	require.NoError(t, err)
	_, err = e.Cancel(ctx, c.Session.ID)
	require.NoError(t, err)
	relayed(t, e)
	require.Len(t, f.rec.types(), 2)
	require.Len(t, auditTypes(t, f.log, c.Session.ID), 2)

	store.mu.Lock()
	store.on = false
	store.mu.Unlock()
	n, err := e.Reconcile(ctx, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	require.Len(t, f.rec.events, 4)
	for i, ev := range f.rec.events[2:] {
		assert.True(t, ev.Replay)
		assert.Equal(t, f.rec.events[i].ID, ev.ID, "a repeat has the id of the first delivery")
	}
	assert.Equal(t, []audit.EventType{audit.SessionCreated, audit.LivenessResult}, auditTypes(t, f.log, c.Session.ID), "no duplicate audit entry")
}

type cutoffs struct {
	mu  sync.Mutex
	got []time.Time
}

func (c *cutoffs) Prune(_ context.Context, before time.Time) (int, error) {
	c.mu.Lock()
	c.got = append(c.got, before)
	c.mu.Unlock()
	return 0, nil
}

// TestRetention prunes ended sessions and their frame logs once they are
// older than the retention, on the injected clock, never a pending one.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := liveness.NewMemoryStore()
	pr := &cutoffs{}
	e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithFrameAnalyzer(synthAnalyzer{}), liveness.WithStore(store),
		liveness.WithRetention(24*time.Hour, time.Hour, pr), liveness.WithTTL(time.Hour, 48*time.Hour))
	require.NoError(t, err)
	ended, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Smile}, ChallengeCount: 1})
	require.NoError(t, err)
	play(t, e, clk, ended.Session.ID, 400*time.Millisecond, "rest", "rest")
	_, err = e.Cancel(ctx, ended.Session.ID)
	require.NoError(t, err)
	pending, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, TTL: 48 * time.Hour})
	require.NoError(t, err)

	clk.Advance(23 * time.Hour)
	n, err := e.PruneEnded(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	clk.Advance(2 * time.Hour)
	n, err = e.PruneEnded(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = e.Get(ctx, ended.Session.ID)
	require.ErrorIs(t, err, liveness.ErrNotFound)
	_, err = store.Frames(ctx, ended.Session.ID, 0)
	require.ErrorIs(t, err, liveness.ErrNotFound)
	_, err = e.Get(ctx, pending.Session.ID)
	require.NoError(t, err)
	require.Len(t, pr.got, 2)
	assert.Equal(t, clk.Now().Add(-24*time.Hour), pr.got[1], "pruners get the same cutoff")
}

type appendOnly struct{}

func (appendOnly) Append(context.Context, audit.Record) (audit.Entry, error) {
	return audit.Entry{}, nil
}

type unlistedEvidence struct{ liveness.EvidenceStore }

// TestNewChecksOptionalFeatures: features the engine needs of its
// collaborators are checked when it is built, not skipped later.
func TestNewChecksOptionalFeatures(t *testing.T) {
	_, err := liveness.New(liveness.WithAuditor(appendOnly{}), liveness.WithAnalyzer(analyzer(t)))
	require.ErrorIs(t, err, liveness.ErrBadRequest)
	assert.Contains(t, err.Error(), "AuditIndex")
	_, err = liveness.New(liveness.WithEvidenceStore(unlistedEvidence{evidence.NewMemory(nil)}), liveness.WithAnalyzer(analyzer(t)))
	require.ErrorIs(t, err, liveness.ErrBadRequest)
	assert.Contains(t, err.Error(), "EvidenceLister")
	_, err = liveness.New(liveness.WithRetention(-time.Hour, time.Minute), liveness.WithAnalyzer(analyzer(t)))
	require.ErrorIs(t, err, liveness.ErrBadRequest)
}
