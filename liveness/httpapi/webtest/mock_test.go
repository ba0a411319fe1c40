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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 64, 48)), nil))
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
		require.NoError(a.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	require.NoError(a.t, err)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := a.c.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, res.Header, m
}

func newTestServer(t *testing.T, judge Judge, opts ...Option) (*Server, apiClient, SessionFunc) {
	t.Helper()
	srv, err := NewServer(judge, []string{"https://partner.example"}, opts...)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, apiClient{t, ts.URL, ts.Client()}, APISessions(ts.URL, srv.APIKey(), ts.Client())
}

func TestSessionLifecycle(t *testing.T) {
	srv, api, create := newTestServer(t, PassAfter(2))
	s, err := create(context.Background(), SessionRequest{Challenges: []string{"smile", "BLINK"}, RedirectURL: "https://app.example/done", ParentOrigin: "https://partner.example"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s.HostedURL, api.base+"/check?s="+s.ID+"&t="+s.ClientToken), "session %+v", s)
	require.Len(t, s.Challenges, 2, "session %+v", s)
	require.Equal(t, "SMILE", s.Challenges[0], "session %+v", s)
	code, _, st := api.do("GET", "/v1/sessions/"+s.ID, s.ClientToken, nil)
	require.Equal(t, 200, code, "GET %v", st)
	require.Equal(t, "pending", st["status"], "GET %v", st)
	require.Equal(t, "SMILE", st["current_challenge"], "GET %v", st)
	require.Equal(t, "https://app.example/done", st["redirect_url"], "GET %v", st)
	require.Equal(t, "https://partner.example", st["parent_origin"], "GET %v", st)
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
		c, m := verify(st.body)
		require.True(t, st.check(c, m), "step %d: %d %v", i, c, m)
	}
	subs := srv.Submissions(s.ID)
	if assert.Len(t, subs, 5, "submissions") {
		assert.True(t, subs[2].Burst, "submissions %+v", subs)
		assert.Len(t, subs[2].Frames, 3, "submissions %+v", subs)
		assert.Equal(t, 100, subs[2].IntervalMS, "submissions %+v", subs)
		assert.Equal(t, "BLINK", subs[2].Challenge, "submissions %+v", subs)
		assert.False(t, subs[4].Judged, "submissions %+v", subs)
	}
	assert.Equal(t, 64, subs[0].Frames[0].Width, "frame width")
	assert.Equal(t, 48, subs[0].Frames[0].Height, "frame height")
	code, _, r := api.do("GET", "/v1/sessions/"+s.ID+"/result", s.ClientToken, nil)
	passed, _ := r["passed_challenges"].([]any)
	assert.Equal(t, 200, code, "result %v", r)
	assert.Equal(t, "PASS", r["verdict"], "result %v", r)
	assert.Equal(t, "passed", r["status"], "result %v", r)
	assert.Len(t, passed, 2, "result %v", r)
}

func TestErrors(t *testing.T) {
	_, api, create := newTestServer(t, PassAfter(100))
	s, err := create(context.Background(), SessionRequest{ChallengeCount: 2})
	require.NoError(t, err)
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
		code, _, m := api.do(tt.method, tt.path, tt.auth, tt.body)
		assert.Equal(t, tt.want, code, "%s: %v", tt.name, m)
	}
	for _, req := range []SessionRequest{{Challenges: []string{"WAVE"}}, {ChallengeCount: 9}, {TTLSeconds: 99999}} {
		_, err := create(context.Background(), req)
		assert.ErrorIs(t, err, ErrCreate, "%+v", req)
	}
}

func TestRateLimitAndExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, api, create := newTestServer(t, PassAfter(1000), WithClock(clock.Now), WithRateLimit(3, 10*time.Second))
	s, err := create(context.Background(), SessionRequest{Challenges: []string{"BLINK"}, TTLSeconds: 60})
	require.NoError(t, err)
	body := map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))}
	path := "/v1/sessions/" + s.ID + "/verify"
	for i := range 3 {
		code, _, _ := api.do("POST", path, s.ClientToken, body)
		require.Equal(t, 200, code, "frame %d", i)
		clock.Add(time.Second)
	}
	code, h, _ := api.do("POST", path, s.ClientToken, body)
	require.Equal(t, 429, code, "4th frame in 10 s")
	require.Equal(t, "7", h.Get("Retry-After"), "4th frame in 10 s: Retry-After")
	clock.Add(7 * time.Second)
	code, _, _ = api.do("POST", path, s.ClientToken, body)
	require.Equal(t, 200, code, "after the window")
	clock.Add(time.Minute)
	code, _, _ = api.do("POST", path, s.ClientToken, body)
	assert.Equal(t, 410, code, "after expiry: verify")
	code, _, _ = api.do("GET", "/v1/sessions/"+s.ID, s.ClientToken, nil)
	assert.Equal(t, 410, code, "after expiry: GET")
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
	require.NoError(t, err)
	frame, _ := json.Marshal(map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))})
	post := func() (*http.Response, error) {
		req, _ := http.NewRequest("POST", api.base+"/v1/sessions/"+s.ID+"/verify", bytes.NewReader(frame))
		req.Header.Set("Authorization", "Bearer "+s.ClientToken)
		return api.c.Do(req)
	}
	want := []int{429, 502, 503}
	for i, w := range want {
		res, err := post()
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, w, res.StatusCode, "submission %d", i+1)
		if i == 0 {
			assert.Equal(t, "2", res.Header.Get("Retry-After"), "Retry-After")
		}
	}
	if res, err := post(); !assert.Error(t, err, "dropped request answered") {
		res.Body.Close()
	}
	if res, err := post(); err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
		assert.Error(t, err, "cut answer read completely")
	}
	code, _, m := api.do("POST", "/v1/sessions/"+s.ID+"/verify", s.ClientToken, map[string]any{"frame_b64": base64.StdEncoding.EncodeToString(testJPEG(t))})
	assert.Equal(t, 200, code, "fail: %v", m)
	assert.Equal(t, "failed", m["session_status"], "fail: %v", m)
	assert.Equal(t, "timeout", m["reason"], "fail: %v", m)
	assert.Equal(t, StatusFailed, srv.Status(s.ID), "status")
	code, _, _ = api.do("POST", "/v1/sessions/"+s.ID+"/cancel", s.ClientToken, nil)
	assert.Equal(t, 409, code, "cancel of a failed session")
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
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, tt.want, res.Header.Get("Access-Control-Allow-Origin"), "origin %s", tt.origin)
		if tt.want != "" {
			assert.Equal(t, 204, res.StatusCode, "preflight %v", res.Header)
			assert.Contains(t, res.Header.Get("Access-Control-Allow-Headers"), "Authorization", "preflight")
		}
	}
}

func TestServesPage(t *testing.T) {
	_, api, _ := newTestServer(t, PassAfter(1))
	res, err := api.c.Get(api.base + "/check?s=a&t=b")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode, "/check")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors https://partner.example;", "/check CSP")
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
		require.NoError(t, err)
		frames, burst, _, err := ParseVerifyBody(data)
		if tt.err == nil {
			assert.NoError(t, err, name)
		} else {
			assert.ErrorIs(t, err, tt.err, name)
		}
		assert.Len(t, frames, tt.frames, name)
		assert.Equal(t, tt.burst, burst, name)
	}
}

func FuzzParseVerifyBody(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "verify", "*.json"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, burst, interval, err := ParseVerifyBody(data)
		if err != nil {
			require.True(t, errors.Is(err, ErrBody) || errors.Is(err, ErrFrame), "unwrapped error %v", err)
			return
		}
		ok := len(frames) > 0 && len(frames) <= MaxBurstFrames && (!burst || (interval >= 1 && interval <= 2000)) && (burst || len(frames) == 1)
		require.True(t, ok, "accepted %d frames, burst %v, interval %d", len(frames), burst, interval)
		for _, fr := range frames {
			require.True(t, len(fr.JPEG) <= MaxFrameBytes && fr.Width >= 1 && fr.Height >= 1, "accepted frame %dx%d of %d bytes", fr.Width, fr.Height, len(fr.JPEG))
		}
	})
}

func TestWriteStillMJPEG(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 100, 200))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	var buf bytes.Buffer
	require.NoError(t, WriteStillMJPEG(&buf, src, 640, 480, 3))
	r := face.NewMJPEGReader(bytes.NewReader(buf.Bytes()), 0)
	n := 0
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 640, img.Bounds().Dx(), "frame %v", img.Bounds())
		require.Equal(t, 480, img.Bounds().Dy(), "frame %v", img.Bounds())
		// Letterboxed: black at the sides, the white picture in the middle.
		assert.True(t, dark(img.At(20, 240)), "frame %d not letterboxed", n)
		assert.False(t, dark(img.At(320, 240)), "frame %d not letterboxed", n)
		n++
	}
	assert.Equal(t, 3, n, "frames")
	assert.ErrorIs(t, WriteStillMJPEG(&buf, src, 640, 480, 0), ErrFrames, "0 frames")
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x2000
}
