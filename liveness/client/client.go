package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openliveness/openliveness/liveness/limits"
)

// Sentinel errors matched by *Error (with errors.Is).
var (
	ErrBadRequest   = errors.New("client: bad request")          // 400
	ErrUnauthorized = errors.New("client: unauthorized")         // 401
	ErrNotFound     = errors.New("client: session not found")    // 404
	ErrConflict     = errors.New("client: session not pending")  // 409
	ErrExpired      = errors.New("client: session expired")      // 410
	ErrRateLimited  = errors.New("client: rate limited")         // 429
	ErrUnavailable  = errors.New("client: analysis unavailable") // 502, 503
	ErrServer       = errors.New("client: server error")         // other 5xx
	ErrResponse     = errors.New("client: unexpected response")  // a body that is not the API's
	errNoAuth       = errors.New("client: no API key or client token")
)

// Error is an error answer of the API.
type Error struct {
	StatusCode int
	// Message is the server's {"error": ...} text, for people.
	Message string
	// Code is the server's {"code": ...}, stable, for programs: the
	// engine's liveness.Code values (not_pending, bad_frame ...) or the API
	// layer's own (invalid_request, unauthorized ...); empty when the
	// server sent none.
	Code string
	// RetryAfter is the server's Retry-After (429), zero if absent.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("liveness API: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// Is matches the sentinel of the status code.
func (e *Error) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusBadRequest:
		return target == ErrBadRequest
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusConflict:
		return target == ErrConflict
	case http.StatusGone:
		return target == ErrExpired
	case http.StatusTooManyRequests:
		return target == ErrRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return target == ErrUnavailable
	}
	return e.StatusCode >= 500 && target == ErrServer
}

// errorBody is the wire form of an error answer.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Client calls one server. Create it with New.
type Client struct {
	base      string
	apiKey    string
	token     string
	hc        *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates with an API key (X-API-Key).
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the API at baseURL ("https://liveness.example.com",
// with a path prefix if the API is mounted below one).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an absolute http(s) URL", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: &http.Client{Timeout: 30 * time.Second}, userAgent: "openliveness-client/1"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// WithClientToken returns a copy of c that authenticates with a session's
// client token (Authorization: Bearer) instead of the API key: it can read,
// verify and cancel that session only.
func (c *Client) WithClientToken(token string) *Client {
	cp := *c
	cp.apiKey, cp.token = "", token
	return &cp
}

// CreateSessionRequest is the body of POST /v1/sessions; zero fields are
// left out (the server's defaults apply).
type CreateSessionRequest struct {
	ChallengeCount int      `json:"challenge_count,omitempty"`
	Challenges     []string `json:"challenges,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
	WebhookURL     string   `json:"webhook_url,omitempty"`
	RedirectURL    string   `json:"redirect_url,omitempty"`
	ParentOrigin   string   `json:"parent_origin,omitempty"`
	TTLSeconds     int      `json:"ttl_seconds,omitempty"`
	Mirrored       bool     `json:"mirrored,omitempty"`
	// ConsentText is shown by the hosted page, and accepted, before the
	// camera starts; its hash is recorded.
	ConsentText string `json:"consent_text,omitempty"`
	// RetryURL is where the hosted page's "Try again" leads after a failure.
	RetryURL string `json:"retry_url,omitempty"`
	// Theme sets the hosted page's colours; Messages replaces its strings
	// by language then key ({"de": {"intro.start": "…"}}).
	Theme    *Theme                       `json:"theme,omitempty"`
	Messages map[string]map[string]string `json:"messages,omitempty"`
	// ReferenceImage is a JPEG or PNG photo of the expected person (sent
	// as reference_image_b64); the live face is compared with it.
	ReferenceImage []byte `json:"reference_image_b64,omitempty"`
	// ReferenceImageID names a photo registered with AddReferenceImage.
	ReferenceImageID string `json:"reference_image_id,omitempty"`
}

// Theme holds the hosted page's colours as CSS hex colours ("#1f5fd1").
type Theme struct {
	Accent     string `json:"accent,omitempty"`
	AccentText string `json:"accent_text,omitempty"`
	Background string `json:"background,omitempty"`
	Surface    string `json:"surface,omitempty"`
	Text       string `json:"text,omitempty"`
}

// CreatedSession is a new session. ClientToken and HostedURL are shown once.
type CreatedSession struct {
	SessionID        string   `json:"session_id"`
	Status           string   `json:"status"`
	Challenges       []string `json:"challenges"`
	CurrentChallenge string   `json:"current_challenge"`
	ChallengeIndex   int      `json:"challenge_index"`
	TotalChallenges  int      `json:"total_challenges"`
	ExpiresInSeconds int      `json:"expires_in_seconds"`
	ExpiresAt        string   `json:"expires_at"`
	HostedURL        string   `json:"hosted_url"`
	ClientToken      string   `json:"client_token"`
	ReferenceID      string   `json:"reference_id,omitempty"`
}

// Session is a session's state. The fields after Mirrored are filled only
// for API-key requests.
type Session struct {
	SessionID        string   `json:"session_id"`
	Status           string   `json:"status"`
	Challenges       []string `json:"challenges"`
	CurrentChallenge *string  `json:"current_challenge"`
	ChallengeIndex   int      `json:"challenge_index"`
	TotalChallenges  int      `json:"total_challenges"`
	ExpiresInSeconds int      `json:"expires_in_seconds"`
	RedirectURL      string   `json:"redirect_url,omitempty"`
	ParentOrigin     string   `json:"parent_origin,omitempty"`
	Mirrored         bool     `json:"mirrored"`
	// For the hosted page.
	ConsentText string                       `json:"consent_text,omitempty"`
	RetryURL    string                       `json:"retry_url,omitempty"`
	Theme       *Theme                       `json:"theme,omitempty"`
	Messages    map[string]map[string]string `json:"messages,omitempty"`
	// Privacy is what the server declares it keeps (nil: not declared).
	Privacy *Privacy `json:"privacy,omitempty"`
	// ConsentAcceptedAt is when the subject's acceptance of ConsentText
	// was recorded (RFC 3339), nil before.
	ConsentAcceptedAt *string `json:"consent_accepted_at,omitempty"`
	// ChallengeTimeLeftMS is what is left of the current challenge's
	// response window, nil while no challenge is timed; ChallengeWindowMS
	// is the whole window.
	ChallengeTimeLeftMS *int64 `json:"challenge_time_left_ms"`
	ChallengeWindowMS   int64  `json:"challenge_window_ms"`

	ReferenceID  string   `json:"reference_id,omitempty"`
	WebhookURL   string   `json:"webhook_url,omitempty"`
	Score        *float64 `json:"score,omitempty"`
	Verdict      *string  `json:"verdict,omitempty"`
	Reason       *string  `json:"reason,omitempty"`
	ModelVersion string   `json:"model_version,omitempty"`
	Frames       int      `json:"frames,omitempty"`
	EvidenceHash string   `json:"evidence_hash,omitempty"`
	ConsentHash  string   `json:"consent_hash,omitempty"`
	CreatedAt    string   `json:"created_at,omitempty"`
	ExpiresAt    string   `json:"expires_at,omitempty"`
	CompletedAt  *string  `json:"completed_at,omitempty"`
	Match        *Match   `json:"match,omitempty"`
}

// Privacy is what a server keeps of a session's pictures.
type Privacy struct {
	// EvidenceRetentionDays is how many days evidence frames are kept after
	// the session ends; nil: without a time limit.
	EvidenceRetentionDays *int `json:"evidence_retention_days"`
}

// VerifyRequest is one frame or a burst: JPEG bytes (the client encodes
// them) taken Interval apart, the last one now.
type VerifyRequest struct {
	Frames   [][]byte
	Interval time.Duration
}

// VerifyResponse is the union of the four answer shapes of verify; see the
// API documentation for which fields each shape carries.
type VerifyResponse struct {
	ChallengePassed  bool    `json:"challenge_passed"`
	SessionStatus    string  `json:"session_status"`
	Message          string  `json:"message"`
	FaceDetected     bool    `json:"face_detected"`
	CurrentChallenge *string `json:"current_challenge"` // nil once every challenge passed or the session ended
	Confidence       float64 `json:"confidence"`
	Hint             string  `json:"hint"`
	Feedback         string  `json:"feedback"`
	NextChallenge    string  `json:"next_challenge"`
	ChallengeIndex   int     `json:"challenge_index"`
	TotalChallenges  int     `json:"total_challenges"`
	Score            float64 `json:"score"`
	LivenessVerified bool    `json:"liveness_verified"`
	Verdict          string  `json:"verdict"`
	// Reason is set when the session failed: one of the Reason constants.
	Reason string `json:"reason"`
	// ChallengeTimeLeftMS is what is left of the current challenge's
	// response window, nil while no challenge is timed; ChallengeWindowMS
	// is the whole window.
	ChallengeTimeLeftMS *int64 `json:"challenge_time_left_ms"`
	ChallengeWindowMS   int64  `json:"challenge_window_ms"`
}

// Failure reasons of VerifyResponse.Reason, Session.Reason and Result.Reason.
const (
	ReasonSpoof            = "spoof_detected"
	ReasonLowScore         = "low_score"
	ReasonFrameLimit       = "frame_limit"
	ReasonChallengeTimeout = "challenge_timeout" // a challenge was not done within its response window
	ReasonUnexpectedAction = "unexpected_action" // deliberate actions that were not asked
	ReasonExpired          = "expired"
	ReasonCancelled        = "cancelled"
)

// Result is GET /v1/sessions/{id}/result. Verdict, Confidence and Reason
// are nil while the session is pending.
type Result struct {
	SessionID    string   `json:"session_id"`
	Status       string   `json:"status"`
	Verdict      *string  `json:"verdict"`
	Confidence   *float64 `json:"confidence"`
	Reason       *string  `json:"reason"`
	ModelVersion string   `json:"model_version"`
	EvidenceHash string   `json:"evidence_hash,omitempty"`
	// EvidenceURL is a time-limited signed link to the evidence bundle
	// (see Evidence), valid until EvidenceURLExpires.
	EvidenceURL        string            `json:"evidence_url,omitempty"`
	EvidenceURLExpires string            `json:"evidence_url_expires,omitempty"`
	ReviewedBy         string            `json:"reviewed_by,omitempty"`
	ReferenceID        string            `json:"reference_id,omitempty"`
	PassedChallenges   []PassedChallenge `json:"passed_challenges"`
	// AttackSignals are, with reason spoof_detected, the signals that
	// decided it (frozen_frame, screen_moire ...).
	AttackSignals []string `json:"attack_signals,omitempty"`
	Frames        int      `json:"frames"`
	CompletedAt   *string  `json:"completed_at"`
	Match         *Match   `json:"match,omitempty"`
}

// PassedChallenge is one passed challenge of a Result.
type PassedChallenge struct {
	Challenge  string  `json:"challenge"`
	Confidence float64 `json:"confidence"`
}

// Evidence is a session's evidence bundle: the sealed manifest (its
// SHA-256 is EvidenceHash) and signed links to the stored objects.
type Evidence struct {
	SessionID    string          `json:"session_id"`
	EvidenceHash string          `json:"evidence_hash"`
	Manifest     json.RawMessage `json:"manifest"`
	Items        []EvidenceItem  `json:"items"`
}

// EvidenceItem is one stored object of an Evidence bundle.
type EvidenceItem struct {
	Kind      string `json:"kind"` // best_frontal, face, challenge
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Frame     int    `json:"frame,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	URL       string `json:"url"`
}

// ReviewRequest settles a session awaiting manual review.
type ReviewRequest struct {
	Decision string `json:"decision"` // PASS or FAIL
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason,omitempty"`
}

// WebhookDelivery is the record of a test delivery.
type WebhookDelivery struct {
	ID          string          `json:"id"`
	EventID     string          `json:"event_id"`
	EventType   string          `json:"event_type"`
	URL         string          `json:"url"`
	Format      string          `json:"format"`
	Test        bool            `json:"test"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	LastStatus  int             `json:"last_status"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   string          `json:"created_at"`
	CompletedAt *string         `json:"completed_at"`
	Payload     json.RawMessage `json:"payload"`
	AttemptLog  []struct {
		N          int     `json:"n"`
		At         string  `json:"at"`
		StatusCode int     `json:"status_code"`
		LatencyMS  float64 `json:"latency_ms"`
		Error      string  `json:"error,omitempty"`
		Response   string  `json:"response,omitempty"`
	} `json:"attempt_log"`
}

// CreateSession creates a session (API key).
func (c *Client) CreateSession(ctx context.Context, req CreateSessionRequest) (*CreatedSession, error) {
	var out CreatedSession
	return &out, c.do(ctx, http.MethodPost, "/v1/sessions", req, http.StatusCreated, &out)
}

// Session reads a session's state.
func (c *Client) Session(ctx context.Context, id string) (*Session, error) {
	var out Session
	return &out, c.do(ctx, http.MethodGet, sessionPath(id), nil, http.StatusOK, &out)
}

// Verify submits one frame or a burst.
func (c *Client) Verify(ctx context.Context, id string, req VerifyRequest) (*VerifyResponse, error) {
	var body verifyBody
	lim := limits.Default()
	switch n := len(req.Frames); {
	case n > lim.MaxBurstFrames:
		return nil, fmt.Errorf("%w: %d frames, at most %d per request", ErrBadRequest, n, lim.MaxBurstFrames)
	case n > 1 && (req.Interval < time.Duration(lim.MinIntervalMS)*time.Millisecond || req.Interval > time.Duration(lim.MaxIntervalMS)*time.Millisecond):
		return nil, fmt.Errorf("%w: interval %s not in [%d ms, %d ms]", ErrBadRequest, req.Interval, lim.MinIntervalMS, lim.MaxIntervalMS)
	}
	switch len(req.Frames) {
	case 0:
		return nil, fmt.Errorf("%w: no frames", ErrBadRequest)
	case 1:
		f := base64.StdEncoding.EncodeToString(req.Frames[0])
		body.FrameB64 = &f
	default:
		enc := make([]string, len(req.Frames))
		for i, f := range req.Frames {
			enc[i] = base64.StdEncoding.EncodeToString(f)
		}
		ms := req.Interval.Milliseconds()
		body.FramesB64, body.IntervalMS = enc, &ms
	}
	var out VerifyResponse
	return &out, c.do(ctx, http.MethodPost, sessionPath(id)+"/verify", body, http.StatusOK, &out)
}

// verifyBody is the wire form of POST /v1/sessions/{id}/verify.
type verifyBody struct {
	FrameB64   *string  `json:"frame_b64,omitempty"`
	FramesB64  []string `json:"frames_b64,omitempty"`
	IntervalMS *int64   `json:"interval_ms,omitempty"`
}

// Result reads a session's result (API key).
func (c *Client) Result(ctx context.Context, id string) (*Result, error) {
	var out Result
	return &out, c.do(ctx, http.MethodGet, sessionPath(id)+"/result", nil, http.StatusOK, &out)
}

// Cancel cancels a pending session.
func (c *Client) Cancel(ctx context.Context, id string) (*Session, error) {
	var out Session
	return &out, c.do(ctx, http.MethodPost, sessionPath(id)+"/cancel", nil, http.StatusOK, &out)
}

// ConsentRequest is the body of AcceptConsent.
type ConsentRequest struct {
	// Accepted must be true: a subject who does not agree cancels.
	Accepted bool `json:"accepted"`
	// ConsentHash, optional, is "sha256:<hex>" of the consent text shown;
	// the server checks it is the session's.
	ConsentHash string `json:"consent_hash,omitempty"`
}

// AcceptConsent records that the subject accepted the session's consent
// text (client token or API key). A session with consent text refuses
// frames with an *Error of status 409 (ErrConflict) until then.
func (c *Client) AcceptConsent(ctx context.Context, id string, req ConsentRequest) (*Session, error) {
	var out Session
	return &out, c.do(ctx, http.MethodPost, sessionPath(id)+"/consent", req, http.StatusOK, &out)
}

// Evidence reads a session's evidence bundle (API key), once the session
// ended. A purged bundle is an *Error with status 410 (ErrExpired).
func (c *Client) Evidence(ctx context.Context, id string) (*Evidence, error) {
	var out Evidence
	return &out, c.do(ctx, http.MethodGet, sessionPath(id)+"/evidence", nil, http.StatusOK, &out)
}

// EvidenceObject reads one stored evidence object by its item name (API
// key): a JPEG frame, or the manifest.
func (c *Client) EvidenceObject(ctx context.Context, id, name string) ([]byte, error) {
	return c.raw(ctx, sessionPath(id)+"/evidence/"+url.PathEscape(name))
}

// Photo reads the face crop of the session's best frontal frame (a JPEG;
// API key).
func (c *Client) Photo(ctx context.Context, id string) ([]byte, error) {
	return c.raw(ctx, sessionPath(id)+"/photo")
}

// Review settles a session awaiting manual review (API key) and returns
// its result; ErrConflict when it is not awaiting review.
func (c *Client) Review(ctx context.Context, id string, req ReviewRequest) (*Result, error) {
	var out Result
	return &out, c.do(ctx, http.MethodPost, sessionPath(id)+"/review", req, http.StatusOK, &out)
}

// OpenAPI returns the server's OpenAPI document (YAML).
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, "/openapi.yaml")
}

// Metrics returns the server's Prometheus metrics (text format).
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, "/metrics")
}

// TestWebhook sends one signed test delivery to url in format ("event" or
// "completed") and returns its record (API key).
func (c *Client) TestWebhook(ctx context.Context, url, format string) (*WebhookDelivery, error) {
	var out WebhookDelivery
	return &out, c.do(ctx, http.MethodPost, "/v1/webhooks/test", webhookTestBody{URL: url, Format: format}, http.StatusOK, &out)
}

// webhookTestBody is the wire form of POST /v1/webhooks/test.
type webhookTestBody struct {
	URL    string `json:"url,omitempty"`
	Format string `json:"format,omitempty"`
}

// Health checks /healthz.
func (c *Client) Health(ctx context.Context) error {
	var out struct{ Status string }
	if err := c.do(ctx, http.MethodGet, "/healthz", nil, http.StatusOK, &out); err != nil {
		return err
	}
	if out.Status != "ok" {
		return fmt.Errorf("%w: health status %q", ErrResponse, out.Status)
	}
	return nil
}

// Limits reads the server's bounds of requests (no credentials needed).
// The client itself checks bursts against limits.Default(), the bounds
// of every server built on liveness/httpapi.
func (c *Client) Limits(ctx context.Context) (limits.Limits, error) {
	var out limits.JSON
	if err := c.do(ctx, http.MethodGet, "/v1/limits", nil, http.StatusOK, &out); err != nil {
		return limits.Limits{}, err
	}
	return out.Limits(), nil
}

func sessionPath(id string) string { return "/v1/sessions/" + url.PathEscape(id) }

// raw GETs path and returns the body of a 200 answer (at most 8 MiB).
func (c *Client) raw(ctx context.Context, path string) ([]byte, error) {
	var out []byte
	return out, c.do(ctx, http.MethodGet, path, nil, http.StatusOK, &out)
}

// public reports whether path needs no credentials.
func public(path string) bool {
	return path == "/healthz" || path == "/openapi.yaml" || path == "/metrics"
}

// do sends one request and decodes a want-status answer into out (a
// *[]byte receives the body as is).
func (c *Client) do(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case c.apiKey != "":
		req.Header.Set("X-API-Key", c.apiKey)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case !public(path):
		return errNoAuth
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		e := &Error{StatusCode: res.StatusCode}
		var eb errorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error != "" {
			e.Message, e.Code = eb.Error, eb.Code
		} else {
			e.Message = strings.TrimSpace(string(b[:min(len(b), 200)]))
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out == nil {
		return nil
	}
	if p, ok := out.(*[]byte); ok {
		*p = b
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %v", ErrResponse, err)
	}
	return nil
}
