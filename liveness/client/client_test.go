package client_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// server starts the real handler on a real engine and returns a client
// holding a valid API key.
func server(t *testing.T, opts ...httpapi.Option) (*client.Client, *clock, *httptest.Server) {
	t.Helper()
	clk := &clock{t: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)}
	quiet := slog.New(slog.DiscardHandler)
	e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	keys := apikey.NewMemoryStore()
	var seed [32]byte
	key, _, err := apikey.CreateKey(context.Background(), keys, apikey.Key{Name: "test", Role: apikey.RoleAdmin}, rand.NewChaCha8(seed), clk.Now()) // admin: tests webhooks to any URL
	if err != nil {
		t.Fatal(err)
	}
	d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	n, err := notify.New(d, notify.WithSessionSecret(secret), notify.WithInsecureTargets())
	if err != nil {
		t.Fatal(err)
	}
	base := []httpapi.Option{httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithClock(clk.Now),
		httpapi.WithLogger(quiet), httpapi.WithWebhooks(n)}
	h, err := httpapi.New(e, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL+"/", client.WithAPIKey(key), client.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c, clk, srv
}

func face(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSessionLifecycle(t *testing.T) {
	c, clk, _ := server(t)
	ctx := context.Background()
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK", "SMILE"}, ChallengeCount: 2, ReferenceID: "order-9"})
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalChallenges != 2 || s.Status != "pending" || !strings.HasPrefix(s.ClientToken, "ct_") || s.CurrentChallenge != s.Challenges[0] {
		t.Fatalf("created %+v", s)
	}
	browser := c.WithClientToken(s.ClientToken)
	st, err := browser.Session(ctx, s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if st.ReferenceID != "" || st.ModelVersion != "" || *st.CurrentChallenge != s.Challenges[0] {
		t.Errorf("client-token view %+v", st)
	}
	full, err := c.Session(ctx, s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if full.ReferenceID != "order-9" || full.ModelVersion == "" {
		t.Errorf("API-key view %+v", full)
	}
	clk.Advance(300 * time.Millisecond)
	v, err := browser.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.FaceDetected || v.SessionStatus != "pending" || v.CurrentChallenge == nil || *v.CurrentChallenge != s.Challenges[0] || v.Hint == "" {
		t.Errorf("verify %+v", v)
	}
	clk.Advance(300 * time.Millisecond)
	v, err = browser.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t), face(t)}, Interval: 100 * time.Millisecond})
	if err != nil || !v.FaceDetected {
		t.Fatalf("burst %+v, %v", v, err)
	}
	r, err := c.Result(ctx, s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "pending" || r.Verdict != nil || r.Frames != 3 {
		t.Errorf("result %+v", r)
	}
	if _, err := browser.Result(ctx, s.SessionID); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("result with a client token: %v", err)
	}
	cs, err := c.Cancel(ctx, s.SessionID)
	if err != nil || cs.Status != "cancelled" {
		t.Fatalf("cancel %+v, %v", cs, err)
	}
	_, err = c.Cancel(ctx, s.SessionID)
	var apiErr *client.Error
	if !errors.Is(err, client.ErrConflict) || !errors.As(err, &apiErr) || apiErr.Code != "not_pending" || apiErr.Message == "" {
		t.Errorf("second cancel: %v", err)
	}
	r, _ = c.Result(ctx, s.SessionID)
	if r.Verdict == nil || *r.Verdict != "FAIL" || *r.Reason != "cancelled" {
		t.Errorf("result after cancel %+v", r)
	}
}

func TestErrors(t *testing.T) {
	c, clk, srv := server(t, httpapi.WithRateLimiter(httpapi.NewMemoryRateLimiter(1, 10*time.Second, nil)))
	ctx := context.Background()
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{TTLSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"bad request", func() error {
			_, err := c.CreateSession(ctx, client.CreateSessionRequest{ChallengeCount: 9})
			return err
		}, client.ErrBadRequest},
		{"no frames", func() error { _, err := c.Verify(ctx, s.SessionID, client.VerifyRequest{}); return err }, client.ErrBadRequest},
		{"not a JPEG", func() error {
			_, err := c.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{[]byte("GIF89a")}})
			return err
		}, client.ErrBadRequest},
		{"rate limited", func() error {
			_, err := c.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
			return err
		}, client.ErrRateLimited},
		{"bad key", func() error {
			bad, _ := client.New(srv.URL, client.WithAPIKey("lv_not_a_real_key_000"))
			_, err := bad.CreateSession(ctx, client.CreateSessionRequest{})
			return err
		}, client.ErrUnauthorized},
		{"not found", func() error { _, err := c.Session(ctx, "00000000-0000-4000-8000-000000000000"); return err }, client.ErrNotFound},
		{"expired", func() error {
			clk.Advance(time.Minute)
			_, err := c.Cancel(ctx, s.SessionID)
			return err
		}, client.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var apiErr *client.Error
			if errors.As(err, &apiErr) && apiErr.Message == "" {
				t.Error("no message")
			}
			if tt.want == client.ErrRateLimited && apiErr.RetryAfter < time.Second {
				t.Errorf("RetryAfter %v", apiErr.RetryAfter)
			}
		})
	}
	if _, err := client.New("localhost:8080"); err == nil {
		t.Error("New(no scheme): no error")
	}
	anon, _ := client.New(srv.URL)
	if _, err := anon.Session(ctx, s.SessionID); err == nil {
		t.Error("request without credentials: no error")
	}
}

func TestUnexpectedResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte(`<html>`))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("upstream exploded"))
		}
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, client.WithAPIKey("k"))
	if err := c.Health(context.Background()); !errors.Is(err, client.ErrResponse) {
		t.Errorf("Health on HTML: %v", err)
	}
	_, err := c.Result(context.Background(), "x")
	var apiErr *client.Error
	if !errors.Is(err, client.ErrServer) || !errors.As(err, &apiErr) || apiErr.Message != "upstream exploded" {
		t.Errorf("500: %v", err)
	}
}

func TestTestWebhook(t *testing.T) {
	c, _, _ := server(t)
	recv := outboxtest.NewReceiver()
	recv.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{secret}}
	rs := httptest.NewServer(recv)
	defer rs.Close()
	d, err := c.TestWebhook(context.Background(), rs.URL, "completed")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "delivered" || d.Format != "completed" || len(d.AttemptLog) != 1 || d.AttemptLog[0].StatusCode != 200 {
		t.Errorf("delivery %+v", d)
	}
	if got := recv.Requests(); len(got) != 1 || got[0].Verified != nil {
		t.Errorf("receiver %+v", got)
	}
}
