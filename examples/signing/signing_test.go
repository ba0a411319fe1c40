package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness"
)

// stubLiveness stands in for the engine: sessions pass when told to.
type stubLiveness struct {
	mu       sync.Mutex
	sessions map[string]*liveness.Session
	log      *audit.Log
}

func (s *stubLiveness) Create(_ context.Context, o liveness.CreateOptions) (*liveness.Created, error) {
	if o.ReferenceImage != nil && string(o.ReferenceImage) != "photo" {
		return nil, fmt.Errorf("%w: reference image: no face found", liveness.ErrBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "ls-" + string(rune('a'+len(s.sessions)))
	sess := &liveness.Session{ID: id, Status: liveness.StatusPending, ReferenceID: o.ReferenceID, ParentOrigin: o.ParentOrigin}
	s.sessions[id] = sess
	return &liveness.Created{Session: sess, ClientToken: "ct-" + id}, nil
}

func (s *stubLiveness) Get(_ context.Context, id string) (*liveness.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return nil, liveness.ErrNotFound
	}
	c := *sess
	return &c, nil
}

// pass ends a session with PASS and records its result in the audit log,
// as the engine does.
func (s *stubLiveness) pass(t *testing.T, id, evidence string) {
	s.mu.Lock()
	sess := s.sessions[id]
	sess.Status, sess.Verdict, sess.EvidenceHash = liveness.StatusPassed, liveness.VerdictPass, evidence
	s.mu.Unlock()
	if _, err := s.log.Append(context.Background(), audit.Record{SessionID: id, Type: audit.LivenessResult, Payload: []byte(`{"verdict":"PASS"}`), EvidenceHash: evidence}); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	srv  *httptest.Server
	live *stubLiveness
	log  *audit.Log
	key  ed25519.PrivateKey
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(nil)
	signer, _ := audit.NewSigner("sig-test", key)
	log, err := audit.Open(ctx, audit.WithSigner(signer))
	if err != nil {
		t.Fatal(err)
	}
	live := &stubLiveness{sessions: map[string]*liveness.Session{}, log: log}
	svc := &service{live: live, log: log, key: key, keyID: "sig-test", now: time.Now, logger: slog.New(slog.DiscardHandler), maxDoc: 1 << 20, sessions: map[string]*signingSession{}, count: 2}
	mux := http.NewServeMux()
	svc.routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, live: live, log: log, key: key}
}

func (f *fixture) do(t *testing.T, method, path, token string, body []byte) (int, map[string]any) {
	req, _ := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestSigningFlow(t *testing.T) {
	f := newFixture(t)
	doc := []byte("%PDF-1.7 the contract")
	code, created := f.do(t, "POST", "/api/signing/sessions", "", []byte(`{"document_id":"contract-1","signer":"Ada Lovelace"}`))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	sid, tok, lsid := created["session_id"].(string), created["client_token"].(string), created["liveness_session_id"].(string)
	if sid == "" || tok == "" || lsid == "" || !strings.Contains(created["signer_url"].(string), lsid) {
		t.Fatalf("create response %v", created)
	}
	if ls, _ := f.live.Get(context.Background(), lsid); !strings.HasPrefix(ls.ParentOrigin, "http://127.0.0.1:") {
		t.Errorf("liveness session parent origin %q", ls.ParentOrigin)
	}

	cases := []struct {
		name, path, token string
		body              []byte
		want              int
	}{
		{"bad json", "/api/signing/sessions", "", []byte(`{`), 400},
		{"missing signer", "/api/signing/sessions", "", []byte(`{"document_id":"x"}`), 400},
		{"reference without a face", "/api/signing/sessions", "", []byte(`{"document_id":"x","signer":"y","reference_image_b64":"bm90IGEgZmFjZQ=="}`), 400},
		{"reference not base64", "/api/signing/sessions", "", []byte(`{"document_id":"x","signer":"y","reference_image_b64":"!!"}`), 400},
		{"reference photo", "/api/signing/sessions", "", []byte(`{"document_id":"x","signer":"y","reference_image_b64":"cGhvdG8="}`), 201},
		{"unknown session", "/api/signing/sessions/nope/complete", tok, doc, 404},
		{"no token", "/api/signing/sessions/" + sid + "/complete", "", doc, 401},
		{"wrong token", "/api/signing/sessions/" + sid + "/complete", tok + "x", doc, 401},
		{"liveness pending", "/api/signing/sessions/" + sid + "/complete", tok, doc, 409},
	}
	for _, c := range cases {
		if code, body := f.do(t, "POST", c.path, c.token, c.body); code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, body, c.want)
		}
	}

	evidence := "sha256:" + strings.Repeat("ab", 32)
	f.live.pass(t, lsid, evidence)
	if code, body := f.do(t, "POST", "/api/signing/sessions/"+sid+"/complete", tok, nil); code != 400 {
		t.Errorf("empty document: %d %v", code, body)
	}
	code, receipt := f.do(t, "POST", "/api/signing/sessions/"+sid+"/complete", tok, doc)
	if code != http.StatusOK || receipt["evidence_hash"] != evidence || receipt["document_hash"] != "sha256:"+sha256Hex(doc) {
		t.Fatalf("complete: %d %v", code, receipt)
	}
	if code, _ := f.do(t, "POST", "/api/signing/sessions/"+sid+"/complete", tok, doc); code != 409 {
		t.Errorf("second completion: %d", code)
	}
	if code, got := f.do(t, "GET", "/api/signing/sessions/"+sid, tok, nil); code != 200 || got["receipt"] == nil {
		t.Errorf("get: %d %v", code, got)
	}

	// verify: the exported chain, the keys, the receipt and the document.
	dir := t.TempDir()
	var chain bytes.Buffer
	if err := f.log.Export(context.Background(), &chain); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys, _ := json.Marshal(map[string]string{"sig-test": base64.StdEncoding.EncodeToString(f.key.Public().(ed25519.PublicKey))})
	rb, _ := json.Marshal(receipt)
	logP, keysP, rcP, docP := write("audit.jsonl", chain.Bytes()), write("keys.json", keys), write("receipt.json", rb), write("contract.pdf", doc)
	var out, errb bytes.Buffer
	if code := verifyCmd([]string{"-log", logP, "-keys", keysP, "-receipt", rcP, "-document", docP}, &out, &errb); code != 0 {
		t.Fatalf("verify: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "audit chain OK: 2 entries") || !strings.Contains(out.String(), "contract-1 signed by Ada Lovelace") {
		t.Errorf("verify output %q", out.String())
	}

	// Each kind of tampering is caught.
	tampered := func(name string, mutate func() (string, string, string, string), want string) {
		t.Helper()
		l, k, r, d := mutate()
		_, err := verifyFiles(l, k, r, d)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, want)
		}
	}
	tampered("document", func() (string, string, string, string) {
		return logP, keysP, rcP, write("other.pdf", append(bytes.Clone(doc), '!'))
	}, "document hash")
	tampered("chain", func() (string, string, string, string) {
		return write("bad.jsonl", bytes.Replace(chain.Bytes(), []byte("LIVENESS_RESULT"), []byte("MANUAL_REVIEW"), 1)), keysP, rcP, docP
	}, "audit chain")
	tampered("truncated chain", func() (string, string, string, string) {
		lines := bytes.SplitAfter(chain.Bytes(), []byte("\n"))
		return write("short.jsonl", bytes.Join(lines[:1], nil)), keysP, rcP, docP
	}, "not in the chain")
	var r2 map[string]any
	json.Unmarshal(rb, &r2)
	r2["signer"] = "Mallory"
	rb2, _ := json.Marshal(r2)
	tampered("receipt", func() (string, string, string, string) { return logP, keysP, write("r2.json", rb2), docP }, "signature")
	_, other, _ := ed25519.GenerateKey(nil)
	keys2, _ := json.Marshal(map[string]string{"sig-test": base64.StdEncoding.EncodeToString(other.Public().(ed25519.PublicKey))})
	tampered("wrong key", func() (string, string, string, string) { return logP, write("k2.json", keys2), rcP, docP }, "audit chain")
}

func TestSigningServerStarts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir()}, &out, &errb, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("server exited %d: %s", code, errb.String())
	}
	for _, p := range []string{"/", "/sign", "/sign.js", "/api/audit/keys", "/api/audit/export", "/sdk/liveness.js"} {
		res, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
	res, err := http.Post("http://"+addr+"/api/signing/sessions", "application/json", strings.NewReader(`{"document_id":"d","signer":"s"}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
