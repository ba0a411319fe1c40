package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

func TestFailThenSucceed(t *testing.T) {
	f := newFixture(t, []int{500, 503, 200})
	del := f.enqueue(event.SessionVerified)
	if del.State != outbox.StatePending || !del.NextAttemptAt.Equal(t0) {
		t.Fatalf("enqueued delivery = %+v", del)
	}

	if n := f.pass(); n != 1 {
		t.Fatalf("first pass attempted %d, want 1", n)
	}
	got := f.delivery(del.ID)
	if got.State != outbox.StatePending || got.Attempts != 1 || got.LastStatus != 500 {
		t.Fatalf("after attempt 1: %+v", got)
	}
	if want := t0.Add(5 * time.Second); !got.NextAttemptAt.Equal(want) {
		t.Fatalf("retry at %v, want %v", got.NextAttemptAt, want)
	}
	f.clock.Advance(5*time.Second - time.Millisecond)
	if n := f.pass(); n != 0 {
		t.Fatalf("attempted %d before the retry time", n)
	}
	f.clock.Advance(time.Millisecond)
	f.pass()
	if got = f.delivery(del.ID); !got.NextAttemptAt.Equal(t0.Add(35 * time.Second)) {
		t.Fatalf("second retry at %v, want t0+35s", got.NextAttemptAt)
	}
	f.clock.Advance(30 * time.Second)
	f.pass()
	got = f.delivery(del.ID)
	if got.State != outbox.StateDelivered || got.Attempts != 3 || !got.CompletedAt.Equal(t0.Add(35*time.Second)) {
		t.Fatalf("after attempt 3: %+v", got)
	}

	// Every attempt is logged.
	as := f.attempts(del.ID)
	wantStatus := []int{500, 503, 200}
	wantAt := []time.Duration{0, 5 * time.Second, 35 * time.Second}
	wantRetry := []time.Duration{5 * time.Second, 35 * time.Second, 0}
	if len(as) != 3 {
		t.Fatalf("%d attempts logged, want 3", len(as))
	}
	for i, a := range as {
		if a.N != i+1 || a.StatusCode != wantStatus[i] || !a.At.Equal(t0.Add(wantAt[i])) || a.URL != f.ep.URL {
			t.Errorf("attempt %d = %+v", i+1, a)
		}
		if (a.Error == "") != (wantStatus[i] == 200) {
			t.Errorf("attempt %d error %q", i+1, a.Error)
		}
		if wantRetry[i] == 0 && !a.Retry.IsZero() || wantRetry[i] != 0 && !a.Retry.Equal(t0.Add(wantRetry[i])) {
			t.Errorf("attempt %d retry = %v, want t0+%v", i+1, a.Retry, wantRetry[i])
		}
	}

	// The receiver saw three signed requests with the same ids and body.
	reqs := f.recv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	v := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretA}, Now: f.clock.Now}
	vb := webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{secretA}}
	for i, r := range reqs {
		h := r.Header
		if h.Get("X-Liveness-Delivery-Id") != del.ID || h.Get("Webhook-Id") != del.ID {
			t.Errorf("request %d delivery id headers %q %q, want %s", i, h.Get("X-Liveness-Delivery-Id"), h.Get("Webhook-Id"), del.ID)
		}
		if h.Get("X-Liveness-Event-Id") != del.EventID || h.Get("X-Liveness-Event-Type") != "session.verified" {
			t.Errorf("request %d event headers %v", i, h)
		}
		if h.Get("X-Liveness-Attempt") != strconv.Itoa(i+1) {
			t.Errorf("request %d attempt header %q", i, h.Get("X-Liveness-Attempt"))
		}
		if h.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", h.Get("Content-Type"))
		}
		if string(r.Body) != string(reqs[0].Body) {
			t.Errorf("request %d body differs from the first", i)
		}
		if err := v.Verify(h, r.Body); err != nil {
			t.Errorf("request %d standard signature: %v", i, err)
		}
		if err := vb.Verify(h, r.Body); err != nil {
			t.Errorf("request %d body signature: %v", i, err)
		}
		if h.Get("X-Liveness-Timestamped-Signature") != "" {
			t.Errorf("timestamped scheme sent without being selected")
		}
	}
	if _, err := event.ParseEvent(reqs[0].Body); err != nil {
		t.Errorf("body is not an event: %v", err)
	}
}

func TestDefaultScheduleExhausted(t *testing.T) {
	f := newFixture(t, []int{500})
	del := f.enqueue(event.SessionFailed)
	// Attempts at 0, +5s, +30s, +2m, +10m, +1h after the previous one.
	offsets := []time.Duration{0, 5 * time.Second, 35 * time.Second, 155 * time.Second, 755 * time.Second, 4355 * time.Second}
	for i, off := range offsets {
		f.clock.Set(t0.Add(off))
		if n := f.pass(); n != 1 {
			t.Fatalf("attempt %d at +%v: pass attempted %d", i+1, off, n)
		}
	}
	got := f.delivery(del.ID)
	if got.State != outbox.StateFailed || got.Attempts != 6 {
		t.Fatalf("after 6 attempts: %+v", got)
	}
	if !strings.Contains(got.LastError, "retries exhausted") {
		t.Fatalf("last error %q", got.LastError)
	}
	f.clock.Advance(48 * time.Hour)
	if n := f.pass(); n != 0 {
		t.Fatalf("failed delivery attempted again")
	}
	as := f.attempts(del.ID)
	for i, a := range as {
		if !a.At.Equal(t0.Add(offsets[i])) {
			t.Errorf("attempt %d at %v, want +%v", i+1, a.At.Sub(t0), offsets[i])
		}
	}
}

func TestRetryOncePreset(t *testing.T) {
	p := outbox.RetryOncePolicy()
	p.Jitter = 0
	f := newFixture(t, []int{502}, outbox.WithRetryPolicy(p))
	del := f.enqueue(event.SessionVerified)
	f.pass()
	f.clock.Advance(5 * time.Second)
	f.pass()
	f.clock.Advance(time.Hour)
	f.pass()
	if got := f.delivery(del.ID); got.State != outbox.StateFailed || got.Attempts != 2 {
		t.Fatalf("retry-once delivery = %+v, want failed after 2 attempts", got)
	}
}

func TestEndpointRetryOverride(t *testing.T) {
	f := newFixture(t, []int{500, 200})
	f.ep.Retry = []time.Duration{time.Minute}
	del := f.enqueue(event.SessionVerified)
	f.pass()
	if got := f.delivery(del.ID); !got.NextAttemptAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("retry at %v, want t0+1m from the endpoint's schedule", got.NextAttemptAt)
	}
}

func TestStatusHandling(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		wantState  outbox.DeliveryState
		wantNext   time.Duration // after t0, for pending
	}{
		{200, "", outbox.StateDelivered, 0},
		{201, "", outbox.StateDelivered, 0},
		{204, "", outbox.StateDelivered, 0},
		{400, "", outbox.StateFailed, 0},
		{401, "", outbox.StateFailed, 0},
		{404, "", outbox.StateFailed, 0},
		{302, "", outbox.StateFailed, 0},
		{408, "", outbox.StatePending, 5 * time.Second},
		{429, "", outbox.StatePending, 5 * time.Second},
		{429, "120", outbox.StatePending, 120 * time.Second},
		{503, "2", outbox.StatePending, 5 * time.Second}, // shorter than the schedule
		{503, t0.Add(10 * time.Minute).Format(http.TimeFormat), outbox.StatePending, 10 * time.Minute},
		{429, "86400", outbox.StatePending, time.Hour}, // capped by MaxRetryAfter
		{429, "soon", outbox.StatePending, 5 * time.Second},
		{500, "", outbox.StatePending, 5 * time.Second},
		{599, "", outbox.StatePending, 5 * time.Second},
		{410, "", outbox.StateFailed, 0},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status)+"_"+tc.retryAfter, func(t *testing.T) {
			f := newFixture(t, []int{tc.status})
			if tc.retryAfter != "" {
				f.recv.Header = http.Header{"Retry-After": {tc.retryAfter}}
			}
			if tc.status == 302 {
				other := outboxtest.NewReceiver()
				osrv := httptest.NewServer(other)
				defer osrv.Close()
				f.recv.Header = http.Header{"Location": {osrv.URL}}
				defer func() {
					if n := len(other.Requests()); n != 0 {
						t.Errorf("redirect followed: target got %d requests", n)
					}
				}()
			}
			del := f.enqueue(event.SessionVerified)
			f.pass()
			got := f.delivery(del.ID)
			if got.State != tc.wantState || got.LastStatus != tc.status || got.Attempts != 1 {
				t.Fatalf("delivery = state %s status %d attempts %d, want %s %d 1", got.State, got.LastStatus, got.Attempts, tc.wantState, tc.status)
			}
			if tc.wantState == outbox.StatePending && !got.NextAttemptAt.Equal(t0.Add(tc.wantNext)) {
				t.Fatalf("next attempt at t0+%v, want t0+%v", got.NextAttemptAt.Sub(t0), tc.wantNext)
			}
			if tc.wantState != outbox.StatePending && !got.NextAttemptAt.IsZero() {
				t.Fatalf("finished delivery has next attempt %v", got.NextAttemptAt)
			}
		})
	}
}

func TestGoneDisablesEndpoint(t *testing.T) {
	var disabled []outbox.Endpoint
	var mu sync.Mutex
	hook := outbox.WithOnEndpointDisabled(func(_ context.Context, e outbox.Endpoint) {
		mu.Lock()
		defer mu.Unlock()
		disabled = append(disabled, e)
	})
	f := newFixture(t, []int{410, 200}, outbox.WithConcurrency(1), hook)
	first := f.enqueue(event.SessionVerified)
	f.clock.Advance(time.Second)
	second := f.enqueue(event.SessionFailed)
	if n := f.pass(); n != 2 {
		t.Fatalf("pass attempted %d, want 2", n)
	}
	if got := f.delivery(first.ID); got.State != outbox.StateFailed || got.LastStatus != 410 {
		t.Fatalf("first delivery = %+v", got)
	}
	got := f.delivery(second.ID)
	if got.State != outbox.StateFailed || got.Attempts != 0 || got.LastError != "endpoint disabled" {
		t.Fatalf("second delivery = %+v, want failed without attempt", got)
	}
	if n := len(f.recv.Requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
	ep, err := f.d.Endpoint(t.Context(), "ep1")
	if err != nil || !ep.Disabled || !strings.Contains(ep.DisabledReason, "410") || !ep.DisabledAt.Equal(f.clock.Now()) {
		t.Fatalf("endpoint = %+v, %v; want disabled by 410", ep, err)
	}
	mu.Lock()
	if len(disabled) != 1 || disabled[0].ID != "ep1" {
		t.Fatalf("disable hook calls = %+v", disabled)
	}
	mu.Unlock()
	if _, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified)); !errors.Is(err, outbox.ErrEndpointDisabled) {
		t.Fatalf("Enqueue to a disabled endpoint: %v, want ErrEndpointDisabled", err)
	}
	// Re-enabling restores deliveries.
	if err := f.d.SetEndpoint(t.Context(), f.ep); err != nil {
		t.Fatal(err)
	}
	del := f.enqueue(event.SessionVerified)
	f.pass()
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered {
		t.Fatalf("after re-enable: %+v", got)
	}
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	f := newFixture(t, nil)
	f.ep.URL = srv.URL
	del := f.enqueue(event.SessionVerified)
	done := make(chan int)
	go func() { n, _ := f.d.DeliverDue(context.Background()); done <- n }()
	ctx := timeout(t)
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("request never arrived")
	}
	// The attempt waits on its 5 s timer; fire it.
	if err := f.clock.WaitTimer(ctx, outbox.DefaultAttemptTimeout); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(outbox.DefaultAttemptTimeout)
	<-done
	got := f.delivery(del.ID)
	if got.State != outbox.StatePending || got.Attempts != 1 || got.LastStatus != 0 || !strings.Contains(got.LastError, "timeout") {
		t.Fatalf("after timeout: %+v", got)
	}
	if want := t0.Add(outbox.DefaultAttemptTimeout + 5*time.Second); !got.NextAttemptAt.Equal(want) {
		t.Fatalf("retry at %v, want %v", got.NextAttemptAt, want)
	}
	if as := f.attempts(del.ID); as[0].Latency != outbox.DefaultAttemptTimeout {
		t.Fatalf("latency %v, want the timeout on the injected clock", as[0].Latency)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Close() // nothing listens there now
	del := f.enqueue(event.SessionVerified)
	f.pass()
	got := f.delivery(del.ID)
	if got.State != outbox.StatePending || got.LastStatus != 0 || got.LastError == "" {
		t.Fatalf("after a refused connection: %+v", got)
	}
}

func TestJitter(t *testing.T) {
	run := func(seed uint64) []time.Duration {
		clock := outboxtest.NewClock(t0)
		recv := outboxtest.NewReceiver(500)
		srv := httptest.NewServer(recv)
		defer srv.Close()
		d, err := outbox.New(outbox.WithClock(clock), outbox.WithRandom(seeded(seed)), outbox.WithInsecureTargets(),
			outbox.WithLogger(discard()), outbox.WithConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ep := outbox.Endpoint{ID: "e", URL: srv.URL, Secrets: webhook.Secrets{{Value: secretA}}}
		var ids []string
		for range 20 {
			ev, _ := d.NewEvent(event.SessionCreated, event.SessionData{SessionID: "s"})
			del, err := d.Enqueue(t.Context(), ep, ev)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, del.ID)
		}
		if _, err := d.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		var waits []time.Duration
		for _, id := range ids {
			del, _ := d.Delivery(t.Context(), id)
			waits = append(waits, del.NextAttemptAt.Sub(t0))
		}
		return waits
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different jitter: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds, same jitter: %v", a)
	}
	distinct := map[time.Duration]bool{}
	for _, w := range a {
		if w < 4500*time.Millisecond || w > 5500*time.Millisecond {
			t.Errorf("jittered wait %v outside 5 s ± 10 %%", w)
		}
		distinct[w] = true
	}
	if len(distinct) < 15 {
		t.Errorf("only %d distinct waits among 20", len(distinct))
	}
}

func TestFormatsAndFiltering(t *testing.T) {
	f := newFixture(t, nil)
	f.ep.Format = event.FormatCompleted
	_, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionStarted))
	if !errors.Is(err, outbox.ErrFiltered) {
		t.Fatalf("session.started to a completed-format endpoint: %v, want ErrFiltered", err)
	}
	del := f.enqueue(event.SessionVerified)
	f.pass()
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered || got.Format != event.FormatCompleted {
		t.Fatalf("delivery = %+v", got)
	}
	reqs := f.recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	var flat map[string]any
	if err := json.Unmarshal(reqs[0].Body, &flat); err != nil {
		t.Fatal(err)
	}
	if flat["event"] != "session.completed" || flat["passed"] != true || flat["session_id"] != "sess_1" || flat["reason"] != nil {
		t.Fatalf("flat payload = %s", reqs[0].Body)
	}
	if _, ok := flat["reason"]; !ok {
		t.Fatal("flat payload lacks reason")
	}
	if ts, _ := flat["timestamp"].(string); ts != "2025-06-01T12:00:00Z" {
		t.Fatalf("timestamp %q", ts)
	}

	// Subscriptions.
	f.ep.Format = event.FormatEvent
	f.ep.Events = []event.EventType{event.SessionFailed}
	if _, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified)); !errors.Is(err, outbox.ErrFiltered) {
		t.Fatalf("unsubscribed type: %v, want ErrFiltered", err)
	}
	if ds, _ := f.d.Deliveries(t.Context(), outbox.DeliveryFilter{}); len(ds) != 1 {
		t.Fatalf("filtered events were stored: %d deliveries", len(ds))
	}
}

func TestEnqueueValidation(t *testing.T) {
	f := newFixture(t, nil)
	secure, err := outbox.New(outbox.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()
	ev := f.event(event.SessionVerified)
	tests := []struct {
		name string
		d    *outbox.Dispatcher
		mod  func(*outbox.Endpoint)
		want error
	}{
		{"http without dev option", secure, func(e *outbox.Endpoint) { e.URL = "http://hooks.example.com/" }, outbox.ErrInsecureURL},
		{"loopback literal", secure, func(e *outbox.Endpoint) { e.URL = "https://127.0.0.1/" }, outbox.ErrForbiddenAddress},
		{"metadata literal", secure, func(e *outbox.Endpoint) { e.URL = "https://169.254.169.254/latest" }, outbox.ErrForbiddenAddress},
		{"mapped literal", secure, func(e *outbox.Endpoint) { e.URL = "https://[::ffff:10.0.0.1]/" }, outbox.ErrForbiddenAddress},
		{"no secret", f.d, func(e *outbox.Endpoint) { e.Secrets = nil }, webhook.ErrNoSecret},
		{"expired secrets", f.d, func(e *outbox.Endpoint) { e.Secrets[0].Expires = t0 }, webhook.ErrNoSecret},
		{"short secret", f.d, func(e *outbox.Endpoint) { e.Secrets[0].Value = "short" }, webhook.ErrBadSecret},
		{"standard needs whsec", f.d, func(e *outbox.Endpoint) { e.Secrets[0].Value = "not base64 but long enough!" }, webhook.ErrBadSecret},
		{"bad format", f.d, func(e *outbox.Endpoint) { e.Format = "xml" }, outbox.ErrBadEndpoint},
		{"no id", f.d, func(e *outbox.Endpoint) { e.ID = "" }, outbox.ErrBadEndpoint},
		{"header clash", f.d, func(e *outbox.Endpoint) {
			e.Schemes = webhook.SchemeBody | webhook.SchemeTimestamped
			e.Headers.TimestampedSignature = "x-liveness-signature"
		}, outbox.ErrBadEndpoint},
		{"unknown scheme bit", f.d, func(e *outbox.Endpoint) { e.Schemes = 0x80 }, webhook.ErrBadSecret},
		{"disabled", f.d, func(e *outbox.Endpoint) { e.Disabled = true }, outbox.ErrEndpointDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := f.ep.Clone()
			e.URL = "https://hooks.example.com/x"
			if tc.d == f.d {
				e.URL = f.ep.URL
			}
			tc.mod(&e)
			if _, err := tc.d.Enqueue(t.Context(), e, ev); !errors.Is(err, tc.want) {
				t.Fatalf("Enqueue error = %v, want %v", err, tc.want)
			}
		})
	}
	if ds, _ := f.d.Deliveries(t.Context(), outbox.DeliveryFilter{}); len(ds) != 0 {
		t.Fatalf("invalid enqueues stored %d deliveries", len(ds))
	}
	// A valid https endpoint is accepted without the development option.
	ok := f.ep.Clone()
	ok.URL = "https://hooks.example.com/x"
	if _, err := secure.Enqueue(t.Context(), ok, ev); err != nil {
		t.Fatalf("valid https endpoint: %v", err)
	}
}

func TestSendTest(t *testing.T) {
	for _, format := range []event.Format{event.FormatEvent, event.FormatCompleted} {
		t.Run(string(format), func(t *testing.T) {
			f := newFixture(t, []int{200, 500})
			del, err := f.d.SendTest(t.Context(), f.ep, format)
			if err != nil {
				t.Fatal(err)
			}
			if del.State != outbox.StateDelivered || del.Attempts != 1 || !del.Test || del.EventType != event.EventTest || del.Claim != "" {
				t.Fatalf("test delivery = %+v", del)
			}
			body := f.recv.Requests()[0].Body
			switch format {
			case event.FormatEvent:
				ev, err := event.ParseEvent(body)
				if err != nil || ev.Type != event.EventTest {
					t.Fatalf("test event %s: %v", body, err)
				}
			case event.FormatCompleted:
				c, err := event.ParseCompleted(body)
				if err != nil || c.Event != event.EventTest || !c.Passed {
					t.Fatalf("test payload %s: %v", body, err)
				}
			}
			if got := f.delivery(del.ID); got.State != outbox.StateDelivered {
				t.Fatalf("stored test delivery = %+v", got)
			}
			// A failing test is reported, not retried.
			del, err = f.d.SendTest(t.Context(), f.ep, format)
			if err != nil {
				t.Fatal(err)
			}
			if del.State != outbox.StateFailed || del.LastStatus != 500 {
				t.Fatalf("failing test delivery = %+v", del)
			}
			f.clock.Advance(time.Hour)
			if n := f.pass(); n != 0 {
				t.Fatalf("test delivery retried")
			}
			if as := f.attempts(del.ID); len(as) != 1 || as[0].StatusCode != 500 {
				t.Fatalf("test attempts = %+v", as)
			}
		})
	}
}

func TestRotationDuringDelivery(t *testing.T) {
	f := newFixture(t, []int{500, 200, 200})
	f.ep.Schemes = webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard
	del := f.enqueue(event.SessionVerified)
	f.pass() // signed with A, answered 500

	// Overlap rotation for one minute: both sign the retry.
	f.ep.Secrets = f.ep.Secrets.RotateOverlap(secretB, f.clock.Now(), time.Minute)
	if err := f.d.SetEndpoint(t.Context(), f.ep); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	f.pass()
	second := f.recv.Requests()[1]
	for _, scheme := range []webhook.Scheme{webhook.SchemeBody, webhook.SchemeTimestamped, webhook.SchemeStandard} {
		for _, s := range []string{secretA, secretB} {
			v := webhook.Verifier{Scheme: scheme, Secrets: []string{s}, Now: f.clock.Now}
			if err := v.Verify(second.Header, second.Body); err != nil {
				t.Errorf("overlap: %v with one secret: %v", scheme, err)
			}
		}
	}
	if got := second.Header.Get("X-Liveness-Signature"); strings.Count(got, "sha256=") != 2 {
		t.Errorf("overlap body signature header %q, want two signatures", got)
	}
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered {
		t.Fatalf("delivery = %+v", got)
	}

	// After the overlap only B signs.
	f.clock.Advance(time.Minute)
	f.enqueue(event.SessionFailed)
	f.pass()
	third := f.recv.Requests()[2]
	old := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretA}, Now: f.clock.Now}
	if err := old.Verify(third.Header, third.Body); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("old secret after overlap: %v, want ErrBadSignature", err)
	}
	cur := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretB}, Now: f.clock.Now}
	if err := cur.Verify(third.Header, third.Body); err != nil {
		t.Errorf("new secret after overlap: %v", err)
	}
}

func TestImmediateRotationAppliesToQueued(t *testing.T) {
	f := newFixture(t, []int{200})
	del := f.enqueue(event.SessionVerified)
	f.ep.Secrets = f.ep.Secrets.RotateImmediate(secretB)
	if err := f.d.SetEndpoint(t.Context(), f.ep); err != nil {
		t.Fatal(err)
	}
	f.pass()
	r := f.recv.Requests()[0]
	for _, tc := range []struct {
		secret string
		want   error
	}{{secretA, webhook.ErrBadSignature}, {secretB, nil}} {
		v := webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{tc.secret}}
		if err := v.Verify(r.Header, r.Body); !errors.Is(err, tc.want) {
			t.Errorf("verify with %s: %v, want %v", tc.secret[:10], err, tc.want)
		}
	}
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered {
		t.Fatalf("delivery = %+v", got)
	}
}

func TestRunLoop(t *testing.T) {
	const poll = 250 * time.Millisecond
	f := newFixture(t, []int{500, 200}, outbox.WithPollInterval(poll))
	ctx, cancel := context.WithCancel(timeout(t))
	runErr := make(chan error, 1)
	go func() { runErr <- f.d.Run(ctx) }()

	del := f.enqueue(event.SessionVerified)
	if _, err := f.recv.Next(ctx); err != nil {
		t.Fatal("first attempt never arrived")
	}
	// Wait until the loop is idle on its poll timer, then move past the
	// retry time.
	if err := f.clock.WaitTimer(ctx, poll); err != nil {
		t.Fatal(err)
	}
	if got := f.delivery(del.ID); got.Attempts != 1 || got.State != outbox.StatePending {
		t.Fatalf("after first attempt: %+v", got)
	}
	f.clock.Advance(5 * time.Second)
	if _, err := f.recv.Next(ctx); err != nil {
		t.Fatal("retry never arrived")
	}
	if err := f.clock.WaitTimer(ctx, poll); err != nil {
		t.Fatal(err)
	}
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered || got.Attempts != 2 {
		t.Fatalf("after retry: %+v", got)
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func TestCloseKeepsPending(t *testing.T) {
	f := newFixture(t, []int{503, 503, 200})
	a := f.enqueue(event.SessionVerified)
	b := f.enqueue(event.SessionFailed)
	f.pass() // both answered 503
	if err := f.d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified)); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("Enqueue after Close: %v, want ErrClosed", err)
	}
	if _, err := f.d.DeliverDue(t.Context()); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("DeliverDue after Close: %v, want ErrClosed", err)
	}
	pending, _ := f.store.Deliveries(t.Context(), outbox.DeliveryFilter{State: outbox.StatePending})
	if len(pending) != 2 {
		t.Fatalf("%d pending after Close, want 2", len(pending))
	}
	// A new dispatcher on the same store finishes the work.
	d2, err := outbox.New(outbox.WithStore(f.store), outbox.WithClock(f.clock), outbox.WithInsecureTargets(), outbox.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	f.clock.Advance(10 * time.Second)
	if _, err := d2.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got, _ := d2.Delivery(t.Context(), id); got.State != outbox.StateDelivered || got.Attempts != 2 {
			t.Errorf("delivery %s after restart = %+v", id, got)
		}
	}
}

func TestShutdownWaitsForInflight(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	f := newFixture(t, nil)
	f.ep.URL = srv.URL
	del := f.enqueue(event.SessionVerified)
	go f.d.DeliverDue(context.Background())
	ctx := timeout(t)
	<-arrived
	shut := make(chan error, 1)
	go func() { shut <- f.d.Shutdown(ctx) }()
	close(release)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := f.delivery(del.ID); got.State != outbox.StateDelivered {
		t.Fatalf("in-flight delivery after graceful shutdown = %+v", got)
	}
}

func TestShutdownDeadlineAborts(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client going away
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := newFixture(t, nil)
	f.ep.URL = srv.URL
	del := f.enqueue(event.SessionVerified)
	go f.d.DeliverDue(context.Background())
	<-arrived
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the grace period is already over
	if err := f.d.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want context.Canceled", err)
	}
	got := f.delivery(del.ID)
	if got.State != outbox.StatePending || got.Attempts != 0 || got.Claim != "" || !got.NextAttemptAt.Equal(t0) {
		t.Fatalf("aborted delivery = %+v, want pending, due now, no attempt counted", got)
	}
}

func TestGuardedClientOptions(t *testing.T) {
	if _, err := outbox.New(outbox.WithHTTPClient(&http.Client{Transport: handlerTransport{}})); !errors.Is(err, outbox.ErrUnguardedTransport) {
		t.Fatalf("custom RoundTripper without the development option: %v, want ErrUnguardedTransport", err)
	}
	if _, err := outbox.New(outbox.WithHTTPClient(&http.Client{Transport: handlerTransport{}}), outbox.WithInsecureTargets(), outbox.WithLogger(discard())); err != nil {
		t.Fatalf("custom RoundTripper with the development option: %v", err)
	}
	bad := []outbox.Option{
		outbox.WithAttemptTimeout(0),
		outbox.WithConcurrency(0),
		outbox.WithLease(time.Second),
		outbox.WithRetryPolicy(outbox.RetryPolicy{Jitter: 1}),
		outbox.WithRetryPolicy(outbox.RetryPolicy{Delays: []time.Duration{-1}}),
	}
	for i, o := range bad {
		if _, err := outbox.New(o); err == nil {
			t.Errorf("bad option %d accepted", i)
		}
	}
}

func TestSendTestCallerCancels(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := newFixture(t, nil)
	f.ep.URL = srv.URL
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-arrived; cancel() }()
	del, err := f.d.SendTest(ctx, f.ep, event.FormatEvent)
	if err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	if del.State != outbox.StateFailed || del.Attempts != 1 || !strings.Contains(del.LastError, "canceled") {
		t.Fatalf("cancelled test delivery = %+v", del)
	}
	if got := f.delivery(del.ID); got.State != outbox.StateFailed {
		t.Fatalf("stored test delivery = %+v", got)
	}
}
