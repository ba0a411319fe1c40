package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/limits"
)

// TestOpenAPILimits fails when openapi.yaml documents other bounds than
// limits.Default(), the value the engine, this handler, the Go client and
// the test mock check.
func TestOpenAPILimits(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	require.NoError(t, err)
	lim := limits.Default()
	prop := func(schema, name string) *openapi3.Schema {
		s := doc.Components.Schemas[schema]
		require.NotNil(t, s, schema)
		p := s.Value.Properties[name]
		require.NotNil(t, p, "%s.%s", schema, name)
		return p.Value
	}
	bounds := func(s *openapi3.Schema) (float64, float64) {
		require.NotNil(t, s.Min)
		require.NotNil(t, s.Max)
		return *s.Min, *s.Max
	}
	ttl := prop("CreateSessionRequest", "ttl_seconds")
	lo, hi := bounds(ttl)
	assert.Equal(t, lim.MinTTL.Seconds(), lo, "ttl_seconds minimum")
	assert.Equal(t, lim.MaxTTL.Seconds(), hi, "ttl_seconds maximum")
	assert.EqualValues(t, lim.DefaultTTL.Seconds(), ttl.Default, "ttl_seconds default")
	count := prop("CreateSessionRequest", "challenge_count")
	lo, hi = bounds(count)
	assert.EqualValues(t, lim.MinChallenges, lo, "challenge_count minimum")
	assert.EqualValues(t, lim.MaxChallenges, hi, "challenge_count maximum")
	assert.EqualValues(t, lim.DefaultChallenges, count.Default, "challenge_count default")
	lo, hi = bounds(prop("VerifyRequest", "interval_ms"))
	assert.EqualValues(t, lim.MinIntervalMS, lo, "interval_ms minimum")
	assert.EqualValues(t, lim.MaxIntervalMS, hi, "interval_ms maximum")
	burst := prop("VerifyRequest", "frames_b64")
	require.NotNil(t, burst.MaxItems)
	assert.EqualValues(t, lim.MaxBurstFrames, *burst.MaxItems, "frames_b64 maxItems")

	// The Limits schema's examples are the defaults GET /v1/limits serves.
	b, err := json.Marshal(lim.JSON())
	require.NoError(t, err)
	var want map[string]float64
	require.NoError(t, json.Unmarshal(b, &want))
	ls := doc.Components.Schemas["Limits"].Value
	assert.ElementsMatch(t, keysOf(want), ls.Required, "Limits.required")
	for k, v := range want {
		p := ls.Properties[k]
		if assert.NotNil(t, p, "Limits.%s", k) {
			assert.EqualValues(t, v, p.Value.Example, "Limits.%s example", k)
		}
	}

	// The verify operation's text states the same sizes.
	verify := doc.Paths.Find("/v1/sessions/{id}/verify").Post.Description
	for _, s := range []string{
		fmt.Sprintf("at most %d,", lim.MaxBurstFrames),
		fmt.Sprintf("each frame at most %d MiB and %d megapixels", lim.MaxFrameBytes>>20, lim.MaxFramePixels>>20),
		fmt.Sprintf("the whole body at most %d MiB", lim.MaxBodyBytes>>20),
	} {
		assert.Contains(t, strings.Join(strings.Fields(verify), " "), s, "verify description")
	}
}

func keysOf(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLimitsRoute: GET /v1/limits serves the engine's bounds, without
// credentials; the handler refuses requests beyond them with the same
// numbers.
func TestLimitsRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "GET", path: "/v1/limits"}).expect(t, 200)
	var got limits.JSON
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, limits.Default().JSON(), got)
	assert.Equal(t, limits.Default().MaxBurstFrames, MaxBurstFrames)
	assert.Equal(t, limits.Default().MaxFrameBytes, DefaultMaxFrameBytes)
	assert.EqualValues(t, limits.Default().MaxBodyBytes, DefaultMaxBodyBytes)

	// An engine with a longer TTL: the handler checks and serves its bound.
	long := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		return newEngine(t, clk, liveness.WithTTL(5*time.Minute, 2*time.Hour))
	}})
	r = long.do(req{method: "GET", path: "/v1/limits"}).expect(t, 200)
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, 7200, got.MaxTTLSeconds)
	long.do(req{method: "POST", path: "/v1/sessions", key: long.key, body: map[string]any{"ttl_seconds": 7200}}).expect(t, 201)
	bad := long.do(req{method: "POST", path: "/v1/sessions", key: long.key, body: map[string]any{"ttl_seconds": 7201}}).expect(t, 400)
	assert.Equal(t, string(liveness.CodeBadRequest), bad.str("code"))
	assert.Equal(t, "ttl_seconds must be between 10 and 7200", bad.str("error"))
}
