package outboxtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

func TestClock(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := outboxtest.NewClock(start)
	var mu sync.Mutex
	var fired []string
	done := make(chan struct{}, 3)
	add := func(name string) func() {
		return func() {
			mu.Lock()
			fired = append(fired, name)
			mu.Unlock()
			done <- struct{}{}
		}
	}
	c.AfterFunc(2*time.Second, add("2s"))
	stopped := c.AfterFunc(time.Second, add("stopped"))
	c.AfterFunc(3*time.Second, add("3s"))
	require.Equal(t, 3, c.Pending(), "Pending")
	require.True(t, stopped.Stop(), "Stop did not report the pending timer")
	require.False(t, stopped.Stop(), "Stop reported the pending timer twice")
	c.Advance(2 * time.Second)
	<-done
	require.True(t, c.Now().Equal(start.Add(2*time.Second)), "Now = %v", c.Now())
	mu.Lock()
	require.Equal(t, []string{"2s"}, fired, "fired after 2s")
	mu.Unlock()
	c.Set(start) // never backwards
	require.True(t, c.Now().Equal(start.Add(2*time.Second)), "Set moved the clock backwards")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.WaitTimer(ctx, 3*time.Second))
	c.Advance(time.Second)
	<-done
	require.Zero(t, c.Pending(), "Pending after all fired")
	// Waiting for a timer that is registered later.
	go c.AfterFunc(time.Minute, func() {})
	require.NoError(t, c.WaitTimers(ctx, 1))
	short, cancel2 := context.WithCancel(t.Context())
	cancel2()
	require.Error(t, c.WaitTimer(short, time.Hour), "WaitTimer on an absent timer returned nil")
}

func TestReceiver(t *testing.T) {
	r := outboxtest.NewReceiver(500, 202)
	r.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{"shared-secret-of-16+"}}
	r.Header = http.Header{"Retry-After": {"3"}}
	srv := httptest.NewServer(r)
	defer srv.Close()
	post := func(sig string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		req.Header.Set("X-Liveness-Signature", sig)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	good := webhook.SignBody([]byte("shared-secret-of-16+"), []byte("{}"))
	want := []int{500, 202, 202, 401}
	for i, sig := range []string{good, good, good, "sha256=00"} {
		resp := post(sig)
		require.Equal(t, want[i], resp.StatusCode, "request %d", i)
		require.Equal(t, "3", resp.Header.Get("Retry-After"), "request %d", i)
	}
	reqs := r.Requests()
	require.Len(t, reqs, 4)
	require.NotNil(t, reqs[3].Verified, "requests = %+v", reqs)
	require.Nil(t, reqs[0].Verified, "requests = %+v", reqs)
	require.Equal(t, "{}", string(reqs[0].Body))
	require.Equal(t, 202, reqs[1].Status)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i := range 4 {
		got, err := r.Next(ctx)
		require.NoError(t, err, "Next %d", i)
		require.Equal(t, want[i], got.Status, "Next %d", i)
	}
}
