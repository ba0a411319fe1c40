package limits_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness/limits"
)

func TestDefault(t *testing.T) {
	l := limits.Default()
	assert.Equal(t, challenge.MaxLength, l.MaxChallenges)
	assert.LessOrEqual(t, l.MinTTL, l.DefaultTTL)
	assert.LessOrEqual(t, l.DefaultTTL, l.MaxTTL)
	assert.LessOrEqual(t, l.MinChallenges, l.DefaultChallenges)
	assert.LessOrEqual(t, l.DefaultChallenges, l.MaxChallenges)
	assert.Less(t, l.MinIntervalMS, l.MaxIntervalMS)
	assert.LessOrEqual(t, int64(l.MaxFrameBytes), l.MaxBodyBytes)
	b, err := json.Marshal(l.JSON())
	require.NoError(t, err)
	var back limits.JSON
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, l, back.Limits(), "the wire form round-trips")
}

func ExampleDefault() {
	l := limits.Default()
	fmt.Println(l.MaxTTL, l.MaxChallenges, l.MaxBurstFrames, l.MaxIntervalMS)
	// Output: 1h0m0s 8 20 2000
}
