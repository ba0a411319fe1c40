package webtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of submitted frames
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness/httpapi/web"
	"github.com/openliveness/openliveness/liveness/limits"
)

// Limits of the verify request, equal to limits.Default()'s
// MaxFrameBytes and MaxBurstFrames (a test checks it). The mock checks
// every bound of limits.Default().
//
// Deprecated: use limits.Default().
const (
	MaxFrameBytes  = 4 << 20 // one decoded JPEG frame
	MaxBurstFrames = 20      // frames in one frames_b64 burst
)

// Errors of the verify body parser.
var (
	ErrBody  = errors.New("webtest: invalid verify body")
	ErrFrame = errors.New("webtest: invalid frame")
)

// Session statuses.
const (
	StatusPending   = "pending"
	StatusPassed    = "passed"
	StatusFailed    = "failed"
	StatusExpired   = "expired"
	StatusCancelled = "cancelled"
)

// Server is a small in-memory implementation of the liveness HTTP API for
// browser tests: sessions with a challenge list, a /verify whose verdicts
// come from a [Judge], and the hosted page and SDK from package web with
// their security headers. It is safe for concurrent use.
type Server struct {
	judge     Judge
	apiKey    string
	now       func() time.Time
	rand      io.Reader
	publicURL string
	cors      map[string]bool
	limit     int
	window    time.Duration
	log       *slog.Logger
	web       *web.Handler
	mux       *http.ServeMux

	// What session states declare for the hosted page.
	privacy         map[string]any
	challengeWindow time.Duration // 0: no challenge time limit

	mu       sync.Mutex
	sessions map[string]*session
}

type session struct {
	id, token    string
	challenges   []string
	index        int
	status       string
	reason       string
	score        float64
	referenceID  string
	redirectURL  string
	parentOrigin string
	expires      time.Time
	page         map[string]any // consent_text, retry_url, theme, messages
	consentAt    time.Time      // when the consent was accepted
	challengeAt  time.Time      // when the current challenge began
	seq          int
	challengeSeq int
	recent       []time.Time
	subs         []Submission
}

// Option configures a [Server].
type Option func(*Server)

// WithAPIKey sets the API key expected in X-API-Key (default "test-api-key").
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithClock sets the clock used for expiry, rate limiting and
// [Submission.Received] (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRand sets the source of session IDs, tokens and random challenge
// sequences (default crypto/rand).
func WithRand(r io.Reader) Option { return func(s *Server) { s.rand = r } }

// WithPublicURL sets the base of hosted_url (default: http://{Host of the
// creating request}).
func WithPublicURL(u string) Option {
	return func(s *Server) { s.publicURL = strings.TrimSuffix(u, "/") }
}

// WithCORSOrigins allows browser pages of these origins to call the API
// (the SDK on a third-party page).
func WithCORSOrigins(origins ...string) Option {
	return func(s *Server) {
		for _, o := range origins {
			s.cors[o] = true
		}
	}
}

// WithRateLimit sets the most frame submissions per session in a window
// (default 30 per 10 s, as the API contract).
func WithRateLimit(n int, per time.Duration) Option {
	return func(s *Server) { s.limit, s.window = n, per }
}

// WithEvidenceRetentionDays makes session states declare the retention the
// hosted page's privacy line shows (days; a negative value: no limit).
func WithEvidenceRetentionDays(days int) Option {
	return func(s *Server) {
		if days < 0 {
			s.privacy = map[string]any{"evidence_retention_days": nil}
		} else {
			s.privacy = map[string]any{"evidence_retention_days": days}
		}
	}
}

// WithChallengeWindow gives every challenge this long: session states and
// verify answers carry challenge_time_left_ms and challenge_window_ms (the
// mock does not fail a late challenge; its Judge decides).
func WithChallengeWindow(d time.Duration) Option { return func(s *Server) { s.challengeWindow = d } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// NewServer returns a mock API server judging frames with judge and
// serving the page with frameAncestors in its Content-Security-Policy.
func NewServer(judge Judge, frameAncestors []string, opts ...Option) (*Server, error) {
	if judge == nil {
		return nil, errors.New("webtest: nil judge")
	}
	s := &Server{
		judge:    judge,
		apiKey:   "test-api-key",
		now:      time.Now,
		rand:     rand.Reader,
		cors:     make(map[string]bool),
		limit:    30,
		window:   10 * time.Second,
		log:      slog.New(slog.DiscardHandler),
		sessions: make(map[string]*session),
	}
	for _, o := range opts {
		o(s)
	}
	h, err := web.NewHandler(web.Options{FrameAncestors: frameAncestors})
	if err != nil {
		return nil, err
	}
	s.web = h
	s.mux = http.NewServeMux()
	for _, p := range h.Paths() {
		s.mux.Handle(p, h)
	}
	s.mux.HandleFunc("POST /v1/sessions", s.create)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.get)
	s.mux.HandleFunc("GET /v1/sessions/{id}/result", s.result)
	s.mux.HandleFunc("POST /v1/sessions/{id}/cancel", s.cancel)
	s.mux.HandleFunc("POST /v1/sessions/{id}/consent", s.consent)
	s.mux.HandleFunc("POST /v1/sessions/{id}/verify", s.verify)
	return s, nil
}

// APIKey returns the API key the server expects.
func (s *Server) APIKey() string { return s.apiKey }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		if origin := r.Header.Get("Origin"); origin != "" && s.cors[origin] {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	s.mux.ServeHTTP(w, r)
}

// Submissions returns a copy of the submissions the session received.
func (s *Server) Submissions(sessionID string) []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[sessionID]
	if ss == nil {
		return nil
	}
	return append([]Submission(nil), ss.subs...)
}

// Status returns the session's status ("" for an unknown session).
func (s *Server) Status(sessionID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[sessionID]
	if ss == nil {
		return ""
	}
	s.expire(ss)
	return ss.status
}

type createRequest struct {
	ChallengeCount int      `json:"challenge_count"`
	Challenges     []string `json:"challenges"`
	ReferenceID    string   `json:"reference_id"`
	WebhookURL     string   `json:"webhook_url"`
	RedirectURL    string   `json:"redirect_url"`
	ParentOrigin   string   `json:"parent_origin"`
	TTLSeconds     int      `json:"ttl_seconds"`
	ConsentText    string   `json:"consent_text"`
	RetryURL       string   `json:"retry_url"`
	Theme          any      `json:"theme"`
	Messages       any      `json:"messages"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if s.apiKey == "" || r.Header.Get("X-API-Key") != s.apiKey {
		writeError(w, http.StatusUnauthorized, "missing or invalid API key")
		return
	}
	var req createRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	var ids []challenge.ID
	if len(req.Challenges) > 0 {
		if len(req.Challenges) > limits.Default().MaxChallenges {
			writeError(w, http.StatusBadRequest, "too many challenges")
			return
		}
		for _, c := range req.Challenges {
			id, err := challenge.ParseID(c)
			if err != nil {
				writeError(w, http.StatusBadRequest, "unknown challenge "+c)
				return
			}
			ids = append(ids, id)
		}
	} else {
		n := req.ChallengeCount
		if n == 0 {
			n = 3
		}
		if lim := limits.Default(); n < lim.MinChallenges || n > lim.MaxChallenges {
			writeError(w, http.StatusBadRequest, "challenge_count out of range")
			return
		}
		s.mu.Lock()
		seq, err := challenge.NewSequence(n, &challenge.SequenceOptions{Rand: s.rand})
		s.mu.Unlock()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "cannot draw challenges")
			return
		}
		ids = seq
	}
	ttl, lim := req.TTLSeconds, limits.Default()
	if ttl == 0 {
		ttl = 600 // longer than the server's default, for slow browser tests
	}
	if ttl < int(lim.MinTTL/time.Second) || ttl > int(lim.MaxTTL/time.Second) {
		writeError(w, http.StatusBadRequest, "ttl_seconds out of range")
		return
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.String()
	}

	s.mu.Lock()
	id, err1 := s.token(12)
	tok, err2 := s.token(24)
	if err := errors.Join(err1, err2); err != nil {
		s.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "no randomness")
		return
	}
	ss := &session{
		id: id, token: tok, challenges: names, status: StatusPending,
		referenceID: req.ReferenceID, redirectURL: req.RedirectURL, parentOrigin: req.ParentOrigin,
		expires: s.now().Add(time.Duration(ttl) * time.Second), challengeAt: s.now(),
		page: map[string]any{},
	}
	for k, v := range map[string]any{"consent_text": req.ConsentText, "retry_url": req.RetryURL, "theme": req.Theme, "messages": req.Messages} {
		if v != nil && v != "" {
			ss.page[k] = v
		}
	}
	s.sessions[id] = ss
	s.mu.Unlock()

	base := s.publicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"session_id":         id,
		"status":             StatusPending,
		"expires_at":         ss.expires.UTC().Format(time.RFC3339),
		"challenges":         names,
		"current_challenge":  names[0],
		"challenge_index":    0,
		"total_challenges":   len(names),
		"expires_in_seconds": ttl,
		"hosted_url":         base + "/check?s=" + id + "&t=" + tok,
		"client_token":       tok,
	})
}

func (s *Server) token(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// lookup finds the session and checks the credentials (client token as
// Bearer, or the API key as X-API-Key or Bearer). It writes the error answer
// and returns nil when the request cannot go on. The lock must be held.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *session {
	ss := s.sessions[r.PathValue("id")]
	if ss == nil {
		writeError(w, http.StatusNotFound, "session not found")
		return nil
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key := r.Header.Get("X-API-Key")
	if !(bearer != "" && bearer == ss.token) && !(s.apiKey != "" && (key == s.apiKey || bearer == s.apiKey)) {
		writeError(w, http.StatusUnauthorized, "invalid credentials")
		return nil
	}
	s.expire(ss)
	return ss
}

func (s *Server) expire(ss *session) {
	if ss.status == StatusPending && !s.now().Before(ss.expires) {
		ss.status = StatusExpired
		ss.reason = "timeout"
	}
}

func (s *Server) state(ss *session) map[string]any {
	m := map[string]any{
		"session_id":         ss.id,
		"status":             ss.status,
		"challenges":         ss.challenges,
		"challenge_index":    min(ss.index, len(ss.challenges)),
		"total_challenges":   len(ss.challenges),
		"expires_in_seconds": max(0, int(math.Ceil(ss.expires.Sub(s.now()).Seconds()))),
		"current_challenge":  nil,
		"mirrored":           false,
	}
	if ss.index < len(ss.challenges) {
		m["current_challenge"] = ss.challenges[ss.index]
	}
	if ss.redirectURL != "" {
		m["redirect_url"] = ss.redirectURL
	}
	if ss.parentOrigin != "" {
		m["parent_origin"] = ss.parentOrigin
	}
	if ss.referenceID != "" {
		m["reference_id"] = ss.referenceID
	}
	for k, v := range ss.page {
		m[k] = v
	}
	if s.privacy != nil {
		m["privacy"] = s.privacy
	}
	if !ss.consentAt.IsZero() {
		m["consent_accepted_at"] = ss.consentAt.UTC().Format(time.RFC3339Nano)
	}
	s.timing(ss, m)
	if ss.status == StatusPassed {
		m["score"] = ss.score
	}
	if ss.reason != "" && ss.status != StatusPassed {
		m["reason"] = ss.reason
	}
	return m
}

// timing adds the current challenge's remaining time to an answer: null
// while no challenge is timed, as the server answers.
func (s *Server) timing(ss *session, m map[string]any) {
	m["challenge_time_left_ms"] = nil
	m["challenge_window_ms"] = defaultChallengeWindowMS
	if s.challengeWindow <= 0 {
		return
	}
	m["challenge_window_ms"] = s.challengeWindow.Milliseconds()
	if ss.status != StatusPending || ss.index >= len(ss.challenges) {
		return
	}
	left := max(0, s.challengeWindow-s.now().Sub(ss.challengeAt))
	m["challenge_time_left_ms"] = left.Milliseconds()
}

// defaultChallengeWindowMS is the server's default response window,
// reported when the mock does not time challenges.
const defaultChallengeWindowMS = 5000

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(w, r)
	if ss == nil {
		return
	}
	if ss.status == StatusExpired {
		writeError(w, http.StatusGone, "session expired")
		return
	}
	writeJSON(w, http.StatusOK, s.state(ss))
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(w, r)
	if ss == nil {
		return
	}
	passed := make([]map[string]any, min(ss.index, len(ss.challenges)))
	for i := range passed {
		passed[i] = map[string]any{"challenge": ss.challenges[i], "confidence": 0.9}
	}
	m := map[string]any{
		"session_id": ss.id, "status": ss.status, "verdict": nil, "confidence": nil, "reason": nil,
		"model_version": "webtest-mock", "passed_challenges": passed, "frames": len(ss.subs), "completed_at": nil,
	}
	switch ss.status {
	case StatusPassed:
		m["verdict"], m["confidence"], m["completed_at"] = "PASS", ss.score, s.now().UTC().Format(time.RFC3339)
	case StatusFailed, StatusCancelled, StatusExpired:
		m["verdict"], m["confidence"], m["reason"], m["completed_at"] = "FAIL", 0.0, ss.reason, s.now().UTC().Format(time.RFC3339)
	}
	if ss.referenceID != "" {
		m["reference_id"] = ss.referenceID
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(w, r)
	if ss == nil {
		return
	}
	if ss.status != StatusPending {
		writeError(w, http.StatusConflict, "session is "+ss.status)
		return
	}
	ss.status, ss.reason = StatusCancelled, "cancelled"
	writeJSON(w, http.StatusOK, s.state(ss))
}

// ConsentAcceptedAt returns when the session's consent was accepted (zero:
// not accepted, or no such session).
func (s *Server) ConsentAcceptedAt(sessionID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[sessionID]; ss != nil {
		return ss.consentAt
	}
	return time.Time{}
}

// consentPending reports whether ss has consent text not accepted yet.
func consentPending(ss *session) bool {
	text, _ := ss.page["consent_text"].(string)
	return text != "" && ss.consentAt.IsZero()
}

// consent records the acceptance of the consent text, as the real
// server's POST /v1/sessions/{id}/consent does.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Accepted    bool   `json:"accepted"`
		ConsentHash string `json:"consent_hash"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	decErr := dec.Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(w, r)
	if ss == nil {
		return
	}
	text, _ := ss.page["consent_text"].(string)
	sum := sha256.Sum256([]byte(text))
	switch {
	case ss.status == StatusExpired:
		writeError(w, http.StatusGone, "session expired")
		return
	case ss.status != StatusPending:
		writeError(w, http.StatusConflict, "session is "+ss.status)
		return
	case decErr != nil || !body.Accepted || text == "":
		writeError(w, http.StatusBadRequest, "accepted must be true, for a session with consent text")
		return
	case body.ConsentHash != "" && body.ConsentHash != "sha256:"+hex.EncodeToString(sum[:]):
		writeError(w, http.StatusBadRequest, "consent_hash does not match the session's consent text")
		return
	}
	if ss.consentAt.IsZero() {
		ss.consentAt = s.now()
	}
	writeJSON(w, http.StatusOK, s.state(ss))
}

// verifyBody is the JSON body of POST /verify.
type verifyBody struct {
	FrameB64   *string  `json:"frame_b64"`
	FramesB64  []string `json:"frames_b64"`
	IntervalMS *int     `json:"interval_ms"`
}

// ParseVerifyBody decodes a verify request body: one frame_b64, or a burst
// of frames_b64 with interval_ms, within the bounds of limits.Default()
// (1..MaxBurstFrames frames, interval_ms in MinIntervalMS..MaxIntervalMS).
// Every frame must be base64 (standard alphabet, no data: prefix) of a JPEG
// of at most MaxFrameBytes and MaxFramePixels. Errors wrap [ErrBody] or
// [ErrFrame].
func ParseVerifyBody(data []byte) (frames []Frame, burst bool, intervalMS int, err error) {
	var b verifyBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, false, 0, fmt.Errorf("%w: %v", ErrBody, err)
	}
	if dec.More() {
		return nil, false, 0, fmt.Errorf("%w: trailing data", ErrBody)
	}
	var raw []string
	lim := limits.Default()
	switch {
	case b.FrameB64 != nil && b.FramesB64 == nil:
		if b.IntervalMS != nil {
			return nil, false, 0, fmt.Errorf("%w: interval_ms without frames_b64", ErrBody)
		}
		raw = []string{*b.FrameB64}
	case b.FrameB64 == nil && b.FramesB64 != nil:
		if len(b.FramesB64) == 0 || len(b.FramesB64) > lim.MaxBurstFrames {
			return nil, false, 0, fmt.Errorf("%w: %d frames in a burst", ErrBody, len(b.FramesB64))
		}
		if b.IntervalMS == nil || *b.IntervalMS < lim.MinIntervalMS || *b.IntervalMS > lim.MaxIntervalMS {
			return nil, false, 0, fmt.Errorf("%w: interval_ms missing or out of range", ErrBody)
		}
		raw, burst, intervalMS = b.FramesB64, true, *b.IntervalMS
	default:
		return nil, false, 0, fmt.Errorf("%w: need exactly one of frame_b64 and frames_b64", ErrBody)
	}
	for i, s := range raw {
		if base64.StdEncoding.DecodedLen(len(s)) > lim.MaxFrameBytes+2 {
			return nil, false, 0, fmt.Errorf("%w %d: larger than %d bytes", ErrFrame, i, lim.MaxFrameBytes)
		}
		jpg, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, false, 0, fmt.Errorf("%w %d: not base64: %v", ErrFrame, i, err)
		}
		if len(jpg) > lim.MaxFrameBytes {
			return nil, false, 0, fmt.Errorf("%w %d: larger than %d bytes", ErrFrame, i, lim.MaxFrameBytes)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(jpg))
		if err != nil || format != "jpeg" {
			return nil, false, 0, fmt.Errorf("%w %d: not a JPEG", ErrFrame, i)
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > lim.MaxFramePixels {
			return nil, false, 0, fmt.Errorf("%w %d: %dx%d", ErrFrame, i, cfg.Width, cfg.Height)
		}
		frames = append(frames, Frame{JPEG: jpg, Width: cfg.Width, Height: cfg.Height})
	}
	return frames, burst, intervalMS, nil
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, limits.Default().MaxBodyBytes))

	s.mu.Lock()
	ss := s.lookup(w, r)
	if ss == nil {
		s.mu.Unlock()
		return
	}
	now := s.now()
	ss.seq++
	sub := Submission{SessionID: ss.id, Seq: ss.seq, Received: now, ChallengeIndex: ss.index}
	if ss.index < len(ss.challenges) {
		sub.Challenge = ss.challenges[ss.index]
	}
	record := func(status int) {
		sub.Status = status
		ss.subs = append(ss.subs, sub)
	}

	switch {
	case ss.status == StatusExpired:
		record(http.StatusGone)
		s.mu.Unlock()
		writeError(w, http.StatusGone, "session expired")
		return
	case ss.status != StatusPending:
		record(http.StatusConflict)
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "session is "+ss.status)
		return
	case consentPending(ss):
		record(http.StatusConflict)
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "consent required: accept the session's consent text before sending frames")
		return
	}

	// Rate limit: at most limit submissions per window.
	cut := 0
	for cut < len(ss.recent) && now.Sub(ss.recent[cut]) >= s.window {
		cut++
	}
	ss.recent = ss.recent[cut:]
	if s.limit > 0 && len(ss.recent) >= s.limit {
		wait := s.window - now.Sub(ss.recent[0])
		record(http.StatusTooManyRequests)
		s.mu.Unlock()
		w.Header().Set("Retry-After", fmt.Sprint(retrySeconds(wait)))
		writeError(w, http.StatusTooManyRequests, "too many frames")
		return
	}
	ss.recent = append(ss.recent, now)

	var err error
	if readErr != nil {
		err = fmt.Errorf("%w: %v", ErrBody, readErr)
	} else {
		sub.Frames, sub.Burst, sub.IntervalMS, err = ParseVerifyBody(body)
	}
	if err != nil {
		record(http.StatusBadRequest)
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	ss.challengeSeq++
	sub.ChallengeSeq = ss.challengeSeq
	d := s.judge(sub)
	sub.Judged, sub.Decision = true, d

	var (
		status = http.StatusOK
		answer map[string]any
		header = map[string]string{}
	)
	switch d.Outcome {
	case Pass:
		ss.index++
		ss.challengeSeq = 0
		ss.challengeAt = now
		if ss.index >= len(ss.challenges) {
			ss.status = StatusPassed
			ss.score = d.Score
			if ss.score == 0 {
				ss.score = 0.97
			}
			answer = map[string]any{
				"challenge_passed": true, "session_status": StatusPassed, "score": ss.score,
				"liveness_verified": true, "verdict": "PASS", "message": "Liveness verified successfully",
			}
		} else {
			next := ss.challenges[ss.index]
			answer = map[string]any{
				"challenge_passed": true, "session_status": StatusPending, "next_challenge": next,
				"challenge_index": ss.index, "total_challenges": len(ss.challenges),
				"message": "Great! Now: " + next, "face_detected": true, "hint": "passed", "feedback": "",
			}
			s.timing(ss, answer)
		}
	case Fail:
		ss.status = StatusFailed
		ss.reason = d.Reason
		if ss.reason == "" {
			ss.reason = "spoof_detected"
		}
		answer = map[string]any{
			"challenge_passed": false, "session_status": StatusFailed, "reason": ss.reason,
			"message": "Liveness check failed — please use a live camera",
		}
		s.timing(ss, answer)
	case Throttle:
		status = http.StatusTooManyRequests
		header["Retry-After"] = fmt.Sprint(retrySeconds(d.RetryAfter))
		answer = map[string]any{"error": "too many frames"}
	case Drop:
		status = 0
	case Cut:
		status = -1
	case Error:
		status = d.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		answer = map[string]any{"error": "analysis unavailable"}
	default:
		answer = map[string]any{
			"challenge_passed": false, "face_detected": d.FaceDetected, "session_status": StatusPending,
			"current_challenge": sub.Challenge, "confidence": d.Confidence,
			"message": "Challenge not passed yet — keep trying", "hint": d.Hint, "feedback": "",
		}
		if d.Feedback != "" {
			answer["feedback"] = d.Feedback
		}
		s.timing(ss, answer)
	}
	record(status)
	s.mu.Unlock()
	s.log.Debug("verify", "session", sub.SessionID, "seq", sub.Seq, "challenge", sub.Challenge,
		"frames", len(sub.Frames), "burst", sub.Burst, "outcome", d.Outcome.String(), "status", status)

	switch status {
	case 0:
		drop(w)
		return
	case -1:
		cutShort(w)
		return
	}
	for k, v := range header {
		w.Header().Set(k, v)
	}
	writeJSON(w, status, answer)
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// cutShort answers 200 with a body shorter than its Content-Length, then
// aborts the connection.
func cutShort(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "200")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"challenge_passed":fal`)
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler)
}

func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
