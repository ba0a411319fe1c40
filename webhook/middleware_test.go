package webhook_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/webhook"
)

func TestMiddleware(t *testing.T) {
	now := time.Unix(1748779200, 0)
	body := []byte(`{"event":"session.completed","session_id":"s","passed":true,"score":1,"reason":null,"timestamp":"2025-06-01T12:00:00Z"}`)
	h := signed(t, webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}, now, body)

	var seen []byte
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		assert.Equal(t, int64(len(seen)), r.ContentLength, "ContentLength against the body")
		w.WriteHeader(http.StatusNoContent)
	})
	v := &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretB, secretA}, Now: func() time.Time { return now }, MaxBodyBytes: 1024}
	srv := httptest.NewServer(v.Middleware(handler))
	defer srv.Close()

	post := func(h http.Header, body []byte) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = h.Clone()
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusNoContent, post(h, body), "valid request")
	require.Equal(t, body, seen, "valid request: what the handler saw")
	seen = nil
	tampered := bytes.Replace(body, []byte("true"), []byte("TRUE"), 1)
	require.Equal(t, http.StatusUnauthorized, post(h, tampered), "tampered body")
	require.Nil(t, seen, "tampered body: handler called")
	require.Equal(t, http.StatusUnauthorized, post(http.Header{}, body), "unsigned")
	require.Equal(t, http.StatusRequestEntityTooLarge, post(h, bytes.Repeat([]byte("x"), 1025)), "oversized")
	require.Nil(t, seen, "oversized: handler called")
	old := signed(t, webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}, now.Add(-10*time.Minute), body)
	require.Equal(t, http.StatusUnauthorized, post(old, body), "stale")

	// A custom error handler sees the sentinel.
	var gotErr error
	v2 := *v
	v2.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		w.WriteHeader(http.StatusTeapot)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	v2.Middleware(handler).ServeHTTP(rec, req)
	require.Equal(t, http.StatusTeapot, rec.Code, "custom error handler")
	require.ErrorIs(t, gotErr, webhook.ErrNoSignature, "custom error handler")
	// A misconfigured verifier is a server error, not the sender's fault.
	bad := &webhook.Verifier{Scheme: webhook.SchemeStandard}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	req.Header = h.Clone()
	bad.Middleware(handler).ServeHTTP(rec, req)
	require.Equal(t, http.StatusInternalServerError, rec.Code, "verifier without secrets")
}
