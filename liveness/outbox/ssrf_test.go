package outbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

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
	require.NoError(t, outbox.CheckURL(target, false), "the test needs a name that passes registration")

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
		require.NoError(t, err)
		ep := outbox.Endpoint{ID: "internal", URL: target, Secrets: webhook.Secrets{{Value: secretA}}}
		ev, _ := d.NewEvent(event.SessionVerified, event.SessionData{SessionID: "s"})
		del, err := d.Enqueue(t.Context(), ep, ev)
		require.NoError(t, err, "dev=%v: Enqueue", dev)
		_, err = d.DeliverDue(t.Context())
		require.NoError(t, err)
		got, _ := d.Delivery(t.Context(), del.ID)
		as, _ := d.Attempts(t.Context(), del.ID)
		d.Close()
		if dev {
			require.Equal(t, outbox.StateDelivered, got.State, "development option: delivery %+v", got)
			continue
		}
		require.Equal(t, outbox.StateFailed, got.State, "guarded delivery to localhost")
		require.Equal(t, 1, got.Attempts, "guarded delivery to localhost")
		require.Contains(t, got.LastError, "forbidden target address")
		require.Len(t, as, 1, "attempt log")
		require.Zero(t, as[0].StatusCode, "attempt log")
		require.Contains(t, as[0].Error, "loopback")
		require.Empty(t, recv.Requests(), "requests through the guard")
	}
	require.Len(t, recv.Requests(), 1, "requests in all (the development run)")
}
