package outbox_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

// TestRunScheduleSynctest runs the real worker loop with the system clock
// inside a synctest bubble, where time is virtual: the whole default
// schedule (over an hour) passes instantly and exactly.
func TestRunScheduleSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recv := outboxtest.NewReceiver(500, 503, 429, 502, 504, 200)
		d, err := outbox.New(
			outbox.WithInsecureTargets(),
			outbox.WithHTTPClient(&http.Client{Transport: handlerTransport{recv}}),
			outbox.WithRetryPolicy(noJitter()),
			outbox.WithLogger(discard()),
		)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		runErr := make(chan error, 1)
		go func() { runErr <- d.Run(ctx) }()

		start := time.Now()
		ev, _ := d.NewEvent(event.SessionVerified, event.SessionData{SessionID: "s"})
		del, err := d.Enqueue(ctx, outbox.Endpoint{ID: "e", URL: "http://receiver.test/hook", Secrets: webhook.Secrets{{Value: secretA}}}, ev)
		require.NoError(t, err)
		// Offsets of the six attempts: 0, then 5 s, 30 s, 2 min, 10 min and
		// 1 h after the previous one. Run polls every second, so an attempt
		// happens within a second of its due time.
		for i, off := range []time.Duration{0, 5 * time.Second, 35 * time.Second, 155 * time.Second, 755 * time.Second, 4355 * time.Second} {
			if off > 0 {
				time.Sleep(time.Until(start.Add(off - time.Millisecond)))
				synctest.Wait()
				require.Len(t, recv.Requests(), i, "just before +%v", off)
			}
			time.Sleep(time.Until(start.Add(off + time.Second)))
			synctest.Wait()
			require.Len(t, recv.Requests(), i+1, "at +%v+1s", off)
		}
		got, _ := d.Delivery(ctx, del.ID)
		require.Equal(t, outbox.StateDelivered, got.State, "delivery = %+v", got)
		require.Equal(t, 6, got.Attempts, "delivery = %+v", got)
		cancel()
		require.ErrorIs(t, <-runErr, context.Canceled, "Run")
		d.Close()
	})
}
