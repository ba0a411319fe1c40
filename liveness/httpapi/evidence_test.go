package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evidenceEnv is a handler over a real engine that keeps evidence, and a
// session that ended (a still photo fails on frozen frames).
func evidenceEnv(t *testing.T) (*env, *liveness.Engine, *liveness.MemoryStore, string) {
	t.Helper()
	var eng *liveness.Engine
	store := liveness.NewMemoryStore()
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		eng = newEngine(t, clk, liveness.WithStore(store), liveness.WithEvidenceStore(evidence.NewMemory(clk.Now)))
		return eng
	}})
	id, token := e.create(map[string]any{"challenges": []string{"BLINK"}, "challenge_count": 1})
	frame := b64(faceJPEG(t))
	for i := 0; i < 12; i++ {
		e.clock.Advance(150 * time.Millisecond)
		r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: token, body: map[string]any{"frame_b64": frame}}).expect(t, http.StatusOK)
		if r.str("session_status") != "pending" {
			require.Equal(t, "spoof_detected", r.str("reason"), "still photo ended with %s", r.body)
			return e, eng, store, id
		}
	}
	require.FailNow(t, "the still photo did not end the session")
	return nil, nil, nil, ""
}

func TestEvidenceRoutes(t *testing.T) {
	e, eng, _, id := evidenceEnv(t)
	res := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, http.StatusOK)
	link, hash := res.str("evidence_url"), res.str("evidence_hash")
	require.True(t, strings.HasPrefix(link, "https://liveness.example.com/v1/sessions/"+id+"/evidence?"), "result: %s", res.body)
	require.NotEmpty(t, hash, "result: %s", res.body)
	require.NotEmpty(t, res.str("evidence_url_expires"), "result: %s", res.body)
	u, _ := url.Parse(link)
	signed := u.Path + "?" + u.RawQuery

	// The signed URL works without a key; the manifest hashes to evidence_hash.
	ev := e.do(req{method: "GET", path: signed}).expect(t, http.StatusOK)
	var body struct {
		EvidenceHash string `json:"evidence_hash"`
		Manifest     json_  `json:"manifest"`
		Items        []struct {
			Kind, Name, SHA256, URL string
		} `json:"items"`
	}
	require.NoError(t, jsonUnmarshal(ev.body, &body))
	sum := sha256.Sum256(body.Manifest)
	require.Equal(t, hash, body.EvidenceHash, "evidence hash")
	require.Equal(t, hash, "sha256:"+hex.EncodeToString(sum[:]), "manifest hash")
	require.GreaterOrEqual(t, len(body.Items), 2, "items")
	for _, it := range body.Items {
		iu, _ := url.Parse(it.URL)
		obj := e.do(req{method: "GET", path: iu.Path + "?" + iu.RawQuery}).expect(t, http.StatusOK)
		h := sha256.Sum256(obj.body)
		assert.Equal(t, it.SHA256, hex.EncodeToString(h[:]), "%s: object hash", it.Name)
		assert.Equal(t, "image/jpeg", obj.header.Get("Content-Type"), "%s: Content-Type", it.Name)
	}
	// With the API key instead of a signature.
	e.do(req{method: "GET", path: "/v1/sessions/" + id + "/evidence", key: e.key}).expect(t, http.StatusOK)

	// Unauthorised: no key, a forged or a stale signature, another session.
	e.do(req{method: "GET", path: "/v1/sessions/" + id + "/evidence"}).expect(t, http.StatusUnauthorized)
	e.do(req{method: "GET", path: strings.Replace(signed, "sig=", "sig=x", 1)}).expect(t, http.StatusUnauthorized)
	other, _ := e.create(map[string]any{"challenge_count": 1})
	e.do(req{method: "GET", path: "/v1/sessions/" + other + "/evidence?" + u.RawQuery}).expect(t, http.StatusUnauthorized)
	e.do(req{method: "GET", path: "/v1/sessions/" + id + "/evidence/" + body.Items[0].Name}).expect(t, http.StatusUnauthorized)
	// Not found: no evidence yet, unknown session, unknown object.
	e.do(req{method: "GET", path: "/v1/sessions/" + other + "/evidence", key: e.key}).expect(t, http.StatusNotFound)
	e.do(req{method: "GET", path: "/v1/sessions/nope/evidence", key: e.key}).expect(t, http.StatusNotFound)
	e.do(req{method: "GET", path: "/v1/sessions/" + id + "/evidence/nope.jpg", key: e.key}).expect(t, http.StatusNotFound)

	// The photo.
	ph := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/photo", key: e.key}).expect(t, http.StatusOK)
	if img, err := jpeg.Decode(bytes.NewReader(ph.body)); assert.NoError(t, err, "photo") {
		assert.Equal(t, 256, img.Bounds().Dx(), "photo width")
	}
	e.do(req{method: "GET", path: "/v1/sessions/" + id + "/photo"}).expect(t, http.StatusUnauthorized)
	e.do(req{method: "GET", path: "/v1/sessions/" + other + "/photo", key: e.key}).expect(t, http.StatusNotFound)
	e.do(req{method: "GET", path: "/v1/sessions/nope/photo", key: e.key}).expect(t, http.StatusNotFound)

	// The URL expires (15 minutes by default).
	e.clock.Advance(16 * time.Minute)
	e.do(req{method: "GET", path: signed}).expect(t, http.StatusUnauthorized)

	// Retention: the evidence is gone, its hash stays.
	e.clock.Advance(31 * 24 * time.Hour)
	n, err := eng.PurgeEvidence(context.Background(), e.clock.Now().Add(-30*24*time.Hour))
	require.NoError(t, err, "purge")
	require.NotZero(t, n, "purged")
	gone := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/evidence", key: e.key}).expect(t, http.StatusGone)
	assert.Contains(t, gone.str("error"), hash, "410 body")
	r := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, http.StatusOK)
	assert.Empty(t, r.str("evidence_url"), "result after purge: %s", r.body)
	assert.Equal(t, hash, r.str("evidence_hash"), "result after purge: %s", r.body)
}

// json_ keeps a JSON value as raw bytes.
type json_ []byte

func (j *json_) UnmarshalJSON(b []byte) error { *j = append((*j)[:0], b...); return nil }

func TestReviewRoute(t *testing.T) {
	e, _, store, failed := evidenceEnv(t)
	ctx := context.Background()
	id, _ := e.create(map[string]any{"challenge_count": 1})
	s, _ := store.Get(ctx, id)
	s.Status, s.Verdict, s.Score = liveness.StatusPassed, liveness.VerdictReview, 0.42
	require.NoError(t, store.Commit(ctx, &liveness.Change{Session: s}))
	path := "/v1/sessions/" + id + "/review"
	good := map[string]any{"decision": "PASS", "reviewer": "ana@example.com", "reason": "photo matches"}
	e.do(req{method: "POST", path: path, body: good}).expect(t, http.StatusUnauthorized)
	for _, bad := range []any{`{`, map[string]any{"decision": "MAYBE", "reviewer": "a"}, map[string]any{"decision": "PASS"}} {
		e.do(req{method: "POST", path: path, key: e.key, body: bad}).expect(t, http.StatusBadRequest)
	}
	e.do(req{method: "POST", path: "/v1/sessions/nope/review", key: e.key, body: good}).expect(t, http.StatusNotFound)
	e.do(req{method: "POST", path: "/v1/sessions/" + failed + "/review", key: e.key, body: good}).expect(t, http.StatusConflict)
	r := e.do(req{method: "POST", path: path, key: e.key, body: good}).expect(t, http.StatusOK)
	assert.Equal(t, "PASS", r.json["verdict"], "after review: %s", r.body)
	assert.Equal(t, "ana@example.com", r.str("reviewed_by"), "after review: %s", r.body)
	assert.Equal(t, "passed", r.str("status"), "after review: %s", r.body)
	e.do(req{method: "POST", path: path, key: e.key, body: good}).expect(t, http.StatusConflict)
}
