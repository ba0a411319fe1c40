package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/webhook"
)

// apiError is an error with its HTTP status and public message.
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
	msgInternal    = "internal error"
)

// statusOf maps an error to its HTTP status and public message: the one
// place where engine, webhook and request errors become status codes.
// Unknown errors are 500 and their text is not shown.
func statusOf(err error) (int, string) {
	var ae *apiError
	var se *liveness.StateError
	var tf *liveness.TooManyFailuresError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.As(err, &tf):
		return http.StatusTooManyRequests, "too many failed sessions for this reference_id; try again later"
	case errors.As(err, &se):
		if se.Status == liveness.StatusExpired {
			return http.StatusGone, msgExpired
		}
		return http.StatusConflict, se.Error()
	case errors.Is(err, liveness.ErrNotFound):
		return http.StatusNotFound, msgNotFound
	case errors.Is(err, liveness.ErrExpired):
		return http.StatusGone, msgExpired
	case errors.Is(err, liveness.ErrConsentRequired):
		return http.StatusConflict, publicText(err)
	case errors.Is(err, face.ErrImageTooLarge):
		return http.StatusRequestEntityTooLarge, publicText(err)
	case errors.Is(err, liveness.ErrBadFrame), errors.Is(err, liveness.ErrNoFrames), errors.Is(err, liveness.ErrBadRequest):
		return http.StatusBadRequest, publicText(err)
	case errors.Is(err, liveness.ErrUnavailable):
		return http.StatusBadGateway, msgUnavailable
	case errors.Is(err, webhook.ErrInsecureURL), errors.Is(err, webhook.ErrForbiddenAddress),
		errors.Is(err, webhook.ErrNoSecret), errors.Is(err, webhook.ErrBadEndpoint):
		return http.StatusBadRequest, publicText(err)
	case errors.Is(err, webhook.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "service unavailable, try again"
	}
	return http.StatusInternalServerError, msgInternal
}

// publicText strips the package prefixes of an error's text.
func publicText(err error) string {
	s := err.Error()
	for _, p := range []string{"liveness: ", "webhook: ", "face: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// fail writes err as a JSON error; 5xx errors are logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := statusOf(err)
	var tf *liveness.TooManyFailuresError
	if errors.As(err, &tf) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(tf.RetryAfter.Seconds())))))
	}
	if code >= 500 && r.Context().Err() == nil {
		h.cfg.logger.LogAttrs(r.Context(), slog.LevelError, "httpapi: request failed",
			slog.String("path", r.URL.Path), slog.Int("status", code), slog.String("err", err.Error()),
			slog.String("request_id", RequestID(r.Context())))
	}
	writeError(w, code, msg)
}

// writeError writes {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

type errorBody struct {
	Error string `json:"error"`
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
