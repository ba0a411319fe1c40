package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24h"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// seeded returns a deterministic random source.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

// noJitter is the default schedule without jitter, so times are exact.
func noJitter() outbox.RetryPolicy {
	p := outbox.DefaultRetryPolicy()
	p.Jitter = 0
	return p
}

type fixture struct {
	t     *testing.T
	clock *outboxtest.Clock
	store *outbox.MemoryStore
	d     *outbox.Dispatcher
	recv  *outboxtest.Receiver
	srv   *httptest.Server
	ep    outbox.Endpoint
}

// newFixture starts an httptest receiver answering with statuses and a
// dispatcher (development option on, fake clock, no jitter) aimed at it.
func newFixture(t *testing.T, statuses []int, opts ...outbox.Option) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: outboxtest.NewClock(t0), store: outbox.NewMemoryStore()}
	f.recv = outboxtest.NewReceiver(statuses...)
	f.srv = httptest.NewServer(f.recv)
	t.Cleanup(f.srv.Close)
	base := []outbox.Option{
		outbox.WithStore(f.store),
		outbox.WithClock(f.clock),
		outbox.WithRandom(seeded(1)),
		outbox.WithRetryPolicy(noJitter()),
		outbox.WithInsecureTargets(),
		outbox.WithLogger(discard()),
	}
	d, err := outbox.New(append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	f.d = d
	f.ep = outbox.Endpoint{ID: "ep1", URL: f.srv.URL + "/hook", Secrets: webhook.Secrets{{Value: secretA}}}
	return f
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func (f *fixture) event(typ event.EventType) event.Event {
	f.t.Helper()
	pass, score := typ == event.SessionVerified, 0.93
	ev, err := f.d.NewEvent(typ, event.SessionData{SessionID: "sess_1", Passed: &pass, Score: &score})
	require.NoError(f.t, err)
	return ev
}

func (f *fixture) enqueue(typ event.EventType) outbox.Delivery {
	f.t.Helper()
	del, err := f.d.Enqueue(f.t.Context(), f.ep, f.event(typ))
	require.NoError(f.t, err, "Enqueue")
	return del
}

// pass runs one DeliverDue pass and returns how many deliveries it attempted.
func (f *fixture) pass() int {
	f.t.Helper()
	n, err := f.d.DeliverDue(f.t.Context())
	require.NoError(f.t, err, "DeliverDue")
	return n
}

func (f *fixture) delivery(id string) outbox.Delivery {
	f.t.Helper()
	del, err := f.d.Delivery(f.t.Context(), id)
	require.NoError(f.t, err)
	return del
}

func (f *fixture) attempts(id string) []outbox.Attempt {
	f.t.Helper()
	as, err := f.d.Attempts(f.t.Context(), id)
	require.NoError(f.t, err)
	return as
}

// timeout returns a context for waits that must not hang the test run.
func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// handlerTransport serves requests in process with an http.Handler.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
