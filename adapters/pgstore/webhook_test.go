package pgstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookStoreConformance(t *testing.T) {
	conn, _ := connect(t) // skip the whole suite without a server
	conn.Close(t.Context())
	dbs := map[outbox.Store]testDB{}
	pools := map[outbox.Store]*pgxpool.Pool{}
	outboxtest.RunStoreTests(t, outboxtest.StoreFactory{
		New: func(t *testing.T) outbox.Store {
			db, p := migrated(t)
			s := pgstore.NewWebhookStore(p)
			dbs[s], pools[s] = db, p
			return s
		},
		Reopen: func(t *testing.T, s outbox.Store) outbox.Store {
			db := dbs[s]
			pools[s].Close()
			p := db.pool(t)
			_, err := pgstore.Migrate(t.Context(), p)
			require.NoError(t, err)
			r := pgstore.NewWebhookStore(p)
			dbs[r], pools[r] = db, p
			return r
		},
	})
}

// TestClaimAcrossReplicas has workers of two replicas, each with its own
// pool, drain one outbox: every delivery is claimed exactly once.
func TestClaimAcrossReplicas(t *testing.T) {
	db, p := migrated(t)
	stores := []*pgstore.WebhookStore{pgstore.NewWebhookStore(p), pgstore.NewWebhookStore(db.pool(t))}
	ctx := t.Context()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 200
	for i := range n {
		d := outbox.Delivery{ID: fmt.Sprintf("d%03d", i), EventID: "e", EventType: event.SessionVerified, EndpointID: "ep",
			URL: "https://example.com/", Format: event.FormatEvent, Payload: []byte("{}"), State: outbox.StatePending,
			CreatedAt: base, NextAttemptAt: base.Add(time.Duration(i%7) * time.Millisecond)}
		require.NoError(t, stores[0].AddDelivery(ctx, d))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		s := stores[w%2]
		wg.Go(func() {
			for {
				got, err := s.ClaimDue(ctx, base.Add(time.Second), base.Add(time.Hour), fmt.Sprint("w", w), 4)
				if !assert.NoError(t, err) {
					return
				}
				if len(got) == 0 {
					return
				}
				for _, d := range got {
					d.State, d.Attempts, d.CompletedAt, d.NextAttemptAt = outbox.StateDelivered, 1, base, time.Time{}
					assert.NoError(t, s.UpdateDelivery(ctx, d, &outbox.Attempt{DeliveryID: d.ID, N: 1, At: base, StatusCode: 204}))
					mu.Lock()
					seen[d.ID]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, n, "deliveries claimed")
	for id, c := range seen {
		assert.Equal(t, 1, c, "delivery %s claims", id)
	}
}

// TestWebhookBytes keeps response snippets and errors that are not valid
// UTF-8 or hold NUL bytes, which PostgreSQL text columns refuse.
func TestWebhookBytes(t *testing.T) {
	_, p := migrated(t)
	s := pgstore.NewWebhookStore(p)
	ctx := t.Context()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	d := outbox.Delivery{ID: "d", EndpointID: "ep", State: outbox.StatePending, CreatedAt: base, NextAttemptAt: base}
	require.NoError(t, s.AddDelivery(ctx, d))
	got, err := s.ClaimDue(ctx, base, base.Add(time.Minute), "tok", 1)
	require.NoError(t, err, "claim")
	require.Len(t, got, 1, "claim")
	d = got[0]
	odd := "bad \xff\xfe utf-8 and a \x00 byte"
	d.LastError, d.LastStatus, d.Attempts = odd, 500, 1
	a := &outbox.Attempt{DeliveryID: "d", N: 1, At: base, StatusCode: 500, Error: odd, Response: odd}
	require.NoError(t, s.UpdateDelivery(ctx, d, a))
	ds, _ := s.Deliveries(ctx, outbox.DeliveryFilter{ID: "d"})
	as, _ := s.Attempts(ctx, "d")
	require.Len(t, ds, 1, "bytes changed")
	require.Equal(t, odd, ds[0].LastError, "bytes changed")
	require.Len(t, as, 1, "bytes changed")
	require.Equal(t, odd, as[0].Error, "bytes changed")
	require.Equal(t, odd, as[0].Response, "bytes changed")
	err = s.AddDelivery(ctx, outbox.Delivery{ID: "nul\x00id"})
	if assert.Error(t, err, "AddDelivery with a NUL in the id") {
		assert.NotErrorIs(t, err, outbox.ErrDuplicate, "want a store error")
	}
}
