package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewOptions(t *testing.T) {
	keys := WithKeys(apikey.Verifier{Store: apikey.NewMemoryStore()})
	eng := &scripted{}
	tests := []struct {
		name string
		e    Engine
		opts []Option
		ok   bool
	}{
		{"minimal", eng, []Option{keys}, true},
		{"no engine", nil, []Option{keys}, false},
		{"no keys", eng, nil, false},
		{"public URL relative", eng, []Option{keys, WithPublicURL("/x")}, false},
		{"public URL ftp", eng, []Option{keys, WithPublicURL("ftp://x")}, false},
		{"public URL with prefix", eng, []Option{keys, WithPublicURL("https://x.example.com/liveness/")}, true},
		{"CORS origin with path", eng, []Option{keys, WithCORSOrigins("https://a.example.com/x")}, false},
		{"CORS any", eng, []Option{keys, WithCORSOrigins("*")}, true},
		{"frame ancestor injection", eng, []Option{keys, WithFrameAncestors("https://a.example.com; script-src *")}, false},
		{"frame ancestor injection without page", eng, []Option{keys, WithoutHostedPage(), WithFrameAncestors("x;y")}, false},
		{"frame ancestors", eng, []Option{keys, WithFrameAncestors("'self'", "https://app.example.com")}, true},
		{"zero frame limit", eng, []Option{keys, WithMaxFrameBytes(0)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.e, tt.opts...)
			assert.Equal(t, tt.ok, err == nil, "New: %v", err)
		})
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, envOptions{handler: []Option{WithCORSOrigins("https://app.example.com", "https://Shop.Example.com:8443")}})
	id, tok := e.create(nil)
	preflight := func(origin, method, headers string) *response {
		h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
		if headers != "" {
			h["Access-Control-Request-Headers"] = headers
		}
		return e.do(req{method: "OPTIONS", path: "/v1/sessions/" + id + "/verify", header: h})
	}
	t.Run("preflight allowed", func(t *testing.T) {
		r := preflight("https://app.example.com", "POST", "authorization, content-type").expect(t, 204)
		want := map[string]string{
			"Access-Control-Allow-Origin":  "https://app.example.com",
			"Access-Control-Allow-Methods": "POST",
			"Access-Control-Allow-Headers": "Authorization, Content-Type",
			"Access-Control-Max-Age":       "600",
		}
		for k, v := range want {
			assert.Equal(t, v, r.header.Get(k), k)
		}
		assert.Contains(t, strings.Join(r.header.Values("Vary"), ","), "Origin", "no Vary: Origin")
	})
	t.Run("preflight of the session", func(t *testing.T) {
		r := e.do(req{method: "OPTIONS", path: "/v1/sessions/" + id, header: map[string]string{
			"Origin": "https://shop.example.com:8443", "Access-Control-Request-Method": "GET"}}).expect(t, 204)
		assert.Equal(t, "https://shop.example.com:8443", r.header.Get("Access-Control-Allow-Origin"), "ACAO")
	})
	refused := []struct{ name, origin, method, headers string }{
		{"unknown origin", "https://evil.example.com", "POST", ""},
		{"no origin", "", "POST", ""},
		{"API key header", "https://app.example.com", "POST", "X-API-Key"},
		{"method", "https://app.example.com", "DELETE", ""},
	}
	for _, tt := range refused {
		t.Run("preflight refused: "+tt.name, func(t *testing.T) {
			r := preflight(tt.origin, tt.method, tt.headers).expect(t, 403)
			assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "refused preflight allows an origin")
		})
	}
	t.Run("preflight of the session refused", func(t *testing.T) {
		e.do(req{method: "OPTIONS", path: "/v1/sessions/" + id, header: map[string]string{
			"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}}).expect(t, 403)
		e.do(req{method: "OPTIONS", path: "/v1/sessions/" + id, header: map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}}).expect(t, 403)
	})
	t.Run("actual request", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok, header: map[string]string{"Origin": "https://app.example.com"}}).expect(t, 200)
		assert.Equal(t, "https://app.example.com", r.header.Get("Access-Control-Allow-Origin"), "headers %v", r.header)
		assert.Equal(t, "Retry-After", r.header.Get("Access-Control-Expose-Headers"), "headers %v", r.header)
		r = e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok, header: map[string]string{"Origin": "https://evil.example.com"}}).expect(t, 200)
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "unknown origin allowed")
	})
	t.Run("other routes take no part", func(t *testing.T) {
		r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, header: map[string]string{"Origin": "https://app.example.com"}}).expect(t, 201)
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "create session answers CORS")
		e.do(req{method: "OPTIONS", path: "/v1/sessions", header: map[string]string{"Origin": "https://app.example.com"}}).expect(t, 405)
	})
	t.Run("any origin", func(t *testing.T) {
		e2 := newEnv(t, envOptions{handler: []Option{WithCORSOrigins("*")}})
		id2, _ := e2.create(nil)
		r := e2.do(req{method: "OPTIONS", path: "/v1/sessions/" + id2, header: map[string]string{
			"Origin": "https://anyone.example.org", "Access-Control-Request-Method": "GET"}}).expect(t, 204)
		assert.Equal(t, "https://anyone.example.org", r.header.Get("Access-Control-Allow-Origin"), "ACAO")
	})
}

func TestHostedPage(t *testing.T) {
	e := newEnv(t, envOptions{handler: []Option{WithFrameAncestors("https://app.example.com")}})
	tests := []struct {
		path, ctype string
	}{
		{"/check?s=abc&t=def", "text/html"},
		{"/sdk/liveness.js", "text/javascript"},
		{"/check.js", "text/javascript"},
		{"/check.css", "text/css"},
		{"/i18n.js", "text/javascript"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do(req{method: "GET", path: tt.path}).expect(t, 200)
			assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), tt.ctype), "Content-Type %q", r.header.Get("Content-Type"))
			assert.NotEmpty(t, r.body, "body")
			want := map[string]string{
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors https://app.example.com; base-uri 'none'; form-action 'self'",
				"Permissions-Policy":      "camera=(self)",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
			}
			for k, v := range want {
				assert.Equal(t, v, r.header.Get(k), k)
			}
		})
	}
	t.Run("default frame-ancestors", func(t *testing.T) {
		e2 := newEnv(t, envOptions{})
		r := e2.do(req{method: "GET", path: "/check"}).expect(t, 200)
		assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none';", "CSP")
	})
	t.Run("without the page", func(t *testing.T) {
		e2 := newEnv(t, envOptions{handler: []Option{WithoutHostedPage()}})
		e2.do(req{method: "GET", path: "/check"}).expect(t, 404)
		e2.do(req{method: "GET", path: "/sdk/liveness.js"}).expect(t, 404)
	})
	t.Run("unknown file", func(t *testing.T) {
		e.do(req{method: "GET", path: "/nothing.js"}).expect(t, 404)
		e.do(req{method: "GET", path: "/web/doc.go"}).expect(t, 404)
	})
}

func TestServiceEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "GET", path: "/openapi.yaml"}).expect(t, 200)
	assert.True(t, bytes.Equal(r.body, OpenAPI()), "openapi.yaml: %d bytes", len(r.body))
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml"), "openapi.yaml: %s", r.header.Get("Content-Type"))
	r = e.do(req{method: "GET", path: "/healthz"}).expect(t, 200)
	assert.Equal(t, "ok", r.str("status"), "healthz %s", r.body)
	e.do(req{method: "POST", path: "/healthz"}).expect(t, 405)
	e.do(req{method: "HEAD", path: "/healthz"}).expect(t, 200)
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	e := newEnv(t, envOptions{handler: []Option{WithMetrics(m)}})
	id, tok := e.create(nil)
	e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, 200)
	e.do(req{method: "GET", path: "/v1/sessions/" + id}).expect(t, 401)
	m.FrameAnalysed(12*time.Millisecond, 1)
	m.FrameAnalysed(30*time.Millisecond, 0)
	m.FrameAnalysed(3*time.Second, 3)
	m.SessionEnded(&liveness.Session{Status: liveness.StatusPassed, Verdict: liveness.VerdictPass})
	m.webhookAttempt(&outbox.Attempt{StatusCode: 200, Latency: 40 * time.Millisecond})
	m.webhookAttempt(&outbox.Attempt{StatusCode: 503})
	m.webhookAttempt(&outbox.Attempt{Error: "dial"})
	m.request("/x\"y\\z\n", "GET", 200, time.Millisecond)
	text := metricsText(t, e)
	for _, want := range []string{
		`openliveness_http_requests_total{route="/v1/sessions",method="POST",code="201"} 1`,
		`openliveness_http_requests_total{route="/v1/sessions/{id}",method="GET",code="200"} 1`,
		`openliveness_http_requests_total{route="/v1/sessions/{id}",method="GET",code="401"} 1`,
		`openliveness_http_requests_total{route="/x\"y\\z\n",method="GET",code="200"} 1`,
		`openliveness_frames_total{faces="0"} 1`,
		`openliveness_frames_total{faces="1"} 1`,
		`openliveness_frames_total{faces="2+"} 1`,
		`openliveness_frame_analysis_seconds_bucket{le="0.025"} 1`,
		`openliveness_frame_analysis_seconds_bucket{le="0.05"} 2`,
		`openliveness_frame_analysis_seconds_bucket{le="2.5"} 2`,
		`openliveness_frame_analysis_seconds_bucket{le="+Inf"} 3`,
		`openliveness_frame_analysis_seconds_sum 3.042`,
		`openliveness_frame_analysis_seconds_count 3`,
		`openliveness_sessions_created_total 1`,
		`openliveness_sessions_ended_total{status="passed",verdict="PASS"} 1`,
		`openliveness_webhook_attempts_total{result="delivered"} 1`,
		`openliveness_webhook_attempts_total{result="http_error"} 1`,
		`openliveness_webhook_attempts_total{result="network_error"} 1`,
		`# TYPE openliveness_http_request_duration_seconds histogram`,
		`go_goroutines `,
	} {
		assert.True(t, strings.Contains(text, want+"\n") || strings.Contains(text, want), "metrics lack %q", want)
	}
	checkExposition(t, text)
}

// checkExposition checks the text format: every sample line is
// name{labels} value, every family has HELP and TYPE before its samples,
// and histogram buckets are cumulative.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	line := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$`)
	typed := map[string]string{}
	lastBucket := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# TYPE ") {
			f := strings.Fields(l)
			typed[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(l, "# HELP ") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if !assert.NotNil(t, m, "bad sample line %q", l) {
			continue
		}
		name := m[1]
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		assert.True(t, typed[name] != "" || typed[base] != "", "sample %s before its TYPE", name)
		v, err := strconv.ParseFloat(m[3], 64)
		assert.True(t, err == nil || m[3] == "+Inf", "bad value in %q", l)
		if strings.HasSuffix(name, "_bucket") {
			series := name + regexp.MustCompile(`,?le="[^"]*"`).ReplaceAllString(m[2], "")
			assert.GreaterOrEqual(t, v, lastBucket[series], "bucket not cumulative: %q", l)
			lastBucket[series] = v
		}
	}
}

func TestWebhookTestEndpoint(t *testing.T) {
	recv := outboxtest.NewReceiver()
	recv.Verifier = &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{testSecret}}
	rs := httptest.NewServer(recv)
	defer rs.Close()
	gone := httptest.NewServer(outboxtest.NewReceiver(http.StatusInternalServerError))
	defer gone.Close()
	d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer d.Close()
	n, err := notify.New(d, notify.WithSessionSecret(testSecret), notify.WithInsecureTargets())
	require.NoError(t, err)
	e := newEnv(t, envOptions{handler: []Option{WithWebhooks(n)}, admin: true})

	for _, format := range []string{"event", "completed", ""} {
		t.Run("format "+format, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/webhooks/test", key: e.key, body: map[string]any{"url": rs.URL + "/hook", "format": format}}).expect(t, 200)
			wantFormat := format
			if wantFormat == "" {
				wantFormat = "event"
			}
			assert.Equal(t, "delivered", r.str("state"), "delivery %s", r.body)
			assert.Equal(t, wantFormat, r.str("format"), "delivery %s", r.body)
			assert.Equal(t, true, r.json["test"], "delivery %s", r.body)
			assert.Equal(t, 200.0, r.json["last_status"], "delivery %s", r.body)
			log := r.json["attempt_log"].([]any)
			if assert.Len(t, log, 1, "attempt_log") {
				assert.Equal(t, 200.0, log[0].(map[string]any)["status_code"], "attempt_log %v", log)
			}
		})
	}
	reqs := recv.Requests()
	require.Len(t, reqs, 3, "receiver requests")
	for _, rq := range reqs {
		assert.NoError(t, rq.Verified, "test delivery not verifiable")
	}
	t.Run("failing receiver", func(t *testing.T) {
		r := e.do(req{method: "POST", path: "/v1/webhooks/test", key: e.key, body: map[string]any{"url": gone.URL}}).expect(t, 200)
		assert.Equal(t, "failed", r.str("state"), "delivery %s", r.body)
		assert.Equal(t, 500.0, r.json["last_status"], "delivery %s", r.body)
	})
	errs := []struct {
		name   string
		r      req
		status int
		msg    string
	}{
		{"no key", req{body: map[string]any{"url": rs.URL}}, 401, "API key"},
		{"no url", req{key: e.key, body: map[string]any{}}, 400, "url is required"},
		{"bad format", req{key: e.key, body: map[string]any{"url": rs.URL, "format": "xml"}}, 400, "format"},
		{"bad url", req{key: e.key, body: map[string]any{"url": "ftp://example.com"}}, 400, "url:"},
		{"no body", req{key: e.key}, 400, "empty"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.method, tt.r.path = "POST", "/v1/webhooks/test"
			r := e.do(tt.r).expect(t, tt.status)
			assert.Contains(t, r.str("error"), tt.msg, "error")
		})
	}
	t.Run("not configured", func(t *testing.T) {
		e2 := newEnv(t, envOptions{})
		r := e2.do(req{method: "POST", path: "/v1/webhooks/test", key: e2.key, body: map[string]any{"url": rs.URL}}).expect(t, 400)
		assert.Contains(t, r.str("error"), "not configured", "error")
	})
	t.Run("private target refused in production mode", func(t *testing.T) {
		d2, _ := outbox.New(outbox.WithLogger(slog.New(slog.DiscardHandler)))
		defer d2.Close()
		n2, _ := notify.New(d2, notify.WithSessionSecret(testSecret))
		e2 := newEnv(t, envOptions{handler: []Option{WithWebhooks(n2)}, admin: true})
		for _, u := range []string{rs.URL, "https://127.0.0.1/hook", "https://169.254.169.254/latest"} {
			e2.do(req{method: "POST", path: "/v1/webhooks/test", key: e2.key, body: map[string]any{"url": u}}).expect(t, 400)
			e2.do(req{method: "POST", path: "/v1/sessions", key: e2.key, body: map[string]any{"webhook_url": u}}).expect(t, 400)
		}
		assert.Len(t, recv.Requests(), 3, "a refused target was contacted")
	})
	t.Run("session webhook_url accepted", func(t *testing.T) {
		id, _ := e.create(map[string]any{"webhook_url": rs.URL + "/s"})
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, 200)
		assert.Equal(t, rs.URL+"/s", r.str("webhook_url"), "webhook_url")
	})
}

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestMemoryRateLimiter(t *testing.T) {
	clk := newClock()
	l := NewMemoryRateLimiter(3, 10*time.Second, clk.Now)
	ctx := context.Background()
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration
	}
	steps := []step{
		{0, "a", true, 0},
		{time.Second, "a", true, 0},
		{time.Second, "a", true, 0},
		{time.Second, "a", false, 7 * time.Second},
		{0, "b", true, 0},
		{6 * time.Second, "a", false, time.Second},
		{time.Second, "a", true, 0}, // the first event left the window
		{0, "a", false, time.Second},
		{30 * time.Second, "a", true, 0},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		ok, wait, err := l.Allow(ctx, s.key)
		assert.NoError(t, err, "step %d", i)
		assert.Equal(t, s.ok, ok, "step %d: ok", i)
		assert.Equal(t, s.wait, wait, "step %d: wait", i)
	}
	// Idle keys are dropped.
	clk.Advance(time.Minute)
	l.Allow(ctx, "c")
	l.mu.Lock()
	n := len(l.events)
	l.mu.Unlock()
	assert.Equal(t, 1, n, "keys kept")
	lim, win := NewMemoryRateLimiter(0, 0, nil).Limit()
	assert.Equal(t, DefaultRateLimit, lim, "default limit")
	assert.Equal(t, DefaultRateWindow, win, "default window")
}

func BenchmarkMemoryRateLimiter(b *testing.B) {
	l := NewMemoryRateLimiter(30, 10*time.Second, nil)
	ctx := context.Background()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "verify:" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(ctx, keys[i%len(keys)])
		i++
	}
}

func TestTokenCache(t *testing.T) {
	c := newTokenCache(2)
	c.add("a", "ta")
	c.add("b", "tb")
	assert.True(t, c.ok("a", "ta"), "lookup a/ta")
	assert.False(t, c.ok("a", "tb"), "lookup a/tb")
	assert.False(t, c.ok("c", "ta"), "lookup c/ta")
	c.add("c", "tc") // evicts one of a, b
	n := 0
	for _, k := range []string{"a", "b", "c"} {
		if c.ok(k, "t"+k) {
			n++
		}
	}
	assert.Equal(t, 2, n, "entries after eviction")
	assert.True(t, c.ok("c", "tc"), "c evicted")
	c.drop("c")
	assert.False(t, c.ok("c", "tc"), "dropped entry still valid")
}
