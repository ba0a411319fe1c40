package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// TestErrorTable: every engine code has a status and a message, and the
// wording is made here from the engine's data.
func TestErrorTable(t *testing.T) {
	for _, c := range []liveness.Code{liveness.CodeInternal, liveness.CodeNotFound, liveness.CodeExpired, liveness.CodeNotPending,
		liveness.CodeBadRequest, liveness.CodeBadFrame, liveness.CodeNoFrames, liveness.CodeNotInReview, liveness.CodeTooManyFailures,
		liveness.CodeUnavailable, liveness.CodeInvalidToken, liveness.CodeConflict} {
		w, ok := engineErrors[c]
		if assert.True(t, ok, c) {
			assert.NotEmpty(t, w.text(&liveness.Error{Code: c}), c)
		}
	}
	tests := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{&liveness.StateError{Status: liveness.StatusPassed}, 409, "not_pending", "Session is already 'passed'"},
		{&liveness.Error{Code: liveness.CodeBadRequest, Field: "ttl_seconds", Min: 10, Max: 3600}, 400, "bad_request", "ttl_seconds must be between 10 and 3600"},
		{&liveness.Error{Code: liveness.CodeBadFrame, Frame: 2, Err: fmt.Errorf("%w: EOF", face.ErrCorruptImage)}, 400, "bad_frame", "bad frame: frame 2: corrupt image"},
		{&liveness.Error{Code: liveness.CodeBadRequest, Field: "reference_image_id", Err: liveness.ErrBothReferences}, 400, "bad_request", "give a reference image or a reference image id, not both"},
		{liveness.ErrNotInReview, 409, "not_in_review", "Session is not awaiting manual review"},
		{&liveness.TooManyFailuresError{RetryAfter: 1}, 429, "too_many_failures", "too many failed sessions for this reference_id; try again later"},
		{fmt.Errorf("%w: scheme http", outbox.ErrInsecureURL), 400, "invalid_request", "not an https URL with a host (https required)"},
		{liveness.ErrNoTenantEndpoint, 400, "invalid_request", "no webhook endpoint is registered for this key's tenant"},
		{errors.New("liveness: secret detail"), 500, "internal", "internal error"},
		{errorf(http.StatusUnauthorized, msgNoKey), 401, "unauthorized", msgNoKey},
	}
	for _, tt := range tests {
		status, code, msg := statusOf(tt.err)
		assert.Equal(t, tt.status, status, tt.err.Error())
		assert.Equal(t, tt.code, code, tt.err.Error())
		assert.Equal(t, tt.msg, msg, tt.err.Error())
	}
}
