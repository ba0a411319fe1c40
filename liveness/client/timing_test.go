package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/client"
)

// TestVerifyTimingAndReasons decodes the response-window fields and the
// failure reasons of the verify and session answers.
func TestVerifyTimingAndReasons(t *testing.T) {
	bodies := map[string]string{
		"/v1/sessions/s1/verify": `{"challenge_passed":false,"face_detected":true,"session_status":"pending","current_challenge":"SMILE","confidence":0.2,"message":"Challenge not passed yet — keep trying","hint":"start","feedback":"Smile","challenge_time_left_ms":3120,"challenge_window_ms":5000}`,
		"/v1/sessions/s2/verify": `{"challenge_passed":false,"session_status":"failed","reason":"challenge_timeout","message":"Liveness check failed — the challenge was not done in time","challenge_time_left_ms":null,"challenge_window_ms":5000}`,
		"/v1/sessions/s3":        `{"session_id":"s3","status":"pending","challenges":["BLINK"],"current_challenge":"BLINK","challenge_index":0,"total_challenges":1,"expires_in_seconds":100,"mirrored":false,"challenge_time_left_ms":null,"challenge_window_ms":5000}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(bodies[r.URL.Path]))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL)
	require.NoError(t, err)
	c = c.WithClientToken("ct_x")
	ctx := context.Background()
	frame := client.VerifyRequest{Frames: [][]byte{{0xFF, 0xD8, 0xFF}}}

	r, err := c.Verify(ctx, "s1", frame)
	require.NoError(t, err)
	require.NotNil(t, r.ChallengeTimeLeftMS)
	assert.Equal(t, int64(3120), *r.ChallengeTimeLeftMS)
	assert.Equal(t, int64(5000), r.ChallengeWindowMS)

	r, err = c.Verify(ctx, "s2", frame)
	require.NoError(t, err)
	assert.Nil(t, r.ChallengeTimeLeftMS)
	assert.Equal(t, client.ReasonChallengeTimeout, r.Reason)

	s, err := c.Session(ctx, "s3")
	require.NoError(t, err)
	assert.Nil(t, s.ChallengeTimeLeftMS)
	assert.Equal(t, int64(5000), s.ChallengeWindowMS)
}
