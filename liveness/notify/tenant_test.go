package notify_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

// A tenant's sessions' events reach its own endpoint, signed with its
// secret, and its sessions' webhook URLs are signed with its secret too;
// another tenant's events never reach it.
func TestTenantWebhookRouting(t *testing.T) {
	const tenantSecret = "whsec_dGVuYW50LWEtc2VjcmV0LTAxMjM0NTY3ODlhYg=="
	f := newWebhookFixture(t)
	recvA := outboxtest.NewReceiver()
	recvA.Verifier = &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{tenantSecret}}
	sa := httptest.NewServer(recvA)
	defer sa.Close()
	perSession := outboxtest.NewReceiver()
	perSession.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{tenantSecret}}
	sp := httptest.NewServer(perSession)
	defer sp.Close()
	n := f.notifier(t, notify.WithTenantEndpoints(map[string]outbox.Endpoint{
		"a": {URL: sa.URL + "/a", Secrets: webhook.Secrets{{Value: tenantSecret}}},
	}))
	ctx := context.Background()
	mine := session(liveness.StatusPassed, liveness.VerdictPass, "", 0.9)
	mine.Owner, mine.WebhookURL = "a", sp.URL+"/own"
	theirs := session(liveness.StatusPassed, liveness.VerdictPass, "", 0.9)
	theirs.ID, theirs.Owner = "11111111-2222-4333-8444-555555555555", "b"
	for _, s := range []*liveness.Session{mine, theirs} {
		require.NoError(t, n.Notify(ctx, liveness.Event{Type: liveness.EventVerified, Session: s, Time: evTime}))
	}
	f.d.DeliverDue(ctx)
	reqs := recvA.Requests()
	require.Len(t, reqs, 1, "only tenant a's event")
	assert.NoError(t, reqs[0].Verified)
	ev, err := event.ParseEvent(reqs[0].Body)
	require.NoError(t, err)
	assert.Equal(t, mine.ID, ev.Data.SessionID)
	sreqs := perSession.Requests()
	require.Len(t, sreqs, 1)
	assert.NoError(t, sreqs[0].Verified, "the session URL is signed with the tenant's secret")
	assert.Len(t, f.server.Requests(), 2, "the server-wide endpoint gets both")

	_, _, err = n.SendTenantTest(ctx, "b", "", event.FormatEvent)
	assert.ErrorIs(t, err, outbox.ErrBadEndpoint)
	_, _, err = n.SendTenantTest(ctx, "a", "https://elsewhere.example.com/", event.FormatEvent)
	assert.ErrorIs(t, err, outbox.ErrBadEndpoint)
}
