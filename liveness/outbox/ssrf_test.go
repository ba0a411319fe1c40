package outbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

// TestDialTimeGuard aims an https endpoint at "localhost": the URL passes
// the registration check (it is a name, not an IP literal), and the guard
// refuses the connection after DNS resolution, at dial time, so no request
// reaches the receiver. With the development option the same URL works.
func TestDialTimeGuard(t *testing.T) {
	recv := outboxtest.NewReceiver()
	srv := httptest.NewTLSServer(recv)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	target := "https://localhost:" + u.Port() + "/hook"
	if err := outbox.CheckURL(target, false); err != nil {
		t.Fatalf("CheckURL(%s) = %v; the test needs a name that passes registration", target, err)
	}

	// Skip certificate verification (the test certificate does not name
	// localhost), so that only the guard stands between the dispatcher and
	// the receiver.
	client := srv.Client()
	tr := client.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true
	client.Transport = tr

	for _, dev := range []bool{false, true} {
		clock := outboxtest.NewClock(t0)
		opts := []outbox.Option{outbox.WithHTTPClient(client), outbox.WithClock(clock), outbox.WithLogger(discard())}
		if dev {
			opts = append(opts, outbox.WithInsecureTargets())
		}
		d, err := outbox.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ep := outbox.Endpoint{ID: "internal", URL: target, Secrets: webhook.Secrets{{Value: secretA}}}
		ev, _ := d.NewEvent(event.SessionVerified, event.SessionData{SessionID: "s"})
		del, err := d.Enqueue(t.Context(), ep, ev)
		if err != nil {
			t.Fatalf("dev=%v: Enqueue: %v", dev, err)
		}
		if _, err := d.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		got, _ := d.Delivery(t.Context(), del.ID)
		as, _ := d.Attempts(t.Context(), del.ID)
		d.Close()
		if dev {
			if got.State != outbox.StateDelivered {
				t.Fatalf("development option: delivery %+v", got)
			}
			continue
		}
		if got.State != outbox.StateFailed || got.Attempts != 1 || !strings.Contains(got.LastError, "forbidden target address") {
			t.Fatalf("guarded delivery to localhost = %+v, want failed by the guard", got)
		}
		if len(as) != 1 || as[0].StatusCode != 0 || !strings.Contains(as[0].Error, "loopback") {
			t.Fatalf("attempt log = %+v", as)
		}
		if n := len(recv.Requests()); n != 0 {
			t.Fatalf("receiver got %d requests through the guard", n)
		}
	}
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("receiver got %d requests in all, want 1 (the development run)", n)
	}
}
