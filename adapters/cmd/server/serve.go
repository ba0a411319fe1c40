package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/internal/serverkit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/webhook"
)

// serve runs the replica until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer, ready func(addr string)) error {
	logger := newLogger(cfg, stderr).With("replica", cfg.replica)

	// Shared state.
	ropt, err := redis.ParseURL(cfg.redisURL)
	if err != nil {
		return fmt.Errorf("-redis-url: %w", err)
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	pool, err := pgxpool.New(pctx, cfg.postgresURL)
	if err != nil {
		return fmt.Errorf("-postgres-url: %w", err)
	}
	defer pool.Close()
	applied, err := pgstore.Migrate(pctx, pool)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		logger.Info("schema migrations applied", "versions", applied)
	}
	rprefix := redisstore.WithPrefix(cfg.redisPrefix)

	// API keys.
	var verifiers apikey.Chain
	if cfg.keysFile != "" {
		fileKeys, err := apikey.OpenFile(cfg.keysFile)
		if err != nil {
			return err
		}
		verifiers = append(verifiers, apikey.Verifier{Store: fileKeys})
	}
	if cfg.DevAPIKey != "" {
		mem := apikey.NewMemoryStore()
		if _, err := apikey.Import(ctx, mem, cfg.DevAPIKey, "development", time.Now()); err != nil {
			return err
		}
		verifiers = append(verifiers, apikey.Verifier{Store: mem})
	}

	metrics := httpapi.NewMetrics()

	// Webhook outbox and dispatcher.
	hookStore := pgstore.NewWebhookStore(pool)
	dopts := []webhook.Option{
		webhook.WithStore(metrics.WebhookStore(hookStore)), webhook.WithLogger(logger),
		webhook.WithAttemptTimeout(cfg.webhookTimeout),
		webhook.WithUserAgent(webhook.DefaultUserAgent + " (" + cfg.replica + ")"),
	}
	// Evidence links are signed with a key derived from the shared webhook
	// secret: every replica accepts every other's.
	evidenceURLs := &liveness.EvidenceURLs{Secret: liveness.EvidenceURLKey(cfg.WebhookSecret)}
	nopts := []liveness.WebhookOption{liveness.SessionWebhookSecret(cfg.WebhookSecret), liveness.SessionWebhookFormat(cfg.SessionFormat), liveness.WebhookLogger(logger), liveness.WebhookEvidenceURLs(evidenceURLs)}
	if cfg.WebhookAllowPrivate {
		dopts = append(dopts, webhook.WithInsecureTargets())
		nopts = append(nopts, liveness.WebhookInsecureTargets())
	}
	if cfg.WebhookURL != "" {
		nopts = append(nopts, liveness.WebhookEndpoints(webhook.Endpoint{
			ID: "server", URL: cfg.WebhookURL, Secrets: webhook.Secrets{{Value: cfg.WebhookSecret}}, Format: cfg.WebhookFormat,
		}))
	}
	dispatcher, err := webhook.New(dopts...)
	if err != nil {
		return err
	}
	defer dispatcher.Close()
	notifier, err := liveness.NewWebhookNotifier(dispatcher, nopts...)
	if err != nil {
		return err
	}

	// Engine.
	eopts := []liveness.Option{
		liveness.WithLogger(logger), liveness.WithNotifier(notifier), liveness.WithObserver(metrics),
		liveness.WithStore(sessionStore(cfg, rdb, pool)),
		// Ended sessions, their frame logs and delivered webhook records are
		// pruned every 10 minutes once older than -session-retention.
		liveness.WithRetention(cfg.sessionRetention, pruneEvery, hookStore),
		liveness.WithFailureLimiter(redisstore.NewFailureLimiter(rdb, redisstore.DefaultMaxFailures, redisstore.DefaultFailureWindow, rprefix)),
		liveness.WithEvidenceStore(pgstore.NewEvidenceStore(pool, nil)),
	}
	if cfg.auditSigner != nil {
		log, err := audit.Open(ctx, audit.WithStore(pgstore.NewAuditStore(pool)), audit.WithSigner(cfg.auditSigner), audit.WithLogger(logger))
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		eopts = append(eopts, liveness.WithAuditor(log))
	} else {
		logger.Warn("no -audit-key: sessions are not recorded in the audit log")
	}
	engine, err := liveness.New(eopts...)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + addr
	}
	evidenceURLs.BaseURL = strings.TrimSuffix(publicURL, "/")
	handler, err := httpapi.New(engine,
		httpapi.WithKeys(verifiers),
		httpapi.WithRateLimiter(redisstore.NewRateLimiter(rdb, cfg.RateLimit, cfg.RateWindow, rprefix)),
		httpapi.WithPublicURL(publicURL),
		httpapi.WithFrameAncestors(cfg.FrameAncestors...),
		httpapi.WithCORSOrigins(cfg.CORSOrigins...),
		httpapi.WithWebhooks(notifier),
		httpapi.WithLogger(logger),
		httpapi.WithMetrics(metrics),
		httpapi.WithEvidenceURLs(evidenceURLs),
	)
	if err != nil {
		ln.Close()
		return err
	}
	srv := serverkit.NewHTTPServer(handler, logger)
	fmt.Fprintf(stdout, "openliveness replica %s on %s (public URL %s)\n", cfg.replica, addr, publicURL)

	workers := []func(context.Context){
		func(ctx context.Context) { dispatcher.Run(ctx) },
		func(ctx context.Context) { engine.Run(ctx) },
	}
	if cfg.EvidenceRetention > 0 {
		workers = append(workers, func(ctx context.Context) { purgeEvidence(ctx, pool, engine, cfg.EvidenceRetention, logger) })
	}
	logger.Info("server listening", "addr", addr, "public_url", publicURL, "webhook_url", cfg.WebhookURL,
		"webhook_allow_private", cfg.WebhookAllowPrivate, "model_version", engine.ModelVersion())
	if ready != nil {
		ready(addr)
	}
	if err := serverkit.Run(ctx, serverkit.Params{Listener: ln, Server: srv, Dispatcher: dispatcher, Workers: workers,
		Logger: logger, ShutdownTimeout: cfg.ShutdownTimeout}); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// sessionStore returns the session store -sessions-in names.
func sessionStore(cfg *config, rdb *redis.Client, pool *pgxpool.Pool) liveness.Store {
	if cfg.sessionsIn == "postgres" {
		return pgstore.NewSessionStore(pool)
	}
	return redisstore.New(rdb, redisstore.WithPrefix(cfg.redisPrefix), redisstore.WithRetention(cfg.sessionRetention))
}

// pruneEvery is how often ended sessions and delivered webhook records
// are pruned.
const pruneEvery = 10 * time.Minute

// purgeLockKey names the advisory lock that lets one replica at a time
// purge evidence.
const purgeLockKey = 0x6f6c_7075_7267 // "olpurg"

// purgeEvidence deletes, every hour, the evidence of sessions that ended
// more than retention ago. A session-level advisory lock keeps replicas
// from purging at the same moment (and writing two EVIDENCE_PURGED
// entries for one session).
func purgeEvidence(ctx context.Context, pool *pgxpool.Pool, engine *liveness.Engine, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := purgeOnce(ctx, pool, engine, retention, logger); err != nil && ctx.Err() == nil {
			logger.Warn("evidence purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func purgeOnce(ctx context.Context, pool *pgxpool.Pool, engine *liveness.Engine, retention time.Duration, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(purgeLockKey)).Scan(&locked); err != nil {
		return err
	}
	if !locked {
		return nil // another replica is purging
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(purgeLockKey))
	n, err := engine.PurgeEvidence(ctx, time.Now().Add(-retention))
	if n > 0 {
		logger.Info("evidence purged", "sessions", n)
	}
	return err
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	return serverkit.NewLogger(w, cfg.LogLevel, cfg.LogJSON)
}
