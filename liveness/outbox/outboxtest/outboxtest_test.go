package outboxtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
	if c.Pending() != 3 {
		t.Fatalf("Pending = %d", c.Pending())
	}
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop did not report the pending timer once")
	}
	c.Advance(2 * time.Second)
	<-done
	if got := c.Now(); !got.Equal(start.Add(2 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
	mu.Lock()
	if len(fired) != 1 || fired[0] != "2s" {
		t.Fatalf("fired %v after 2s", fired)
	}
	mu.Unlock()
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(2 * time.Second)) {
		t.Fatal("Set moved the clock backwards")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.WaitTimer(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	<-done
	if c.Pending() != 0 {
		t.Fatalf("Pending = %d after all fired", c.Pending())
	}
	// Waiting for a timer that is registered later.
	go c.AfterFunc(time.Minute, func() {})
	if err := c.WaitTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if err := c.WaitTimer(short, time.Hour); err == nil {
		t.Fatal("WaitTimer on an absent timer returned nil")
	}
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
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	good := webhook.SignBody([]byte("shared-secret-of-16+"), []byte("{}"))
	want := []int{500, 202, 202, 401}
	for i, sig := range []string{good, good, good, "sha256=00"} {
		resp := post(sig)
		if resp.StatusCode != want[i] || resp.Header.Get("Retry-After") != "3" {
			t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	reqs := r.Requests()
	if len(reqs) != 4 || reqs[3].Verified == nil || reqs[0].Verified != nil || string(reqs[0].Body) != "{}" || reqs[1].Status != 202 {
		t.Fatalf("requests = %+v", reqs)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i := range 4 {
		got, err := r.Next(ctx)
		if err != nil || got.Status != want[i] {
			t.Fatalf("Next %d = %+v, %v", i, got, err)
		}
	}
}
