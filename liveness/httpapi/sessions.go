package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// maxSmallBody bounds the bodies of requests that carry no frames.
const maxSmallBody = 64 << 10

// maxCreateBody bounds POST /v1/sessions, which may carry a reference
// photo (reference_image_b64).
const maxCreateBody = 8 << 20

// Limits of create-session fields.
const (
	maxReferenceID = 256
	maxURLLen      = 2048
	maxConsentText = 16 << 10
)

// createRequest is the body of POST /v1/sessions.
type createRequest struct {
	ChallengeCount *int     `json:"challenge_count"`
	Challenges     []string `json:"challenges"`
	ReferenceID    string   `json:"reference_id"`
	WebhookURL     string   `json:"webhook_url"`
	RedirectURL    string   `json:"redirect_url"`
	TTLSeconds     *int     `json:"ttl_seconds"`
	ParentOrigin   string   `json:"parent_origin"`
	Mirrored       bool     `json:"mirrored"`
	ConsentText    string   `json:"consent_text"`
	RetryURL       string   `json:"retry_url"`
	Theme          *theme   `json:"theme"`
	Messages       messages `json:"messages"`
	// ReferenceImageB64 is a JPEG or PNG photo of the expected person;
	// ReferenceImageID names one registered with POST /v1/reference-images.
	ReferenceImageB64 string `json:"reference_image_b64"`
	ReferenceImageID  string `json:"reference_image_id"`
}

// messages replaces strings of the hosted page: language tag -> key -> text.
type messages map[string]map[string]string

// Limits of messages.
const (
	maxMessageLangs = 12
	maxMessageKeys  = 200
	maxMessageText  = 2000
)

var (
	langTag    = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$`)
	messageKey = regexp.MustCompile(`^[A-Za-z0-9_.]{1,64}$`)
)

// privacy is what the hosted page's privacy line is generated from.
type privacy struct {
	// EvidenceRetentionDays is how many days evidence frames are kept after
	// the session ends; null: without a time limit.
	EvidenceRetentionDays *int `json:"evidence_retention_days"`
}

// theme is the hosted page's colours (liveness.Theme), CSS hex colours.
type theme struct {
	Accent     string `json:"accent,omitempty"`
	AccentText string `json:"accent_text,omitempty"`
	Background string `json:"background,omitempty"`
	Surface    string `json:"surface,omitempty"`
	Text       string `json:"text,omitempty"`
}

// createResponse is the 201 answer of POST /v1/sessions.
type createResponse struct {
	SessionID        string   `json:"session_id"`
	Status           string   `json:"status"`
	Challenges       []string `json:"challenges"`
	CurrentChallenge *string  `json:"current_challenge"`
	ChallengeIndex   int      `json:"challenge_index"`
	TotalChallenges  int      `json:"total_challenges"`
	ExpiresInSeconds int      `json:"expires_in_seconds"`
	ExpiresAt        string   `json:"expires_at"`
	HostedURL        string   `json:"hosted_url"`
	ClientToken      string   `json:"client_token"`
	ReferenceID      string   `json:"reference_id,omitempty"`
}

// sessionView is GET /v1/sessions/{id}. A client token sees the fields the
// hosted page needs; an API key sees the rest too.
type sessionView struct {
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
	// For the hosted page: the consent to accept before the camera starts,
	// where "Try again" leads, the colours, and what the server keeps
	// (absent when the server does not declare it).
	ConsentText string   `json:"consent_text,omitempty"`
	RetryURL    string   `json:"retry_url,omitempty"`
	Theme       *theme   `json:"theme,omitempty"`
	Messages    messages `json:"messages,omitempty"`
	Privacy     *privacy `json:"privacy,omitempty"`
	// ConsentAcceptedAt is when POST /v1/sessions/{id}/consent recorded
	// the subject's acceptance (absent before; frames are refused then).
	ConsentAcceptedAt *string `json:"consent_accepted_at,omitempty"`
	challengeTiming

	// API key only.
	*privateView
}

type privateView struct {
	ReferenceID  string   `json:"reference_id,omitempty"`
	WebhookURL   string   `json:"webhook_url,omitempty"`
	Score        *float64 `json:"score"`
	Verdict      *string  `json:"verdict"`
	Reason       *string  `json:"reason"`
	ModelVersion string   `json:"model_version"`
	Frames       int      `json:"frames"`
	EvidenceHash string   `json:"evidence_hash,omitempty"`
	ConsentHash  string   `json:"consent_hash,omitempty"`
	CreatedAt    string   `json:"created_at"`
	ExpiresAt    string   `json:"expires_at"`
	CompletedAt  *string  `json:"completed_at"`
	// Match is the comparison with the reference photo (verify.go).
	Match *liveness.Match `json:"match,omitempty"`
}

// resultView is GET /v1/sessions/{id}/result.
type resultView struct {
	SessionID    string   `json:"session_id"`
	Status       string   `json:"status"`
	Verdict      *string  `json:"verdict"`
	Confidence   *float64 `json:"confidence"`
	Reason       *string  `json:"reason"`
	ModelVersion string   `json:"model_version"`
	EvidenceHash string   `json:"evidence_hash,omitempty"`
	// EvidenceURL is a time-limited signed link to the evidence bundle.
	EvidenceURL        string            `json:"evidence_url,omitempty"`
	EvidenceURLExpires string            `json:"evidence_url_expires,omitempty"`
	ReviewedBy         string            `json:"reviewed_by,omitempty"`
	ReferenceID        string            `json:"reference_id,omitempty"`
	Passed             []passedChallenge `json:"passed_challenges"`
	Frames             int               `json:"frames"`
	CompletedAt        *string           `json:"completed_at"`
	Match              *liveness.Match   `json:"match,omitempty"`
	// AttackSignals names the evidence of a spoof failure.
	AttackSignals []string `json:"attack_signals,omitempty"`
}

type passedChallenge struct {
	Challenge  string  `json:"challenge"`
	Confidence float64 `json:"confidence"`
}

func (h *Handler) createSession(w http.ResponseWriter, r *http.Request) {
	key, err := h.callerKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req createRequest
	if err := decodeJSON(w, r, maxCreateBody, &req, true); err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := h.createOptions(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts.Owner = key.TenantID()
	c, err := h.engine.Create(r.Context(), opts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.metrics.sessionCreated()
	s := c.Session
	base := h.cfg.publicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	resp := createResponse{
		SessionID:        s.ID,
		Status:           string(s.Status),
		Challenges:       names(s.Challenges),
		CurrentChallenge: current(s),
		ChallengeIndex:   s.Index,
		TotalChallenges:  len(s.Challenges),
		ExpiresInSeconds: h.expiresIn(s),
		ExpiresAt:        s.ExpiresAt.UTC().Format(time.RFC3339),
		HostedURL:        base + "/check?s=" + url.QueryEscape(s.ID) + "&t=" + url.QueryEscape(c.ClientToken),
		ClientToken:      c.ClientToken,
		ReferenceID:      s.ReferenceID,
	}
	w.Header().Set("Location", "/v1/sessions/"+s.ID)
	writeJSON(w, http.StatusCreated, resp)
}

// createOptions validates a create request.
func (h *Handler) createOptions(req *createRequest) (liveness.CreateOptions, error) {
	var o liveness.CreateOptions
	bad := func(format string, args ...any) (liveness.CreateOptions, error) {
		return o, errorf(http.StatusBadRequest, fmt.Sprintf(format, args...))
	}
	distinct := map[challenge.ID]bool{}
	for _, name := range req.Challenges {
		id, err := challenge.ParseID(name)
		if err != nil {
			return bad("challenges: unknown challenge %q (one of %s)", clip(name, 40), strings.Join(names(challenge.IDs()), ", "))
		}
		o.Challenges = append(o.Challenges, id)
		distinct[id] = true
	}
	switch {
	case req.ChallengeCount != nil:
		if lim := h.cfg.limits; *req.ChallengeCount < lim.MinChallenges || *req.ChallengeCount > lim.MaxChallenges {
			return o, outOfRange("challenge_count", lim.MinChallenges, lim.MaxChallenges)
		}
		o.ChallengeCount = *req.ChallengeCount
		if len(distinct) == 1 && o.ChallengeCount > 1 {
			return bad("challenge_count must be 1 when challenges allows a single challenge (no challenge repeats in a row)")
		}
	case len(distinct) == 1:
		o.ChallengeCount = 1
	}
	if err := checkText("reference_id", req.ReferenceID, maxReferenceID); err != nil {
		return o, err
	}
	o.ReferenceID = req.ReferenceID
	if req.WebhookURL != "" {
		if h.cfg.webhooks == nil {
			return bad("webhook_url: webhooks are not configured on this server")
		}
		if len(req.WebhookURL) > maxURLLen {
			return bad("webhook_url: longer than %d bytes", maxURLLen)
		}
		if err := h.cfg.webhooks.CheckURL(req.WebhookURL); err != nil {
			hint := ""
			if errors.Is(err, outbox.ErrInsecureURL) || errors.Is(err, outbox.ErrForbiddenAddress) {
				hint = "; for local testing, the reference server accepts http and private addresses with -webhook-allow-private"
			}
			return bad("webhook_url: %s%s", webhookText(err), hint)
		}
		o.WebhookURL = req.WebhookURL
	}
	if req.RedirectURL != "" {
		u, err := url.Parse(req.RedirectURL)
		if err != nil || len(req.RedirectURL) > maxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return bad("redirect_url must be an absolute http or https URL")
		}
		o.RedirectURL = u.String()
	}
	if req.ParentOrigin != "" {
		origin, ok := parseOrigin(req.ParentOrigin)
		if !ok {
			return bad("parent_origin must be an origin such as https://app.example.com")
		}
		o.ParentOrigin = origin
	}
	if req.TTLSeconds != nil {
		if lim := h.cfg.limits; *req.TTLSeconds < int(lim.MinTTL/time.Second) || *req.TTLSeconds > int(lim.MaxTTL/time.Second) {
			return o, outOfRange("ttl_seconds", int(lim.MinTTL/time.Second), int(lim.MaxTTL/time.Second))
		}
		o.TTL = time.Duration(*req.TTLSeconds) * time.Second
	}
	if len(req.ConsentText) > maxConsentText || !utf8.ValidString(req.ConsentText) {
		return bad("consent_text: at most %d bytes of UTF-8 text", maxConsentText)
	}
	o.ConsentText = req.ConsentText
	if req.RetryURL != "" {
		u, err := url.Parse(req.RetryURL)
		if err != nil || len(req.RetryURL) > maxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return bad("retry_url must be an absolute http or https URL")
		}
		o.RetryURL = u.String()
	}
	if t := req.Theme; t != nil {
		for _, f := range []struct{ name, v string }{{"accent", t.Accent}, {"accent_text", t.AccentText}, {"background", t.Background}, {"surface", t.Surface}, {"text", t.Text}} {
			if f.v != "" && !hexColor(f.v) {
				return bad("theme.%s must be a CSS hex colour such as #1f5fd1", f.name)
			}
		}
		o.Theme = liveness.Theme(*t)
	}
	if len(req.Messages) > maxMessageLangs {
		return bad("messages: at most %d languages", maxMessageLangs)
	}
	for lang, texts := range req.Messages {
		if !langTag.MatchString(lang) {
			return bad("messages: %q is not a language tag such as de or pt-BR", clip(lang, 40))
		}
		if len(texts) > maxMessageKeys {
			return bad("messages.%s: at most %d strings", lang, maxMessageKeys)
		}
		for k, v := range texts {
			if !messageKey.MatchString(k) {
				return bad("messages.%s: %q is not a string key such as intro.start", lang, clip(k, 40))
			}
			if len(v) > maxMessageText || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
				return bad("messages.%s.%s: at most %d bytes of printable UTF-8 text", lang, k, maxMessageText)
			}
		}
	}
	o.Messages = req.Messages
	o.Mirrored = req.Mirrored
	if req.ReferenceImageB64 != "" {
		img, err := decodeB64(req.ReferenceImageB64)
		if err != nil {
			return bad("reference_image_b64: send plain base64 of a JPEG or PNG image")
		}
		o.ReferenceImage = img
	}
	if err := checkText("reference_image_id", req.ReferenceImageID, 64); err != nil {
		return o, err
	}
	o.ReferenceImageID = req.ReferenceImageID
	return o, nil
}

// hexColor reports whether s is #rgb, #rgba, #rrggbb or #rrggbbaa.
func hexColor(s string) bool {
	if len(s) != 4 && len(s) != 5 && len(s) != 7 && len(s) != 9 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// checkText rejects over-long, invalid UTF-8 and control characters.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return errorf(http.StatusBadRequest, fmt.Sprintf("%s: longer than %d bytes", field, max))
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return errorf(http.StatusBadRequest, field+": must be printable UTF-8 text")
	}
	return nil
}

// parseOrigin returns scheme://host[:port] of an http(s) origin.
func parseOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.ContainsAny(s, " \t\r\n;,'\"") {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) {
	s, acc, err := h.sessionAccess(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.view(s, acc))
}

func (h *Handler) view(s *liveness.Session, acc access) sessionView {
	v := sessionView{
		SessionID:        s.ID,
		Status:           string(s.Status),
		Challenges:       names(s.Challenges),
		CurrentChallenge: current(s),
		ChallengeIndex:   s.Index,
		TotalChallenges:  len(s.Challenges),
		ExpiresInSeconds: h.expiresIn(s),
		RedirectURL:      s.RedirectURL,
		ParentOrigin:     s.ParentOrigin,
		Mirrored:         s.Mirrored,
		ConsentText:      s.ConsentText,
		RetryURL:         s.RetryURL,
		Messages:         s.Messages,
		challengeTiming:  timing(s, h.cfg.now()),
	}
	v.ConsentAcceptedAt = consentAcceptedAt(s) // consent.go
	if s.Theme != (liveness.Theme{}) {
		t := theme(s.Theme)
		v.Theme = &t
	}
	if r := h.cfg.evidenceRetention; r != nil {
		v.Privacy = &privacy{}
		if *r > 0 {
			days := int(math.Ceil(r.Hours() / 24))
			v.Privacy.EvidenceRetentionDays = &days
		}
	}
	if acc != accessKey {
		return v
	}
	p := &privateView{
		ReferenceID:  s.ReferenceID,
		WebhookURL:   s.WebhookURL,
		ModelVersion: s.ModelVersion,
		Frames:       s.Frames,
		EvidenceHash: s.EvidenceHash,
		ConsentHash:  s.ConsentHash,
		CreatedAt:    s.CreatedAt.UTC().Format(time.RFC3339),
		ExpiresAt:    s.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if s.Status.Final() {
		score := s.Score
		verdict := string(s.Verdict)
		p.Score, p.Verdict = &score, &verdict
		if s.Reason != "" {
			reason := s.Reason
			p.Reason = &reason
		}
		if !s.CompletedAt.IsZero() {
			at := s.CompletedAt.UTC().Format(time.RFC3339)
			p.CompletedAt = &at
		}
	}
	p.Match = s.Match
	v.privateView = p
	return v
}

func (h *Handler) result(w http.ResponseWriter, r *http.Request) {
	s, err := h.ownedSession(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.resultOf(s))
}

// resultOf is the result view of a session.
func (h *Handler) resultOf(s *liveness.Session) resultView {
	v := resultView{
		SessionID:    s.ID,
		Status:       string(s.Status),
		ModelVersion: s.ModelVersion,
		EvidenceHash: s.EvidenceHash,
		ReferenceID:  s.ReferenceID,
		Frames:       s.Frames,
		Passed:       []passedChallenge{},
		ReviewedBy:   s.ReviewedBy,
	}
	v.EvidenceURL, v.EvidenceURLExpires = h.evidenceLink(s)
	v.Match = s.Match
	for _, p := range s.Passed {
		v.Passed = append(v.Passed, passedChallenge{Challenge: p.Challenge.String(), Confidence: p.Confidence})
	}
	if s.Status.Final() {
		verdict, score := string(s.Verdict), s.Score
		v.Verdict, v.Confidence = &verdict, &score
		if s.Reason != "" {
			reason := s.Reason
			v.Reason = &reason
		}
		v.AttackSignals = s.AttackSignals
		if !s.CompletedAt.IsZero() {
			at := s.CompletedAt.UTC().Format(time.RFC3339)
			v.CompletedAt = &at
		}
	}
	return v
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	s, acc, err := h.sessionAccess(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s.Status.Final() {
		h.fail(w, r, &liveness.StateError{Status: s.Status})
		return
	}
	h.tokens.drop(s.ID)
	s, err = h.engine.Cancel(r.Context(), s.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s.Status == liveness.StatusExpired {
		h.fail(w, r, liveness.ErrExpired)
		return
	}
	writeJSON(w, http.StatusOK, h.view(s, acc))
}

// expiresIn is the whole seconds left, rounded up, never negative.
func (h *Handler) expiresIn(s *liveness.Session) int {
	if s.Status.Final() {
		return 0
	}
	left := s.ExpiresAt.Sub(h.cfg.now())
	if left <= 0 {
		return 0
	}
	return int(math.Ceil(left.Seconds()))
}

func names(ids []challenge.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// current is the current challenge's name, nil when none remains.
func current(s *liveness.Session) *string {
	if s.Status.Final() || s.Index >= len(s.Challenges) {
		return nil
	}
	c := s.Challenges[s.Index].String()
	return &c
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// decodeJSON reads a JSON object body of at most limit bytes into v,
// whatever the Content-Type (clients such as curl send form types by
// default; credentials travel in headers, so there is no form-posting risk
// to guard against). An empty body is an empty object when allowEmpty.
// Errors are 400s with a message naming the problem; a field v does not
// have is refused by name, so a typo never passes silently.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, allowEmpty bool) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && allowEmpty {
		return nil
	}
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			var mbe *http.MaxBytesError
			if errors.As(err2, &mbe) {
				err = err2
			} else {
				return errorf(http.StatusBadRequest, "invalid JSON: data after the object")
			}
		}
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errorf(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (limit %d bytes)", limit))
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "request body is empty: a JSON object is required")
	case errors.As(err, &te):
		if te.Field == "" {
			return errorf(http.StatusBadRequest, "the body must be a JSON object")
		}
		return errorf(http.StatusBadRequest, fmt.Sprintf("%s: must be %s", te.Field, jsonKind(te.Type.Kind().String())))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid JSON: "+err.Error())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if field == `"metadata"` {
			return errorf(http.StatusBadRequest, "metadata: not supported; this server stores no integrator data besides reference_id (keep yours keyed by reference_id or session_id)")
		}
		return errorf(http.StatusBadRequest, "unknown field "+field+" (see /openapi.yaml)")
	}
	return errorf(http.StatusBadRequest, "invalid JSON: "+err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "slice":
		return "an array"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
