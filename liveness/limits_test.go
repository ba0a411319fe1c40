package liveness_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/limits"
)

// The engine enforces limits.Default() unless its options change them.
func TestEngineLimits(t *testing.T) {
	e, err := liveness.New()
	require.NoError(t, err)
	assert.Equal(t, limits.Default(), e.Limits())
	assert.Equal(t, face.DefaultMaxPixels, limits.Default().MaxFramePixels)

	e, err = liveness.New(liveness.WithTTL(time.Minute, 2*time.Hour), liveness.WithMaxFrames(50))
	require.NoError(t, err)
	got := e.Limits()
	assert.Equal(t, 2*time.Hour, got.MaxTTL)
	assert.Equal(t, 50, got.MaxSessionFrames)

	ctx := t.Context()
	for _, o := range []liveness.CreateOptions{{TTL: 2*time.Hour + time.Second}, {TTL: 9 * time.Second}, {ChallengeCount: 9}, {ChallengeCount: -1}} {
		_, err := e.Create(ctx, o)
		var le *liveness.Error
		if assert.ErrorAs(t, err, &le, "%+v", o) {
			assert.Equal(t, liveness.CodeBadRequest, le.Code)
			assert.NotEmpty(t, le.Field)
			assert.Less(t, le.Min, le.Max)
		}
	}
	c, err := e.Create(ctx, liveness.CreateOptions{})
	require.NoError(t, err)
	lim := e.Limits()
	_, err = e.Submit(ctx, c.Session.ID, make([]liveness.Frame, lim.MaxBurstFrames+1), nil)
	assert.Equal(t, liveness.CodeBadRequest, liveness.CodeOf(err))
	_, err = e.Submit(ctx, c.Session.ID, make([]liveness.Frame, 2), &liveness.SubmitOptions{Interval: time.Duration(lim.MaxIntervalMS+1) * time.Millisecond})
	var le *liveness.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "interval_ms", le.Field)
}
