// Command signing is a small e-signing demo on top of openliveness: a
// document is signed only after its signer passed a liveness check, and the
// signature is bound to the check's evidence in the audit chain.
//
//	go run ./examples/signing                    # serve on 127.0.0.1:8090
//	go run ./examples/signing verify -log audit.jsonl -keys keys.json -receipt receipt.json -document contract.pdf
//
// Flow: POST /api/signing/sessions {"document_id","signer"} (and, optionally,
// "reference_image_b64", the signer's photo on file, which the live face
// must match) returns the
// signing session (session_id, client_token) and its liveness session
// (liveness_session_id); the signer page /sign runs the hosted liveness
// check in an iframe; after a PASS, POST
// /api/signing/sessions/{id}/complete with the document as the body returns
// a receipt: the document's SHA-256, the liveness evidence hash, the
// server's Ed25519 signature over both, and the DOC_SIGNED audit entry.
// GET /api/audit/export and GET /api/audit/keys give what verify needs.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/boltstore"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/evidence"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

//go:embed page
var pageFS embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) int {
	if len(args) > 0 && args[0] == "verify" {
		return verifyCmd(args[1:], stdout, stderr)
	}
	fset := flag.NewFlagSet("signing", flag.ContinueOnError)
	fset.SetOutput(stderr)
	addr := fset.String("addr", "127.0.0.1:8090", "listen address")
	dataDir := fset.String("data-dir", "", "directory for the audit log, the signing key and evidence (default: in memory)")
	count := fset.Int("challenge-count", 3, "challenges per liveness check (1–8; at least 3 resist recordings, see docs/challenges.md)")
	allow := fset.String("challenges", "", "comma-separated allow-list of challenges (default: all)")
	fset.Usage = func() {
		fmt.Fprint(stderr, `usage:
  signing [flags]       serve the e-signing demo
  signing verify -log audit.jsonl -keys keys.json [-receipt receipt.json -document FILE]
                        check an exported audit chain, and a receipt against its document
                        (signing verify -h lists its flags)
flags:
`)
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var allowed []challenge.ID
	if *allow != "" {
		var err error
		if allowed, err = challenge.ParseIDs(*allow); err != nil {
			fmt.Fprintln(stderr, "signing:", err)
			return 2
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	h, cleanup, err := newServer(ctx, *dataDir, logger, *count, allowed)
	if err != nil {
		fmt.Fprintln(stderr, "signing:", err)
		return 1
	}
	defer cleanup()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "signing:", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "e-signing demo on http://%s/ (open it in a browser)\n", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "signing:", err)
		return 1
	}
	return 0
}

// newServer wires the liveness engine, its HTTP API (for the hosted page),
// the audit log and the signing service.
func newServer(ctx context.Context, dataDir string, logger *slog.Logger, count int, allowed []challenge.ID) (http.Handler, func(), error) {
	var (
		store   audit.Store = audit.NewMemoryStore()
		key     ed25519.PrivateKey
		ev      liveness.EvidenceStore = evidence.NewMemory(nil)
		closers []func()
	)
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, err
		}
		bs, err := boltstore.Open(filepath.Join(dataDir, "audit.db"))
		if err != nil {
			return nil, nil, err
		}
		store, closers = bs, append(closers, func() { bs.Close() })
		if key, err = loadOrCreateKey(filepath.Join(dataDir, "signing.key")); err != nil {
			return nil, nil, err
		}
		if ev, err = evidence.NewDir(filepath.Join(dataDir, "evidence")); err != nil {
			return nil, nil, err
		}
	} else {
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	}
	keyID := "sig-" + fingerprint(key.Public().(ed25519.PublicKey))
	signer, err := audit.NewSigner(keyID, key)
	if err != nil {
		return nil, nil, err
	}
	log, err := audit.Open(ctx, audit.WithStore(store), audit.WithSigner(signer), audit.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	// Synchronous relay: a session's LIVENESS_RESULT is in the chain before
	// the session reads as passed, so it always precedes the DOC_SIGNED
	// entry that cites it.
	engine, err := liveness.New(liveness.WithAuditor(log), liveness.WithEvidenceStore(ev), liveness.WithLogger(logger), liveness.WithSyncRelay())
	if err != nil {
		return nil, nil, err
	}
	api, err := httpapi.New(engine, httpapi.WithKeys(apikey.Verifier{Store: apikey.NewMemoryStore()}), httpapi.WithFrameAncestors("'self'"), httpapi.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	svc := &service{live: engine, log: log, key: key, keyID: keyID, now: time.Now, logger: logger, maxDoc: 10 << 20, sessions: map[string]*signingSession{}, count: count, allowed: allowed}
	mux := http.NewServeMux()
	svc.routes(mux)
	mux.HandleFunc("GET /api/audit/export", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		if err := log.Export(r.Context(), w); err != nil {
			logger.Error("signing: export", "err", err)
		}
	})
	mux.HandleFunc("GET /api/audit/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{keyID: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { serveFile(w, r, "index.html") })
	mux.HandleFunc("GET /sign", func(w http.ResponseWriter, r *http.Request) { serveFile(w, r, "sign.html") })
	mux.HandleFunc("GET /sign.js", func(w http.ResponseWriter, r *http.Request) { serveFile(w, r, "sign.js") })
	mux.Handle("/", api) // /v1/…, /check, /sdk/…
	return mux, func() {
		for _, c := range closers {
			c()
		}
	}, nil
}

// serveFile serves one of the demo's embedded pages.
func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	b, err := fs.ReadFile(pageFS, "page/"+name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-src 'self'; connect-src 'self'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

func fingerprint(pub ed25519.PublicKey) string {
	return sha256Hex(pub)[:12]
}

// loadOrCreateKey reads an Ed25519 seed (base64) or creates one.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("signing: %s is not a base64 Ed25519 seed", path)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !os.IsNotExist(err) {
		return nil, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(seed)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// verifyCmd checks an exported audit chain, a receipt and the document.
func verifyCmd(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("verify", flag.ContinueOnError)
	fset.SetOutput(stderr)
	logPath := fset.String("log", "", "exported audit chain (JSON Lines, from /api/audit/export)")
	keysPath := fset.String("keys", "", "public keys (JSON {key_id: base64}, from /api/audit/keys)")
	receiptPath := fset.String("receipt", "", "signing receipt (JSON); optional")
	docPath := fset.String("document", "", "the signed document; with -receipt")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: signing verify -log audit.jsonl -keys keys.json [-receipt receipt.json -document FILE]")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *logPath == "" || *keysPath == "" || (*receiptPath == "") != (*docPath == "") {
		fmt.Fprintln(stderr, "usage: signing verify -log audit.jsonl -keys keys.json [-receipt receipt.json -document FILE]")
		return 2
	}
	res, err := verifyFiles(*logPath, *keysPath, *receiptPath, *docPath)
	if err != nil {
		fmt.Fprintln(stderr, "verify: FAILED:", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// verifyFiles returns a one-line summary or the first problem found.
func verifyFiles(logPath, keysPath, receiptPath, docPath string) (string, error) {
	kb, err := os.ReadFile(keysPath)
	if err != nil {
		return "", err
	}
	var pubs map[string]string
	if err := json.Unmarshal(kb, &pubs); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	keys := audit.NewKeyring()
	for id, p := range pubs {
		raw, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return "", fmt.Errorf("keys: %s is not a base64 Ed25519 public key", id)
		}
		if err := keys.Add(id, ed25519.PublicKey(raw)); err != nil {
			return "", err
		}
	}
	f, err := os.Open(logPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	entries, err := audit.Import(f, keys, nil)
	if err != nil {
		return "", fmt.Errorf("audit chain: %w", err)
	}
	summary := fmt.Sprintf("audit chain OK: %d entries", len(entries))
	if receiptPath == "" {
		return summary, nil
	}
	rb, err := os.ReadFile(receiptPath)
	if err != nil {
		return "", err
	}
	var rc Receipt
	if err := json.Unmarshal(rb, &rc); err != nil {
		return "", fmt.Errorf("receipt: %w", err)
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		return "", err
	}
	if got := "sha256:" + sha256Hex(doc); got != rc.DocumentHash {
		return "", fmt.Errorf("document hash %s does not match the receipt's %s", got, rc.DocumentHash)
	}
	pub, ok := pubs[rc.KeyID]
	if !ok {
		return "", fmt.Errorf("receipt signed by unknown key %q", rc.KeyID)
	}
	raw, _ := base64.StdEncoding.DecodeString(pub)
	sig, err := base64.StdEncoding.DecodeString(rc.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(raw), signedBytes(&rc), sig) {
		return "", errors.New("the receipt's signature does not verify")
	}
	var signed, result *audit.Entry
	for i := range entries {
		e := &entries[i]
		if e.AuditID == rc.AuditID {
			signed = e
			break
		}
		if e.SessionID == rc.LivenessSessionID && e.EventType == audit.LivenessResult {
			result = e
		}
	}
	switch {
	case signed == nil:
		return "", fmt.Errorf("audit entry %s not in the chain", rc.AuditID)
	case signed.EventType != audit.DocSigned || signed.SessionID != rc.LivenessSessionID:
		return "", fmt.Errorf("audit entry %s is not the DOC_SIGNED entry of liveness session %s", rc.AuditID, rc.LivenessSessionID)
	case signed.PayloadHash != audit.Hash([]byte(rc.Payload)):
		return "", errors.New("the receipt's payload does not match the audit entry's payload hash")
	case signed.EvidenceHash != rc.EvidenceHash || rc.EvidenceHash == "":
		return "", errors.New("the receipt's evidence hash does not match the audit entry")
	case result == nil || result.EvidenceHash != rc.EvidenceHash:
		return "", fmt.Errorf("no LIVENESS_RESULT with evidence %s precedes the signature", rc.EvidenceHash)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(rc.Payload), &p); err != nil || p["document_hash"] != rc.DocumentHash || p["signature"] != rc.Signature {
		return "", errors.New("the receipt's payload disagrees with the receipt")
	}
	return fmt.Sprintf("%s; document %s signed by %s at %s after liveness session %s (evidence %s, audit entry %s)",
		summary, rc.DocumentID, rc.Signer, rc.SignedAt, rc.LivenessSessionID, rc.EvidenceHash, rc.AuditID), nil
}
