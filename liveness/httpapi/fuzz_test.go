package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/hostile"
)

// fuzzEnv is a handler on a real engine with a rate limit too high to
// matter, so every input reaches the decoding and the engine.
func fuzzEnv(f *testing.F) (*env, string, string) {
	e := newEnv(f, envOptions{clockOpts: func(clk *fakeClock) []Option {
		return []Option{WithRateLimiter(NewMemoryRateLimiter(1<<30, time.Second, clk.Now)), WithMaxBodyBytes(1 << 20)}
	}})
	id, tok := e.create(nil)
	return e, id, tok
}

func serve(h http.Handler, method, path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://liveness.test"+path, bytes.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func checkNo5xx(t *testing.T, w *httptest.ResponseRecorder, in any) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("input %q: status %d, body %s", in, w.Code, w.Body.Bytes())
	}
	if w.Code >= 400 && !strings.HasPrefix(w.Body.String(), `{"error":`) {
		t.Fatalf("input %q: status %d without a JSON error: %s", in, w.Code, w.Body.Bytes())
	}
}

func FuzzVerifyBody(f *testing.F) {
	face := b64(faceJPEG(f))
	gray := b64(grayJPEG(f))
	for _, seed := range []string{
		`{"frame_b64":"` + gray + `"}`,
		`{"frames_b64":["` + gray + `","` + gray + `"],"interval_ms":100}`,
		`{"frame_b64":"` + face + `"}`,
		`{"frame_b64":"/9j/4AAQ"}`,
		`{"frame_b64":"data:image/jpeg;base64,AAAA"}`,
		`{"frames_b64":[],"interval_ms":-5}`,
		`{"frames_b64":[null,1,{}]}`,
		`{"frame_b64":"` + gray + `","interval_ms":1e400}`,
		`{"interval_ms":99999999999999999999}`,
		`[]`, `null`, `"x"`, `{`, ``, "\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	e, _, _ := fuzzEnv(f)
	ps := &pendingSession{e: e}
	f.Fuzz(func(t *testing.T, body []byte) {
		id, tok := ps.get(t)
		w := serve(e.h, "POST", "/v1/sessions/"+id+"/verify", body, map[string]string{
			"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
		checkNo5xx(t, w, body)
		ps.after(w)
	})
}

// pendingSession hands fuzz inputs a pending session, replacing it once an
// input ended it, so every input reaches the decoder and the engine rather
// than a 409 of an ended session.
type pendingSession struct {
	e       *env
	mu      sync.Mutex
	id, tok string
	reached atomic.Int64 // inputs answered by the engine (200, or 400 of the decoder)
}

func (p *pendingSession) get(t *testing.T) (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id == "" {
		w := serve(p.e.h, "POST", "/v1/sessions", []byte(`{"ttl_seconds":3600}`), map[string]string{"X-API-Key": p.e.key})
		if w.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", w.Code, w.Body.Bytes())
		}
		var c struct {
			ID    string `json:"session_id"`
			Token string `json:"client_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		p.id, p.tok = c.ID, c.Token
	}
	return p.id, p.tok
}

// after drops the session when the answer shows it is no longer pending.
func (p *pendingSession) after(w *httptest.ResponseRecorder) {
	body := w.Body.String()
	if w.Code == http.StatusOK || strings.Contains(body, "bad frame") {
		p.reached.Add(1)
	}
	if w.Code == http.StatusConflict || w.Code == http.StatusGone || strings.Contains(body, `"session_status":"passed"`) || strings.Contains(body, `"session_status":"failed"`) {
		p.mu.Lock()
		p.id, p.tok = "", ""
		p.mu.Unlock()
	}
}

// FuzzVerifyFrame fuzzes the image bytes of a frame, wrapped in a valid
// request, so every input reaches the engine's decoder (and, when it
// decodes, the analysis) on a pending session.
func FuzzVerifyFrame(f *testing.F) {
	f.Add(grayJPEG(f))
	f.Add(faceJPEG(f))
	f.Add(hostile.ScanBomb(64, 64, 20))
	f.Add(hostile.Rotated(64, 48, 6))
	f.Add(hostile.DeclaredSize(4096, 4096))
	f.Add(hostile.ExifMaze())
	e, _, _ := fuzzEnv(f)
	ps := &pendingSession{e: e}
	f.Fuzz(func(t *testing.T, frame []byte) {
		id, tok := ps.get(t)
		body := []byte(`{"frame_b64":"` + b64(frame) + `"}`)
		w := serve(e.h, "POST", "/v1/sessions/"+id+"/verify", body, map[string]string{"Authorization": "Bearer " + tok})
		checkNo5xx(t, w, frame)
		ps.after(w)
	})
}

// The seeds of both fuzz targets reach the engine: none is answered by an
// ended session.
func TestFuzzSeedsReachEngine(t *testing.T) {
	e := newEnv(t, envOptions{clockOpts: func(clk *fakeClock) []Option {
		return []Option{WithRateLimiter(NewMemoryRateLimiter(1<<30, time.Second, clk.Now))}
	}})
	ps := &pendingSession{e: e}
	frames := [][]byte{grayJPEG(t), faceJPEG(t), hostile.ScanBomb(64, 64, 20), hostile.Rotated(64, 48, 6), hostile.DeclaredSize(4096, 4096)}
	for i := range 30 {
		frame := frames[i%len(frames)]
		id, tok := ps.get(t)
		e.clock.Advance(150 * time.Millisecond)
		w := serve(e.h, "POST", "/v1/sessions/"+id+"/verify", []byte(`{"frame_b64":"`+b64(frame)+`"}`), map[string]string{"Authorization": "Bearer " + tok})
		checkNo5xx(t, w, i)
		require.NotEqual(t, http.StatusConflict, w.Code, "input %d: %s", i, w.Body.Bytes())
		ps.after(w)
	}
	assert.Equal(t, int64(30), ps.reached.Load(), "every input answered by the engine")
}

func FuzzCreateBody(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"challenge_count":3}`, `{"challenges":["BLINK"]}`, `{"challenges":["blink","SMILE"],"challenge_count":8}`,
		`{"challenge_count":-1}`, `{"challenges":[""]}`, `{"challenges":null}`, `{"ttl_seconds":9223372036854775807}`,
		`{"reference_id":"\u0000"}`, `{"redirect_url":"http://[::1"}`, `{"parent_origin":"https://a.example.com:99999"}`,
		`{"webhook_url":"https://example.com"}`, `{"challenge_count":1e2}`, `{"mirrored":"yes"}`, `[`, ``,
	} {
		f.Add([]byte(seed))
	}
	e, _, _ := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := serve(e.h, "POST", "/v1/sessions", body, map[string]string{"X-API-Key": e.key})
		checkNo5xx(t, w, body)
		if w.Code != http.StatusCreated && w.Code != http.StatusBadRequest {
			t.Fatalf("input %q: status %d", body, w.Code)
		}
	})
}

func FuzzRequest(f *testing.F) {
	f.Add("GET", "/v1/sessions/x", "Bearer ct_abc", "", "https://app.example.com", []byte(nil))
	f.Add("POST", "/v1/sessions/x/cancel", "", "lv_abc", "", []byte(nil))
	f.Add("OPTIONS", "/v1/sessions/x/verify", "", "", "null", []byte(nil))
	f.Add("POST", "/v1/webhooks/test", "", "KEY", "", []byte(`{"url":"https://127.0.0.1"}`))
	f.Add("GET", "/v1/sessions/%00/result", "bearer  ", "", "", []byte(nil))
	f.Add("PUT", "/check", "", "", "", []byte("x"))
	f.Add("GET", "/v1/sessions/ID/result", "", "KEY", "", []byte(nil))
	f.Add("POST", "/v1/sessions/ID/cancel", "Bearer TOKEN", "", "", []byte(nil))
	e, id, tok := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, method, path, authz, key, origin string, body []byte) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\x00") || len(path) > 512 {
			return
		}
		path = strings.ReplaceAll(path, "ID", id)
		authz = strings.ReplaceAll(authz, "TOKEN", tok)
		if key == "KEY" {
			key = e.key
		}
		hdr := map[string]string{}
		for k, v := range map[string]string{"Authorization": authz, "X-API-Key": key, "Origin": origin} {
			if v != "" && !strings.ContainsAny(v, "\r\n\x00") {
				hdr[k] = v
			}
		}
		if method == "OPTIONS" {
			hdr["Access-Control-Request-Method"] = "POST"
		}
		r := httptest.NewRequest("GET", "http://liveness.test/", bytes.NewReader(body))
		r.Method = method
		r.URL.Path = path
		r.RequestURI = ""
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: status %d, body %s", method, path, w.Code, w.Body.Bytes())
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
