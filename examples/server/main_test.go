package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	hookbolt "github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// running is a server started by start.
type running struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() int
}

func noEnv(string) string { return "" }

// start runs the server with args on a free loopback port until stop.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	addr := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-log-level", "debug"}, args...), r.stdout, r.stderr, noEnv,
			func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		r.url = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("server exited with %d: %s", code, r.stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	var once sync.Once
	code := 0
	r.stop = func() int {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code
	}
	t.Cleanup(func() { r.stop() })
	return r
}

var (
	keyLine    = regexp.MustCompile(`development API key \([^)]*\): (lv_[0-9A-Za-z]+)`)
	secretLine = regexp.MustCompile(`webhook secret \(shown once\): (whsec_\S+)`)
)

func face(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServeDefaults(t *testing.T) {
	recv := outboxtest.NewReceiver()
	rs := httptest.NewServer(recv)
	defer rs.Close()

	srv := start(t, "-webhook-allow-private")
	out := srv.stdout.String()
	m := keyLine.FindStringSubmatch(out)
	sm := secretLine.FindStringSubmatch(out)
	if m == nil || sm == nil {
		t.Fatalf("banner without a development key and a webhook secret:\n%s", out)
	}
	assert.Contains(t, out, "kept in memory", "the banner says the stores are in memory")
	recv.Verifier = &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{sm[1]}}
	ctx := context.Background()
	c, err := client.New(srv.url, client.WithAPIKey(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{WebhookURL: rs.URL + "/hook", Challenges: []string{"BLINK"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.HostedURL, srv.url+"/check?s="+s.SessionID+"&t=") {
		t.Errorf("hosted_url %s", s.HostedURL)
	}
	v, err := c.WithClientToken(s.ClientToken).Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
	if err != nil || !v.FaceDetected {
		t.Fatalf("verify %+v, %v", v, err)
	}
	if _, err := c.Cancel(ctx, s.SessionID); err != nil {
		t.Fatal(err)
	}
	// The per-session webhook: the signed flat session.completed payload.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := recv.Next(wctx)
	if err != nil {
		t.Fatalf("no webhook: %v\n%s", err, srv.stderr.String())
	}
	if got.Verified != nil {
		t.Fatalf("webhook signature: %v", got.Verified)
	}
	comp, err := event.ParseCompleted(got.Body)
	if err != nil || comp.Event != event.EventCompleted || comp.SessionID != s.SessionID || comp.Passed || comp.Reason == nil || *comp.Reason != "cancelled" {
		t.Errorf("completed payload %s (%v)", got.Body, err)
	}

	for path, want := range map[string]string{"/metrics": "openliveness_frames_total{faces=\"1\"} 1", "/check": "<html", "/openapi.yaml": "openapi: 3.1.0"} {
		res, err := http.Get(srv.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), strings.ToLower(want)) {
			t.Errorf("GET %s: %d, body lacks %q", path, res.StatusCode, want)
		}
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("exit code %d: %s", code, srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "msg=stopped") {
		t.Errorf("no graceful stop in the log:\n%s", srv.stderr.String())
	}
}

func TestDevAPIKeyFlag(t *testing.T) {
	const key = "my-development-key-123"
	srv := start(t, "-dev-api-key", key)
	if strings.Contains(srv.stdout.String(), key) {
		t.Error("the given key is printed")
	}
	c, _ := client.New(srv.url, client.WithAPIKey(key))
	if _, err := c.CreateSession(context.Background(), client.CreateSessionRequest{}); err != nil {
		t.Fatal(err)
	}
	bad, _ := client.New(srv.url, client.WithAPIKey("another-key-of-some-length"))
	if _, err := bad.CreateSession(context.Background(), client.CreateSessionRequest{}); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("wrong key: %v", err)
	}
}

func TestKeysAndDataDir(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx := context.Background()
	if code := run(ctx, []string{"keys", "create", "-name", "backend", "-data-dir", dir}, &out, &errb, noEnv, nil); code != 0 {
		t.Fatalf("keys create: %d %s", code, errb.String())
	}
	key := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^lv_[0-9A-Za-z]{43}$`).MatchString(key) {
		t.Fatalf("created key %q", key)
	}
	out.Reset()
	if code := run(ctx, []string{"keys", "list", "-data-dir", dir}, &out, &errb, noEnv, nil); code != 0 {
		t.Fatal(errb.String())
	}
	if strings.Contains(out.String(), key) || !strings.Contains(out.String(), key[:11]+"…") || !strings.Contains(out.String(), "backend") {
		t.Errorf("keys list:\n%s", out.String())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "keys.json"))
	if bytes.Contains(b, []byte(key)) {
		t.Error("keys.json holds the key")
	}

	srv := start(t, "-data-dir", dir)
	if keyLine.MatchString(srv.stdout.String()) {
		t.Error("a development key is generated although the data directory has keys")
	}
	c, _ := client.New(srv.url, client.WithAPIKey(key))
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(ctx, []string{"keys", "revoke", "-data-dir", dir, key}, &out, &errb, noEnv, nil); code != 0 {
		t.Fatal(errb.String())
	}
	if _, err := c.Session(ctx, s.SessionID); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("revoked key still accepted: %v", err)
	}
	srv.stop()

	// Sessions are durable with a data directory.
	srv2 := start(t, "-data-dir", dir, "-dev-api-key", "second-development-key")
	c2, _ := client.New(srv2.url, client.WithAPIKey("second-development-key"))
	if got, err := c2.Session(ctx, s.SessionID); err != nil || got.Status != "pending" {
		t.Errorf("session after restart: %+v, %v", got, err)
	}

	for _, args := range [][]string{{"keys"}, {"keys", "frobnicate"}, {"keys", "revoke", "-data-dir", dir}, {"keys", "revoke", "-data-dir", dir, "lv_unknown"}} {
		if code := run(ctx, args, io.Discard, io.Discard, noEnv, nil); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

func TestWebhooksKeptAcrossShutdown(t *testing.T) {
	recv := outboxtest.NewReceiver(http.StatusServiceUnavailable)
	rs := httptest.NewServer(recv)
	defer rs.Close()
	dir := t.TempDir()
	srv := start(t, "-data-dir", dir, "-webhook-url", rs.URL, "-webhook-allow-private", "-dev-api-key", "development-key-0001")
	secret := secretLine.FindStringSubmatch(srv.stdout.String())
	if secret == nil {
		t.Fatalf("no generated secret:\n%s", srv.stdout.String())
	}
	c, _ := client.New(srv.url, client.WithAPIKey("development-key-0001"))
	if _, err := c.CreateSession(context.Background(), client.CreateSessionRequest{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first, err := recv.Next(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := event.ParseEvent(first.Body); err != nil || ev.Type != event.SessionCreated {
		t.Fatalf("first webhook %s", first.Body)
	}
	if code := srv.stop(); code != 0 {
		t.Fatal(srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "kept in the outbox") {
		t.Errorf("shutdown log:\n%s", srv.stderr.String())
	}
	st, err := hookbolt.Open(filepath.Join(dir, "webhooks.db"), &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.Deliveries(context.Background(), outbox.DeliveryFilter{State: outbox.StatePending})
	st.Close()
	if err != nil || len(pending) != 1 || pending[0].EventType != event.SessionCreated {
		t.Fatalf("pending deliveries after shutdown: %+v, %v", pending, err)
	}
	// The secret is kept with the data, not generated again.
	srv2 := start(t, "-data-dir", dir, "-dev-api-key", "development-key-0001")
	if secretLine.MatchString(srv2.stdout.String()) {
		t.Error("a new webhook secret was generated on restart")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "webhook-secret"))
	if strings.TrimSpace(string(b)) != secret[1] {
		t.Error("webhook-secret file does not hold the printed secret")
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"OPENLIVENESS_ADDR": "127.0.0.1:9999", "OPENLIVENESS_DEV_API_KEY": "from-the-environment-1"}
	getenv := func(k string) string { return env[k] }
	c, err := parseConfig(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DevAPIKey != "from-the-environment-1" || c.WebhookFormat != event.FormatEvent || c.SessionWebhookFormat != event.FormatCompleted {
		t.Errorf("config %+v", c)
	}
	c, err = parseConfig([]string{"-addr", ":1", "-cors-origins", "https://a.example.com, https://b.example.com", "-frame-ancestors", "'self'"}, getenv, io.Discard)
	if err != nil || c.Addr != ":1" || len(c.CORSOrigins) != 2 || c.FrameAncestors[0] != "'self'" {
		t.Errorf("config %+v, %v", c, err)
	}
	d, _ := parseConfig(nil, noEnv, io.Discard)
	if d.Addr != "127.0.0.1:8080" {
		t.Errorf("default addr %q", d.Addr)
	}
	for _, bad := range [][]string{
		{"-webhook-format", "xml"}, {"-log-level", "loud"}, {"-log-format", "yaml"}, {"-rate-limit", "0"},
		{"-dev-api-key", "short"}, {"extra"}, {"-nope"},
	} {
		if _, err := parseConfig(bad, noEnv, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if code := run(context.Background(), []string{"-frame-ancestors", "https://x.example.com;script-src *", "-addr", "127.0.0.1:0"}, io.Discard, io.Discard, noEnv, nil); code == 0 {
		t.Error("invalid frame ancestor accepted")
	}
}

// The audit chain is kept in the data directory and checkpointed: each
// signed checkpoint is appended to audit-checkpoints.jsonl and verifies
// with the server's audit key.
func TestAuditCheckpoints(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := start(t, "-data-dir", dir, "-dev-api-key", "development-key-for-tests", "-audit-checkpoint-interval", "20ms")
	c, _ := client.New(srv.url, client.WithAPIKey("development-key-for-tests"))
	if _, err := c.CreateSession(ctx, client.CreateSessionRequest{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit-checkpoints.jsonl")
	var line []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			line = bytes.SplitN(b, []byte("\n"), 2)[0]
			break
		}
	}
	if line == nil {
		t.Fatalf("no checkpoint written; logs:\n%s", srv.stderr.String())
	}
	srv.stop()
	cp, err := audit.ParseCheckpoint(line)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(seed)))
	pub := ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey)
	keys := audit.NewKeyring()
	if err := keys.Add(cp.KeyID, pub); err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyCheckpoint(keys, cp); err != nil || cp.Size < 1 {
		t.Errorf("checkpoint %+v: %v", cp, err)
	}
}
