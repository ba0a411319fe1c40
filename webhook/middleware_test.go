package webhook_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

func TestMiddleware(t *testing.T) {
	now := time.Unix(1748779200, 0)
	body := []byte(`{"event":"session.completed","session_id":"s","passed":true,"score":1,"reason":null,"timestamp":"2025-06-01T12:00:00Z"}`)
	h := signed(t, webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}, now, body)

	var seen []byte
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		if r.ContentLength != int64(len(seen)) {
			t.Errorf("ContentLength %d, body %d bytes", r.ContentLength, len(seen))
		}
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
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(h, body); got != http.StatusNoContent || !bytes.Equal(seen, body) {
		t.Fatalf("valid request: status %d, handler saw %q", got, seen)
	}
	seen = nil
	tampered := bytes.Replace(body, []byte("true"), []byte("TRUE"), 1)
	if got := post(h, tampered); got != http.StatusUnauthorized || seen != nil {
		t.Fatalf("tampered body: status %d, handler called: %v", got, seen != nil)
	}
	if got := post(http.Header{}, body); got != http.StatusUnauthorized {
		t.Fatalf("unsigned: status %d", got)
	}
	if got := post(h, bytes.Repeat([]byte("x"), 1025)); got != http.StatusRequestEntityTooLarge || seen != nil {
		t.Fatalf("oversized: status %d", got)
	}
	old := signed(t, webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}, now.Add(-10*time.Minute), body)
	if got := post(old, body); got != http.StatusUnauthorized {
		t.Fatalf("stale: status %d", got)
	}

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
	if rec.Code != http.StatusTeapot || !errors.Is(gotErr, webhook.ErrNoSignature) {
		t.Fatalf("custom error handler: code %d, err %v", rec.Code, gotErr)
	}
	// A misconfigured verifier is a server error, not the sender's fault.
	bad := &webhook.Verifier{Scheme: webhook.SchemeStandard}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	req.Header = h.Clone()
	bad.Middleware(handler).ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("verifier without secrets: code %d", rec.Code)
	}
}
