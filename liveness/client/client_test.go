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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	var seed [32]byte
	key, _, err := apikey.CreateKey(context.Background(), keys, apikey.Key{Name: "test", Role: apikey.RoleAdmin}, rand.NewChaCha8(seed), clk.Now()) // admin: tests webhooks to any URL
	require.NoError(t, err)
	d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	n, err := notify.New(d, notify.WithSessionSecret(secret), notify.WithInsecureTargets())
	require.NoError(t, err)
	base := []httpapi.Option{httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithClock(clk.Now),
		httpapi.WithLogger(quiet), httpapi.WithWebhooks(n)}
	h, err := httpapi.New(e, append(base, opts...)...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL+"/", client.WithAPIKey(key), client.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return c, clk, srv
}

func face(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "face.jpg"))
	require.NoError(t, err)
	return b
}

func TestSessionLifecycle(t *testing.T) {
	c, clk, _ := server(t)
	ctx := context.Background()
	require.NoError(t, c.Health(ctx))
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK", "SMILE"}, ChallengeCount: 2, ReferenceID: "order-9"})
	require.NoError(t, err)
	require.Equal(t, 2, s.TotalChallenges, "created %+v", s)
	require.Equal(t, "pending", s.Status, "created %+v", s)
	require.True(t, strings.HasPrefix(s.ClientToken, "ct_"), "created %+v", s)
	require.Equal(t, s.Challenges[0], s.CurrentChallenge, "created %+v", s)
	browser := c.WithClientToken(s.ClientToken)
	st, err := browser.Session(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Empty(t, st.ReferenceID, "client-token view")
	assert.Empty(t, st.ModelVersion, "client-token view")
	assert.Equal(t, s.Challenges[0], *st.CurrentChallenge, "client-token view")
	full, err := c.Session(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "order-9", full.ReferenceID, "API-key view")
	assert.NotEmpty(t, full.ModelVersion, "API-key view")
	clk.Advance(300 * time.Millisecond)
	v, err := browser.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
	require.NoError(t, err)
	assert.True(t, v.FaceDetected, "verify %+v", v)
	assert.Equal(t, "pending", v.SessionStatus, "verify %+v", v)
	if assert.NotNil(t, v.CurrentChallenge, "verify %+v", v) {
		assert.Equal(t, s.Challenges[0], *v.CurrentChallenge, "verify %+v", v)
	}
	assert.NotEmpty(t, v.Hint, "verify %+v", v)
	clk.Advance(300 * time.Millisecond)
	v, err = browser.Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t), face(t)}, Interval: 100 * time.Millisecond})
	require.NoError(t, err, "burst")
	require.True(t, v.FaceDetected, "burst %+v", v)
	r, err := c.Result(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "pending", r.Status, "result %+v", r)
	assert.Nil(t, r.Verdict, "result %+v", r)
	assert.Equal(t, 3, r.Frames, "result %+v", r)
	_, err = browser.Result(ctx, s.SessionID)
	assert.ErrorIs(t, err, client.ErrUnauthorized, "result with a client token")
	cs, err := c.Cancel(ctx, s.SessionID)
	require.NoError(t, err, "cancel")
	require.Equal(t, "cancelled", cs.Status, "cancel %+v", cs)
	_, err = c.Cancel(ctx, s.SessionID)
	var apiErr *client.Error
	assert.ErrorIs(t, err, client.ErrConflict, "second cancel")
	if assert.ErrorAs(t, err, &apiErr, "second cancel") {
		assert.Equal(t, "not_pending", apiErr.Code, "second cancel")
		assert.NotEmpty(t, apiErr.Message, "second cancel")
	}
	r, _ = c.Result(ctx, s.SessionID)
	if assert.NotNil(t, r.Verdict, "result after cancel %+v", r) {
		assert.Equal(t, "FAIL", *r.Verdict, "result after cancel")
		assert.Equal(t, "cancelled", *r.Reason, "result after cancel")
	}
}

func TestErrors(t *testing.T) {
	c, clk, srv := server(t, httpapi.WithRateLimiter(httpapi.NewMemoryRateLimiter(1, 10*time.Second, nil)))
	ctx := context.Background()
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{TTLSeconds: 30})
	require.NoError(t, err)
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
			require.ErrorIs(t, err, tt.want)
			var apiErr *client.Error
			if errors.As(err, &apiErr) {
				assert.NotEmpty(t, apiErr.Message, "no message")
			}
			if tt.want == client.ErrRateLimited {
				assert.GreaterOrEqual(t, apiErr.RetryAfter, time.Second, "RetryAfter")
			}
		})
	}
	_, err = client.New("localhost:8080")
	assert.Error(t, err, "New(no scheme)")
	anon, _ := client.New(srv.URL)
	_, err = anon.Session(ctx, s.SessionID)
	assert.Error(t, err, "request without credentials")
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
	assert.ErrorIs(t, c.Health(context.Background()), client.ErrResponse, "Health on HTML")
	_, err := c.Result(context.Background(), "x")
	var apiErr *client.Error
	assert.ErrorIs(t, err, client.ErrServer, "500")
	if assert.ErrorAs(t, err, &apiErr, "500") {
		assert.Equal(t, "upstream exploded", apiErr.Message, "500")
	}
}

func TestTestWebhook(t *testing.T) {
	c, _, _ := server(t)
	recv := outboxtest.NewReceiver()
	recv.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{secret}}
	rs := httptest.NewServer(recv)
	defer rs.Close()
	d, err := c.TestWebhook(context.Background(), rs.URL, "completed")
	require.NoError(t, err)
	assert.Equal(t, "delivered", d.State, "delivery %+v", d)
	assert.Equal(t, "completed", d.Format, "delivery %+v", d)
	if assert.Len(t, d.AttemptLog, 1, "delivery %+v", d) {
		assert.Equal(t, 200, d.AttemptLog[0].StatusCode, "delivery %+v", d)
	}
	got := recv.Requests()
	if assert.Len(t, got, 1, "receiver") {
		assert.NoError(t, got[0].Verified, "receiver")
	}
}
