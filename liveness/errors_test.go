package liveness_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		code liveness.Code
		is   error
	}{
		{nil, "", nil},
		{errors.New("x"), liveness.CodeInternal, nil},
		{liveness.ErrNotFound, liveness.CodeNotFound, liveness.ErrNotFound},
		{fmt.Errorf("get: %w", liveness.ErrExpired), liveness.CodeExpired, liveness.ErrExpired},
		{&liveness.StateError{Status: liveness.StatusPassed}, liveness.CodeNotPending, liveness.ErrNotPending},
		{&liveness.StateError{Status: liveness.StatusExpired}, liveness.CodeExpired, liveness.ErrNotPending},
		{&liveness.Error{Code: liveness.CodeBadFrame, Frame: 3, Err: face.ErrCorruptImage}, liveness.CodeBadFrame, face.ErrCorruptImage},
		{&liveness.Error{Code: liveness.CodeBadFrame}, liveness.CodeBadFrame, liveness.ErrBadFrame},
		{&liveness.Error{Code: liveness.CodeBadRequest, Field: "ttl"}, liveness.CodeBadRequest, liveness.ErrBadRequest},
		{&liveness.Error{Code: liveness.CodeUnavailable}, liveness.CodeUnavailable, liveness.ErrUnavailable},
		{liveness.ErrNotInReview, liveness.CodeNotInReview, liveness.ErrBadRequest},
		{&liveness.TooManyFailuresError{}, liveness.CodeTooManyFailures, nil},
		{liveness.ErrNoFrames, liveness.CodeNoFrames, liveness.ErrNoFrames},
		{fmt.Errorf("store: %w", liveness.ErrConflict), liveness.CodeConflict, liveness.ErrConflict},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.code, liveness.CodeOf(tt.err), "%v", tt.err)
		if tt.is != nil {
			assert.ErrorIs(t, tt.err, tt.is)
		}
	}
	err := &liveness.Error{Code: liveness.CodeBadRequest, Field: "interval_ms", Min: 0, Max: 2000}
	assert.Equal(t, "liveness: bad_request: interval_ms not in [0, 2000]", err.Error())
}

func ExampleCodeOf() {
	err := fmt.Errorf("submitting: %w", &liveness.Error{Code: liveness.CodeBadFrame, Frame: 2, Err: face.ErrCorruptImage})
	var le *liveness.Error
	if errors.As(err, &le) {
		fmt.Println(liveness.CodeOf(err), le.Frame, errors.Is(err, face.ErrCorruptImage))
	}
	// Output: bad_frame 2 true
}
