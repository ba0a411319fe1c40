package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/limits"
)

// The client reads the server's limits and refuses a burst beyond
// limits.Default() before sending it.
func TestLimits(t *testing.T) {
	c, _, _ := server(t)
	ctx := context.Background()
	got, err := c.Limits(ctx)
	require.NoError(t, err)
	assert.Equal(t, limits.Default(), got)

	lim := limits.Default()
	frames := make([][]byte, lim.MaxBurstFrames+1)
	_, err = c.Verify(ctx, "s", client.VerifyRequest{Frames: frames, Interval: 100 * time.Millisecond})
	assert.ErrorIs(t, err, client.ErrBadRequest)
	_, err = c.Verify(ctx, "s", client.VerifyRequest{Frames: frames[:2], Interval: time.Duration(lim.MaxIntervalMS+1) * time.Millisecond})
	assert.ErrorIs(t, err, client.ErrBadRequest)
}
