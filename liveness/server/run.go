package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
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

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/evidence"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// Run serves cfg until ctx ends, then shuts down gracefully (see the
// package documentation). It returns an error when the configuration is
// invalid, a store or the listener cannot be opened, or the listener
// fails.
func Run(ctx context.Context, cfg Config) (err error) {
	if err := cfg.Validate(); err != nil {
		return err
	}
	stdout, stderr := cfg.Stdout, cfg.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	logger := NewLogger(stderr, cfg.LogLevel, cfg.LogJSON)
	if cfg.Replica != "" {
		logger = logger.With("replica", cfg.Replica)
	}
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			if cerr := closers[i](); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			return err
		}
	}

	// Webhook secret: given, kept in the state directory, or new.
	secret, secretNew, err := webhookSecret(&cfg)
	if err != nil {
		return err
	}
	tenantEndpoints, err := readTenantWebhooks(cfg.TenantWebhooks)
	if err != nil {
		return err
	}

	stores := &Stores{}
	if cfg.Stores != nil {
		if stores, err = cfg.Stores(ctx, logger); err != nil {
			return err
		}
		if stores.Close != nil {
			closers = append(closers, stores.Close)
		}
	}

	// API keys: the main's key stores, and a development key.
	verifiers := append(apikey.Chain(nil), stores.Keys...)
	devKey, devKeyNew := cfg.DevAPIKey, false
	if devKey == "" && !stores.HasKeys {
		if devKey, devKeyNew, err = developmentKey(cfg.StateDir); err != nil {
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

	// Listeners first: the public URL, and with it the evidence links,
	// are known before anything is handed on.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	closers = append(closers, ignoreClosed(ln.Close))
	addr := ln.Addr().String()
	tlsSet, err := serverTLS(&cfg, addr, time.Now())
	if err != nil {
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
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		closers = append(closers, ignoreClosed(metricsLn.Close))
	}

	metrics := httpapi.NewMetrics()
	// Evidence links in results and webhooks are signed with a key derived
	// from the webhook secret, so replicas sharing it accept each other's.
	evidenceURLs := &httpapi.EvidenceURLs{Secret: httpapi.EvidenceURLKey(secret), BaseURL: strings.TrimSuffix(publicURL, "/")}

	// Webhook outbox and dispatcher.
	var hookStore outbox.Store = outbox.NewMemoryStore()
	if stores.Webhooks != nil {
		hookStore = stores.Webhooks
	}
	dopts := []outbox.Option{outbox.WithStore(metrics.WebhookStore(hookStore)), outbox.WithLogger(logger),
		outbox.WithRetryPolicy(cfg.WebhookRetry), outbox.WithAttemptTimeout(cfg.WebhookTimeout)}
	if cfg.Replica != "" {
		dopts = append(dopts, outbox.WithUserAgent(outbox.DefaultUserAgent+" ("+cfg.Replica+")"))
	}
	nopts := []notify.Option{notify.WithSessionSecret(secret), notify.WithSessionFormat(cfg.SessionWebhookFormat),
		notify.WithLogger(logger), notify.WithEvidenceURLs(evidenceURLs), notify.WithSessionSchemes(cfg.WebhookSchemes)}
	if cfg.WebhookAllowPrivate {
		dopts = append(dopts, outbox.WithInsecureTargets())
		nopts = append(nopts, notify.WithInsecureTargets())
	}
	if cfg.WebhookURL != "" {
		nopts = append(nopts, notify.WithEndpoints(outbox.Endpoint{
			ID: "server", URL: cfg.WebhookURL, Secrets: webhook.Secrets{{Value: secret}}, Format: cfg.WebhookFormat, Schemes: cfg.WebhookSchemes,
		}))
	}
	if tenantEndpoints != nil {
		nopts = append(nopts, notify.WithTenantEndpoints(tenantEndpoints))
	}
	dispatcher, err := outbox.New(dopts...)
	if err != nil {
		return err
	}
	closers = append(closers, ignoreClosed(dispatcher.Close))
	notifier, err := notify.New(dispatcher, nopts...)
	if err != nil {
		return err
	}

	// Engine.
	eopts := []liveness.Option{liveness.WithLogger(logger), liveness.WithNotifier(notifier), liveness.WithObserver(metrics)}
	retention := stores.Retention
	if retention <= 0 {
		retention = 24 * time.Hour
	}
	var pruners []liveness.Pruner
	if p, ok := hookStore.(liveness.Pruner); ok { // the outboxes prune delivered records
		pruners = append(pruners, p)
	}
	eopts = append(eopts, liveness.WithRetention(retention, 10*time.Minute, pruners...))
	if stores.Sessions != nil {
		eopts = append(eopts, liveness.WithStore(stores.Sessions))
	}
	if stores.References != nil {
		eopts = append(eopts, liveness.WithReferenceStore(stores.References))
	}
	if stores.Evidence != nil {
		eopts = append(eopts, liveness.WithEvidenceStore(stores.Evidence))
	} else {
		eopts = append(eopts, liveness.WithEvidenceStore(evidence.NewMemory(nil)))
	}
	if stores.FailureLimiter != nil {
		eopts = append(eopts, liveness.WithFailureLimiter(stores.FailureLimiter))
	}
	if stores.Audit != nil {
		eopts = append(eopts, liveness.WithAuditor(stores.Audit))
	} else {
		logger.Warn("no audit log: sessions are not recorded in a signed chain")
	}
	engine, err := liveness.New(eopts...)
	if err != nil {
		return err
	}

	var limiter httpapi.RateLimiter = httpapi.NewMemoryRateLimiter(cfg.RateLimit, cfg.RateWindow, nil)
	if stores.RateLimiter != nil {
		limiter = stores.RateLimiter
	}
	hopts := []httpapi.Option{
		httpapi.WithKeys(verifiers),
		httpapi.WithRateLimiter(limiter),
		httpapi.WithPublicURL(publicURL),
		httpapi.WithFrameAncestors(cfg.FrameAncestors...),
		httpapi.WithCORSOrigins(cfg.CORSOrigins...),
		httpapi.WithWebhooks(notifier),
		httpapi.WithLogger(logger),
		httpapi.WithMetrics(metrics),
		httpapi.WithEvidenceURLs(evidenceURLs),
		httpapi.WithEvidenceRetention(cfg.EvidenceRetention),
	}
	if metricsLn != nil {
		hopts = append(hopts, httpapi.WithoutMetricsRoute())
	}
	handler, err := httpapi.New(engine, hopts...)
	if err != nil {
		return err
	}
	srv := NewHTTPServer(handler, logger)

	printBanner(stdout, &cfg, stores.Durable, addr, publicURL, devKey, devKeyNew, secret, secretNew, tlsSet)
	if cfg.PublicURL == "" {
		if others := networkURLs(scheme, addr); len(others) > 0 {
			fmt.Fprintf(stdout, "  also reachable at %s (hosted_url uses -public-url: set it to the one a phone reaches)\n", strings.Join(others, ", "))
		}
	}

	workers := []func(context.Context){
		func(ctx context.Context) { dispatcher.Run(ctx) },
		func(ctx context.Context) { engine.Run(ctx) },
	}
	if cfg.AuditCheckpoints > 0 && stores.Audit != nil {
		workers = append(workers, func(ctx context.Context) {
			t := time.NewTicker(cfg.AuditCheckpoints)
			defer t.Stop()
			stores.Audit.RunCheckpoints(ctx, t.C, publishCheckpoint(cfg.StateDir, logger))
		})
	}
	if cfg.EvidenceRetention > 0 {
		workers = append(workers, func(ctx context.Context) { purgeEvidence(ctx, engine, stores.Exclusive, cfg.EvidenceRetention, logger) })
	}
	if metricsLn != nil {
		workers = append(workers, func(ctx context.Context) { serveMetrics(ctx, metricsLn, metrics, logger) })
		logger.Info("metrics listening", "addr", metricsLn.Addr().String())
	}
	logger.Info("server listening", "addr", addr, "public_url", publicURL, "state_dir", cfg.StateDir,
		"webhook_url", cfg.WebhookURL, "webhook_allow_private", cfg.WebhookAllowPrivate, "model_version", engine.ModelVersion())
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}
	if err := serveUntilDone(ctx, params{Listener: ln, Server: srv, Dispatcher: dispatcher, Workers: workers,
		Drain: engine.Flush, Logger: logger, ShutdownTimeout: cfg.ShutdownTimeout}); err != nil {
		return err
	}
	if pending, err := hookStore.Deliveries(context.Background(), outbox.DeliveryFilter{State: outbox.StatePending}); err == nil && len(pending) > 0 {
		if stores.Durable {
			logger.Info("webhooks kept in the outbox for the next start", "pending", len(pending))
		} else {
			logger.Warn("webhooks not delivered are lost (in-memory outbox)", "pending", len(pending))
		}
	}
	logger.Info("stopped")
	return nil
}

// ignoreClosed drops the error of closing what is already closed.
func ignoreClosed(f func() error) func() error {
	return func() error {
		if err := f(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, outbox.ErrClosed) {
			return err
		}
		return nil
	}
}

// serveMetrics serves /metrics alone on ln until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, m *httpapi.Metrics, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	srv := NewHTTPServer(mux, logger)
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

// readTenantWebhooks reads the -tenant-webhooks file; nil without one.
func readTenantWebhooks(path string) (map[string]outbox.Endpoint, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenant webhooks: %w", err)
	}
	var m map[string]tenantWebhook
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("tenant webhooks %s: %w", path, err)
	}
	eps := make(map[string]outbox.Endpoint, len(m))
	for t, w := range m {
		f := event.Format(w.Format)
		if f == "" {
			f = event.FormatEvent
		}
		eps[t] = outbox.Endpoint{URL: w.URL, Secrets: webhook.Secrets{{Value: w.Secret}}, Format: f}
	}
	return eps, nil
}

// purgeEvidence deletes, every hour, the evidence frames of sessions that
// ended more than retention ago (their hashes stay); exclusive, when not
// nil, keeps replicas from purging at the same moment.
func purgeEvidence(ctx context.Context, engine *liveness.Engine, exclusive func(context.Context, func(context.Context) error) error, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	purge := func(ctx context.Context) error {
		n, err := engine.PurgeEvidence(ctx, time.Now().Add(-retention))
		if n > 0 {
			logger.Info("evidence purged", "sessions", n)
		}
		return err
	}
	for {
		var err error
		if exclusive != nil {
			err = exclusive(ctx, purge)
		} else {
			err = purge(ctx)
		}
		if err != nil && ctx.Err() == nil {
			logger.Warn("purging evidence", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// webhookSecret returns the configured secret, the one kept in the state
// directory, or a new one (kept there when there is a state directory).
func webhookSecret(cfg *Config) (secret string, generated bool, err error) {
	if cfg.WebhookSecret != "" {
		return cfg.WebhookSecret, false, nil
	}
	var path string
	if cfg.StateDir != "" {
		path = filepath.Join(cfg.StateDir, "webhook-secret")
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
func printBanner(w io.Writer, cfg *Config, durable bool, addr, publicURL, devKey string, devKeyShow bool, secret string, secretNew bool, t *tlsSetup) {
	if cfg.Replica != "" {
		fmt.Fprintf(w, "openliveness replica %s on %s (public URL %s)\n", cfg.Replica, addr, publicURL)
	} else {
		fmt.Fprintf(w, "openliveness server on %s\n", publicURL)
	}
	switch {
	case devKeyShow && cfg.StateDir != "":
		fmt.Fprintf(w, "  development API key (kept in %s): %s\n", filepath.Join(cfg.StateDir, DevKeyFile), devKey)
	case devKeyShow:
		fmt.Fprintf(w, "  development API key (new at every start; use -data-dir to keep it): %s\n", devKey)
	case devKey != "":
		fmt.Fprintf(w, "  development API key: from -dev-api-key (%s…)\n", apikey.PrefixOf(devKey))
	}
	if secretNew {
		fmt.Fprintf(w, "  webhook secret (shown once): %s\n", secret)
	}
	if !durable {
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

// DevKeyFile is the development key's file in the state directory.
const DevKeyFile = "dev-api-key"

// developmentKey returns the development API key: the one kept in the
// state directory, or a new one (kept there when there is one). shown is
// true: the banner prints it.
func developmentKey(dir string) (key string, shown bool, err error) {
	var path string
	if dir != "" {
		path = filepath.Join(dir, DevKeyFile)
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

// publishCheckpoint logs each audit checkpoint (the head hash and the
// Merkle root of the entries since the previous one, signed) and, with a
// state directory, appends it to audit-checkpoints.jsonl, for an operator
// to anchor outside the server (a ticket, a transparency log, an email).
func publishCheckpoint(dir string, logger *slog.Logger) func(context.Context, audit.Checkpoint) error {
	return func(_ context.Context, cp audit.Checkpoint) error {
		logger.Info("audit checkpoint", "size", cp.Size, "head_hash", cp.HeadHash, "merkle_root", cp.MerkleRoot,
			"start", cp.Start, "key_id", cp.KeyID, "signature", cp.Signature)
		if dir == "" {
			return nil
		}
		line, err := json.Marshal(cp)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dir, "audit-checkpoints.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
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
