//go:build browser

package webtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness/httpapi/webtest"
	"github.com/openliveness/openliveness/liveness/limits"
)

// The browser tests run the hosted page and the SDK in headless Chromium
// against a server implementing the liveness API. newMockTarget builds the
// mock of this package; the headline scenarios (blink passes in an iframe
// and with the SDK, a still photo fails) also run against the real handler
// in real_browser_test.go.

// newMockTarget starts the mock API on 127.0.0.1 with frame-ancestors and
// CORS for the partner pages of b.
func newMockTarget(t *testing.T, b *webtest.Browser, judge webtest.Judge, opts ...webtest.Option) (*webtest.Server, webtest.Target) {
	t.Helper()
	srv, err := webtest.NewServer(judge, []string{b.Origin()}, append([]webtest.Option{webtest.WithCORSOrigins(b.Origin())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, webtest.Target{BaseURL: ts.URL, NewSession: webtest.APISessions(ts.URL, srv.APIKey(), ts.Client())}
}

func newSession(t *testing.T, target webtest.Target, req webtest.SessionRequest) webtest.Session {
	t.Helper()
	s, err := target.NewSession(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// blinkVideo writes the fake camera's feed for the BLINK scenarios: the
// frames of the shared blink_selfie recording (facedata README: eyes closed
// at frames 11–13, 41–43, 84–85 in natural blinks, and 139–194 and 264–328
// in long closures), cut as a person who follows "Close your eyes for two
// seconds" would act: frames 1–100 (eyes open, three natural blinks that
// must not count), 131–194 (closing, closed), 264–328 (still closed), then
// 195–263 (reopened). The closure lasts about 4.8 s at Chromium's file
// frame rate, so even at the slowest cadence a loaded machine produces
// (frames about 1.8 s apart) two closed frames fall inside it, and it
// ends about 9 s after the camera starts, inside the 15 s window of
// realTarget. Every frame is a distinct camera frame of the recording;
// nothing is repeated, so the frozen-frame rule does not apply.
func blinkVideo(t *testing.T) string {
	t.Helper()
	frames, err := face.ReadMJPEGFile(facedata.Path(t, "video/blink_selfie.mjpeg"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(frames), 328, "blink_selfie.mjpeg frames")
	var buf bytes.Buffer
	for _, r := range [][2]int{{1, 100}, {131, 194}, {264, 328}, {195, 263}} {
		for i := r[0]; i <= r[1]; i++ { // 1-based, inclusive
			buf.Write(frames[i-1])
		}
	}
	path := filepath.Join(t.TempDir(), "blink_held.mjpeg")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// moduleRoot finds the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// stillVideo writes the repository's portrait, repeated, as the fake
// camera's MJPEG feed; marker adds a red square in the frame's top-left
// corner (to tell a mirrored frame from an unmirrored one).
func stillVideo(t *testing.T, marker bool) string {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(t), "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if marker {
		// Letterbox to 640×480 first, so the marker lands in the frame corner.
		var one bytes.Buffer
		if err := webtest.WriteStillMJPEG(&one, img, 640, 480, 1); err != nil {
			t.Fatal(err)
		}
		frame, err := jpeg.Decode(&one)
		if err != nil {
			t.Fatal(err)
		}
		rgba := image.NewRGBA(frame.Bounds())
		draw.Draw(rgba, rgba.Bounds(), frame, image.Point{}, draw.Src)
		draw.Draw(rgba, image.Rect(0, 0, 96, 96), image.NewUniform(color.RGBA{230, 20, 20, 255}), image.Point{}, draw.Src)
		img = rgba
	}
	path := filepath.Join(t.TempDir(), "still.mjpeg")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := webtest.WriteStillMJPEG(out, img, 640, 480, 50); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, b *webtest.Browser, job webtest.Job) *webtest.Result {
	t.Helper()
	res, err := b.Run(context.Background(), t, job)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chromium %s, %d events, %d API requests", res.Version, len(res.Events), len(res.Requests))
	return res
}

// checkClean fails on CSP violations, uncaught errors and missing security
// headers of the hosted page.
func checkClean(t *testing.T, res *webtest.Result, frameAncestor string) {
	t.Helper()
	if v := res.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations:\n%s", strings.Join(v, "\n"))
	}
	if len(res.PageErrors) > 0 {
		t.Errorf("uncaught errors:\n%s", strings.Join(res.PageErrors, "\n"))
	}
	if res.CheckHeaders == nil {
		return // the SDK scenario does not load /check
	}
	csp := res.CheckHeaders["content-security-policy"]
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors " + frameAncestor, "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if got := res.CheckHeaders["permissions-policy"]; got != "camera=(self)" {
		t.Errorf("Permissions-Policy = %q", got)
	}
	if got := res.CheckHeaders["x-content-type-options"]; got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := res.CheckHeaders["referrer-policy"]; got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
}

// checkA11y asserts the live regions and the keyboard-reachable start button.
func checkA11y(t *testing.T, res *webtest.Result) {
	t.Helper()
	ev := res.Kind("a11y")
	if len(ev) == 0 {
		t.Error("the page reported no accessibility tree")
		return
	}
	s := string(ev[0].Data)
	// Each step is announced once, by the status region; feedback changes
	// are announced by their own live region.
	for _, want := range []string{`"prompt":{"live":null`, `"feedback":{"live":"polite"`, `"status":{"live":"polite","role":"status"}`, `"start":{"tag":"BUTTON","type":"button"}`, `"video":{"playsinline":true}`} {
		if !strings.Contains(s, want) {
			t.Errorf("accessibility: %s lacks %s", s, want)
		}
	}
}

func topMessages(res *webtest.Result) []webtest.Message {
	var out []webtest.Message
	for _, m := range res.Messages() {
		if m.Top {
			out = append(out, m)
		}
	}
	return out
}

func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// The headline scenarios, shared by the mock (below) and the real handler
// (real_browser_test.go). srv is nil for the real handler.

// iframeBlinkPasses: the blink video, a BLINK session, the hosted page in
// an iframe of a partner page: the partner receives liveness_result with
// passed: true.
func iframeBlinkPasses(t *testing.T, b *webtest.Browser, target webtest.Target, srv *webtest.Server, timeout time.Duration) {
	video := blinkVideo(t)
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"BLINK"}, ParentOrigin: b.Origin()})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioIframe, Video: video, Target: target, Session: sess, Timeout: timeout})
	logRequests(t, res, target)
	checkClean(t, res, b.Origin())
	checkA11y(t, res)

	msgs := topMessages(res)
	if len(msgs) != 1 {
		t.Fatalf("partner page got %d liveness_result messages, want 1: %+v", len(msgs), res.Messages())
	}
	m := msgs[0]
	if !m.Data.Passed || m.Data.SessionID != sess.ID || m.Data.Type != "liveness_result" || m.Data.Score == nil {
		t.Errorf("message = %+v, want passed for session %s with a score", m.Data, sess.ID)
	}
	if m.Origin != origin(target.BaseURL) {
		t.Errorf("message origin = %q, want the API origin %q", m.Origin, origin(target.BaseURL))
	}
	if got := res.LastText("result-title"); got != "You are verified" {
		t.Errorf("result title = %q", got)
	}
	if !slices.Contains(res.Texts("prompt"), "Close your eyes for a moment") {
		t.Errorf("prompts %q lack the BLINK prompt", res.Texts("prompt"))
	}
	if !slices.Contains(res.Texts("status"), "Step 1 of 1: Close your eyes for a moment") {
		t.Errorf("announcements %q lack the BLINK step", res.Texts("status"))
	}
	if srv != nil {
		// BLINK starts with bursts (see TestBrowserCadence for the details).
		if subs := srv.Submissions(sess.ID); len(subs) == 0 || !subs[0].Burst {
			t.Errorf("the first BLINK submission is not a burst: %+v", subs)
		}
	}
}

// sdkBlinkPasses: the SDK on a partner page (another site, so CORS), the
// blink video: run() resolves passed: true.
func sdkBlinkPasses(t *testing.T, b *webtest.Browser, target webtest.Target, timeout time.Duration) {
	video := blinkVideo(t)
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"BLINK"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioSDK, Video: video, Target: target, Session: sess, Timeout: timeout})
	logRequests(t, res, target)
	checkClean(t, res, "")
	r, ok := res.SDK()
	if !ok {
		t.Fatalf("run() did not settle; events: %d", len(res.Events))
	}
	if r.Rejected || !r.Passed || r.SessionID != sess.ID || r.Status != "passed" || r.Score == nil {
		t.Errorf("run() = %+v, want passed for %s with a score", r, sess.ID)
	}
}

// stillPhotoFails: a still photo as the camera: the session does not pass,
// the page shows the failure and the partner gets passed: false.
func stillPhotoFails(t *testing.T, b *webtest.Browser, target webtest.Target, srv *webtest.Server, timeout time.Duration) {
	video := stillVideo(t, false)
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"BLINK"}, ParentOrigin: b.Origin()})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioIframe, Video: video, Target: target, Session: sess, Timeout: timeout})
	logRequests(t, res, target)
	checkClean(t, res, b.Origin())
	msgs := topMessages(res)
	if len(msgs) != 1 || msgs[0].Data.Passed {
		t.Fatalf("partner page messages = %+v, want one with passed: false", msgs)
	}
	if got := res.LastText("result-title"); got != "We could not verify you" {
		t.Errorf("result title = %q", got)
	}
	// The body names the reason when the page knows it (spoof_detected, timeout...).
	if got := res.LastText("result-body"); got == "" || got == "Thank you. The check is complete." {
		t.Errorf("result body = %q", got)
	}
	if msgs[0].Data.Reason == "spoof_detected" {
		if got := res.LastText("result-body"); got != "Please use a live camera, not a photo, a screen or a video." {
			t.Errorf("result body for spoof_detected = %q", got)
		}
	}
}

// logRequests logs the API requests the browser made.
func logRequests(t *testing.T, res *webtest.Result, target webtest.Target) {
	t.Helper()
	for _, r := range res.Requests {
		t.Logf("%s %s: %d bytes -> %d %s at +%d ms", r.Method, strings.TrimPrefix(r.URL, target.BaseURL), r.Bytes, r.Status, r.Failure, r.T-res.Requests[0].T)
	}
}

func TestBrowserIframeBlinkPasses(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv, target := newMockTarget(t, b, webtest.PassAfter(4))
	iframeBlinkPasses(t, b, target, srv, time.Minute)
}

func TestBrowserSDKBlinkPasses(t *testing.T) {
	b := webtest.NewBrowser(t)
	_, target := newMockTarget(t, b, webtest.PassAfter(4))
	sdkBlinkPasses(t, b, target, time.Minute)
}

// TestBrowserSDKKeepsServerLimits: the SDK reads GET /v1/limits and keeps
// its bursts and frames within narrower bounds than its own defaults.
func TestBrowserSDKKeepsServerLimits(t *testing.T) {
	b := webtest.NewBrowser(t)
	lim := limits.Default()
	lim.MaxBurstFrames, lim.MaxIntervalMS, lim.MaxFramePixels = 3, 90, 320*240
	srv, target := newMockTarget(t, b, webtest.PassAfter(4), webtest.WithLimits(lim))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"BLINK"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioSDK, Video: blinkVideo(t), Target: target, Session: sess, Timeout: time.Minute})
	logRequests(t, res, target)
	checkClean(t, res, "")
	r, ok := res.SDK()
	require.True(t, ok, "run() did not settle")
	assert.True(t, r.Passed, "run() = %+v", r)
	read := 0
	for _, q := range res.Requests {
		if strings.HasSuffix(q.URL, "/v1/limits") {
			read++
			assert.Equal(t, http.StatusOK, q.Status)
		}
	}
	assert.Equal(t, 1, read, "GET /v1/limits once")
	subs := srv.Submissions(sess.ID)
	require.NotEmpty(t, subs)
	require.True(t, subs[0].Burst, "BLINK starts with a burst")
	side := int(math.Sqrt(float64(lim.MaxFramePixels)))
	for _, s := range subs {
		if s.Burst {
			assert.LessOrEqual(t, len(s.Frames), lim.MaxBurstFrames, "submission %d", s.Seq)
			assert.LessOrEqual(t, s.IntervalMS, lim.MaxIntervalMS, "submission %d", s.Seq)
		}
		for _, f := range s.Frames {
			assert.LessOrEqual(t, max(f.Width, f.Height), side, "submission %d: frame %dx%d", s.Seq, f.Width, f.Height)
		}
	}
}

// TestBrowserStillPhotoFails: the mock's judge plays the server detecting
// the spoof after five submissions.
func TestBrowserStillPhotoFails(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv, target := newMockTarget(t, b, webtest.FailAfter(5, "spoof_detected"))
	stillPhotoFails(t, b, target, srv, time.Minute)
}

// ijgLuminance is the standard JPEG luminance quantisation table (Annex K).
var ijgLuminance = [64]int{
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
}

// lumaTableSum returns the sum of the first quantisation table of a JPEG.
func lumaTableSum(t *testing.T, jpg []byte) int {
	t.Helper()
	for i := 2; i+4 < len(jpg); {
		if jpg[i] != 0xFF {
			t.Fatalf("bad JPEG marker at %d", i)
		}
		marker := jpg[i+1]
		n := int(jpg[i+2])<<8 | int(jpg[i+3])
		if marker == 0xDB {
			seg := jpg[i+4 : i+2+n]
			if seg[0]>>4 != 0 {
				t.Fatal("16-bit quantisation table")
			}
			sum := 0
			for _, v := range seg[1:65] {
				sum += int(v)
			}
			return sum
		}
		i += 2 + n
	}
	t.Fatal("no quantisation table")
	return 0
}

// TestBrowserCadence checks what the page sends: one unmirrored JPEG
// (quality 0.8, longer side at most 640 px) every 800 ms, bursts at 8-15
// fps while BLINK is current, the prompts and progress of a three-step
// sequence, and the feedback hints.
func TestBrowserCadence(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, true)
	passAt := map[string]int{"SMILE": 4, "BLINK": 6, "TURN_LEFT": 3}
	judge := func(s webtest.Submission) webtest.Decision {
		if s.ChallengeSeq >= passAt[s.Challenge] {
			return webtest.Decision{Outcome: webtest.Pass}
		}
		hints := map[int]string{1: "baseline", 2: "no_face", 3: "hold"}
		hint := hints[s.ChallengeSeq]
		if s.Challenge == "BLINK" && s.ChallengeSeq >= 4 {
			hint = "start" // after the bursts: the slow-cadence blink instruction
		}
		return webtest.Decision{Outcome: webtest.Pending, Hint: hint, FaceDetected: s.ChallengeSeq != 2}
	}
	srv, target := newMockTarget(t, b, judge)
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE", "BLINK", "TURN_LEFT"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioPage, Video: video, Target: target, Session: sess, Settle: 2 * time.Second})
	checkClean(t, res, b.Origin())
	checkA11y(t, res)

	subs := srv.Submissions(sess.ID)
	var last, blinkStart time.Time
	var intervals []int
	judged, bursts, singlesAfterWindow := 0, 0, 0
	for i, s := range subs {
		if !s.Judged {
			t.Errorf("submission %d not judged (status %d)", s.Seq, s.Status)
			continue
		}
		judged++
		for _, f := range s.Frames {
			if max(f.Width, f.Height) > 640 || f.Width != 640 || f.Height != 480 {
				t.Errorf("submission %d: frame %dx%d, want 640x480", s.Seq, f.Width, f.Height)
			}
		}
		switch s.Challenge {
		case "BLINK":
			// Bursts for the first 3 s after BLINK became current (when the
			// answer passing SMILE arrived), then one frame every 800 ms.
			sinceStart := s.Received.Sub(blinkStart)
			switch {
			case s.ChallengeSeq <= 3 && !s.Burst:
				t.Errorf("BLINK submission %d (at +%v) is a single frame, want a burst", s.ChallengeSeq, sinceStart)
			case s.Burst && sinceStart > 3500*time.Millisecond:
				t.Errorf("BLINK submission %d at +%v is a burst, want single frames after 3 s", s.ChallengeSeq, sinceStart)
			case s.Burst:
				bursts++
				intervals = append(intervals, s.IntervalMS)
				if n := len(s.Frames); n < 2 || n > 15 || s.IntervalMS < 40 || s.IntervalMS > 250 {
					t.Errorf("burst %d: %d frames every %d ms, want 2-15 frames about 100 ms apart", s.Seq, n, s.IntervalMS)
				}
			case sinceStart > 3500*time.Millisecond:
				singlesAfterWindow++
			}
		default:
			if s.Burst || len(s.Frames) != 1 {
				t.Errorf("submission %d during %s: burst=%v with %d frames, want one frame", s.Seq, s.Challenge, s.Burst, len(s.Frames))
			}
		}
		if i > 0 {
			// The client waits 800 ms between the starts of two requests; the
			// server sees them at least about that far apart.
			if gap := s.Received.Sub(last); gap < 650*time.Millisecond {
				t.Errorf("submission %d arrived %v after the previous one, want about 800 ms", s.Seq, gap)
			}
		}
		last = s.Received
		if s.Challenge == "SMILE" {
			blinkStart = s.Received // the last SMILE submission is the one that passed
		}
		t.Logf("submission %d: %s #%d, %d frame(s), burst=%v interval=%d ms, at +%v", s.Seq, s.Challenge, s.ChallengeSeq, len(s.Frames), s.Burst, s.IntervalMS, s.Received.Sub(subs[0].Received).Round(time.Millisecond))
	}
	if judged != 13 {
		t.Errorf("%d judged submissions, want 3+5+2 pending and 3 passes = 13", judged)
	}
	if bursts < 3 || singlesAfterWindow < 1 {
		t.Errorf("BLINK: %d bursts and %d single frames after 3 s, want at least 3 and 1", bursts, singlesAfterWindow)
	}
	// 8-15 fps: the median spacing of the bursts (the scheduling target is 100 ms).
	slices.Sort(intervals)
	if len(intervals) > 0 {
		if m := intervals[len(intervals)/2]; m < 66 || m > 125 {
			t.Errorf("median burst spacing %d ms (%v), want 66-125 ms", m, intervals)
		}
	}
	if srv.Status(sess.ID) != webtest.StatusPassed {
		t.Errorf("session status %q", srv.Status(sess.ID))
	}
	// Stopped on the final status: nothing after the pass (Settle kept the page open).
	if n := len(subs); n > 0 && subs[n-1].Status != 200 {
		t.Errorf("a submission after the final status: %+v", subs[n-1].Status)
	}

	// Unmirrored: the red marker of the camera's top-left corner is in the
	// frame's top-left corner.
	img, err := subs[0].Frames[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	r, g, bb, _ := img.At(40, 40).RGBA()
	if r>>8 < 180 || g>>8 > 80 || bb>>8 > 80 {
		t.Errorf("frame top-left pixel = %d,%d,%d, want the red marker (frames must not be mirrored)", r>>8, g>>8, bb>>8)
	}
	// JPEG quality 0.8: the IJG luminance table scaled for quality 80.
	want := 0
	for _, v := range ijgLuminance {
		want += min(255, max(1, (v*40+50)/100))
	}
	if got := lumaTableSum(t, subs[0].Frames[0].JPEG); got != want {
		t.Errorf("luminance quantisation sum %d, want %d (quality 80)", got, want)
	}

	prompts := slices.Compact(res.Texts("prompt"))
	wantPrompts := []string{"Starting the camera…", "Smile", "Close your eyes for a moment", "Turn your head to your left"}
	if !slices.Equal(prompts, wantPrompts) {
		t.Errorf("prompts %q, want %q", prompts, wantPrompts)
	}
	wantSteps := []string{"Starting the camera…", "Step 1 of 3: Smile", "Step 2 of 3: Close your eyes for a moment", "Step 3 of 3: Turn your head to your left"}
	if got := slices.Compact(res.Texts("status")); !slices.Equal(got, wantSteps) {
		t.Errorf("announcements %q, want %q", got, wantSteps)
	}
	fb := res.Texts("feedback")
	for _, want := range []string{"Look straight at the camera", "No face detected — look at the camera", "Hold still", "Close your eyes for two seconds, then open them"} {
		if !slices.Contains(fb, want) {
			t.Errorf("feedback %q lacks %q", fb, want)
		}
	}
	if got := res.LastText("result-title"); got != "You are verified" {
		t.Errorf("result title = %q", got)
	}
	// The top-level page also posts the result to its own window.
	if msgs := res.Messages(); len(msgs) != 1 || !msgs[0].Data.Passed || msgs[0].Origin != origin(target.BaseURL) {
		t.Errorf("window messages = %+v, want one passed from the page itself", msgs)
	}
}

// TestBrowserBackoffAndRetry: a 429 with Retry-After delays the next frame;
// a dropped request, an answer cut short and a 502 are retried after a
// back-off; the check still completes and stops on its final status.
func TestBrowserBackoffAndRetry(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	judge := func(s webtest.Submission) webtest.Decision {
		switch s.Seq {
		case 2:
			return webtest.Decision{Outcome: webtest.Throttle, RetryAfter: 2 * time.Second}
		case 4:
			return webtest.Decision{Outcome: webtest.Drop}
		case 6:
			return webtest.Decision{Outcome: webtest.Cut}
		case 8:
			return webtest.Decision{Outcome: webtest.Error, Status: 502}
		}
		if s.Seq >= 10 {
			return webtest.Decision{Outcome: webtest.Pass}
		}
		return webtest.Decision{Outcome: webtest.Pending, Hint: "hold", FaceDetected: true}
	}
	srv, err := webtest.NewServer(judge, []string{b.Origin()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	// Without keep-alive every request has a fresh connection, so Chromium
	// does not silently re-send the dropped one: the page must.
	ts.Config.SetKeepAlivesEnabled(false)
	ts.Start()
	t.Cleanup(ts.Close)
	target := webtest.Target{BaseURL: ts.URL, NewSession: webtest.APISessions(ts.URL, srv.APIKey(), ts.Client())}
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioPage, Video: video, Target: target, Session: sess, Settle: 1500 * time.Millisecond})
	checkClean(t, res, b.Origin())

	subs := srv.Submissions(sess.ID)
	for _, s := range subs {
		t.Logf("submission %d: status %d at +%v", s.Seq, s.Status, s.Received.Sub(subs[0].Received).Round(time.Millisecond))
	}
	if len(subs) != 10 {
		t.Fatalf("%d submissions, want 10", len(subs))
	}
	if gap := subs[2].Received.Sub(subs[1].Received); gap < 1900*time.Millisecond {
		t.Errorf("next frame %v after a 429 with Retry-After: 2, want at least 2 s", gap)
	}
	if subs[3].Status != 0 || subs[5].Status != -1 || subs[7].Status != 502 {
		t.Errorf("statuses of submissions 4, 6, 8 = %d, %d, %d, want drop, cut, 502", subs[3].Status, subs[5].Status, subs[7].Status)
	}
	for _, i := range []int{3, 5, 7} {
		if gap := subs[i+1].Received.Sub(subs[i].Received); gap < 400*time.Millisecond {
			t.Errorf("retry %v after the failed submission %d, want a back-off", gap, i+1)
		}
	}
	if got := res.LastText("result-title"); got != "You are verified" {
		t.Errorf("result title = %q after recovering", got)
	}
	if srv.Status(sess.ID) != webtest.StatusPassed {
		t.Errorf("session %q", srv.Status(sess.ID))
	}
	if fb := res.Texts("feedback"); !slices.Contains(fb, "Connection is slow — still trying") {
		t.Errorf("feedback %q lacks the connection notice", fb)
	}
}

// TestBrowserWebViewChannelsAndRedirect: in a WebView (top-level page with
// window.ReactNativeWebView and a Flutter LivenessResult channel) the
// result reaches both channels and the window, then the page follows
// redirect_url.
func TestBrowserWebViewChannelsAndRedirect(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	_, target := newMockTarget(t, b, webtest.PassAfter(2))
	landed := b.URL("/landed.html?from=check")
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}, RedirectURL: landed})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioPage, Video: video, Target: target, Session: sess, NativeChannels: true, ExpectRedirect: landed})
	checkClean(t, res, b.Origin())
	for _, ch := range []string{"react_native", "flutter"} {
		msgs, err := res.Native(ch)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || !msgs[0].Passed || msgs[0].SessionID != sess.ID || msgs[0].Type != "liveness_result" {
			t.Errorf("%s channel got %+v, want one passed liveness_result", ch, msgs)
		}
	}
	if msgs := res.Messages(); len(msgs) != 1 || !msgs[0].Data.Passed {
		t.Errorf("window messages %+v, want one", msgs)
	}
	if got := res.LastText("result-body"); got != "Thank you. The check is complete." {
		t.Errorf("result body %q", got)
	}
	if res.FinalURL != landed {
		t.Errorf("final URL %q, want the redirect %q", res.FinalURL, landed)
	}
}

// TestBrowserParentOriginEnforced: with a parent origin configured for the
// session, the page never posts to '*': a partner page of another origin
// receives nothing, while the page still shows the result.
func TestBrowserParentOriginEnforced(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	_, target := newMockTarget(t, b, webtest.PassAfter(2))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}, ParentOrigin: "https://partner.example"})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioIframe, Video: video, Target: target, Session: sess, Settle: time.Second})
	checkClean(t, res, b.Origin())
	if got := res.LastText("result-title"); got != "You are verified" {
		t.Fatalf("result title = %q", got)
	}
	if msgs := topMessages(res); len(msgs) != 0 {
		t.Errorf("the partner page of another origin received %+v", msgs)
	}
	// The page's own window still gets the message.
	if len(res.Messages()) != 1 {
		t.Errorf("messages %+v, want only the page's own", res.Messages())
	}
}

// TestBrowserCameraDenied: a refused camera shows a clear message and a
// retry button, and nothing is sent.
func TestBrowserCameraDenied(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	srv, target := newMockTarget(t, b, webtest.PassAfter(1))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioIframe, Video: video, Target: target, Session: sess, DenyCamera: true})
	checkClean(t, res, b.Origin())
	if got := res.LastText("error-title"); got != "Camera access is blocked" {
		t.Errorf("error title = %q", got)
	}
	if got := res.LastText("error-body"); !strings.Contains(got, "Allow camera access") {
		t.Errorf("error body = %q", got)
	}
	if n := len(srv.Submissions(sess.ID)); n != 0 {
		t.Errorf("%d frames sent without a camera", n)
	}
	if len(res.Messages()) != 0 {
		t.Errorf("a result was posted: %+v", res.Messages())
	}
}

// TestBrowserInvalidLink: a wrong client token shows "link does not work".
func TestBrowserInvalidLink(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	_, target := newMockTarget(t, b, webtest.PassAfter(1))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}})
	sess.HostedURL = strings.Replace(sess.HostedURL, "&t="+sess.ClientToken, "&t=wrong", 1)
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioPage, Video: video, Target: target, Session: sess})
	checkClean(t, res, b.Origin())
	if got := res.LastText("error-title"); got != "This link does not work" {
		t.Errorf("error title = %q", got)
	}
}

// TestBrowserExpiredSession: an expired session (410) ends as not passed,
// reported to the channels like any final status.
func TestBrowserExpiredSession(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	_, target := newMockTarget(t, b, webtest.PassAfter(1), webtest.WithClock(clock))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}, TTLSeconds: 60})
	skew.Store(int64(2 * time.Minute))
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioPage, Video: video, Target: target, Session: sess, NativeChannels: true})
	checkClean(t, res, b.Origin())
	if got := res.LastText("result-body"); got != "This check has expired." {
		t.Errorf("result body = %q", got)
	}
	msgs, err := res.Native("react_native")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Passed || msgs[0].Status != "expired" {
		t.Errorf("React Native channel got %+v, want one expired", msgs)
	}
}

// TestBrowserSDKAbort: aborting run() with an AbortSignal rejects with the
// signal's reason, stops the camera the SDK opened, and stops sending.
func TestBrowserSDKAbort(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	srv, target := newMockTarget(t, b, webtest.PassAfter(1000))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE"}})
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioSDK, Video: video, Target: target, Session: sess, AbortAfter: 2 * time.Second, Settle: 2 * time.Second})
	checkClean(t, res, "")
	r, ok := res.SDK()
	if !ok || !r.Rejected || r.Name != "AbortError" || !r.CameraStopped {
		t.Fatalf("run() = %+v (settled %v), want an AbortError rejection with the camera stopped", r, ok)
	}
	var abortedAt int64
	for _, e := range res.Events {
		if e.Kind == "sdk_error" {
			abortedAt = e.T
		}
	}
	subs := srv.Submissions(sess.ID)
	if len(subs) < 2 {
		t.Errorf("%d submissions before the abort, want at least 2", len(subs))
	}
	for _, s := range subs {
		if s.Received.UnixMilli() > abortedAt+100 {
			t.Errorf("submission %d arrived %d ms after the abort", s.Seq, s.Received.UnixMilli()-abortedAt)
		}
	}
}

// TestBrowserREADMEExample runs the complete HTML example of docs/browser.md, as
// written there, on a partner page: its backend endpoints are served by the
// test, and only the liveness server URL is replaced.
func TestBrowserREADMEExample(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "browser.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "A complete page")
	if !ok {
		t.Fatal("docs/browser.md has no complete SDK page example")
	}
	_, after, _ = strings.Cut(after, "```html\n")
	page, _, ok := strings.Cut(after, "```\n")
	if !ok || !strings.Contains(page, "<html") {
		t.Fatal("cannot extract the example")
	}
	srv, target := newMockTarget(t, b, webtest.PassAfter(3))
	page = strings.ReplaceAll(page, "https://liveness.example.com", target.BaseURL)
	var sess webtest.Session
	done := make(chan string, 1)
	b.Handle("/example.html", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	b.Handle("POST /my-backend/liveness-session", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := target.NewSession(r.Context(), webtest.SessionRequest{Challenges: []string{"SMILE", "BLINK"}})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		sess = s
		json.NewEncoder(w).Encode(map[string]string{"session_id": s.ID, "client_token": s.ClientToken})
	}))
	b.Handle("POST /my-backend/liveness-done", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		done <- string(body)
	}))
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioCustom, Video: video, Target: target,
		URL: b.URL("/example.html"), Click: "#start", Until: "#prompt", UntilText: "Verified"})
	checkClean(t, res, "")
	if res.UntilText != "Verified" {
		t.Fatalf("the example shows %q, want Verified", res.UntilText)
	}
	select {
	case id := <-done:
		if id != sess.ID || srv.Status(id) != webtest.StatusPassed {
			t.Errorf("the example reported session %q (status %q), want %q passed", id, srv.Status(id), sess.ID)
		}
	case <-time.After(5 * time.Second):
		t.Error("the example did not report to its backend")
	}
}

// TestBrowserReactWidget renders examples/react/LivenessWidget.jsx (bundled
// with React by esbuild at test time) in React's StrictMode, which mounts,
// unmounts and mounts again: the first run must be cancelled cleanly, the
// second must complete and call onComplete({passed, score}).
func TestBrowserReactWidget(t *testing.T) {
	b := webtest.NewBrowser(t)
	video := stillVideo(t, false)
	srv, target := newMockTarget(t, b, webtest.PassAfter(2))
	sess := newSession(t, target, webtest.SessionRequest{Challenges: []string{"SMILE", "TURN_RIGHT"}})
	widget := filepath.Join(moduleRoot(t), "examples", "react", "LivenessWidget.jsx")
	entry := filepath.Join(t.TempDir(), "app.jsx")
	app := `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import LivenessWidget from ` + strconvQuote(widget) + `;

const p = new URLSearchParams(location.search);
function App() {
  const [result, setResult] = useState(null);
  return (
    <main>
      <LivenessWidget apiUrl={p.get('api')} sessionId={p.get('s')} clientToken={p.get('t')}
        onComplete={(r) => setResult(r)} onError={(err) => setResult({ error: err.code || err.name })} />
      <p id="done">{result ? JSON.stringify(result) : 'running'}</p>
    </main>
  );
}
createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
`
	if err := os.WriteFile(entry, []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := b.Bundle(t, entry)
	b.Handle("/react/app.js", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(bundle)
	}))
	b.Handle("/react/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React</title>`+
			`<script type="module" src="/react/app.js"></script></head><body><div id="root"></div></body></html>`)
	}))
	q := url.Values{"api": {target.BaseURL}, "s": {sess.ID}, "t": {sess.ClientToken}}
	res := run(t, b, webtest.Job{Scenario: webtest.ScenarioCustom, Video: video, Target: target,
		URL: b.URL("/react/?" + q.Encode()), Until: "#done", UntilText: "passed"})
	checkClean(t, res, "")
	assert.JSONEq(t, `{"passed":true,"score":0.97,"status":"passed","reason":""}`, res.UntilText, "onComplete")
	if srv.Status(sess.ID) != webtest.StatusPassed {
		t.Errorf("session %q", srv.Status(sess.ID))
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
