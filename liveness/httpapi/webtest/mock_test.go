package webtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/face"
)

// fakeClock is a settable clock for the mock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (a apiClient) do(method, path, auth string, body any) (int, http.Header, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, res.Header, m
}

func newTestServer(t *testing.T, judge Judge, opts ...Option) (*Server, apiClient, SessionFunc) {
	t.Helper()
	srv, err := NewServer(judge, []string{"https://partner.example"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, apiClient{t, ts.URL, ts.Client()}, APISessions(ts.URL, srv.APIKey(), ts.Client())
}

func TestSessionLifecycle(t *testing.T) {
	srv, api, create := newTestServer(t, PassAfter(2))
	s, err := create(context.Background(), SessionRequest{Challenges: []string{"smile", "BLINK"}, RedirectURL: "https://app.example/done", ParentOrigin: "https://partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.HostedURL, api.base+"/check?s="+s.ID+"&t="+s.ClientToken) || len(s.Challenges) != 2 || s.Challenges[0] != "SMILE" {
		t.Fatalf("session %+v", s)
	}
	code, _, st := api.do("GET", "/v1/sessions/"+s.ID, s.ClientToken, nil)
	if code != 200 || st["status"] != "pending" || st["current_challenge"] != "SMILE" || st["redirect_url"] != "https://app.example/done" || st["parent_origin"] != "https://partner.example" {
		t.Fatalf("GET = %d %v", code, st)
	}
	frame := base64.StdEncoding.EncodeToString(testJPEG(t))
	verify := func(body any) (int, map[string]any) {
		code, _, m := api.do("POST", "/v1/sessions/"+s.ID+"/verify", s.ClientToken, body)
		return code, m
	}
	steps := []struct {
		body  any
		check func(int, map[string]any) bool
	}{
		{map[string]any{"frame_b64": frame}, func(c int, m map[string]any) bool {
			return c == 200 && m["challenge_passed"] == false && m["session_status"] == "pending" && m["hint"] == "baseline" && m["current_challenge"] == "SMILE"
		}},
		{map[string]any{"frame_b64": frame}, func(c int, m map[string]any) bool {
			return c == 200 && m["challenge_passed"] == true && m["next_challenge"] == "BLINK" && m["challenge_index"] == 1.0 && m["total_challenges"] == 2.0
		}},
		{map[string]any{"frames_b64": []string{frame, frame, frame}, "interval_ms": 100}, func(c int, m map[string]any) bool {
			return c == 200 && m["challenge_passed"] == false && m["hint"] == "hold"
		}},
		{map[string]any{"frames_b64": []string{frame}, "interval_ms": 100}, func(c int, m map[string]any) bool {
			return c == 200 && m["session_status"] == "passed" && m["liveness_verified"] == true && m["score"] == 0.97
		}},
		{map[string]any{"frame_b64": frame}, func(c int, m map[string]any) bool {
			return c == http.StatusConflict && m["error"] != nil
		}},
	}
	for i, st := range steps {
		if c, m := verify(st.body); !st.check(c, m) {
			t.Fatalf("step %d: %d %v", i, c, m)
		}
	}
	subs := srv.Submissions(s.ID)
	if len(subs) != 5 || !subs[2].Burst || len(subs[2].Frames) != 3 || subs[2].IntervalMS != 100 || subs[2].Challenge != "BLINK" || subs[4].Judged {
		t.Errorf("submissions %+v", subs)
	}
	if subs[0].Frames[0].Width != 64 || subs[0].Frames[0].Height != 48 {
		t.Errorf("frame size %dx%d", subs[0].Frames[0].Width, subs[0].Frames[0].Height)
	}
	code, _, r := api.do("GET", "/v1/sessions/"+s.ID+"/result", s.ClientToken, nil)
	if passed, _ := r["passed_challenges"].([]any); code != 200 || r["verdict"] != "PASS" || r["status"] != "passed" || len(passed) != 2 {
		t.Errorf("result %d %v", code, r)
	}
}

func TestErrors(t *testing.T) {
	_, api, create := newTestServer(t, PassAfter(100))
	s, err := create(context.Background(), SessionRequest{ChallengeCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	frame := base64.StdEncoding.EncodeToString(testJPEG(t))
	path := "/v1/sessions/" + s.ID
	tests := []struct {
		name, method, path, auth string
		body                     any
		want                     int
	}{
		{"no token", "GET", path, "", nil, 401},
		{"wrong token", "GET", path, "nope", nil, 401},
		{"unknown session", "GET", "/v1/sessions/nope", s.ClientToken, nil, 404},
		{"API key as bearer", "GET", path, "test-api-key", nil, 200},
		{"not base64", "POST", path + "/verify", s.ClientToken, map[string]any{"frame_b64": "@@@"}, 400},
		{"not a JPEG", "POST", path + "/verify", s.ClientToken, map[string]any{"frame_b64": base64.StdEncoding.EncodeToString([]byte("GIF89a"))}, 400},
		{"both fields", "POST", path + "/verify", s.ClientToken, map[string]any{"frame_b64": frame, "frames_b64": []string{frame}, "interval_ms": 100}, 400},
		{"burst without interval", "POST", path + "/verify", s.ClientToken, map[string]any{"frames_b64": []string{frame}}, 400},
		{"empty burst", "POST", path + "/verify", s.ClientToken, map[string]any{"frames_b64": []string{}, "interval_ms": 100}, 400},
		{"unknown field", "POST", path + "/verify", s.ClientToken, map[string]any{"frame_b64": frame, "x": 1}, 400},
		{"verify ok", "POST", path + "/verify", s.ClientToken, map[string]any{"frame_b64": frame}, 200},
		{"create without key", "POST", "/v1/sessions", "", map[string]any{}, 401},
	}
	for _, tt := range tests {
		if code, _, m := api.do(tt.method, tt.path, tt.auth, tt.body); code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, code, m, tt.want)
		}
	}
	for _, req := range []SessionRequest{{Challenges: []string{"WAVE"}}, {ChallengeCount: 9}, {TTLSeconds: 99999}} {
		if _, err := create(context.Background(), req); !errors.Is(err, ErrCreate) {
			t.Errorf("%+v: err = %v, want ErrCreate", req, err)
		}
	}
}

func TestRateLimitAndExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, api, create := newTestServer(t, PassAfter(1000), WithClock(clock.Now), WithRateLimit(3, 10*time.Second))
	s, err := create(context.Background(), SessionRequest{Challenges: []string{"BLINK"}, TTLSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))}
	path := "/v1/sessions/" + s.ID + "/verify"
	for i := range 3 {
		if code, _, _ := api.do("POST", path, s.ClientToken, body); code != 200 {
			t.Fatalf("frame %d: %d", i, code)
		}
		clock.Add(time.Second)
	}
	code, h, _ := api.do("POST", path, s.ClientToken, body)
	if code != 429 || h.Get("Retry-After") != "7" {
		t.Fatalf("4th frame in 10 s: %d, Retry-After %q; want 429, 7", code, h.Get("Retry-After"))
	}
	clock.Add(7 * time.Second)
	if code, _, _ := api.do("POST", path, s.ClientToken, body); code != 200 {
		t.Fatalf("after the window: %d", code)
	}
	clock.Add(time.Minute)
	if code, _, _ := api.do("POST", path, s.ClientToken, body); code != 410 {
		t.Errorf("after expiry: verify %d, want 410", code)
	}
	if code, _, _ := api.do("GET", "/v1/sessions/"+s.ID, s.ClientToken, nil); code != 410 {
		t.Errorf("after expiry: GET %d, want 410", code)
	}
}

func TestScriptedFailures(t *testing.T) {
	judge := func(s Submission) Decision {
		return []Decision{
			{Outcome: Throttle, RetryAfter: 1500 * time.Millisecond},
			{Outcome: Error},
			{Outcome: Error, Status: 503},
			{Outcome: Drop},
			{Outcome: Cut},
			{Outcome: Fail, Reason: "timeout"},
		}[s.Seq-1]
	}
	srv, api, create := newTestServer(t, judge)
	s, err := create(context.Background(), SessionRequest{Challenges: []string{"SMILE"}})
	if err != nil {
		t.Fatal(err)
	}
	frame, _ := json.Marshal(map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))})
	post := func() (*http.Response, error) {
		req, _ := http.NewRequest("POST", api.base+"/v1/sessions/"+s.ID+"/verify", bytes.NewReader(frame))
		req.Header.Set("Authorization", "Bearer "+s.ClientToken)
		return api.c.Do(req)
	}
	want := []int{429, 502, 503}
	for i, w := range want {
		res, err := post()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != w {
			t.Errorf("submission %d: %d, want %d", i+1, res.StatusCode, w)
		}
		if i == 0 && res.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q, want 2", res.Header.Get("Retry-After"))
		}
	}
	if res, err := post(); err == nil {
		res.Body.Close()
		t.Errorf("dropped request answered %d", res.StatusCode)
	}
	if res, err := post(); err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil {
			t.Error("cut answer read completely")
		}
	}
	code, _, m := api.do("POST", "/v1/sessions/"+s.ID+"/verify", s.ClientToken, map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))})
	if code != 200 || m["session_status"] != "failed" || m["reason"] != "timeout" {
		t.Errorf("fail: %d %v", code, m)
	}
	if srv.Status(s.ID) != StatusFailed {
		t.Errorf("status %q", srv.Status(s.ID))
	}
	if code, _, _ := api.do("POST", "/v1/sessions/"+s.ID+"/cancel", s.ClientToken, nil); code != 409 {
		t.Errorf("cancel of a failed session: %d, want 409", code)
	}
}

func TestCORS(t *testing.T) {
	_, api, _ := newTestServer(t, PassAfter(1), WithCORSOrigins("http://localhost:9"))
	for _, tt := range []struct {
		origin, want string
	}{{"http://localhost:9", "http://localhost:9"}, {"http://evil.example", ""}} {
		req, _ := http.NewRequest("OPTIONS", api.base+"/v1/sessions/x/verify", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := api.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("origin %s: allow-origin %q, want %q", tt.origin, got, tt.want)
		}
		if tt.want != "" && (res.StatusCode != 204 || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization")) {
			t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
		}
	}
}

func TestServesPage(t *testing.T) {
	_, api, _ := newTestServer(t, PassAfter(1))
	res, err := api.c.Get(api.base + "/check?s=a&t=b")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors https://partner.example;") {
		t.Errorf("/check: %d %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
}

func TestParseVerifyBodySeeds(t *testing.T) {
	tests := map[string]struct {
		frames int
		burst  bool
		err    error
	}{
		"single.json":      {1, false, nil},
		"burst.json":       {2, true, nil},
		"both.json":        {0, false, ErrBody},
		"no_interval.json": {0, false, ErrBody},
		"data_uri.json":    {0, false, ErrFrame},
		"png.json":         {0, false, ErrFrame},
	}
	for name, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", "verify", name))
		if err != nil {
			t.Fatal(err)
		}
		frames, burst, _, err := ParseVerifyBody(data)
		if !errors.Is(err, tt.err) || len(frames) != tt.frames || burst != tt.burst {
			t.Errorf("%s: %d frames, burst %v, err %v; want %d, %v, %v", name, len(frames), burst, err, tt.frames, tt.burst, tt.err)
		}
	}
}

func FuzzParseVerifyBody(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "verify", "*.json"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, burst, interval, err := ParseVerifyBody(data)
		if err != nil {
			if !errors.Is(err, ErrBody) && !errors.Is(err, ErrFrame) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		if len(frames) == 0 || len(frames) > MaxBurstFrames || (burst && (interval < 1 || interval > 2000)) || (!burst && len(frames) != 1) {
			t.Fatalf("accepted %d frames, burst %v, interval %d", len(frames), burst, interval)
		}
		for _, fr := range frames {
			if len(fr.JPEG) > MaxFrameBytes || fr.Width < 1 || fr.Height < 1 {
				t.Fatalf("accepted frame %dx%d of %d bytes", fr.Width, fr.Height, len(fr.JPEG))
			}
		}
	})
}

func TestWriteStillMJPEG(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 100, 200))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := WriteStillMJPEG(&buf, src, 640, 480, 3); err != nil {
		t.Fatal(err)
	}
	r := face.NewMJPEGReader(bytes.NewReader(buf.Bytes()), 0)
	n := 0
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
			t.Fatalf("frame %v", img.Bounds())
		}
		// Letterboxed: black at the sides, the white picture in the middle.
		if !dark(img.At(20, 240)) || dark(img.At(320, 240)) {
			t.Errorf("frame %d not letterboxed", n)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d frames, want 3", n)
	}
	if err := WriteStillMJPEG(&buf, src, 640, 480, 0); !errors.Is(err, ErrFrames) {
		t.Errorf("0 frames: %v", err)
	}
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x2000
}
