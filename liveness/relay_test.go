package liveness_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
)

// gated is a Notifier that keeps events once its gate is open, and
// blocks until then.
type gated struct {
	recorder
	gate chan struct{}
}

func newGated() *gated { return &gated{gate: make(chan struct{})} }

func (g *gated) Notify(ctx context.Context, ev liveness.Event) error {
	<-g.gate
	return g.recorder.Notify(ctx, ev)
}

// TestRelayAfterAnswer: a change is answered once committed, while its
// intents wait in the outbox for the relay worker, which relays them in
// commit order and then deletes them; Flush waits for it.
func TestRelayAfterAnswer(t *testing.T) {
	analyzer(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		clk := newClock()
		store := liveness.NewMemoryStore()
		n := newGated()
		e := newEngine(t, clk, liveness.WithStore(store), liveness.WithNotifier(n))
		a, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1})
		require.NoError(t, err, "answered although the notifier is blocked")
		b, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1})
		require.NoError(t, err)
		_, err = e.Cancel(ctx, a.Session.ID)
		require.NoError(t, err)
		synctest.Wait()
		assert.Empty(t, n.types(), "nothing relayed yet")
		its, err := store.Intents(ctx, clk.Now(), 0)
		require.NoError(t, err)
		assert.Len(t, its, 6, "each change's event and audit entry are durable in the outbox")

		close(n.gate)
		require.NoError(t, e.Flush(ctx))
		assert.Equal(t, []string{liveness.EventCreated, liveness.EventCreated, liveness.EventCancelled}, n.types())
		assert.Equal(t, []string{a.Session.ID, b.Session.ID, a.Session.ID}, []string{n.events[0].Session.ID, n.events[1].Session.ID, n.events[2].Session.ID})
		its, err = store.Intents(ctx, clk.Now(), 0)
		require.NoError(t, err)
		assert.Empty(t, its, "relayed intents are deleted")
	})
}

// TestRelayQueueBounded: when the relay falls behind, a change waits for
// room in the queue instead of piling up in memory.
func TestRelayQueueBounded(t *testing.T) {
	analyzer(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		n := newGated()
		e := newEngine(t, newClock(), liveness.WithNotifier(n))
		const total = 2*1024 + 10
		var created atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range total {
				_, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1})
				assert.NoError(t, err)
				created.Add(1)
			}
		}()
		synctest.Wait()
		// The worker holds what it took (at least one change, at most a
		// full queue) and 1024 more wait in the queue; the next one waits.
		assert.GreaterOrEqual(t, created.Load(), int64(1+1024))
		assert.LessOrEqual(t, created.Load(), int64(2*1024))
		select {
		case <-done:
			t.Fatal("every change was answered although the relay is blocked")
		default:
		}
		close(n.gate)
		<-done
		require.NoError(t, e.Flush(ctx))
		assert.Len(t, n.types(), total)
	})
}

// TestRunDrainsRelay: when Run ends it waits for the relay worker to relay
// what was committed, for at most 10 s; what is left stays in the outbox.
func TestRunDrainsRelay(t *testing.T) {
	analyzer(t)
	for _, release := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			clk := newClock()
			store := liveness.NewMemoryStore()
			n := newGated()
			e := newEngine(t, clk, liveness.WithStore(store), liveness.WithNotifier(n))
			ctx, cancel := context.WithCancel(context.Background())
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				assert.ErrorIs(t, e.Run(ctx), context.Canceled)
			}()
			_, err := e.Create(context.Background(), liveness.CreateOptions{ChallengeCount: 1})
			require.NoError(t, err)
			cancel()
			synctest.Wait()
			select {
			case <-ended:
				t.Fatal("Run ended before the relay")
			default:
			}
			start := time.Now()
			if release {
				close(n.gate)
			}
			<-ended
			its, err := store.Intents(context.Background(), clk.Now(), 0)
			require.NoError(t, err)
			if release {
				assert.Equal(t, []string{liveness.EventCreated}, n.types())
				assert.Empty(t, its)
				assert.Zero(t, time.Since(start))
				return
			}
			assert.Equal(t, 10*time.Second, time.Since(start), "the drain is bounded")
			assert.Len(t, its, 2, "left in the outbox for the next Reconcile")
			close(n.gate) // let the worker end
			require.NoError(t, e.Flush(context.Background()))
		})
	}
}

// TestSyncRelay: with WithSyncRelay a change is relayed before the call
// returns.
func TestSyncRelay(t *testing.T) {
	rec := &recorder{}
	e := newEngine(t, newClock(), liveness.WithNotifier(rec), liveness.WithSyncRelay())
	c, err := e.Create(context.Background(), liveness.CreateOptions{ChallengeCount: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{liveness.EventCreated}, rec.types())
	_, err = e.Cancel(context.Background(), c.Session.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{liveness.EventCreated, liveness.EventCancelled}, rec.types())
}
