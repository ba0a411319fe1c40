package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

const (
	serverSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sessionSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24h"
)

func chacha(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

type whFixture struct {
	d                  *outbox.Dispatcher
	server, perSession *outboxtest.Receiver
	serverURL, sessURL string
}

// newWebhookFixture starts two signed receivers: the server-wide endpoint
// (envelope format) and a per-session URL.
func newWebhookFixture(t *testing.T) *whFixture {
	t.Helper()
	f := &whFixture{
		server:     outboxtest.NewReceiver(),
		perSession: outboxtest.NewReceiver(),
	}
	f.server.Verifier = &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{serverSecret}}
	f.perSession.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{sessionSecret}}
	s1, s2 := httptest.NewServer(f.server), httptest.NewServer(f.perSession)
	t.Cleanup(s1.Close)
	t.Cleanup(s2.Close)
	f.serverURL, f.sessURL = s1.URL+"/hooks", s2.URL+"/session-hook"
	var err error
	f.d, err = outbox.New(outbox.WithInsecureTargets(), outbox.WithRandom(chacha(9)),
		outbox.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.d.Close() })
	return f
}

func (f *whFixture) notifier(t *testing.T, opts ...notify.Option) *notify.Notifier {
	t.Helper()
	base := []notify.Option{
		notify.WithEndpoints(outbox.Endpoint{ID: "server", URL: f.serverURL, Secrets: webhook.Secrets{{Value: serverSecret}}}),
		notify.WithSessionSecret(sessionSecret),
		notify.WithInsecureTargets(),
		notify.WithRand(chacha(3)),
	}
	n, err := notify.New(f.d, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var evTime = time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)

func session(st liveness.Status, verdict liveness.Verdict, reason string, score float64) *liveness.Session {
	return &liveness.Session{
		ID: "7d4f2a3e-1b2c-4d5e-8f90-0123456789ab", Status: st, Verdict: verdict, Reason: reason, Score: score,
		Challenges: []challenge.ID{challenge.Blink, challenge.Smile}, ReferenceID: "order-42",
	}
}

func TestWebhookNotifierDelivers(t *testing.T) {
	tests := []struct {
		name       string
		typ        string
		s          *liveness.Session
		sessionURL bool
		// want per receiver: envelope type at the server, completed payload
		// (or none) at the session URL.
		wantPassed *bool
		wantReason string
		completed  bool
	}{
		{name: "created", typ: liveness.EventCreated, s: session(liveness.StatusPending, "", "", 0), sessionURL: true},
		{name: "verified", typ: liveness.EventVerified, s: session(liveness.StatusPassed, liveness.VerdictPass, "", 0.91), sessionURL: true, wantPassed: ptr(true), completed: true},
		{name: "spoof", typ: liveness.EventFailed, s: session(liveness.StatusFailed, liveness.VerdictFail, "spoof_detected", 0.12), sessionURL: true, wantPassed: ptr(false), wantReason: "spoof_detected", completed: true},
		{name: "review", typ: liveness.EventFailed, s: session(liveness.StatusPassed, liveness.VerdictReview, "", 0.4), sessionURL: true, wantPassed: ptr(false), wantReason: notify.ReasonManualReview, completed: true},
		{name: "expired", typ: liveness.EventExpired, s: session(liveness.StatusExpired, liveness.VerdictFail, "expired", 0), sessionURL: true, wantPassed: ptr(false), wantReason: "expired", completed: true},
		{name: "no session url", typ: liveness.EventVerified, s: session(liveness.StatusPassed, liveness.VerdictPass, "", 0.9), wantPassed: ptr(true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newWebhookFixture(t)
			n := f.notifier(t)
			if tt.sessionURL {
				tt.s.WebhookURL = f.sessURL
			}
			ctx := context.Background()
			if err := n.Notify(ctx, liveness.Event{Type: tt.typ, Session: tt.s, Time: evTime}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.d.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			// Server-wide endpoint: the envelope, for every event.
			reqs := f.server.Requests()
			if len(reqs) != 1 || reqs[0].Verified != nil {
				t.Fatalf("server endpoint got %d requests (%+v)", len(reqs), reqs)
			}
			ev, err := event.ParseEvent(reqs[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Type) != tt.typ || ev.Data.SessionID != tt.s.ID || ev.Created != evTime.Unix() {
				t.Errorf("envelope = %+v", ev)
			}
			if ev.Data.Metadata["reference_id"] != "order-42" || strings.Join(ev.Data.Challenges, ",") != "BLINK,SMILE" {
				t.Errorf("envelope data = %+v", ev.Data)
			}
			if tt.wantPassed != nil {
				if ev.Data.Passed == nil || *ev.Data.Passed != *tt.wantPassed || ev.Data.Reason != tt.wantReason || *ev.Data.Score != tt.s.Score {
					t.Errorf("terminal data = %+v", ev.Data)
				}
			} else if ev.Data.Passed != nil || ev.Data.Score != nil {
				t.Errorf("non-terminal event carries a result: %+v", ev.Data)
			}
			// Per-session URL: only the flat payload, only for terminal events.
			sreqs := f.perSession.Requests()
			if !tt.completed {
				if len(sreqs) != 0 {
					t.Fatalf("session URL got %d requests, want none", len(sreqs))
				}
				return
			}
			if len(sreqs) != 1 || sreqs[0].Verified != nil {
				t.Fatalf("session URL got %+v", sreqs)
			}
			c, err := event.ParseCompleted(sreqs[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			if c.Event != event.EventCompleted || c.SessionID != tt.s.ID || c.Passed != *tt.wantPassed || c.Score != tt.s.Score || c.Timestamp != "2026-03-04T05:06:07Z" {
				t.Errorf("completed = %+v", c)
			}
			if (c.Reason == nil) != (tt.wantReason == "") || (c.Reason != nil && *c.Reason != tt.wantReason) {
				t.Errorf("completed reason = %v, want %q", c.Reason, tt.wantReason)
			}
			if bytes.Contains(sreqs[0].Body, []byte("thumb")) || bytes.Contains(reqs[0].Body, []byte("history")) {
				t.Error("payload carries frame data")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestWebhookNotifierSessionFormatEvent(t *testing.T) {
	f := newWebhookFixture(t)
	n := f.notifier(t, notify.WithSessionFormat(event.FormatEvent))
	s := session(liveness.StatusPending, "", "", 0)
	s.WebhookURL = f.sessURL
	ctx := context.Background()
	if err := n.Notify(ctx, liveness.Event{Type: liveness.EventStarted, Session: s, Time: evTime}); err != nil {
		t.Fatal(err)
	}
	f.d.DeliverDue(ctx)
	sreqs := f.perSession.Requests()
	if len(sreqs) != 1 {
		t.Fatalf("session URL got %d requests", len(sreqs))
	}
	if ev, err := event.ParseEvent(sreqs[0].Body); err != nil || ev.Type != event.SessionStarted {
		t.Errorf("event = %+v, %v", ev, err)
	}
}

func TestWebhookNotifierWithoutSessionSecret(t *testing.T) {
	f := newWebhookFixture(t)
	n, err := notify.New(f.d, notify.WithInsecureTargets(), notify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.CheckURL(f.sessURL); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("CheckURL without secret = %v", err)
	}
	s := session(liveness.StatusPassed, liveness.VerdictPass, "", 1)
	s.WebhookURL = f.sessURL
	if err := n.Notify(context.Background(), liveness.Event{Type: liveness.EventVerified, Session: s, Time: evTime}); err != nil {
		t.Fatal(err)
	}
	f.d.DeliverDue(context.Background())
	if len(f.perSession.Requests()) != 0 {
		t.Error("unsigned session webhook sent")
	}
}

func TestWebhookNotifierOptions(t *testing.T) {
	d, err := outbox.New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bad := []struct {
		name string
		opts []notify.Option
	}{
		{"http endpoint without dev option", []notify.Option{notify.WithEndpoints(outbox.Endpoint{ID: "a", URL: "http://example.com", Secrets: webhook.Secrets{{Value: serverSecret}}})}},
		{"endpoint without secret", []notify.Option{notify.WithEndpoints(outbox.Endpoint{ID: "a", URL: "https://example.com"})}},
		{"bad format", []notify.Option{notify.WithSessionFormat("xml")}},
	}
	for _, tt := range bad {
		if _, err := notify.New(d, tt.opts...); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := notify.New(nil); err == nil {
		t.Error("nil dispatcher: no error")
	}
	n, err := notify.New(d, notify.WithSessionSecret(serverSecret))
	if err != nil {
		t.Fatal(err)
	}
	for url, ok := range map[string]bool{
		"https://example.com/hook": true,
		"http://example.com/hook":  false,
		"https://127.0.0.1/hook":   false,
		"https://10.0.0.8/hook":    false,
		"ftp://example.com/":       false,
		"":                         false,
	} {
		if err := n.CheckURL(url); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v", url, err)
		}
	}
}

func TestWebhookNotifierSendTest(t *testing.T) {
	f := newWebhookFixture(t)
	n := f.notifier(t)
	for _, format := range []event.Format{event.FormatEvent, event.FormatCompleted} {
		del, att, err := n.SendTest(context.Background(), f.sessURL, format)
		if err != nil {
			t.Fatal(err)
		}
		if del.State != outbox.StateDelivered || !del.Test || del.Format != format || len(att) != 1 || att[0].StatusCode != http.StatusOK {
			t.Errorf("%s: delivery %+v attempts %+v", format, del, att)
		}
	}
	reqs := f.perSession.Requests()
	if len(reqs) != 2 || reqs[0].Verified != nil || reqs[1].Verified != nil {
		t.Fatalf("receiver got %+v", reqs)
	}
	var flat map[string]any
	json.Unmarshal(reqs[1].Body, &flat)
	if flat["event"] != "webhook.test" {
		t.Errorf("completed test payload = %s", reqs[1].Body)
	}
	if _, _, err := n.SendTest(context.Background(), "ftp://x", event.FormatEvent); err == nil {
		t.Error("SendTest(bad url): no error")
	}
}

func TestWebhookNotifierEvidenceHash(t *testing.T) {
	f := newWebhookFixture(t)
	urls := &httpapi.EvidenceURLs{Secret: []byte("k"), BaseURL: "https://lv.example.com", TTL: time.Hour, Now: func() time.Time { return evTime }}
	n := f.notifier(t, notify.WithEvidenceURLs(urls))
	s := session(liveness.StatusPassed, liveness.VerdictPass, "", 0.9)
	s.WebhookURL = f.sessURL
	s.EvidenceHash = "sha256:" + strings.Repeat("ab", 32)
	ctx := context.Background()
	if err := n.Notify(ctx, liveness.Event{Type: liveness.EventVerified, Session: s, Time: evTime}); err != nil {
		t.Fatal(err)
	}
	f.d.DeliverDue(ctx)
	ev, err := event.ParseEvent(f.server.Requests()[0].Body)
	if err != nil || ev.Data.Evidence == nil || ev.Data.Evidence.Hash != s.EvidenceHash {
		t.Fatalf("envelope evidence %+v, %v", ev.Data.Evidence, err)
	}
	wantURL, wantExp := urls.URL(s.ID)
	if ev.Data.Evidence.URL != wantURL || ev.Data.Evidence.URLExpires != wantExp.Unix() {
		t.Errorf("envelope evidence URL %q expires %d, want %q %d", ev.Data.Evidence.URL, ev.Data.Evidence.URLExpires, wantURL, wantExp.Unix())
	}
	c, err := event.ParseCompleted(f.perSession.Requests()[0].Body)
	if err != nil || c.EvidenceHash != s.EvidenceHash || c.EvidenceURL != wantURL || c.EvidenceExpires == "" {
		t.Errorf("completed evidence %q %q %q, %v", c.EvidenceHash, c.EvidenceURL, c.EvidenceExpires, err)
	}
}

// TestWebhookDataAttackSignals: a spoof failure names its evidence in the
// webhook data; other endings carry none.
func TestWebhookDataAttackSignals(t *testing.T) {
	s := &liveness.Session{ID: "s1", Status: liveness.StatusFailed, Verdict: liveness.VerdictFail,
		Reason: liveness.ReasonSpoof, Score: 0.05, AttackSignals: []string{"screen_moire", "display_color"}}
	d := notify.Data(liveness.Event{Type: liveness.EventFailed, Session: s})
	require.Equal(t, []string{"screen_moire", "display_color"}, d.AttackSignals)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.Contains(t, string(b), `"attack_signals":["screen_moire","display_color"]`)
	s.AttackSignals = nil
	b, err = json.Marshal(notify.Data(liveness.Event{Type: liveness.EventFailed, Session: s}))
	require.NoError(t, err)
	require.NotContains(t, string(b), "attack_signals")
}

// TestNotifierDropsReplays: a replayed event already in the
// webhook outbox is not queued again; a new one is.
func TestNotifierDropsReplays(t *testing.T) {
	ctx := context.Background()
	f := newWebhookFixture(t)
	n := f.notifier(t)
	s := session(liveness.StatusPending, "", "", 0)
	ev := liveness.Event{ID: liveness.EventID(s.ID, 1, liveness.EventCreated), Type: liveness.EventCreated, Session: s, Time: evTime}
	require.NoError(t, n.Notify(ctx, ev))
	ev.Replay = true
	require.NoError(t, n.Notify(ctx, ev))
	got, err := f.d.Deliveries(ctx, outbox.DeliveryFilter{EventID: ev.ID})
	require.NoError(t, err)
	assert.Len(t, got, 1)
	ev.ID = liveness.EventID(s.ID, 2, liveness.EventCreated)
	require.NoError(t, n.Notify(ctx, ev))
	got, _ = f.d.Deliveries(ctx, outbox.DeliveryFilter{})
	assert.Len(t, got, 2)
}

func TestDataCarriesMatch(t *testing.T) {
	s := &liveness.Session{ID: "s1", Status: liveness.StatusFailed, Verdict: liveness.VerdictFail, Reason: liveness.ReasonFaceMismatch,
		Match: &liveness.Match{Score: 0.41, Threshold: 0.93, ReviewThreshold: 0.76, Decision: liveness.MatchDifferent, ReferenceSHA256: "ab"}}
	d := notify.Data(liveness.Event{Type: liveness.EventFailed, Session: s})
	require.NotNil(t, d.Match)
	assert.Equal(t, liveness.MatchDifferent, d.Match.Decision)
	assert.InDelta(t, 0.41, d.Match.Score, 1e-12)
	assert.Equal(t, liveness.ReasonFaceMismatch, d.Reason)
	require.NotNil(t, d.Passed)
	assert.False(t, *d.Passed)

	d = notify.Data(liveness.Event{Type: liveness.EventCreated, Session: s})
	assert.Nil(t, d.Match, "only terminal events carry the match")
}
