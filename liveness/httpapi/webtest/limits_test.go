package webtest

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/limits"
)

// The mock's bounds are limits.Default(): its constants agree, and an
// interval the server accepts (0 ms) passes the mock's parser too.
func TestMockLimits(t *testing.T) {
	lim := limits.Default()
	assert.Equal(t, lim.MaxFrameBytes, MaxFrameBytes)
	assert.Equal(t, lim.MaxBurstFrames, MaxBurstFrames)
	for _, tt := range []struct {
		interval int
		ok       bool
	}{{lim.MinIntervalMS, true}, {lim.MaxIntervalMS, true}, {lim.MinIntervalMS - 1, false}, {lim.MaxIntervalMS + 1, false}} {
		body, err := json.Marshal(map[string]any{"frames_b64": []string{base64.StdEncoding.EncodeToString(testJPEG(t))}, "interval_ms": tt.interval})
		require.NoError(t, err)
		_, _, _, err = ParseVerifyBody(body)
		assert.Equal(t, tt.ok, err == nil, "interval_ms %d: %v", tt.interval, err)
	}
}
