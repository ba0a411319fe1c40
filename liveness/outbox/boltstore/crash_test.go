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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, cmd.Start())
	select {
	case <-inFlight:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		require.FailNow(t, "the child never reached the fourth delivery")
	}
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()

	s, err := boltstore.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	before, err := s.Deliveries(ctx, outbox.DeliveryFilter{})
	require.NoError(t, err)
	require.Len(t, before, nEvents, "deliveries in the file after the crash")
	delivered := map[string]bool{}
	for _, d := range before {
		if d.State == outbox.StateDelivered {
			delivered[d.EventID] = true
		}
	}
	require.Len(t, delivered, 3, "delivered before the crash")

	// Restart: a new dispatcher on the same file, its clock past the dead
	// process's lease.
	clock := outboxtest.NewClock(time.Now().Add(time.Minute))
	d2, err := outbox.New(outbox.WithStore(s), outbox.WithClock(clock), outbox.WithInsecureTargets(),
		outbox.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer d2.Close()
	n, err := d2.DeliverDue(ctx)
	require.NoError(t, err, "after restart DeliverDue")
	require.Equal(t, 3, n, "after restart DeliverDue, want the 3 undelivered")
	n, _ = d2.DeliverDue(ctx)
	require.Zero(t, n, "a second pass attempted")

	after, _ := s.Deliveries(ctx, outbox.DeliveryFilter{})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, d := range after {
		assert.Equal(t, outbox.StateDelivered, d.State, "delivery %s after restart", d.ID)
		assert.Equal(t, 1, rec.answered[d.EventID], "event %s answered 2xx", d.EventID)
		seen := rec.byEvent[d.EventID]
		if delivered[d.EventID] {
			assert.Len(t, seen, 1, "event %s delivered before the crash", d.EventID)
		} else {
			assert.NotEmpty(t, seen, "event %s lost", d.EventID)
		}
		for _, id := range seen {
			assert.Equal(t, d.ID, id, "event %s delivery id on every attempt", d.EventID)
		}
	}
	assert.Equal(t, nEvents+1, rec.total, "receiver requests (one repeat of the request in flight)")
}

// TestCrashAfter2xxBeforeRecord abandons a dispatcher after the receiver
// answered 2xx but before the answer was recorded (the file is closed under
// it, as a crash would). The delivery is sent again after the restart, with
// the same event and delivery ids so the receiver can drop the duplicate,
// and is never sent a third time.
func TestCrashAfter2xxBeforeRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	s1, err := boltstore.Open(path, nil)
	require.NoError(t, err)
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
	require.NoError(t, err)
	ep := outbox.Endpoint{ID: "ep", URL: srv.URL, Secrets: webhook.Secrets{{Value: secret}}}
	ev, _ := d1.NewEvent(event.SessionFailed, event.SessionData{SessionID: "s"})
	del, err := d1.Enqueue(t.Context(), ep, ev)
	require.NoError(t, err)
	passDone := make(chan struct{})
	go func() { d1.DeliverDue(context.Background()); close(passDone) }()
	<-arrived
	// The crash: nothing more reaches the file.
	require.NoError(t, s1.Close())
	close(release) // the receiver answers 200, too late to be recorded
	<-passDone
	d1.Close()

	s2, err := boltstore.Open(path, nil)
	require.NoError(t, err)
	defer s2.Close()
	d2, err := outbox.New(outbox.WithStore(s2), outbox.WithClock(clock), outbox.WithInsecureTargets(), quiet)
	require.NoError(t, err)
	defer d2.Close()
	got, _ := d2.Delivery(t.Context(), del.ID)
	require.Equal(t, outbox.StatePending, got.State, "after the crash, want pending")
	require.Zero(t, got.Attempts, "after the crash, want no recorded attempt")
	clock.Advance(time.Minute) // past the dead dispatcher's lease
	n, err := d2.DeliverDue(t.Context())
	require.NoError(t, err, "DeliverDue")
	require.Equal(t, 1, n, "DeliverDue")
	clock.Advance(24 * time.Hour)
	n, _ = d2.DeliverDue(t.Context())
	require.Zero(t, n, "delivered delivery attempted again")
	got, _ = d2.Delivery(t.Context(), del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "after restart")
	require.Equal(t, 1, got.Attempts, "after restart")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	ids := rec.byEvent[del.EventID]
	require.Equal(t, []string{del.ID, del.ID}, ids, "receiver delivery ids for the event")
}
