//go:build eval

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openliveness/openliveness/internal/facedata"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvalSigningEndToEnd runs the whole flow over HTTP with the real
// engine: a signing session, the liveness check fed with the blink video
// (as the hosted page would send it), the signature, and verify on the
// exported chain.
func TestEvalSigningEndToEnd(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc, done := make(chan string, 1), make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-challenges", "BLINK", "-challenge-count", "1"}, &stdout, &stderr, func(a string) { addrc <- a })
	}()
	base := "http://" + <-addrc
	call := func(method, path, token string, body []byte, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if out != nil {
			require.NoError(t, json.Unmarshal(b, out), "%s %s: %s", method, path, b)
		}
		return res.StatusCode
	}
	var created map[string]any
	code := call("POST", "/api/signing/sessions", "", []byte(`{"document_id":"contract-7","signer":"Grace Hopper"}`), &created)
	require.Equal(t, 201, code, "create %v", created)
	sid, tok := created["session_id"].(string), created["client_token"].(string)
	lsid, ltok := created["liveness_session_id"].(string), created["liveness_token"].(string)
	challenges := created["challenges"].([]any)
	t.Logf("liveness challenges %v", challenges)

	// The signer agrees to the consent text (the page's "I agree").
	var last map[string]any
	code = call("POST", "/v1/sessions/"+lsid+"/consent", ltok, []byte(`{"accepted":true}`), &last)
	require.Equal(t, 200, code, "consent %v", last)
	// The demo runs with a BLINK-only check; the video answers it.
	var burst []string
	// The recording from 1.6 s before its first eye closure (frames
	// 139–194): a person who closes the eyes when asked, within the
	// response window. This is the real program on the wall clock, so the
	// bursts of 10 frames 120 ms apart are sent at the camera's pace, as
	// the hosted page sends them (about 8 s in all).
	pace := time.NewTicker(1200 * time.Millisecond)
	defer pace.Stop()
	for k := 99; k < len(frames); k += 3 {
		burst = append(burst, base64.StdEncoding.EncodeToString(frames[k]))
		if len(burst) < 10 {
			continue
		}
		<-pace.C
		body, _ := json.Marshal(map[string]any{"frames_b64": burst, "interval_ms": 120})
		burst = burst[:0]
		last = nil
		code := call("POST", "/v1/sessions/"+lsid+"/verify", ltok, body, &last)
		require.Equal(t, 200, code, "verify %v", last)
		if last["session_status"] != "pending" {
			break
		}
	}
	t.Logf("liveness: %v", last)
	doc := []byte("the contract text")
	var receipt map[string]any
	code = call("POST", "/api/signing/sessions/"+sid+"/complete", tok, doc, &receipt)
	require.Equal(t, "passed", last["session_status"], "complete %v", receipt)
	require.Equal(t, 200, code, "complete %v", receipt)
	dir := t.TempDir()
	get := func(path string) []byte {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return b
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	rb, _ := json.Marshal(receipt)
	var out, errb bytes.Buffer
	code = verifyCmd([]string{"-log", write("audit.jsonl", get("/api/audit/export")), "-keys", write("keys.json", get("/api/audit/keys")),
		"-receipt", write("receipt.json", rb), "-document", write("doc.txt", doc)}, &out, &errb)
	require.Equal(t, 0, code, "verify: %s", errb.String())
	assert.Contains(t, out.String(), "signed by Grace Hopper", "verify")
	t.Log(out.String())
}
