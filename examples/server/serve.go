package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/audit"
	auditbolt "github.com/openliveness/openliveness/audit/boltstore"
	"github.com/openliveness/openliveness/liveness/apikey"
	livebolt "github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/evidence"
	hookbolt "github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/liveness/server"
)

// serve runs the server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer, ready func(addr string)) error {
	sc := cfg.Config
	sc.Stdout, sc.Stderr, sc.Ready = stdout, stderr, ready
	sc.Stores = func(ctx context.Context, logger *slog.Logger) (*server.Stores, error) {
		return openStores(ctx, cfg.dataDir, logger)
	}
	return server.Run(ctx, sc)
}

// openStores opens the stores: bbolt files, an evidence directory and a
// keys file in dataDir, or memory without one.
func openStores(ctx context.Context, dataDir string, logger *slog.Logger) (st *server.Stores, err error) {
	st = &server.Stores{Durable: dataDir != ""}
	var closers []func() error
	st.Close = func() error {
		var first error
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	auditLog, auditClose, err := openAudit(ctx, dataDir, logger)
	if err != nil {
		return st, err
	}
	if auditClose != nil {
		closers = append(closers, auditClose)
	}
	st.Audit = auditLog
	if dataDir == "" {
		return st, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return st, err
	}
	fileKeys, err := apikey.OpenFile(filepath.Join(dataDir, "keys.json"))
	if err != nil {
		return st, err
	}
	st.Keys = apikey.Chain{apikey.Verifier{Store: fileKeys}}
	list, err := fileKeys.List(ctx)
	if err != nil {
		return st, err
	}
	for _, k := range list {
		st.HasKeys = st.HasKeys || !k.Revoked()
	}
	hs, err := hookbolt.Open(filepath.Join(dataDir, "webhooks.db"), &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return st, fmt.Errorf("webhook outbox: %w", err)
	}
	closers = append(closers, hs.Close)
	st.Webhooks = hs
	ss, err := livebolt.Open(filepath.Join(dataDir, "sessions.db"))
	if err != nil {
		return st, fmt.Errorf("session store: %w", err)
	}
	closers = append(closers, ss.Close)
	st.Sessions = ss
	st.References = ss // registered reference faces: a bucket of sessions.db
	ev, err := evidence.NewDir(filepath.Join(dataDir, "evidence"))
	if err != nil {
		return st, fmt.Errorf("evidence store: %w", err)
	}
	st.Evidence = ev
	return st, nil
}

// openAudit opens the audit log: audit.db and audit.key in the data
// directory, or an in-memory log with a fresh key.
func openAudit(ctx context.Context, dataDir string, logger *slog.Logger) (*audit.Log, func() error, error) {
	var (
		store audit.Store = audit.NewMemoryStore()
		key   ed25519.PrivateKey
		close func() error
	)
	if dataDir == "" {
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	} else {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, err
		}
		bs, err := auditbolt.Open(filepath.Join(dataDir, "audit.db"))
		if err != nil {
			return nil, nil, fmt.Errorf("audit log: %w", err)
		}
		store, close = bs, bs.Close
		path := filepath.Join(dataDir, "audit.key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			seed, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
			if derr != nil || len(seed) != ed25519.SeedSize {
				bs.Close()
				return nil, nil, fmt.Errorf("audit log: %s is not a base64 Ed25519 seed", path)
			}
			key = ed25519.NewKeyFromSeed(seed)
		case os.IsNotExist(err):
			seed := make([]byte, ed25519.SeedSize)
			if _, err := rand.Read(seed); err != nil {
				bs.Close()
				return nil, nil, err
			}
			if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(seed)+"\n"), 0o600); err != nil {
				bs.Close()
				return nil, nil, err
			}
			key = ed25519.NewKeyFromSeed(seed)
		default:
			bs.Close()
			return nil, nil, err
		}
	}
	pub := key.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	signer, err := audit.NewSigner("server-"+hex.EncodeToString(sum[:6]), key)
	if err != nil {
		return nil, nil, err
	}
	log, err := audit.Open(ctx, audit.WithStore(store), audit.WithSigner(signer), audit.WithLogger(logger))
	if err != nil {
		if close != nil {
			close()
		}
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	return log, close, nil
}
