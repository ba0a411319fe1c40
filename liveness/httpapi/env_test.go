package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
)

// fakeClock is a settable clock shared by the engine, the handler and the
// rate limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts in the future: liveness.MemoryStore drops sessions that
// ended more than 24 h before the wall clock, whatever the engine's clock.
func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2036, 2, 3, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sharedEngine loads the models once per test binary and gives each test
// its own engine on a shared analyzer-free configuration: liveness.New is
// cheap after the first call only if the models are cached, so tests that
// need a fresh clock build their own.
func newEngine(t testing.TB, clk *fakeClock, opts ...liveness.Option) *liveness.Engine {
	t.Helper()
	base := []liveness.Option{liveness.WithClock(clk.Now), liveness.WithLogger(discard())}
	e, err := liveness.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// env is a handler under test behind an httptest server.
type env struct {
	t      testing.TB
	clock  *fakeClock
	engine Engine
	h      *Handler
	srv    *httptest.Server
	key    string
	keys   *apikey.MemoryStore
}

type envOptions struct {
	engine      func(clk *fakeClock) Engine
	handler     []Option
	clockOpts   func(clk *fakeClock) []Option
	noPublicURL bool
	admin       bool // the environment's key has the admin role
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	clk := newClock()
	e := &env{t: t, clock: clk, keys: apikey.NewMemoryStore()}
	if o.engine != nil {
		e.engine = o.engine(clk)
	} else {
		e.engine = newEngine(t, clk)
	}
	tmpl := apikey.Key{Name: "test"}
	if o.admin {
		tmpl.Role = apikey.RoleAdmin
	}
	key, _, err := apikey.CreateKey(context.Background(), e.keys, tmpl, chacha(1), clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.key = key
	opts := []Option{
		WithKeys(apikey.Verifier{Store: e.keys}),
		WithClock(clk.Now),
		WithLogger(discard()),
	}
	if !o.noPublicURL {
		opts = append(opts, WithPublicURL("https://liveness.example.com"))
	}
	opts = append(opts, o.handler...)
	if o.clockOpts != nil {
		opts = append(opts, o.clockOpts(clk)...)
	}
	e.h, err = New(e.engine, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r *response) str(k string) string {
	s, _ := r.json[k].(string)
	return s
}

// req describes one request.
type req struct {
	method string
	path   string
	body   any // string, []byte or a value marshalled to JSON
	key    string
	token  string
	header map[string]string
}

// do sends a request and checks the answer against the OpenAPI document:
// the path, method and status must be documented, and a JSON body must
// match the documented schema.
func (e *env) do(r req) *response {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(buf)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		hr.Header.Set("X-API-Key", r.key)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out := &response{status: res.StatusCode, header: res.Header}
	out.body, err = io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.method != http.MethodHead && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.body, &out.json); err != nil {
			e.t.Fatalf("%s %s: invalid JSON %q: %v", r.method, r.path, out.body, err)
		}
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		e.t.Errorf("%s %s: no X-Content-Type-Options: nosniff", r.method, r.path)
	}
	if err := checkAgainstSpec(r.method, r.path, out); err != nil {
		e.t.Errorf("%s %s -> %d %s: not as documented: %v", r.method, r.path, out.status, clipBody(out.body), err)
	}
	return out
}

func clipBody(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// expect checks the status and, for errors, the {"error"} shape.
func (r *response) expect(t testing.TB, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, clipBody(r.body))
	}
	if status >= 400 && r.str("error") == "" {
		t.Fatalf("error response without an error message: %s", r.body)
	}
	return r
}

// create makes a session with the API key.
func (e *env) create(body any) (id, token string) {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: body}).expect(e.t, http.StatusCreated)
	return r.str("session_id"), r.str("client_token")
}

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
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

// faceJPEG is the repository's test photo (a real face, 320×400).
func faceJPEG(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// grayJPEG is a uniform frame: a valid JPEG without a face.
func grayJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 160, 120))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngFrame(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
