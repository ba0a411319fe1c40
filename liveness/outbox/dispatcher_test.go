package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

func TestFailThenSucceed(t *testing.T) {
	f := newFixture(t, []int{500, 503, 200})
	del := f.enqueue(event.SessionVerified)
	require.Equal(t, outbox.StatePending, del.State, "enqueued delivery")
	require.True(t, del.NextAttemptAt.Equal(t0), "enqueued delivery = %+v", del)

	require.Equal(t, 1, f.pass(), "first pass attempted")
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StatePending, got.State, "after attempt 1")
	require.Equal(t, 1, got.Attempts, "after attempt 1")
	require.Equal(t, 500, got.LastStatus, "after attempt 1")
	require.True(t, got.NextAttemptAt.Equal(t0.Add(5*time.Second)), "retry at %v", got.NextAttemptAt)
	f.clock.Advance(5*time.Second - time.Millisecond)
	require.Zero(t, f.pass(), "attempted before the retry time")
	f.clock.Advance(time.Millisecond)
	f.pass()
	got = f.delivery(del.ID)
	require.True(t, got.NextAttemptAt.Equal(t0.Add(35*time.Second)), "second retry at %v, want t0+35s", got.NextAttemptAt)
	f.clock.Advance(30 * time.Second)
	f.pass()
	got = f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "after attempt 3")
	require.Equal(t, 3, got.Attempts, "after attempt 3")
	require.True(t, got.CompletedAt.Equal(t0.Add(35*time.Second)), "after attempt 3: %+v", got)

	// Every attempt is logged.
	as := f.attempts(del.ID)
	wantStatus := []int{500, 503, 200}
	wantAt := []time.Duration{0, 5 * time.Second, 35 * time.Second}
	wantRetry := []time.Duration{5 * time.Second, 35 * time.Second, 0}
	require.Len(t, as, 3, "attempts logged")
	for i, a := range as {
		assert.Equal(t, i+1, a.N, "attempt %d", i+1)
		assert.Equal(t, wantStatus[i], a.StatusCode, "attempt %d", i+1)
		assert.True(t, a.At.Equal(t0.Add(wantAt[i])), "attempt %d = %+v", i+1, a)
		assert.Equal(t, f.ep.URL, a.URL, "attempt %d", i+1)
		assert.Equal(t, wantStatus[i] == 200, a.Error == "", "attempt %d error %q", i+1, a.Error)
		if wantRetry[i] == 0 {
			assert.True(t, a.Retry.IsZero(), "attempt %d retry = %v", i+1, a.Retry)
		} else {
			assert.True(t, a.Retry.Equal(t0.Add(wantRetry[i])), "attempt %d retry = %v, want t0+%v", i+1, a.Retry, wantRetry[i])
		}
	}

	// The receiver saw three signed requests with the same ids and body.
	reqs := f.recv.Requests()
	require.Len(t, reqs, 3, "receiver requests")
	v := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretA}, Now: f.clock.Now}
	vb := webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{secretA}}
	for i, r := range reqs {
		h := r.Header
		assert.Equal(t, del.ID, h.Get("X-Liveness-Delivery-Id"), "request %d", i)
		assert.Equal(t, del.ID, h.Get("Webhook-Id"), "request %d", i)
		assert.Equal(t, del.EventID, h.Get("X-Liveness-Event-Id"), "request %d", i)
		assert.Equal(t, "session.verified", h.Get("X-Liveness-Event-Type"), "request %d", i)
		assert.Equal(t, strconv.Itoa(i+1), h.Get("X-Liveness-Attempt"), "request %d attempt header", i)
		assert.Equal(t, "application/json", h.Get("Content-Type"), "content type")
		assert.Equal(t, string(reqs[0].Body), string(r.Body), "request %d body differs from the first", i)
		assert.NoError(t, v.Verify(h, r.Body), "request %d standard signature", i)
		assert.NoError(t, vb.Verify(h, r.Body), "request %d body signature", i)
		assert.Empty(t, h.Get("X-Liveness-Timestamped-Signature"), "timestamped scheme sent without being selected")
	}
	_, err := event.ParseEvent(reqs[0].Body)
	assert.NoError(t, err, "body is not an event")
}

func TestDefaultScheduleExhausted(t *testing.T) {
	f := newFixture(t, []int{500})
	del := f.enqueue(event.SessionFailed)
	// Attempts at 0, +5s, +30s, +2m, +10m, +1h after the previous one.
	offsets := []time.Duration{0, 5 * time.Second, 35 * time.Second, 155 * time.Second, 755 * time.Second, 4355 * time.Second}
	for i, off := range offsets {
		f.clock.Set(t0.Add(off))
		require.Equal(t, 1, f.pass(), "attempt %d at +%v", i+1, off)
	}
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateFailed, got.State, "after 6 attempts")
	require.Equal(t, 6, got.Attempts, "after 6 attempts")
	require.Contains(t, got.LastError, "retries exhausted")
	f.clock.Advance(48 * time.Hour)
	require.Zero(t, f.pass(), "failed delivery attempted again")
	as := f.attempts(del.ID)
	for i, a := range as {
		assert.Equal(t, offsets[i], a.At.Sub(t0), "attempt %d", i+1)
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
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateFailed, got.State, "retry-once delivery")
	require.Equal(t, 2, got.Attempts, "retry-once delivery")
}

func TestEndpointRetryOverride(t *testing.T) {
	f := newFixture(t, []int{500, 200})
	f.ep.Retry = []time.Duration{time.Minute}
	del := f.enqueue(event.SessionVerified)
	f.pass()
	got := f.delivery(del.ID)
	require.True(t, got.NextAttemptAt.Equal(t0.Add(time.Minute)), "retry at %v, want t0+1m from the endpoint's schedule", got.NextAttemptAt)
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
					assert.Empty(t, other.Requests(), "redirect followed")
				}()
			}
			del := f.enqueue(event.SessionVerified)
			f.pass()
			got := f.delivery(del.ID)
			require.Equal(t, tc.wantState, got.State, "delivery state")
			require.Equal(t, tc.status, got.LastStatus, "delivery status")
			require.Equal(t, 1, got.Attempts, "delivery attempts")
			if tc.wantState == outbox.StatePending {
				require.True(t, got.NextAttemptAt.Equal(t0.Add(tc.wantNext)), "next attempt at t0+%v, want t0+%v", got.NextAttemptAt.Sub(t0), tc.wantNext)
			} else {
				require.True(t, got.NextAttemptAt.IsZero(), "finished delivery has next attempt %v", got.NextAttemptAt)
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
	require.Equal(t, 2, f.pass(), "pass attempted")
	got1 := f.delivery(first.ID)
	require.Equal(t, outbox.StateFailed, got1.State, "first delivery")
	require.Equal(t, 410, got1.LastStatus, "first delivery")
	got := f.delivery(second.ID)
	require.Equal(t, outbox.StateFailed, got.State, "second delivery")
	require.Zero(t, got.Attempts, "second delivery")
	require.Equal(t, "endpoint disabled", got.LastError, "second delivery")
	require.Len(t, f.recv.Requests(), 1, "receiver requests")
	ep, err := f.d.Endpoint(t.Context(), "ep1")
	require.NoError(t, err)
	require.True(t, ep.Disabled, "endpoint = %+v; want disabled by 410", ep)
	require.Contains(t, ep.DisabledReason, "410")
	require.True(t, ep.DisabledAt.Equal(f.clock.Now()), "endpoint = %+v", ep)
	mu.Lock()
	require.Len(t, disabled, 1, "disable hook calls")
	require.Equal(t, "ep1", disabled[0].ID, "disable hook calls")
	mu.Unlock()
	_, err = f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified))
	require.ErrorIs(t, err, outbox.ErrEndpointDisabled, "Enqueue to a disabled endpoint")
	// Re-enabling restores deliveries.
	require.NoError(t, f.d.SetEndpoint(t.Context(), f.ep))
	del := f.enqueue(event.SessionVerified)
	f.pass()
	got = f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "after re-enable")
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
		require.FailNow(t, "request never arrived")
	}
	// The attempt waits on its 5 s timer; fire it.
	require.NoError(t, f.clock.WaitTimer(ctx, outbox.DefaultAttemptTimeout))
	f.clock.Advance(outbox.DefaultAttemptTimeout)
	<-done
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StatePending, got.State, "after timeout")
	require.Equal(t, 1, got.Attempts, "after timeout")
	require.Zero(t, got.LastStatus, "after timeout")
	require.Contains(t, got.LastError, "timeout")
	want := t0.Add(outbox.DefaultAttemptTimeout + 5*time.Second)
	require.True(t, got.NextAttemptAt.Equal(want), "retry at %v, want %v", got.NextAttemptAt, want)
	as := f.attempts(del.ID)
	require.Equal(t, outbox.DefaultAttemptTimeout, as[0].Latency, "latency, want the timeout on the injected clock")
}

func TestNetworkErrorRetried(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Close() // nothing listens there now
	del := f.enqueue(event.SessionVerified)
	f.pass()
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StatePending, got.State, "after a refused connection")
	require.Zero(t, got.LastStatus, "after a refused connection")
	require.NotEmpty(t, got.LastError, "after a refused connection")
}

func TestJitter(t *testing.T) {
	run := func(seed uint64) []time.Duration {
		clock := outboxtest.NewClock(t0)
		recv := outboxtest.NewReceiver(500)
		srv := httptest.NewServer(recv)
		defer srv.Close()
		d, err := outbox.New(outbox.WithClock(clock), outbox.WithRandom(seeded(seed)), outbox.WithInsecureTargets(),
			outbox.WithLogger(discard()), outbox.WithConcurrency(1))
		require.NoError(t, err)
		defer d.Close()
		ep := outbox.Endpoint{ID: "e", URL: srv.URL, Secrets: webhook.Secrets{{Value: secretA}}}
		var ids []string
		for range 20 {
			ev, _ := d.NewEvent(event.SessionCreated, event.SessionData{SessionID: "s"})
			del, err := d.Enqueue(t.Context(), ep, ev)
			require.NoError(t, err)
			ids = append(ids, del.ID)
		}
		_, err = d.DeliverDue(t.Context())
		require.NoError(t, err)
		var waits []time.Duration
		for _, id := range ids {
			del, _ := d.Delivery(t.Context(), id)
			waits = append(waits, del.NextAttemptAt.Sub(t0))
		}
		return waits
	}
	a, b, c := run(7), run(7), run(8)
	require.Equal(t, a, b, "same seed, different jitter")
	require.NotEqual(t, a, c, "different seeds, same jitter")
	distinct := map[time.Duration]bool{}
	for _, w := range a {
		assert.GreaterOrEqual(t, w, 4500*time.Millisecond, "jittered wait %v outside 5 s ± 10 %%", w)
		assert.LessOrEqual(t, w, 5500*time.Millisecond, "jittered wait %v outside 5 s ± 10 %%", w)
		distinct[w] = true
	}
	assert.GreaterOrEqual(t, len(distinct), 15, "distinct waits among 20")
}

func TestFormatsAndFiltering(t *testing.T) {
	f := newFixture(t, nil)
	f.ep.Format = event.FormatCompleted
	_, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionStarted))
	require.ErrorIs(t, err, outbox.ErrFiltered, "session.started to a completed-format endpoint")
	del := f.enqueue(event.SessionVerified)
	f.pass()
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "delivery")
	require.Equal(t, event.FormatCompleted, got.Format, "delivery")
	reqs := f.recv.Requests()
	require.Len(t, reqs, 1, "requests")
	var flat map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &flat))
	require.Equal(t, "session.completed", flat["event"], "flat payload %s", reqs[0].Body)
	require.Equal(t, true, flat["passed"], "flat payload %s", reqs[0].Body)
	require.Equal(t, "sess_1", flat["session_id"], "flat payload %s", reqs[0].Body)
	require.Contains(t, flat, "reason", "flat payload lacks reason")
	require.Nil(t, flat["reason"], "flat payload %s", reqs[0].Body)
	ts, _ := flat["timestamp"].(string)
	require.Equal(t, "2025-06-01T12:00:00Z", ts, "timestamp")

	// Subscriptions.
	f.ep.Format = event.FormatEvent
	f.ep.Events = []event.EventType{event.SessionFailed}
	_, err = f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified))
	require.ErrorIs(t, err, outbox.ErrFiltered, "unsubscribed type")
	if ds, _ := f.d.Deliveries(t.Context(), outbox.DeliveryFilter{}); len(ds) != 1 {
		require.Len(t, ds, 1, "filtered events were stored")
	}
}

func TestEnqueueValidation(t *testing.T) {
	f := newFixture(t, nil)
	secure, err := outbox.New(outbox.WithLogger(discard()))
	require.NoError(t, err)
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
			_, err := tc.d.Enqueue(t.Context(), e, ev)
			require.ErrorIs(t, err, tc.want)
		})
	}
	ds, _ := f.d.Deliveries(t.Context(), outbox.DeliveryFilter{})
	require.Empty(t, ds, "invalid enqueues stored deliveries")
	// A valid https endpoint is accepted without the development option.
	ok := f.ep.Clone()
	ok.URL = "https://hooks.example.com/x"
	_, err = secure.Enqueue(t.Context(), ok, ev)
	require.NoError(t, err, "valid https endpoint")
}

func TestSendTest(t *testing.T) {
	for _, format := range []event.Format{event.FormatEvent, event.FormatCompleted} {
		t.Run(string(format), func(t *testing.T) {
			f := newFixture(t, []int{200, 500})
			del, err := f.d.SendTest(t.Context(), f.ep, format)
			require.NoError(t, err)
			require.Equal(t, outbox.StateDelivered, del.State, "test delivery")
			require.Equal(t, 1, del.Attempts, "test delivery")
			require.True(t, del.Test, "test delivery")
			require.Equal(t, event.EventTest, del.EventType, "test delivery")
			require.Empty(t, del.Claim, "test delivery")
			body := f.recv.Requests()[0].Body
			switch format {
			case event.FormatEvent:
				ev, err := event.ParseEvent(body)
				require.NoError(t, err, "test event %s", body)
				require.Equal(t, event.EventTest, ev.Type, "test event %s", body)
			case event.FormatCompleted:
				c, err := event.ParseCompleted(body)
				require.NoError(t, err, "test payload %s", body)
				require.Equal(t, event.EventTest, c.Event, "test payload %s", body)
				require.True(t, c.Passed, "test payload %s", body)
			}
			got := f.delivery(del.ID)
			require.Equal(t, outbox.StateDelivered, got.State, "stored test delivery")
			// A failing test is reported, not retried.
			del, err = f.d.SendTest(t.Context(), f.ep, format)
			require.NoError(t, err)
			require.Equal(t, outbox.StateFailed, del.State, "failing test delivery")
			require.Equal(t, 500, del.LastStatus, "failing test delivery")
			f.clock.Advance(time.Hour)
			require.Zero(t, f.pass(), "test delivery retried")
			as := f.attempts(del.ID)
			require.Len(t, as, 1, "test attempts")
			require.Equal(t, 500, as[0].StatusCode, "test attempts")
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
	require.NoError(t, f.d.SetEndpoint(t.Context(), f.ep))
	f.clock.Advance(5 * time.Second)
	f.pass()
	second := f.recv.Requests()[1]
	for _, scheme := range []webhook.Scheme{webhook.SchemeBody, webhook.SchemeTimestamped, webhook.SchemeStandard} {
		for _, s := range []string{secretA, secretB} {
			v := webhook.Verifier{Scheme: scheme, Secrets: []string{s}, Now: f.clock.Now}
			assert.NoError(t, v.Verify(second.Header, second.Body), "overlap: %v with one secret", scheme)
		}
	}
	sig := second.Header.Get("X-Liveness-Signature")
	assert.Equal(t, 2, strings.Count(sig, "sha256="), "overlap body signature header %q, want two signatures", sig)
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "delivery")

	// After the overlap only B signs.
	f.clock.Advance(time.Minute)
	f.enqueue(event.SessionFailed)
	f.pass()
	third := f.recv.Requests()[2]
	old := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretA}, Now: f.clock.Now}
	assert.ErrorIs(t, old.Verify(third.Header, third.Body), webhook.ErrBadSignature, "old secret after overlap")
	cur := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretB}, Now: f.clock.Now}
	assert.NoError(t, cur.Verify(third.Header, third.Body), "new secret after overlap")
}

func TestImmediateRotationAppliesToQueued(t *testing.T) {
	f := newFixture(t, []int{200})
	del := f.enqueue(event.SessionVerified)
	f.ep.Secrets = f.ep.Secrets.RotateImmediate(secretB)
	require.NoError(t, f.d.SetEndpoint(t.Context(), f.ep))
	f.pass()
	r := f.recv.Requests()[0]
	for _, tc := range []struct {
		secret string
		want   error
	}{{secretA, webhook.ErrBadSignature}, {secretB, nil}} {
		v := webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{tc.secret}}
		assert.ErrorIs(t, v.Verify(r.Header, r.Body), tc.want, "verify with %s", tc.secret[:10])
	}
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "delivery")
}

func TestRunLoop(t *testing.T) {
	const poll = 250 * time.Millisecond
	f := newFixture(t, []int{500, 200}, outbox.WithPollInterval(poll))
	ctx, cancel := context.WithCancel(timeout(t))
	runErr := make(chan error, 1)
	go func() { runErr <- f.d.Run(ctx) }()

	del := f.enqueue(event.SessionVerified)
	_, err := f.recv.Next(ctx)
	require.NoError(t, err, "first attempt never arrived")
	// Wait until the loop is idle on its poll timer, then move past the
	// retry time.
	require.NoError(t, f.clock.WaitTimer(ctx, poll))
	got := f.delivery(del.ID)
	require.Equal(t, 1, got.Attempts, "after first attempt")
	require.Equal(t, outbox.StatePending, got.State, "after first attempt")
	f.clock.Advance(5 * time.Second)
	_, err = f.recv.Next(ctx)
	require.NoError(t, err, "retry never arrived")
	require.NoError(t, f.clock.WaitTimer(ctx, poll))
	got = f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "after retry")
	require.Equal(t, 2, got.Attempts, "after retry")
	cancel()
	require.ErrorIs(t, <-runErr, context.Canceled, "Run")
}

func TestCloseKeepsPending(t *testing.T) {
	f := newFixture(t, []int{503, 503, 200})
	a := f.enqueue(event.SessionVerified)
	b := f.enqueue(event.SessionFailed)
	f.pass() // both answered 503
	require.NoError(t, f.d.Close())
	_, err := f.d.Enqueue(t.Context(), f.ep, f.event(event.SessionVerified))
	require.ErrorIs(t, err, outbox.ErrClosed, "Enqueue after Close")
	_, err = f.d.DeliverDue(t.Context())
	require.ErrorIs(t, err, outbox.ErrClosed, "DeliverDue after Close")
	pending, _ := f.store.Deliveries(t.Context(), outbox.DeliveryFilter{State: outbox.StatePending})
	require.Len(t, pending, 2, "pending after Close")
	// A new dispatcher on the same store finishes the work.
	d2, err := outbox.New(outbox.WithStore(f.store), outbox.WithClock(f.clock), outbox.WithInsecureTargets(), outbox.WithLogger(discard()))
	require.NoError(t, err)
	defer d2.Close()
	f.clock.Advance(10 * time.Second)
	_, err = d2.DeliverDue(t.Context())
	require.NoError(t, err)
	for _, id := range []string{a.ID, b.ID} {
		got, _ := d2.Delivery(t.Context(), id)
		assert.Equal(t, outbox.StateDelivered, got.State, "delivery %s after restart", id)
		assert.Equal(t, 2, got.Attempts, "delivery %s after restart", id)
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
	require.NoError(t, <-shut, "Shutdown")
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateDelivered, got.State, "in-flight delivery after graceful shutdown")
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
	require.ErrorIs(t, f.d.Shutdown(ctx), context.Canceled, "Shutdown")
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StatePending, got.State, "aborted delivery")
	require.Zero(t, got.Attempts, "aborted delivery: no attempt counted")
	require.Empty(t, got.Claim, "aborted delivery")
	require.True(t, got.NextAttemptAt.Equal(t0), "aborted delivery: due now, got %v", got.NextAttemptAt)
}

func TestGuardedClientOptions(t *testing.T) {
	_, err := outbox.New(outbox.WithHTTPClient(&http.Client{Transport: handlerTransport{}}))
	require.ErrorIs(t, err, outbox.ErrUnguardedTransport, "custom RoundTripper without the development option")
	_, err = outbox.New(outbox.WithHTTPClient(&http.Client{Transport: handlerTransport{}}), outbox.WithInsecureTargets(), outbox.WithLogger(discard()))
	require.NoError(t, err, "custom RoundTripper with the development option")
	bad := []outbox.Option{
		outbox.WithAttemptTimeout(0),
		outbox.WithConcurrency(0),
		outbox.WithLease(time.Second),
		outbox.WithRetryPolicy(outbox.RetryPolicy{Jitter: 1}),
		outbox.WithRetryPolicy(outbox.RetryPolicy{Delays: []time.Duration{-1}}),
	}
	for i, o := range bad {
		_, err := outbox.New(o)
		assert.Error(t, err, "bad option %d accepted", i)
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
	require.NoError(t, err, "SendTest")
	require.Equal(t, outbox.StateFailed, del.State, "cancelled test delivery")
	require.Equal(t, 1, del.Attempts, "cancelled test delivery")
	require.Contains(t, del.LastError, "canceled")
	got := f.delivery(del.ID)
	require.Equal(t, outbox.StateFailed, got.State, "stored test delivery")
}
