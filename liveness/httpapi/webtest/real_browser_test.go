//go:build browser

package webtest_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/httpapi/webtest"
)

// realTarget serves the real API (liveness engine with its real face
// analysis, httpapi handler) on 127.0.0.1, with the partner origin of b as
// frame ancestor and CORS origin.
func realTarget(t *testing.T, b *webtest.Browser) webtest.Target {
	t.Helper()
	// The fake camera plays blinkVideo from its start: its eye closure on
	// cue comes about 4–9 s after the camera starts, and the camera starts
	// after the challenge is announced: the response window is widened to
	// let it count on a slow machine.
	eng, err := liveness.New(liveness.WithResponseWindow(15 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	keys := apikey.NewMemoryStore()
	key, _, err := apikey.Create(context.Background(), keys, "browser-test", rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(eng,
		httpapi.WithKeys(apikey.Verifier{Store: keys}),
		httpapi.WithFrameAncestors(b.Origin()),
		httpapi.WithCORSOrigins(b.Origin()),
		httpapi.WithLogger(quietLogger()),
	)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return webtest.Target{BaseURL: ts.URL, NewSession: webtest.APISessions(ts.URL, key, ts.Client())}
}

// The real server decides from the frames: the blink video passes BLINK,
// the still photo does not. Timeouts allow for a slow, shared machine.

func TestBrowserRealIframeBlinkPasses(t *testing.T) {
	b := webtest.NewBrowser(t)
	iframeBlinkPasses(t, b, realTarget(t, b), nil, 2*time.Minute)
}

func TestBrowserRealSDKBlinkPasses(t *testing.T) {
	b := webtest.NewBrowser(t)
	sdkBlinkPasses(t, b, realTarget(t, b), 2*time.Minute)
}

func TestBrowserRealStillPhotoFails(t *testing.T) {
	b := webtest.NewBrowser(t)
	stillPhotoFails(t, b, realTarget(t, b), nil, 2*time.Minute)
}
