package boltstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/webhook"
)

// A delivery enqueued by one dispatcher is still pending after the process
// stops, and the next process, opening the same file, sees it.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "outbox.db")
	ctx := context.Background()
	quiet := outbox.WithLogger(slog.New(slog.DiscardHandler))

	s, err := boltstore.Open(path, nil)
	if err != nil {
		panic(err)
	}
	d, _ := outbox.New(outbox.WithStore(s), quiet)
	ep := outbox.Endpoint{ID: "acme", URL: "https://hooks.example.com/liveness",
		Secrets: webhook.Secrets{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}
	ev, _ := event.NewEvent("evt_1", event.SessionCreated, time.Unix(1748779200, 0), event.SessionData{SessionID: "sess_1"})
	if _, err := d.Enqueue(ctx, ep, ev); err != nil {
		panic(err)
	}
	d.Close() // no Run: nothing was sent
	s.Close()

	s, _ = boltstore.Open(path, nil) // the next start
	defer s.Close()
	pending, _ := s.Deliveries(ctx, outbox.DeliveryFilter{State: outbox.StatePending})
	fmt.Println(len(pending), pending[0].EventID, pending[0].EndpointID)
	// Output: 1 evt_1 acme
}
