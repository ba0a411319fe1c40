package boltstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

const (
	envChild = "BOLTSTORE_CRASH_CHILD_DB"
	envURL   = "BOLTSTORE_CRASH_CHILD_URL"
	nEvents  = 6
	secret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envChild); path != "" {
		crashChild(path, os.Getenv(envURL))
		return
	}
	os.Exit(m.Run())
}

// crashChild is the process that gets killed: it enqueues nEvents events,
// then delivers them one at a time until the parent kills it.
func crashChild(path, url string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	s, err := boltstore.Open(path, nil)
	if err != nil {
		fail(err)
	}
	d, err := outbox.New(outbox.WithStore(s), outbox.WithInsecureTargets(), outbox.WithConcurrency(1),
		outbox.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fail(err)
	}
	ep := outbox.Endpoint{ID: "ep", URL: url, Secrets: webhook.Secrets{{Value: secret}}}
	ctx := context.Background()
	for i := range nEvents {
		ev, err := d.NewEvent(event.SessionVerified, event.SessionData{SessionID: fmt.Sprint("sess_", i)})
		if err != nil {
			fail(err)
		}
		if _, err := d.Enqueue(ctx, ep, ev); err != nil {
			fail(err)
		}
	}
	d.Run(ctx) // until killed
	os.Exit(3)
}

// received records what a receiver saw.
type received struct {
	mu       sync.Mutex
	byEvent  map[string][]string // event id -> delivery ids, one per request
	answered map[string]int      // event id -> 2xx answers
	total    int
}

func newReceived() *received {
	return &received{byEvent: map[string][]string{}, answered: map[string]int{}}
}

// add records a request and returns its 1-based arrival number; the request
// numbered victim is recorded as not answered with a 2xx.
func (r *received) add(h http.Header, victim int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	ev := h.Get(webhook.EventIDHeader)
	r.byEvent[ev] = append(r.byEvent[ev], h.Get(webhook.DefaultDeliveryIDHeader))
	if r.total != victim {
		r.answered[ev]++
	}
	return r.total
}

// TestCrashRestart kills (SIGKILL) a process in the middle of an attempt,
// after it delivered some events, and restarts on the same file: no event
// is lost, and none is sent again after its 2xx was recorded.
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "outbox.db")
	rec := newReceived()
	inFlight := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client dying
		if rec.add(r.Header, 4) == 4 {
			// The fourth request is the one in flight when the process dies.
			close(inFlight)
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+path, envURL+"="+srv.URL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inFlight:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never reached the fourth delivery")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	before, err := s.Deliveries(ctx, outbox.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != nEvents {
		t.Fatalf("%d deliveries in the file after the crash, want %d", len(before), nEvents)
	}
	delivered := map[string]bool{}
	for _, d := range before {
		if d.State == outbox.StateDelivered {
			delivered[d.EventID] = true
		}
	}
	if len(delivered) != 3 {
		t.Fatalf("%d delivered before the crash, want 3", len(delivered))
	}

	// Restart: a new dispatcher on the same file, its clock past the dead
	// process's lease.
	clock := outboxtest.NewClock(time.Now().Add(time.Minute))
	d2, err := outbox.New(outbox.WithStore(s), outbox.WithClock(clock), outbox.WithInsecureTargets(),
		outbox.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if n, err := d2.DeliverDue(ctx); err != nil || n != 3 {
		t.Fatalf("after restart DeliverDue = %d, %v; want the 3 undelivered", n, err)
	}
	if n, _ := d2.DeliverDue(ctx); n != 0 {
		t.Fatalf("a second pass attempted %d", n)
	}

	after, _ := s.Deliveries(ctx, outbox.DeliveryFilter{})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, d := range after {
		if d.State != outbox.StateDelivered {
			t.Errorf("delivery %s is %s after restart", d.ID, d.State)
		}
		if rec.answered[d.EventID] != 1 {
			t.Errorf("event %s answered 2xx %d times, want 1", d.EventID, rec.answered[d.EventID])
		}
		seen := rec.byEvent[d.EventID]
		switch {
		case delivered[d.EventID] && len(seen) != 1:
			t.Errorf("event %s delivered before the crash was sent %d times", d.EventID, len(seen))
		case len(seen) == 0:
			t.Errorf("event %s lost", d.EventID)
		}
		for _, id := range seen {
			if id != d.ID {
				t.Errorf("event %s sent with delivery id %s, want %s on every attempt", d.EventID, id, d.ID)
			}
		}
	}
	if rec.total != nEvents+1 {
		t.Errorf("receiver saw %d requests, want %d (one repeat of the request in flight)", rec.total, nEvents+1)
	}
}

// TestCrashAfter2xxBeforeRecord abandons a dispatcher after the receiver
// answered 2xx but before the answer was recorded (the file is closed under
// it, as a crash would). The delivery is sent again after the restart, with
// the same event and delivery ids so the receiver can drop the duplicate,
// and is never sent a third time.
func TestCrashAfter2xxBeforeRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	s1, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := newReceived()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var first sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		block := false
		first.Do(func() { block = true })
		if block {
			arrived <- struct{}{}
			<-release
		}
		rec.add(r.Header, 0)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := outboxtest.NewClock(t0)
	quiet := outbox.WithLogger(slog.New(slog.DiscardHandler))
	d1, err := outbox.New(outbox.WithStore(s1), outbox.WithClock(clock), outbox.WithInsecureTargets(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	ep := outbox.Endpoint{ID: "ep", URL: srv.URL, Secrets: webhook.Secrets{{Value: secret}}}
	ev, _ := d1.NewEvent(event.SessionFailed, event.SessionData{SessionID: "s"})
	del, err := d1.Enqueue(t.Context(), ep, ev)
	if err != nil {
		t.Fatal(err)
	}
	passDone := make(chan struct{})
	go func() { d1.DeliverDue(context.Background()); close(passDone) }()
	<-arrived
	if err := s1.Close(); err != nil { // the crash: nothing more reaches the file
		t.Fatal(err)
	}
	close(release) // the receiver answers 200, too late to be recorded
	<-passDone
	d1.Close()

	s2, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	d2, err := outbox.New(outbox.WithStore(s2), outbox.WithClock(clock), outbox.WithInsecureTargets(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	got, _ := d2.Delivery(t.Context(), del.ID)
	if got.State != outbox.StatePending || got.Attempts != 0 {
		t.Fatalf("after the crash: %+v, want pending without a recorded attempt", got)
	}
	clock.Advance(time.Minute) // past the dead dispatcher's lease
	if n, err := d2.DeliverDue(t.Context()); n != 1 || err != nil {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	clock.Advance(24 * time.Hour)
	if n, _ := d2.DeliverDue(t.Context()); n != 0 {
		t.Fatalf("delivered delivery attempted again (%d)", n)
	}
	got, _ = d2.Delivery(t.Context(), del.ID)
	if got.State != outbox.StateDelivered || got.Attempts != 1 {
		t.Fatalf("after restart: %+v", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if ids := rec.byEvent[del.EventID]; len(ids) != 2 || ids[0] != del.ID || ids[1] != del.ID {
		t.Fatalf("receiver saw delivery ids %v for the event, want %s twice", ids, del.ID)
	}
}
