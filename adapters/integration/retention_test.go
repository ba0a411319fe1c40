package integration_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// manualClock is a clock the test moves. Safe for concurrent use.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRetention runs the replica server's retention (sessions in Redis,
// the webhook outbox in PostgreSQL as its pruner) on an injected clock:
// an ended session, its frame log and the delivered webhook records go
// once older than the retention; pending sessions and deliveries stay.
func TestRetention(t *testing.T) {
	c := newCluster(t, 0)
	ctx := context.Background()
	_, err := pgstore.Migrate(ctx, c.pool)
	require.NoError(t, err)
	opt, err := redis.ParseURL(c.redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })

	clk := &manualClock{t: time.Now().UTC().Truncate(time.Second)}
	store := redisstore.New(rdb, redisstore.WithPrefix(c.prefix), redisstore.WithClock(clk.Now))
	hooks := pgstore.NewWebhookStore(c.pool)
	e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithStore(store), liveness.WithRetention(time.Hour, 10*time.Minute, hooks))
	require.NoError(t, err)

	ended, err := e.Create(ctx, liveness.CreateOptions{})
	require.NoError(t, err)
	_, err = e.Cancel(ctx, ended.Session.ID)
	require.NoError(t, err)
	pending, err := e.Create(ctx, liveness.CreateOptions{TTL: time.Hour})
	require.NoError(t, err)
	delivery := func(id string, state outbox.DeliveryState, completed time.Time) outbox.Delivery {
		return outbox.Delivery{ID: id, EventID: "evt_" + id, EventType: event.SessionCancelled, EndpointID: "server", URL: "https://hooks.example.com/",
			Format: event.FormatEvent, Payload: []byte(`{}`), State: state, CreatedAt: clk.Now(), CompletedAt: completed}
	}
	for _, d := range []outbox.Delivery{
		delivery("delivered", outbox.StateDelivered, clk.Now()),
		delivery("later", outbox.StateDelivered, clk.Now().Add(30*time.Minute)),
		delivery("pending", outbox.StatePending, time.Time{}),
	} {
		if d.State == outbox.StatePending {
			d.NextAttemptAt = clk.Now().Add(time.Hour)
		}
		require.NoError(t, hooks.AddDelivery(ctx, d))
	}

	clk.Advance(59 * time.Minute)
	n, err := e.PruneEnded(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "within the retention")
	_, err = e.Get(ctx, ended.Session.ID)
	require.NoError(t, err)

	clk.Advance(2 * time.Minute)
	n, err = e.PruneEnded(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = e.Get(ctx, ended.Session.ID)
	require.ErrorIs(t, err, liveness.ErrNotFound)
	assert.Zero(t, rdb.Exists(ctx, c.prefix+"session:"+ended.Session.ID, c.prefix+"frames:"+ended.Session.ID).Val())
	_, err = store.Get(ctx, pending.Session.ID)
	require.NoError(t, err, "a pending session is never pruned")
	ds, err := hooks.Deliveries(ctx, outbox.DeliveryFilter{})
	require.NoError(t, err)
	var left []string
	for _, d := range ds {
		left = append(left, d.ID)
	}
	assert.ElementsMatch(t, []string{"later", "pending"}, left)
}
