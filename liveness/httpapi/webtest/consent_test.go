//go:build browser

package webtest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/httpapi/webtest"
)

// TestBrowserRealConsentAccepted: against the real handler, pressing "I
// agree, start the camera" records the acceptance (POST .../consent, a
// CONSENT_RECORDED audit entry) before the first frame is sent; the
// still photo then fails as usual.
func TestBrowserRealConsentAccepted(t *testing.T) {
	b := webtest.NewBrowser(t)
	ctx := context.Background()
	signer, err := audit.NewSigner("k1", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	require.NoError(t, err)
	log, err := audit.Open(ctx, audit.WithSigner(signer))
	require.NoError(t, err)
	eng, err := liveness.New(liveness.WithAuditor(log), liveness.WithLogger(quietLogger()))
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	key, _, err := apikey.Create(ctx, keys, "browser-test", rand.Reader, time.Now())
	require.NoError(t, err)
	h, err := httpapi.New(eng, httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithFrameAncestors(b.Origin()),
		httpapi.WithLogger(quietLogger()), httpapi.WithEvidenceRetention(7*24*time.Hour))
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := client.New(ts.URL, client.WithAPIKey(key))
	require.NoError(t, err)
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"SMILE"}, ConsentText: consent})
	require.NoError(t, err)
	res := run(t, b, webtest.Job{Name: "real-consent", Scenario: webtest.ScenarioCustom, URL: s.HostedURL, Clicks: []string{"#start"},
		Until: "#result-title", UntilText: "We could not verify you", Video: stillVideo(t, false), Timeout: 2 * time.Minute})
	checkClean(t, res, b.Origin())

	// The acceptance came first, and no frame was refused for want of it.
	consentAt, firstFrame := -1, -1
	for i, r := range res.Requests {
		switch {
		case strings.HasSuffix(r.URL, "/consent") && r.Method == http.MethodPost:
			assert.Equal(t, http.StatusOK, r.Status)
			consentAt = i
		case strings.HasSuffix(r.URL, "/verify") && r.Method == http.MethodPost:
			assert.NotEqual(t, http.StatusConflict, r.Status, "a frame refused")
			if firstFrame < 0 {
				firstFrame = i
			}
		}
	}
	require.GreaterOrEqual(t, consentAt, 0, "no POST /consent")
	require.Greater(t, firstFrame, consentAt, "frames before the consent")

	got, err := c.Session(ctx, s.SessionID)
	require.NoError(t, err)
	require.NotNil(t, got.ConsentAcceptedAt)
	assert.Equal(t, "failed", got.Status)
	assert.Positive(t, got.Frames)
	require.NoError(t, eng.Flush(ctx), "the audit entries are relayed")
	entries, err := log.BySession(ctx, s.SessionID)
	require.NoError(t, err)
	var types []audit.EventType
	for _, en := range entries {
		types = append(types, en.EventType)
	}
	assert.Equal(t, []audit.EventType{audit.SessionCreated, audit.ConsentRecorded, audit.ConsentRecorded, audit.LivenessResult}, types)
}
