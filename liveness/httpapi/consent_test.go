package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noConsentEngine hides the engine's AcceptConsent.
type noConsentEngine struct{ Engine }

// TestConsentAcceptance: a session with consent text refuses frames until
// POST /v1/sessions/{id}/consent records the acceptance.
func TestConsentAcceptance(t *testing.T) {
	const text = "I agree to a liveness check."
	sum := sha256.Sum256([]byte(text))
	hash := "sha256:" + hex.EncodeToString(sum[:])
	e := newEnv(t, envOptions{handler: []Option{WithCORSOrigins("https://app.example.com")}})
	id, tok := e.create(map[string]any{"consent_text": text, "challenges": []string{"BLINK"}, "challenge_count": 1})
	path := "/v1/sessions/" + id + "/consent"
	frame := map[string]any{"frame_b64": b64(faceJPEG(t))}

	r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, http.StatusConflict)
	assert.Contains(t, r.str("error"), "consent required")
	r = e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, http.StatusOK)
	assert.Equal(t, text, r.str("consent_text"))
	assert.Empty(t, r.str("consent_accepted_at"))

	e.do(req{method: "POST", path: path, body: map[string]any{"accepted": true}}).expect(t, http.StatusUnauthorized)
	e.do(req{method: "POST", path: "/v1/sessions/00000000-0000-4000-8000-000000000000/consent", key: e.key, body: map[string]any{"accepted": true}}).expect(t, http.StatusNotFound)
	for name, body := range map[string]any{
		"not accepted":  map[string]any{"accepted": false},
		"no answer":     map[string]any{},
		"unknown field": map[string]any{"accepted": true, "agreed": true},
		"another text":  map[string]any{"accepted": true, "consent_hash": "sha256:00"},
	} {
		r := e.do(req{method: "POST", path: path, token: tok, body: body}).expect(t, http.StatusBadRequest)
		assert.NotEmpty(t, r.str("error"), name)
	}
	r = e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"accepted": true, "consent_hash": hash},
		header: map[string]string{"Origin": "https://app.example.com"}}).expect(t, http.StatusOK)
	at := r.str("consent_accepted_at")
	require.NotEmpty(t, at)
	assert.Equal(t, "https://app.example.com", r.header.Get("Access-Control-Allow-Origin"))
	e.clock.Advance(time.Second)
	r = e.do(req{method: "POST", path: path, key: e.key, body: map[string]any{"accepted": true}}).expect(t, http.StatusOK)
	assert.Equal(t, at, r.str("consent_accepted_at"), "accepting again changes nothing")
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, http.StatusOK)

	// The browser's preflight.
	e.do(req{method: "OPTIONS", path: path, header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}}).expect(t, http.StatusNoContent)
	e.do(req{method: "OPTIONS", path: path, header: map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}}).expect(t, http.StatusForbidden)

	// No consent text; an ended session; an expired one.
	plain, ptok := e.create(nil)
	r = e.do(req{method: "POST", path: "/v1/sessions/" + plain + "/consent", token: ptok, body: map[string]any{"accepted": true}}).expect(t, http.StatusBadRequest)
	assert.Contains(t, r.str("error"), "no consent text")
	ended, etok := e.create(map[string]any{"consent_text": text})
	e.do(req{method: "POST", path: "/v1/sessions/" + ended + "/cancel", token: etok}).expect(t, http.StatusOK)
	e.do(req{method: "POST", path: "/v1/sessions/" + ended + "/consent", key: e.key, body: map[string]any{"accepted": true}}).expect(t, http.StatusConflict)
	late, ltok := e.create(map[string]any{"consent_text": text})
	e.clock.Advance(time.Hour)
	e.do(req{method: "POST", path: "/v1/sessions/" + late + "/consent", token: ltok, body: map[string]any{"accepted": true}}).expect(t, http.StatusGone)
}

func TestConsentWithoutConsentEngine(t *testing.T) {
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine { return noConsentEngine{newEngine(t, clk)} }})
	id, tok := e.create(map[string]any{"consent_text": "I agree"})
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/consent", token: tok, body: map[string]any{"accepted": true}}).expect(t, http.StatusNotFound)
}
