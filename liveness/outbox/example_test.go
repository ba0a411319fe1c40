package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
)

func ExampleForbidden() {
	for _, a := range []string{"8.8.8.8", "169.254.169.254", "100.64.1.2", "::ffff:127.0.0.1", "fd00::1"} {
		verdict := "allowed"
		if reason, bad := outbox.Forbidden(netip.MustParseAddr(a)); bad {
			verdict = "refused: " + reason
		}
		fmt.Printf("%-16s %s\n", a, verdict)
	}
	// Output:
	// 8.8.8.8          allowed
	// 169.254.169.254  refused: link-local
	// 100.64.1.2       refused: CGNAT shared address space
	// ::ffff:127.0.0.1 refused: IPv4-mapped loopback
	// fd00::1          refused: unique-local
}

// The dispatcher stores each event before sending it, and retries on the
// schedule; here the receiver fails once, and a test clock stands in for
// the 5 s wait.
func ExampleDispatcher() {
	recv := outboxtest.NewReceiver(http.StatusServiceUnavailable, http.StatusOK)
	srv := httptest.NewServer(recv)
	defer srv.Close()
	clock := outboxtest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	d, err := outbox.New(
		outbox.WithStore(outbox.NewMemoryStore()), // boltstore.Open(...) for durability
		outbox.WithClock(clock),
		outbox.WithInsecureTargets(), // httptest is plain http on loopback
		outbox.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	defer d.Close()

	ctx := context.Background()
	ep := outbox.Endpoint{ID: "acme", URL: srv.URL, Secrets: webhook.Secrets{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}
	pass, score := true, 0.97
	ev, _ := d.NewEvent(event.SessionVerified, event.SessionData{SessionID: "sess_1", Passed: &pass, Score: &score})
	del, _ := d.Enqueue(ctx, ep, ev)

	d.DeliverDue(ctx) // Run(ctx) does this in a loop
	clock.Advance(6 * time.Second)
	d.DeliverDue(ctx)

	del, _ = d.Delivery(ctx, del.ID)
	attempts, _ := d.Attempts(ctx, del.ID)
	fmt.Println(del.State, "after", del.Attempts, "attempts")
	for _, a := range attempts {
		fmt.Println(a.N, a.StatusCode, a.Error)
	}
	// Output:
	// delivered after 2 attempts
	// 1 503 HTTP 503 Service Unavailable
	// 2 200
}
