//go:build browser

package webtest_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/httpapi/webtest"
)

// The hosted page's integrator features: consent, privacy line, challenge
// timer, cancel, retry, languages and layouts. The screenshots of the
// portrait, landscape and Arabic runs are the ones to look at.

const consent = "I agree that Example Bank checks, with my camera, that I am present. " +
	"The pictures are kept as evidence of this check."

// pageRun runs a two-challenge session with consent text, a 30-day
// retention and 8 s challenge windows on the hosted page as a top-level
// page, in the given viewport and language.
func pageRun(t *testing.T, name string, width, height int, lang string, custom ...func(*webtest.SessionRequest)) (*webtest.Result, webtest.Session, *webtest.Server) {
	b := webtest.NewBrowser(t)
	srv, target := newMockTarget(t, b, webtest.PassAfter(5), webtest.WithEvidenceRetentionDays(30), webtest.WithChallengeWindow(8*time.Second))
	req := webtest.SessionRequest{Challenges: []string{"SMILE", "TURN_LEFT"}, ConsentText: consent}
	for _, f := range custom {
		f(&req)
	}
	sess := newSession(t, target, req)
	if lang != "" {
		sess.HostedURL += "&lang=" + lang
	}
	res := run(t, b, webtest.Job{Name: name, Scenario: webtest.ScenarioPage, Video: stillVideo(t, false), Target: target, Session: sess, Width: width, Height: height})
	checkClean(t, res, b.Origin())
	checkA11y(t, res)
	return res, sess, srv
}

func TestBrowserPagePortrait(t *testing.T) {
	res, _, _ := pageRun(t, "portrait", 390, 844, "")
	assert.Equal(t, "I agree, start the camera", res.LastText("start"))
	assert.Contains(t, res.Texts("privacy"), "Pictures from your camera are used for this check and kept as evidence for 30 days after it ends, then deleted.")
	assert.True(t, slices.ContainsFunc(res.Texts("timer-text"), func(s string) bool { return strings.HasSuffix(s, " s left") }), "timer texts %q", res.Texts("timer-text"))
	assert.Equal(t, "You are verified", res.LastText("result-title"))
}

// TestBrowserPageLandscape also sets a theme and replaces a string.
func TestBrowserPageLandscape(t *testing.T) {
	res, _, _ := pageRun(t, "landscape", 844, 390, "", func(r *webtest.SessionRequest) {
		r.Theme = map[string]string{"accent": "#0a7d4f", "background": "#eef6f1"}
		r.Messages = map[string]map[string]string{"en": {"intro.start.consent": "Agree and start"}}
	})
	assert.Equal(t, "Agree and start", res.LastText("start"))
	assert.Equal(t, "You are verified", res.LastText("result-title"))
}

func TestBrowserPageArabic(t *testing.T) {
	res, _, _ := pageRun(t, "arabic", 390, 844, "ar")
	assert.Equal(t, "أوافق، شغّل الكاميرا", res.LastText("start"))
	assert.Contains(t, res.Texts("privacy"), "تُستخدم صور الكاميرا لهذا التحقق وتُحفظ كدليل لمدة 30 يومًا بعد انتهائه، ثم تُحذف.")
	assert.Contains(t, res.Texts("prompt"), "ابتسم")
	assert.Equal(t, "تم التحقق منك", res.LastText("result-title"))
}

// TestBrowserPageCancel: cancel before and during the check cancels the
// session and reports status cancelled.
func TestBrowserPageCancel(t *testing.T) {
	for _, tt := range []struct {
		name   string
		clicks []string
	}{
		{"intro", []string{"#intro-cancel"}},
		{"running", []string{"#start", "#run-cancel"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := webtest.NewBrowser(t)
			srv, target := newMockTarget(t, b, webtest.PassAfter(1000))
			sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}})
			res := run(t, b, webtest.Job{Name: "cancel-" + tt.name, Scenario: webtest.ScenarioCustom, URL: sess.HostedURL, Clicks: tt.clicks,
				Until: "#result-title", UntilText: "Check cancelled", Video: stillVideo(t, false), NativeChannels: true, Settle: time.Second})
			checkClean(t, res, b.Origin())
			assert.Equal(t, "Check cancelled", res.UntilText)
			assert.Equal(t, webtest.StatusCancelled, srv.Status(sess.ID))
			msgs, err := res.Native("react_native")
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			assert.Equal(t, webtest.LivenessEvent{Type: "liveness_result", SessionID: sess.ID, Status: "cancelled", Reason: "cancelled"}, msgs[0])
		})
	}
}

// TestBrowserPageRetryURL: after a failure, "Try again" opens retry_url;
// the reason is in plain words.
func TestBrowserPageRetryURL(t *testing.T) {
	b := webtest.NewBrowser(t)
	_, target := newMockTarget(t, b, webtest.FailAfter(2, "challenge_timeout"))
	retry := b.URL("/landed.html?from=retry")
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}, RetryURL: retry})
	res := run(t, b, webtest.Job{Name: "retry-url", Scenario: webtest.ScenarioCustom, URL: sess.HostedURL, Clicks: []string{"#start", "#result-retry"},
		Until: "header", UntilText: "returned from the liveness check", Video: stillVideo(t, false)})
	checkClean(t, res, b.Origin())
	assert.Equal(t, "A step took too long. Do each action as soon as it is shown.", res.LastText("result-body"))
	assert.Equal(t, retry, res.FinalURL)
}

// TestBrowserPageRetryMessage: without retry_url, a framed page's "Try
// again" posts liveness_retry to the parent.
func TestBrowserPageRetryMessage(t *testing.T) {
	b := webtest.NewBrowser(t)
	_, target := newMockTarget(t, b, webtest.FailAfter(2, "unexpected_action"))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}, ParentOrigin: b.Origin()})
	res := run(t, b, webtest.Job{Name: "retry-message", Scenario: webtest.ScenarioCustom, URL: b.URL("/parent.html?src=" + url.QueryEscape(sess.HostedURL)),
		Frame: "#check", Clicks: []string{"#start", "#result-retry"}, Until: "#result-title", UntilText: "We could not verify you",
		Video: stillVideo(t, false), Settle: time.Second})
	checkClean(t, res, b.Origin())
	assert.Equal(t, "We saw a different movement from the one asked for. Do only the action shown.", res.LastText("result-body"))
	var types []string
	for _, m := range topMessages(res) {
		types = append(types, m.Data.Type)
	}
	assert.Equal(t, []string{"liveness_result", "liveness_retry"}, types)
}

// TestBrowserRealCancelAndConsent: against the real handler, the consent
// text is shown with the server's retention, and cancel ends the session.
func TestBrowserRealCancelAndConsent(t *testing.T) {
	b := webtest.NewBrowser(t)
	eng, err := liveness.New()
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	key, _, err := apikey.Create(context.Background(), keys, "browser-test", rand.Reader, time.Now())
	require.NoError(t, err)
	h, err := httpapi.New(eng, httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithFrameAncestors(b.Origin()),
		httpapi.WithLogger(quietLogger()), httpapi.WithEvidenceRetention(7*24*time.Hour))
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := client.New(ts.URL, client.WithAPIKey(key))
	require.NoError(t, err)
	s, err := c.CreateSession(context.Background(), client.CreateSessionRequest{Challenges: []string{"SMILE"}, ConsentText: consent})
	require.NoError(t, err)
	res := run(t, b, webtest.Job{Name: "real-cancel", Scenario: webtest.ScenarioCustom, URL: s.HostedURL + "&lang=de", Clicks: []string{"#start", "#run-cancel"},
		Until: "#result-title", UntilText: "Prüfung abgebrochen", Video: stillVideo(t, false)})
	checkClean(t, res, b.Origin())
	assert.Contains(t, res.Texts("privacy"), "Bilder Ihrer Kamera werden für diese Prüfung verwendet und nach ihrem Ende 7 Tage als Nachweis aufbewahrt, dann gelöscht.")
	got, err := c.Session(context.Background(), s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", got.Status)
	_ = http.StatusOK
}
