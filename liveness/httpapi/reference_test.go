package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
)

func TestCreateWithReferenceImage(t *testing.T) {
	e := newEnv(t, envOptions{})
	face := b64(faceJPEG(t))
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_image_b64": face}}).expect(t, http.StatusCreated)
	id := r.str("session_id")
	require.NotEmpty(t, id)
	// The reference never appears in session views.
	v := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, http.StatusOK)
	assert.NotContains(t, string(v.body), "embedding")
	assert.NotContains(t, string(v.body), face[:64])

	for _, tc := range []struct {
		name, body, msg string
	}{
		{"no face", b64(grayJPEG(t)), "reference image: no face found"},
		{"not an image", b64([]byte("hello, world")), "reference image"},
		{"bad base64", "!!!not base64!!!", "reference_image_b64"},
		{"data URI", "data:image/jpeg;base64," + face, "reference_image_b64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_image_b64": tc.body}}).expect(t, http.StatusBadRequest)
			assert.Contains(t, res.str("error"), tc.msg)
		})
	}
}

// matchEngine reports every session as passed with a face match.
type matchEngine struct {
	Engine
	match *liveness.Match
}

func (m matchEngine) Get(ctx context.Context, id string) (*liveness.Session, error) {
	s, err := m.Engine.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	s.Status, s.Verdict, s.Score, s.Match = liveness.StatusPassed, liveness.VerdictReview, 0.8, m.match
	s.Reason = liveness.ReasonFaceReview
	return s, nil
}

func TestResultCarriesMatch(t *testing.T) {
	m := &liveness.Match{Score: 0.81, Threshold: 0.93, ReviewThreshold: 0.76, Decision: liveness.MatchReview, Frames: []int{4, 9, 12}, ReferenceSHA256: strings.Repeat("ab", 32)}
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine { return matchEngine{Engine: newEngine(t, clk), match: m} }})
	id, tok := e.create(map[string]any{})
	res := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, http.StatusOK)
	got, ok := res.json["match"].(map[string]any)
	require.True(t, ok, "result has match: %s", res.body)
	assert.Equal(t, "review", got["decision"])
	assert.InDelta(t, 0.81, got["score"], 1e-9)
	assert.Equal(t, "REQUIRES_MANUAL_REVIEW", res.str("verdict"))

	s := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, http.StatusOK)
	assert.Contains(t, s.json, "match")
	// The browser's view (client token) has no match.
	c := e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, http.StatusOK)
	assert.NotContains(t, c.json, "match")
}

func TestReferenceImages(t *testing.T) {
	e := newEnv(t, envOptions{})
	face := b64(faceJPEG(t))
	r := e.do(req{method: "POST", path: "/v1/reference-images", key: e.key, body: map[string]any{"image_b64": face}}).expect(t, http.StatusCreated)
	id := r.str("reference_image_id")
	require.Regexp(t, `^ref_[0-9a-f]{32}$`, id)
	assert.Equal(t, "/v1/reference-images/"+id, r.header.Get("Location"))
	assert.NotContains(t, string(r.body), "embedding")

	e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_image_id": id}}).expect(t, http.StatusCreated)
	bad := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_image_id": id, "reference_image_b64": face}}).expect(t, http.StatusBadRequest)
	assert.Equal(t, string(liveness.CodeBadRequest), bad.str("code"))
	assert.Contains(t, bad.str("error"), "not both")

	for _, tc := range []struct {
		name string
		body any
		msg  string
	}{
		{"no image", map[string]any{}, "image_b64 is required"},
		{"no face", map[string]any{"image_b64": b64(grayJPEG(t))}, "no face found"},
		{"bad base64", map[string]any{"image_b64": "%%%"}, "image_b64"},
		{"not an object", `[]`, "JSON object"},
	} {
		res := e.do(req{method: "POST", path: "/v1/reference-images", key: e.key, body: tc.body}).expect(t, http.StatusBadRequest)
		assert.Contains(t, res.str("error"), tc.msg, tc.name)
	}
	e.do(req{method: "POST", path: "/v1/reference-images", body: map[string]any{"image_b64": face}}).expect(t, http.StatusUnauthorized)
	e.do(req{method: "DELETE", path: "/v1/reference-images/" + id}).expect(t, http.StatusUnauthorized)

	e.do(req{method: "DELETE", path: "/v1/reference-images/" + id, key: e.key}).expect(t, http.StatusNoContent)
	e.do(req{method: "DELETE", path: "/v1/reference-images/" + id, key: e.key}).expect(t, http.StatusNotFound)
	gone := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_image_id": id}}).expect(t, http.StatusBadRequest)
	assert.Equal(t, string(liveness.CodeBadRequest), gone.str("code"))
	assert.Contains(t, gone.str("error"), "unknown reference")
}

func TestReferenceImagesNotKept(t *testing.T) {
	// An engine without the reference side answers 404.
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine { return matchEngine{Engine: newEngine(t, clk)} }})
	res := e.do(req{method: "POST", path: "/v1/reference-images", key: e.key, body: map[string]any{"image_b64": "AAAA"}}).expect(t, http.StatusNotFound)
	assert.Contains(t, res.str("error"), "not kept")
	e.do(req{method: "DELETE", path: "/v1/reference-images/ref_x", key: e.key}).expect(t, http.StatusNotFound)
}
