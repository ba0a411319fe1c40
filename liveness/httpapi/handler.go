package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/httpapi/web"
	"github.com/openliveness/openliveness/liveness/limits"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// Engine is what the handler needs of a *liveness.Engine.
type Engine interface {
	Create(ctx context.Context, o liveness.CreateOptions) (*liveness.Created, error)
	Get(ctx context.Context, id string) (*liveness.Session, error)
	Submit(ctx context.Context, id string, frames []liveness.Frame, opts *liveness.SubmitOptions) (*liveness.Outcome, error)
	Cancel(ctx context.Context, id string) (*liveness.Session, error)
	CheckClientToken(s *liveness.Session, token string) bool
}

// KeyVerifier checks API keys; apikey.Verifier implements it. Verify
// returns an error wrapping apikey.ErrInvalid for a key that is not valid;
// other errors are failures of the key store (answered 500).
type KeyVerifier interface {
	Verify(ctx context.Context, key string) (apikey.Key, error)
}

// Webhooks validates per-session webhook URLs and sends test deliveries;
// *notify.Notifier implements it.
type Webhooks interface {
	CheckURL(raw string) error
	SendTest(ctx context.Context, url string, format event.Format) (outbox.Delivery, []outbox.Attempt, error)
}

// Defaults of the handler options.
const (
	DefaultRateLimit  = 30
	DefaultRateWindow = 10 * time.Second
	// DefaultMaxFrameBytes, DefaultMaxBodyBytes and MaxBurstFrames equal
	// limits.Default()'s MaxFrameBytes, MaxBodyBytes and MaxBurstFrames
	// (a test checks it).
	//
	// Deprecated: use limits.Default().
	DefaultMaxFrameBytes = 4 << 20
	DefaultMaxBodyBytes  = 16 << 20
	MaxBurstFrames       = 20
	// DefaultMaxBodyBytesInFlight bounds the verify request bodies held at
	// once (WithMaxBodyBytesInFlight).
	DefaultMaxBodyBytesInFlight = 64 << 20
	// DefaultVerifyTimeout bounds a verify request's analysis
	// (WithVerifyTimeout).
	DefaultVerifyTimeout = 30 * time.Second
	// DefaultFramesInFlightPerSlot times the concurrency is the default
	// budget of frames admitted at once (WithMaxFramesInFlight).
	DefaultFramesInFlightPerSlot = 40
)

type config struct {
	keys           KeyVerifier
	limiter        RateLimiter
	publicURL      string
	frameAncestors []string
	corsOrigins    []string
	webhooks       Webhooks
	logger         *slog.Logger
	metrics        *Metrics
	now            func() time.Time
	maxFrameBytes  int
	limits         limits.Limits // the bounds checked and served (GET /v1/limits)
	maxBodyBytes   int64
	hostedPage     bool
	concurrency    int
	evidenceURLs   *EvidenceURLs

	evidenceRetention *time.Duration // declared to the hosted page; nil: not declared
	tenantSlots       int
	bodyInFlight      int64
	framesInFlight    int
	noMetrics         bool
	verifyTimeout     time.Duration
}

// Option configures a Handler.
type Option func(*config)

// WithKeys sets the API key verifier (required).
func WithKeys(k KeyVerifier) Option { return func(c *config) { c.keys = k } }

// WithRateLimiter sets the per-session limiter of frame submissions
// (default: NewMemoryRateLimiter(30, 10 s, nil), in process memory).
func WithRateLimiter(l RateLimiter) Option { return func(c *config) { c.limiter = l } }

// WithPublicURL sets the external base URL of the API, used to build
// hosted_url ("https://liveness.example.com", or with a path prefix when the
// handler is mounted below one). Without it, the URL is taken from each
// create request (its Host, and https when the request came over TLS).
func WithPublicURL(u string) Option {
	return func(c *config) { c.publicURL = strings.TrimRight(u, "/") }
}

// WithFrameAncestors sets the origins allowed to frame the hosted page
// (CSP frame-ancestors; default 'none').
func WithFrameAncestors(origins ...string) Option {
	return func(c *config) { c.frameAncestors = append(c.frameAncestors, origins...) }
}

// WithCORSOrigins sets the origins whose pages may call GET
// /v1/sessions/{id}, POST /v1/sessions/{id}/verify and consent with a
// client token, and GET /v1/limits (the SDK on a customer's page). "*" allows every origin: client tokens are
// bearer tokens, never cookies. Default: none (same origin only).
func WithCORSOrigins(origins ...string) Option {
	return func(c *config) { c.corsOrigins = append(c.corsOrigins, origins...) }
}

// WithWebhooks enables per-session webhook_url and POST /v1/webhooks/test.
func WithWebhooks(w Webhooks) Option { return func(c *config) { c.webhooks = w } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMetrics sets the metrics the handler records and serves at /metrics
// (default: a new Metrics). Pass the same Metrics to the engine
// (liveness.WithObserver) to count frames and verdicts.
func WithMetrics(m *Metrics) Option { return func(c *config) { c.metrics = m } }

// WithClock sets the time source for expires_in_seconds and rate limits
// (default time.Now); use the engine's clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxFrameBytes sets the largest decoded frame (default 4 MiB).
func WithMaxFrameBytes(n int) Option { return func(c *config) { c.maxFrameBytes = n } }

// WithMaxBodyBytes sets the largest verify request body (default 16 MiB;
// a burst's frames share it).
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBodyBytes = n } }

// WithConcurrency sets how many frames are decoded and analysed at once
// (default GOMAXPROCS); the others wait their turn in arrival order. A
// request holds a slot only while one of its frames is decoded and
// analysed, never while the session store, the evidence store or a
// webhook outbox is written. Frame
// analysis is CPU-bound: running more at once than there are CPUs only
// makes every request slower (each gets a slice of the CPUs), while a
// queue lets each finish at full speed, which keeps latency percentiles
// low under load.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithEvidenceRetention declares how long evidence frames are kept after a
// session ends (0: without a time limit), so that the hosted page's privacy
// line says what the server really does. Without it the page says only
// that pictures are sent to the service.
func WithEvidenceRetention(d time.Duration) Option {
	return func(c *config) { c.evidenceRetention = &d }
}

// WithTenantConcurrency sets how many of the concurrency slots the
// sessions of one tenant (the key that created them) may hold at once
// while another tenant is active (default: all but one, at least one), so
// one integrator's traffic, or an attacker holding one key, cannot starve
// the others; a tenant alone on the server (no other tenant's frame in the
// last 5 s) uses every slot.
func WithTenantConcurrency(n int) Option { return func(c *config) { c.tenantSlots = n } }

// WithMaxBodyBytesInFlight bounds the verify request bodies held at once,
// counted by their declared length, or the body limit when undeclared
// (default 64 MiB); one tenant may hold half of it (at least one largest
// body). A request over the budget is answered 503 with Retry-After before
// its body is read.
func WithMaxBodyBytesInFlight(n int64) Option { return func(c *config) { c.bodyInFlight = n } }

// WithMaxFramesInFlight bounds the frames of verify requests admitted at
// once, analysed or waiting (default 40 × the concurrency); one tenant may
// hold half of it (at least one largest burst). A request over the budget
// is answered 503 with Retry-After.
func WithMaxFramesInFlight(n int) Option { return func(c *config) { c.framesInFlight = n } }

// WithVerifyTimeout bounds the time a verify request may spend waiting
// for and using analysis slots (default 30 s, below the reference server's
// 60 s write timeout): past it the work stops, nothing is recorded, and the
// answer is 503, while the client can still read it.
func WithVerifyTimeout(d time.Duration) Option { return func(c *config) { c.verifyTimeout = d } }

// WithoutMetricsRoute leaves /metrics out of the handler, for servers that
// serve Metrics on a separate (private) listen address.
func WithoutMetricsRoute() Option { return func(c *config) { c.noMetrics = true } }

// WithoutHostedPage leaves out the hosted page and the SDK (/check,
// /sdk/liveness.js and their assets).
func WithoutHostedPage() Option { return func(c *config) { c.hostedPage = false } }

// Handler is the REST API, the hosted page and the SDK as one
// http.Handler. It is safe for concurrent use.
type Handler struct {
	cfg    config
	engine Engine
	mux    *http.ServeMux
	routes []route
	pages  []string
	cors   corsPolicy
	slots  *fairSlots  // frames being decoded and analysed
	bodies *budget     // verify body bytes in flight
	frames *budget     // verify frames admitted
	tokens *tokenCache // client tokens of pending sessions seen valid
}

// route is one path of the API with its methods.
type route struct {
	pattern string
	methods map[string]http.HandlerFunc
	cors    bool // the path answers CORS requests from the allowed origins
}

// New returns the handler of engine. It fails without a key verifier and
// for invalid options (a frame ancestor or CORS origin that is not an
// origin, a public URL that is not absolute).
func New(engine Engine, opts ...Option) (*Handler, error) {
	lim := limits.Default()
	if le, ok := engine.(limitedEngine); ok {
		lim = le.Limits()
	}
	cfg := config{
		logger:        slog.Default(),
		now:           time.Now,
		maxFrameBytes: lim.MaxFrameBytes,
		maxBodyBytes:  lim.MaxBodyBytes,
		hostedPage:    true,
		concurrency:   runtime.GOMAXPROCS(0),
	}
	for _, o := range opts {
		o(&cfg)
	}
	lim.MaxFrameBytes, lim.MaxBodyBytes = cfg.maxFrameBytes, int64(cfg.maxBodyBytes)
	cfg.limits = lim
	if engine == nil {
		return nil, errors.New("httpapi: nil engine")
	}
	if cfg.keys == nil {
		return nil, errors.New("httpapi: no API key verifier (WithKeys)")
	}
	if cfg.publicURL != "" {
		u, err := url.Parse(cfg.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("httpapi: public URL %q is not an absolute http(s) URL", cfg.publicURL)
		}
	}
	if cfg.verifyTimeout <= 0 {
		cfg.verifyTimeout = DefaultVerifyTimeout
	}
	if cfg.tenantSlots <= 0 {
		cfg.tenantSlots = max(1, cfg.concurrency-1)
	}
	if cfg.bodyInFlight == 0 {
		cfg.bodyInFlight = max(DefaultMaxBodyBytesInFlight, cfg.maxBodyBytes)
	}
	if cfg.framesInFlight == 0 {
		cfg.framesInFlight = max(DefaultFramesInFlightPerSlot*cfg.concurrency, lim.MaxBurstFrames)
	}
	if cfg.maxFrameBytes <= 0 || cfg.maxBodyBytes <= 0 || cfg.concurrency <= 0 || cfg.bodyInFlight < cfg.maxBodyBytes || cfg.framesInFlight < lim.MaxBurstFrames {
		return nil, errors.New("httpapi: size limits and concurrency must be positive; the in-flight budgets must hold one largest request")
	}
	if cfg.limiter == nil {
		cfg.limiter = NewMemoryRateLimiter(DefaultRateLimit, DefaultRateWindow, cfg.now)
	}
	if cfg.metrics == nil {
		cfg.metrics = NewMetrics()
	}
	if cfg.evidenceURLs == nil {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		cfg.evidenceURLs = &EvidenceURLs{Secret: secret, BaseURL: strings.TrimSuffix(cfg.publicURL, "/"), Now: cfg.now}
	}
	cors, err := newCORSPolicy(cfg.corsOrigins)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, engine: engine, mux: http.NewServeMux(), cors: cors, slots: newFairSlots(cfg.concurrency, min(cfg.tenantSlots, cfg.concurrency), cfg.now),
		bodies: newBudget(cfg.bodyInFlight, cfg.maxBodyBytes), frames: newBudget(int64(cfg.framesInFlight), int64(lim.MaxBurstFrames)), tokens: newTokenCache(100_000)}
	h.routes = []route{
		{pattern: "/v1/sessions", methods: map[string]http.HandlerFunc{http.MethodPost: h.createSession}},
		{pattern: "/v1/sessions/{id}", methods: map[string]http.HandlerFunc{http.MethodGet: h.getSession}, cors: true},
		{pattern: "/v1/sessions/{id}/verify", methods: map[string]http.HandlerFunc{http.MethodPost: h.verify}, cors: true},
		{pattern: "/v1/sessions/{id}/result", methods: map[string]http.HandlerFunc{http.MethodGet: h.result}},
		{pattern: "/v1/sessions/{id}/consent", methods: map[string]http.HandlerFunc{http.MethodPost: h.consent}, cors: true},
		{pattern: "/v1/sessions/{id}/cancel", methods: map[string]http.HandlerFunc{http.MethodPost: h.cancel}},
		{pattern: "/v1/sessions/{id}/evidence", methods: map[string]http.HandlerFunc{http.MethodGet: h.evidence}},
		{pattern: "/v1/sessions/{id}/evidence/{name}", methods: map[string]http.HandlerFunc{http.MethodGet: h.evidenceObject}},
		{pattern: "/v1/sessions/{id}/photo", methods: map[string]http.HandlerFunc{http.MethodGet: h.photo}},
		{pattern: "/v1/sessions/{id}/review", methods: map[string]http.HandlerFunc{http.MethodPost: h.review}},
		{pattern: "/v1/reference-images", methods: map[string]http.HandlerFunc{http.MethodPost: h.addReference}},
		{pattern: "/v1/reference-images/{id}", methods: map[string]http.HandlerFunc{http.MethodDelete: h.deleteReference}},
		{pattern: "/v1/webhooks/test", methods: map[string]http.HandlerFunc{http.MethodPost: h.webhookTest}},
		{pattern: "/openapi.yaml", methods: map[string]http.HandlerFunc{http.MethodGet: serveOpenAPI}},
		{pattern: "/healthz", methods: map[string]http.HandlerFunc{http.MethodGet: serveHealth}},
		{pattern: "/v1/limits", methods: map[string]http.HandlerFunc{http.MethodGet: h.serveLimits}, cors: true},
	}
	if !cfg.noMetrics {
		h.routes = append(h.routes, route{pattern: "/metrics", methods: map[string]http.HandlerFunc{http.MethodGet: cfg.metrics.ServeHTTP}})
	}
	for _, rt := range h.routes {
		h.mux.Handle(rt.pattern, h.instrument(rt))
	}
	if cfg.hostedPage {
		page, err := web.NewHandler(web.Options{FrameAncestors: cfg.frameAncestors})
		if err != nil {
			return nil, fmt.Errorf("httpapi: %w", err)
		}
		h.pages = page.Paths()
		for _, p := range h.pages {
			h.mux.Handle(p, h.instrumentFunc(p, page.ServeHTTP))
		}
	} else if _, err := web.ContentSecurityPolicy(cfg.frameAncestors); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	h.mux.Handle("/{$}", h.instrumentFunc("/", h.index))
	h.mux.Handle("/", h.instrumentFunc("other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	}))
	return h, nil
}

// Metrics returns the handler's metrics.
func (h *Handler) Metrics() *Metrics { return h.cfg.metrics }

// Patterns returns the URL patterns of the REST API and their methods, as
// "METHOD /path/{param}" strings (for documentation checks).
func (h *Handler) Patterns() []string {
	var out []string
	for _, rt := range h.routes {
		for m := range rt.methods {
			out = append(out, m+" "+rt.pattern)
		}
		if rt.cors {
			out = append(out, http.MethodOptions+" "+rt.pattern)
		}
	}
	out = append(out, http.MethodGet+" /")
	slices.Sort(out)
	return out
}

func (h *Handler) pagePaths() []string { return slices.Clone(h.pages) }

// ServeHTTP implements http.Handler. A panic in a handler is logged with
// its stack and answered 500; it never reaches the server.
//
// Every answer carries an X-Request-Id header: the request's own when it
// sent a valid one (1-64 letters, digits, '-', '_', '.'), a new random one
// otherwise. The id is in the request's log line and in RequestID(ctx).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	hd.Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	h.mux.ServeHTTP(&statusRecorder{ResponseWriter: w}, r)
}

type requestIDKey struct{}

// RequestID returns the request id the handler gave the request of ctx
// (also sent as the X-Request-Id response header), or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// instrument dispatches a route by method (JSON 405 otherwise) and
// records metrics and a log line.
func (h *Handler) instrument(rt route) http.Handler {
	allow := make([]string, 0, len(rt.methods)+1)
	for m := range rt.methods {
		allow = append(allow, m)
	}
	if rt.cors {
		allow = append(allow, http.MethodOptions)
	}
	slices.Sort(allow)
	allowHeader := strings.Join(allow, ", ")
	return h.instrumentFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		if rt.cors {
			if r.Method == http.MethodOptions {
				h.cors.preflight(w, r, rt.methods)
				return
			}
			h.cors.apply(w, r)
		}
		f, ok := rt.methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			f, ok = rt.methods[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", allowHeader)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		f(w, r)
	})
}

func (h *Handler) instrumentFunc(name string, f http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec, ok := w.(*statusRecorder)
		if !ok {
			rec = &statusRecorder{ResponseWriter: w}
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.cfg.logger.Error("httpapi: panic", "method", r.Method, "route", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				h.cfg.metrics.panicked()
				if !rec.wrote {
					writeError(rec, http.StatusInternalServerError, "internal error")
				}
			}
			d := time.Since(start)
			code := rec.code()
			h.cfg.metrics.request(name, r.Method, code, d)
			level := slog.LevelInfo
			switch {
			case code >= 500 && r.Context().Err() != nil:
				level = slog.LevelInfo // the client went away
			case code >= 500:
				level = slog.LevelError
			case name == "/v1/sessions/{id}/verify" && code < 400, !strings.HasPrefix(name, "/v1/"):
				level = slog.LevelDebug
			}
			h.cfg.logger.Log(r.Context(), level, "http request", "method", r.Method, "route", name,
				"status", code, "duration_ms", float64(d.Microseconds())/1000, "session", r.PathValue("id"),
				"request_id", RequestID(r.Context()))
		}()
		f(rec, r)
	})
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) code() int {
	if !s.wrote {
		return http.StatusOK
	}
	return s.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// indexHTML is the answer of GET /: links to what a person can open.
const indexHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>openliveness</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>openliveness</h1>
<ul>
<li><a href="openapi.yaml">openapi.yaml</a>: the REST API (create a session with <code>POST /v1/sessions</code> and an API key)</li>
<li><a href="healthz">healthz</a>: health check</li>
%s</ul>
</body></html>
`

// index serves GET / (HEAD too): a small page linking the API description,
// the health check and, when served, the hosted page and the SDK.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	page := ""
	if h.cfg.hostedPage {
		page = `<li><a href="check">check</a>: the hosted page; open the <code>hosted_url</code> a new session returns (<code>/check?s=…&amp;t=…</code>)</li>
<li><a href="sdk/liveness.js">sdk/liveness.js</a>: the browser SDK (ES module)</li>
`
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Cache-Control", "no-cache")
	fmt.Fprintf(w, indexHTML, page)
}

func serveHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// limitedEngine is an Engine that reports its bounds (*liveness.Engine);
// the handler checks and serves limits.Default() for others.
type limitedEngine interface {
	Limits() limits.Limits
}

// serveLimits answers GET /v1/limits: the bounds of requests, for the
// hosted page, the SDK and integrators (no credentials needed).
func (h *Handler) serveLimits(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.cfg.limits.JSON())
}
