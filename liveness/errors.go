package liveness

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openliveness/openliveness/liveness/outbox"
)

// Code says what kind of failure an engine error is. The engine returns
// codes and details, never wording for end users: liveness/httpapi maps
// every code to an HTTP status and its public message.
type Code string

// Codes of engine errors. CodeOf classifies any error; errors it does not
// know are CodeInternal.
const (
	CodeInternal        Code = "internal"
	CodeNotFound        Code = "not_found"         // no such session (or not the caller's)
	CodeExpired         Code = "expired"           // the session expired
	CodeNotPending      Code = "not_pending"       // the session has ended; Error.Status says how
	CodeBadRequest      Code = "bad_request"       // a parameter is invalid; Error.Field names it
	CodeBadFrame        Code = "bad_frame"         // a frame could not be decoded; Error.Frame, Error.Err the cause
	CodeNoFrames        Code = "no_frames"         // a submission without frames
	CodeNotInReview     Code = "not_in_review"     // Review of a session not awaiting review
	CodeTooManyFailures Code = "too_many_failures" // the reference id failed too often; Error.RetryAfter
	CodeUnavailable     Code = "unavailable"       // the analysis models could not run
	CodeInvalidToken    Code = "invalid_token"     // a wrong client token
	CodeConflict        Code = "conflict"          // the session kept changing concurrently
	CodeConsentRequired Code = "consent_required"  // frames before the session's consent was accepted
)

// Causes of CodeBadRequest errors about references.
var (
	ErrUnknownReference = errors.New("liveness: unknown reference")
	ErrBothReferences   = errors.New("liveness: reference_image and reference_image_id exclude each other")
)

// Errors of TestWebhook for a key whose tenant has an endpoint of its own;
// both match outbox.ErrBadEndpoint.
var (
	ErrNoTenantEndpoint  = fmt.Errorf("%w: no endpoint is registered for the tenant", outbox.ErrBadEndpoint)
	ErrNotTenantEndpoint = fmt.Errorf("%w: url is not the endpoint registered for the tenant", outbox.ErrBadEndpoint)
)

// Error is an engine error as data: a code and the details that go with
// it. Match it with errors.As, CodeOf, or errors.Is against the sentinel
// of its code (ErrBadRequest, ErrBadFrame, ErrNotPending, ErrExpired,
// ErrNotFound, ErrUnavailable, ErrNoFrames, ErrInvalidToken). An Error is
// not changed after it is returned.
type Error struct {
	Code Code
	// Status is the session's status (CodeNotPending).
	Status Status
	// Field names the request parameter at fault (CodeBadRequest), as in
	// the REST API: "ttl_seconds", "challenge_count", "interval_ms", "frames",
	// "challenges", "sequence", "reference_image", "reference_image_id",
	// "decision", "reviewer".
	Field string
	// Min and Max are the allowed range of Field when it is out of range
	// (seconds for ttl_seconds, milliseconds for interval_ms, counts otherwise).
	Min, Max int64
	// Frame is the 1-based position of the bad frame in its request
	// (CodeBadFrame).
	Frame int
	// RetryAfter is how long to wait (CodeTooManyFailures).
	RetryAfter time.Duration
	// Err is the cause, if any (a face decoding error for a bad frame,
	// face.ErrNoFace for a reference image without a face ...).
	Err error
}

// Error returns a text for developers and logs (not for end users).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("liveness: ")
	b.WriteString(string(e.Code))
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
		if e.Min != 0 || e.Max != 0 {
			fmt.Fprintf(&b, " not in [%d, %d]", e.Min, e.Max)
		}
	}
	if e.Frame > 0 {
		fmt.Fprintf(&b, ": frame %d", e.Frame)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ": retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, sentinel) true for the sentinel of e's code.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && target == s
}

var sentinels = map[Code]error{
	CodeNotFound:        ErrNotFound,
	CodeExpired:         ErrExpired,
	CodeNotPending:      ErrNotPending,
	CodeBadRequest:      ErrBadRequest,
	CodeBadFrame:        ErrBadFrame,
	CodeNoFrames:        ErrNoFrames,
	CodeUnavailable:     ErrUnavailable,
	CodeInvalidToken:    ErrInvalidToken,
	CodeConflict:        ErrConflict,
	CodeConsentRequired: ErrConsentRequired,
}

// badRequest is a CodeBadRequest error about field.
func badRequest(field string, cause error) *Error {
	return &Error{Code: CodeBadRequest, Field: field, Err: cause}
}

// outOfRange is a CodeBadRequest error: field is not in [min, max].
func outOfRange(field string, min, max int64) *Error {
	return &Error{Code: CodeBadRequest, Field: field, Min: min, Max: max}
}

// unavailable is a CodeUnavailable error caused by err.
func unavailable(err error) *Error { return &Error{Code: CodeUnavailable, Err: err} }

// CodeOf returns the code of err: an *Error's, *StateError's or
// *TooManyFailuresError's, or the code of the sentinel it matches;
// CodeInternal for other errors (nil has no code: "").
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	var se *StateError
	var tf *TooManyFailuresError
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &tf):
		return CodeTooManyFailures
	case errors.As(err, &se):
		if se.Status == StatusExpired {
			return CodeExpired
		}
		return CodeNotPending
	case errors.Is(err, ErrNotInReview):
		return CodeNotInReview
	}
	for _, c := range []Code{CodeNotFound, CodeExpired, CodeNotPending, CodeBadFrame, CodeNoFrames, CodeUnavailable, CodeInvalidToken, CodeConflict, CodeConsentRequired, CodeBadRequest} {
		if errors.Is(err, sentinels[c]) {
			return c
		}
	}
	return CodeInternal
}
