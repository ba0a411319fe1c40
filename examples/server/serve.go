package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/audit"
	auditbolt "github.com/openliveness/openliveness/audit/boltstore"
	"github.com/openliveness/openliveness/internal/serverkit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	livebolt "github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/webhook"
	hookbolt "github.com/openliveness/openliveness/webhook/boltstore"
)

// serve runs the server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer, ready func(addr string)) (err error) {
	logger := newLogger(cfg, stderr)
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			if cerr := closers[i](); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	if cfg.dataDir != "" {
		if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
			return err
		}
	}

	// Webhook secret: given, kept in the data directory, or new.
	secret, secretNew, err := webhookSecret(cfg)
	if err != nil {
		return err
	}

	// API keys: the keys file of the data directory, and a development key.
	var verifiers apikey.Chain
	haveFileKeys := false
	if cfg.dataDir != "" {
		fileKeys, err := apikey.OpenFile(filepath.Join(cfg.dataDir, "keys.json"))
		if err != nil {
			return err
		}
		verifiers = append(verifiers, apikey.Verifier{Store: fileKeys})
		list, err := fileKeys.List(ctx)
		if err != nil {
			return err
		}
		for _, k := range list {
			haveFileKeys = haveFileKeys || !k.Revoked()
		}
	}
	devKey, devKeyNew := cfg.DevAPIKey, false
	if devKey == "" && !haveFileKeys {
		if devKey, devKeyNew, err = developmentKey(cfg.dataDir); err != nil {
			return err
		}
	}
	if devKey != "" {
		mem := apikey.NewMemoryStore()
		// The development key is the operator's: it sees every tenant's
		// sessions (role admin).
		if _, err := apikey.ImportKey(ctx, mem, devKey, apikey.Key{Name: "development", Role: apikey.RoleAdmin}, time.Now()); err != nil {
			return err
		}
		verifiers = append(verifiers, apikey.Verifier{Store: mem})
	}

	metrics := httpapi.NewMetrics()

	// Webhook outbox and dispatcher.
	var hookStore webhook.Store = webhook.NewMemoryStore()
	if cfg.dataDir != "" {
		bs, err := hookbolt.Open(filepath.Join(cfg.dataDir, "webhooks.db"), &bolt.Options{Timeout: 5 * time.Second})
		if err != nil {
			return fmt.Errorf("webhook outbox: %w", err)
		}
		closers = append(closers, bs.Close)
		hookStore = bs
	}
	// Evidence links in results and webhooks are signed with a key derived
	// from the webhook secret, so replicas sharing it accept each other's.
	evidenceURLs := &liveness.EvidenceURLs{Secret: liveness.EvidenceURLKey(secret)}
	dopts := []webhook.Option{webhook.WithStore(metrics.WebhookStore(hookStore)), webhook.WithLogger(logger), webhook.WithRetryPolicy(cfg.webhookRetry)}
	nopts := []liveness.WebhookOption{liveness.SessionWebhookSecret(secret), liveness.SessionWebhookFormat(cfg.SessionFormat), liveness.WebhookLogger(logger), liveness.WebhookEvidenceURLs(evidenceURLs),
		liveness.SessionWebhookSchemes(cfg.webhookSchemes)}
	if cfg.WebhookAllowPrivate {
		dopts = append(dopts, webhook.WithInsecureTargets())
		nopts = append(nopts, liveness.WebhookInsecureTargets())
	}
	if cfg.WebhookURL != "" {
		nopts = append(nopts, liveness.WebhookEndpoints(webhook.Endpoint{
			ID: "server", URL: cfg.WebhookURL, Secrets: webhook.Secrets{{Value: secret}}, Format: cfg.WebhookFormat, Schemes: cfg.webhookSchemes,
		}))
	}
	if cfg.tenantWebhooks != "" {
		eps, err := readTenantWebhooks(cfg.tenantWebhooks)
		if err != nil {
			return err
		}
		nopts = append(nopts, liveness.TenantWebhookEndpoints(eps))
	}
	dispatcher, err := webhook.New(dopts...)
	if err != nil {
		return err
	}
	notifier, err := liveness.NewWebhookNotifier(dispatcher, nopts...)
	if err != nil {
		dispatcher.Close()
		return err
	}

	// Audit log: a bbolt file and a persistent signing key in the data
	// directory, or in memory.
	auditLog, auditClose, err := openAudit(ctx, cfg.dataDir, logger)
	if err != nil {
		dispatcher.Close()
		return err
	}
	if auditClose != nil {
		closers = append(closers, auditClose)
	}

	// Engine.
	eopts := []liveness.Option{liveness.WithLogger(logger), liveness.WithNotifier(notifier), liveness.WithObserver(metrics), liveness.WithAuditor(auditLog)}
	if p, ok := hookStore.(liveness.Pruner); ok { // both outboxes prune delivered records
		eopts = append(eopts, liveness.WithRetention(24*time.Hour, 10*time.Minute, p))
	}
	if cfg.dataDir != "" {
		ss, err := livebolt.Open(filepath.Join(cfg.dataDir, "sessions.db"))
		if err != nil {
			dispatcher.Close()
			return fmt.Errorf("session store: %w", err)
		}
		closers = append(closers, ss.Close)
		ev, err := liveness.NewDirEvidence(filepath.Join(cfg.dataDir, "evidence"))
		if err != nil {
			dispatcher.Close()
			return fmt.Errorf("evidence store: %w", err)
		}
		eopts = append(eopts, liveness.WithStore(ss), liveness.WithEvidenceStore(ev))
	} else {
		eopts = append(eopts, liveness.WithEvidenceStore(liveness.NewMemoryEvidence(nil)))
	}
	engine, err := liveness.New(eopts...)
	if err != nil {
		dispatcher.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		dispatcher.Close()
		return err
	}
	addr := ln.Addr().String()
	tlsSet, err := serverTLS(cfg, addr, time.Now())
	if err != nil {
		ln.Close()
		dispatcher.Close()
		return err
	}
	scheme := "http://"
	if tlsSet != nil {
		ln = tls.NewListener(ln, tlsSet.config)
		scheme = "https://"
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = scheme + addr
		if host, port, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			publicURL = scheme + net.JoinHostPort("localhost", port) // every interface: this machine's name for it
		}
	}
	evidenceURLs.BaseURL = strings.TrimSuffix(publicURL, "/")
	var metricsLn net.Listener
	hopts := []httpapi.Option{}
	if cfg.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.metricsAddr); err != nil {
			ln.Close()
			dispatcher.Close()
			return fmt.Errorf("metrics address: %w", err)
		}
		hopts = append(hopts, httpapi.WithoutMetricsRoute())
	}
	handler, err := httpapi.New(engine, append(hopts,
		httpapi.WithKeys(verifiers),
		httpapi.WithRateLimiter(httpapi.NewMemoryRateLimiter(cfg.RateLimit, cfg.RateWindow, nil)),
		httpapi.WithPublicURL(publicURL),
		httpapi.WithFrameAncestors(cfg.FrameAncestors...),
		httpapi.WithCORSOrigins(cfg.CORSOrigins...),
		httpapi.WithWebhooks(notifier),
		httpapi.WithLogger(logger),
		httpapi.WithMetrics(metrics),
		httpapi.WithEvidenceURLs(evidenceURLs),
		httpapi.WithEvidenceRetention(cfg.EvidenceRetention),
	)...)
	if err != nil {
		ln.Close()
		dispatcher.Close()
		return err
	}
	srv := serverkit.NewHTTPServer(handler, logger)

	printBanner(stdout, cfg, publicURL, devKey, devKeyNew, secret, secretNew, tlsSet)
	if cfg.PublicURL == "" {
		if others := networkURLs(scheme, addr); len(others) > 0 {
			fmt.Fprintf(stdout, "  also reachable at %s (hosted_url uses -public-url: set it to the one a phone reaches)\n", strings.Join(others, ", "))
		}
	}

	workers := []func(context.Context){
		func(ctx context.Context) { dispatcher.Run(ctx) },
		func(ctx context.Context) { engine.Run(ctx) },
	}
	if cfg.checkpointEvery > 0 {
		workers = append(workers, func(ctx context.Context) {
			t := time.NewTicker(cfg.checkpointEvery)
			defer t.Stop()
			auditLog.RunCheckpoints(ctx, t.C, publishCheckpoint(cfg.dataDir, logger))
		})
	}
	if cfg.EvidenceRetention > 0 {
		workers = append(workers, func(ctx context.Context) { purgeEvidence(ctx, engine, cfg.EvidenceRetention, logger) })
	}
	if metricsLn != nil {
		workers = append(workers, func(ctx context.Context) { serveMetrics(ctx, metricsLn, metrics, logger) })
		logger.Info("metrics listening", "addr", metricsLn.Addr().String())
	}
	logger.Info("server listening", "addr", addr, "public_url", publicURL, "data_dir", cfg.dataDir,
		"webhook_url", cfg.WebhookURL, "webhook_allow_private", cfg.WebhookAllowPrivate, "model_version", engine.ModelVersion())
	if ready != nil {
		ready(addr)
	}
	if err := serverkit.Run(ctx, serverkit.Params{Listener: ln, Server: srv, Dispatcher: dispatcher, Workers: workers,
		Logger: logger, ShutdownTimeout: cfg.ShutdownTimeout}); err != nil {
		return err
	}
	if pending, err := hookStore.Deliveries(context.Background(), webhook.DeliveryFilter{State: webhook.StatePending}); err == nil && len(pending) > 0 {
		if cfg.dataDir != "" {
			logger.Info("webhooks kept in the outbox for the next start", "pending", len(pending))
		} else {
			logger.Warn("webhooks not delivered are lost (in-memory outbox; use -data-dir)", "pending", len(pending))
		}
	}
	logger.Info("stopped")
	return nil
}

// serveMetrics serves /metrics alone on ln until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, m *httpapi.Metrics, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	srv := serverkit.NewHTTPServer(mux, logger)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics listener", "err", err)
	}
}

// tenantWebhook is one entry of the -tenant-webhooks file.
type tenantWebhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
	Format string `json:"format"`
}

// readTenantWebhooks reads the -tenant-webhooks file.
func readTenantWebhooks(path string) (map[string]webhook.Endpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenant webhooks: %w", err)
	}
	var m map[string]tenantWebhook
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("tenant webhooks %s: %w", path, err)
	}
	eps := make(map[string]webhook.Endpoint, len(m))
	for t, w := range m {
		f := webhook.Format(w.Format)
		if f == "" {
			f = webhook.FormatEvent
		}
		eps[t] = webhook.Endpoint{URL: w.URL, Secrets: webhook.Secrets{{Value: w.Secret}}, Format: f}
	}
	return eps, nil
}

// purgeEvidence deletes, every hour, the evidence frames of sessions that
// ended more than retention ago (their hashes stay).
func purgeEvidence(ctx context.Context, engine *liveness.Engine, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := engine.PurgeEvidence(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("purging evidence", "err", err)
		case n > 0:
			logger.Info("evidence purged", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	return serverkit.NewLogger(w, cfg.LogLevel, cfg.LogJSON)
}

// webhookSecret returns the configured secret, the one kept in the data
// directory, or a new one (kept there when there is a data directory).
func webhookSecret(cfg *config) (secret string, generated bool, err error) {
	if cfg.WebhookSecret != "" {
		return cfg.WebhookSecret, false, nil
	}
	var path string
	if cfg.dataDir != "" {
		path = filepath.Join(cfg.dataDir, "webhook-secret")
		b, err := os.ReadFile(path)
		if err == nil {
			if s := strings.TrimSpace(string(b)); s != "" {
				return s, false, nil
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
	}
	secret, err = webhook.GenerateSecret(rand.Reader)
	if err != nil {
		return "", false, err
	}
	if path != "" {
		if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
			return "", false, err
		}
	}
	return secret, true, nil
}

// printBanner prints what a developer needs to start: the URL, the keys
// and a command that works when pasted into a POSIX shell.
func printBanner(w io.Writer, cfg *config, publicURL, devKey string, devKeyShow bool, secret string, secretNew bool, t *tlsSetup) {
	fmt.Fprintf(w, "openliveness server on %s\n", publicURL)
	switch {
	case devKeyShow && cfg.dataDir != "":
		fmt.Fprintf(w, "  development API key (kept in %s): %s\n", filepath.Join(cfg.dataDir, devKeyFile), devKey)
	case devKeyShow:
		fmt.Fprintf(w, "  development API key (new at every start; use -data-dir to keep it): %s\n", devKey)
	case devKey != "":
		fmt.Fprintf(w, "  development API key: from -dev-api-key (%s…)\n", apikey.PrefixOf(devKey))
	}
	if secretNew {
		fmt.Fprintf(w, "  webhook secret (shown once): %s\n", secret)
	}
	if cfg.dataDir == "" {
		fmt.Fprintln(w, "  sessions and queued webhooks are kept in memory (use -data-dir to keep them)")
	}
	insecure := ""
	if t != nil && t.fingerprint != "" {
		fmt.Fprintf(w, "  self-signed certificate for %s\n  SHA-256 fingerprint: %s\n", strings.Join(t.names, ", "), t.fingerprint)
		insecure = "-k "
	}
	key := "$KEY"
	if devKeyShow {
		key = devKey
	} else {
		fmt.Fprintln(w, "  set KEY to an API key (server keys create), then")
	}
	fmt.Fprintf(w, "  try: curl -s %s-X POST -H \"X-API-Key: %s\" %s/v1/sessions\n", insecure, key, publicURL)
}

// networkURLs lists the base URLs of the non-loopback interface addresses
// when the server listens on every interface.
func networkURLs(scheme, addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsUnspecified() {
		return nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() && n.IP.To4() != nil {
			out = append(out, scheme+net.JoinHostPort(n.IP.String(), port))
		}
	}
	return out
}

// devKeyFile is the development key's file in the data directory.
const devKeyFile = "dev-api-key"

// developmentKey returns the development API key: the one kept in the data
// directory, or a new one (kept there when there is a data directory).
// shown is true: the banner prints it.
func developmentKey(dataDir string) (key string, shown bool, err error) {
	var path string
	if dataDir != "" {
		path = filepath.Join(dataDir, devKeyFile)
		b, err := os.ReadFile(path)
		if err == nil {
			if k := strings.TrimSpace(string(b)); len(k) >= 16 {
				return k, true, nil
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
	}
	if key, err = apikey.Generate(rand.Reader); err != nil {
		return "", false, err
	}
	if path != "" {
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return "", false, err
		}
	}
	return key, true, nil
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

// publishCheckpoint logs each audit checkpoint (the head hash and the
// Merkle root of the entries since the previous one, signed) and, with a
// data directory, appends it to audit-checkpoints.jsonl, for an operator to
// anchor outside the server (a ticket, a transparency log, an email).
func publishCheckpoint(dataDir string, logger *slog.Logger) func(context.Context, audit.Checkpoint) error {
	return func(_ context.Context, cp audit.Checkpoint) error {
		logger.Info("audit checkpoint", "size", cp.Size, "head_hash", cp.HeadHash, "merkle_root", cp.MerkleRoot,
			"start", cp.Start, "key_id", cp.KeyID, "signature", cp.Signature)
		if dataDir == "" {
			return nil
		}
		line, err := json.Marshal(cp)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dataDir, "audit-checkpoints.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}
