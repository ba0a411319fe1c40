package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/limits"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// apiError is an error of the API layer itself (a malformed request, a
// missing key), with its HTTP status and public message.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, msg string) error { return &apiError{status: status, msg: msg} }

// Public messages of the mapped errors.
const (
	msgNotFound    = "Session not found"
	msgExpired     = "Session expired"
	msgUnavailable = "Analysis engine unavailable"
	msgRetry       = "service unavailable, try again"
	msgInternal    = "internal error"
)

// wording is the HTTP status and public message of one engine error code.
type wording struct {
	status int
	text   func(e *liveness.Error) string
}

// outOfRange is the error of a request field outside [min, max], worded
// by engineErrors like the engine's own.
func outOfRange(field string, min, max int) error {
	return &liveness.Error{Code: liveness.CodeBadRequest, Field: field, Min: int64(min), Max: int64(max)}
}

func fixed(msg string) func(*liveness.Error) string {
	return func(*liveness.Error) string { return msg }
}

// engineErrors is the one table of the engine's error codes: the HTTP
// status and the public message of each. The engine returns codes and
// details (liveness.Error); every word a client reads is here.
var engineErrors = map[liveness.Code]wording{
	liveness.CodeNotFound:   {http.StatusNotFound, fixed(msgNotFound)},
	liveness.CodeExpired:    {http.StatusGone, fixed(msgExpired)},
	liveness.CodeNotPending: {http.StatusConflict, func(e *liveness.Error) string { return fmt.Sprintf("Session is already '%s'", e.Status) }},
	liveness.CodeBadRequest: {http.StatusBadRequest, fieldText},
	liveness.CodeBadFrame: {http.StatusBadRequest, func(e *liveness.Error) string {
		return fmt.Sprintf("bad frame: frame %d: %s", e.Frame, imageText(e.Err))
	}},
	liveness.CodeNoFrames:        {http.StatusBadRequest, fixed("no frames")},
	liveness.CodeNotInReview:     {http.StatusConflict, fixed("Session is not awaiting manual review")},
	liveness.CodeTooManyFailures: {http.StatusTooManyRequests, fixed("too many failed sessions for this reference_id; try again later")},
	liveness.CodeUnavailable:     {http.StatusBadGateway, fixed(msgUnavailable)},
	liveness.CodeInvalidToken:    {http.StatusUnauthorized, fixed(msgBadToken)},
	liveness.CodeConflict:        {http.StatusServiceUnavailable, fixed(msgRetry)},
	liveness.CodeConsentRequired: {http.StatusConflict, fixed("consent required: accept the session's consent text before sending frames")},
	liveness.CodeInternal:        {http.StatusInternalServerError, fixed(msgInternal)},
}

// fieldText words a bad request about e.Field.
func fieldText(e *liveness.Error) string {
	switch e.Field {
	case "challenge_count":
		return fmt.Sprintf("challenge_count must be between %d and %d", e.Min, e.Max)
	case "ttl_seconds":
		return fmt.Sprintf("ttl_seconds must be between %d and %d", e.Min, e.Max)
	case "interval_ms":
		return fmt.Sprintf("interval_ms must be between %d and %d", e.Min, e.Max)
	case "frames", "frames_b64":
		return fmt.Sprintf("frames_b64: at most %d frames per request", e.Max)
	case "challenges":
		switch {
		case errors.Is(e.Err, challenge.ErrUnknownID):
			return "challenges: unknown challenge"
		case errors.Is(e.Err, challenge.ErrLength):
			lim := limits.Default()
			return fmt.Sprintf("challenge_count must be between %d and %d", lim.MinChallenges, lim.MaxChallenges)
		}
		return "challenges: the allowed challenges cannot make this sequence"
	case "sequence":
		return "sequence: not a valid challenge sequence"
	case "reference_image":
		switch {
		case errors.Is(e.Err, face.ErrNoFace):
			return "reference image: no face found"
		case errors.Is(e.Err, face.ErrManyFaces):
			return "reference image: more than one face"
		}
		return "reference image: " + imageText(e.Err)
	case "reference_image_id":
		if errors.Is(e.Err, liveness.ErrBothReferences) {
			return "give a reference image or a reference image id, not both"
		}
		return "reference_image_id: unknown reference"
	case "consent_hash":
		return "consent_hash does not match the session's consent text"
	case "consent":
		return "the session has no consent text"
	case "decision":
		return `decision must be "PASS" or "FAIL"`
	case "reviewer":
		return "reviewer is required"
	}
	return e.Field + ": invalid"
}

// imageText words why an image could not be decoded.
func imageText(err error) string {
	switch {
	case errors.Is(err, face.ErrImageTooLarge):
		return "image too large"
	case errors.Is(err, face.ErrTooComplex):
		return "image too costly to decode"
	case errors.Is(err, face.ErrUnsupportedFormat):
		return "unsupported image format (want JPEG or PNG)"
	case errors.Is(err, face.ErrEmptyImage):
		return "empty image"
	}
	return "corrupt image"
}

// webhookText words why a webhook endpoint was refused.
func webhookText(err error) string {
	switch {
	case errors.Is(err, liveness.ErrNoTenantEndpoint):
		return "no webhook endpoint is registered for this key's tenant"
	case errors.Is(err, liveness.ErrNotTenantEndpoint):
		return "url is not the webhook endpoint registered for this key's tenant"
	case errors.Is(err, outbox.ErrInsecureURL):
		return "not an https URL with a host (https required)"
	case errors.Is(err, outbox.ErrForbiddenAddress):
		return "the host is a loopback, private or otherwise reserved address"
	case errors.Is(err, webhook.ErrNoSecret):
		return "no webhook secret is configured"
	}
	return "invalid webhook endpoint"
}

// statusOf maps an error to its HTTP status, code and public message: the
// one place where engine, webhook and request errors become status codes.
// Unknown errors are 500 and their text is not shown.
func statusOf(err error) (int, string, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, codeOfStatus(ae.status), ae.msg
	}
	switch {
	case errors.Is(err, outbox.ErrInsecureURL), errors.Is(err, outbox.ErrForbiddenAddress),
		errors.Is(err, webhook.ErrNoSecret), errors.Is(err, outbox.ErrBadEndpoint):
		return http.StatusBadRequest, codeOfStatus(http.StatusBadRequest), webhookText(err)
	case errors.Is(err, outbox.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, string(liveness.CodeUnavailable), msgRetry
	}
	code := liveness.CodeOf(err)
	e := &liveness.Error{Code: code}
	var se *liveness.StateError
	if !errors.As(err, &e) && errors.As(err, &se) {
		e.Status = se.Status
	}
	w := engineErrors[code]
	if w.text == nil {
		w = engineErrors[liveness.CodeInternal]
		code = liveness.CodeInternal
	}
	status := w.status
	if code == liveness.CodeBadFrame && errors.Is(err, face.ErrImageTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	return status, string(code), w.text(e)
}

// codeOfStatus is the "code" of an error the API layer answers itself.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return string(liveness.CodeNotFound)
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return string(liveness.CodeNotPending)
	case http.StatusGone:
		return "gone"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return string(liveness.CodeUnavailable)
	}
	return string(liveness.CodeInternal)
}

// fail writes err as a JSON error; 5xx errors are logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, ecode, msg := statusOf(err)
	var tf *liveness.TooManyFailuresError
	if errors.As(err, &tf) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(tf.RetryAfter.Seconds())))))
	}
	if code >= 500 && r.Context().Err() == nil {
		h.cfg.logger.LogAttrs(r.Context(), slog.LevelError, "httpapi: request failed",
			slog.String("path", r.URL.Path), slog.Int("status", code), slog.String("err", err.Error()),
			slog.String("request_id", RequestID(r.Context())))
	}
	writeJSON(w, code, errorBody{Error: msg, Code: ecode})
}

// writeError writes {"error": msg, "code": ...} for an error the API
// layer answers itself.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg, Code: codeOfStatus(code)})
}

// errorBody is the JSON of every error answer: the public message and a
// stable code (liveness.Code values for engine errors, the API layer's
// own otherwise; see openapi.yaml).
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeJSON writes v as the JSON body, without HTML escaping: URLs keep
// their "&" (hosted_url pasted from curl output works), and the body is
// served as application/json with nosniff, never as HTML.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte("{\"error\":\"internal error\"}\n")
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
	} else {
		b = buf.Bytes()
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b)
}
