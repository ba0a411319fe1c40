package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

// TestTenantWebhooks: a key's test delivery reaches its tenant's own
// endpoint, signed with its tenant's secret, and no other address; a key
// whose tenant has no endpoint cannot send tests; an admin key can.
func TestTenantWebhooks(t *testing.T) {
	const secretB = "whsec_dGVuYW50LWItc2VjcmV0LTAxMjM0NTY3ODlhYg=="
	recvB := outboxtest.NewReceiver()
	recvB.Verifier = &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretB}}
	rsB := httptest.NewServer(recvB)
	defer rsB.Close()
	other := httptest.NewServer(outboxtest.NewReceiver())
	defer other.Close()
	d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer d.Close()
	n, err := notify.New(d, notify.WithSessionSecret(testSecret), notify.WithInsecureTargets(),
		notify.WithTenantEndpoints(map[string]outbox.Endpoint{"tenant-b": {URL: rsB.URL + "/b", Secrets: webhook.Secrets{{Value: secretB}}}}))
	require.NoError(t, err)
	e := newEnv(t, envOptions{handler: []Option{WithWebhooks(n)}})
	keyB := newTenantKey(t, e, "tenant-b", "", 21)
	admin := newTenantKey(t, e, "ops", apikey.RoleAdmin, 22)
	test := func(key string, body map[string]any) *response {
		return e.do(req{method: "POST", path: "/v1/webhooks/test", key: key, body: body})
	}

	r := test(keyB, map[string]any{}).expect(t, http.StatusOK)
	assert.Equal(t, "delivered", r.str("state"))
	assert.Equal(t, rsB.URL+"/b", r.str("url"))
	test(keyB, map[string]any{"url": rsB.URL + "/b", "format": "completed"}).expect(t, http.StatusOK)
	r = test(keyB, map[string]any{"url": other.URL}).expect(t, http.StatusBadRequest)
	assert.Contains(t, r.str("error"), "not the webhook endpoint registered")
	r = test(e.key, map[string]any{"url": other.URL}).expect(t, http.StatusBadRequest)
	assert.Contains(t, r.str("error"), "no webhook endpoint is registered")
	test(admin, map[string]any{"url": other.URL}).expect(t, http.StatusOK)

	reqs := recvB.Requests()
	require.Len(t, reqs, 2)
	for _, rq := range reqs {
		assert.NoError(t, rq.Verified, "signed with the tenant's secret")
	}
}
