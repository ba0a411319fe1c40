package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/server"
)

// serve runs the replica until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer, ready func(addr string)) error {
	sc := cfg.Config
	sc.Stdout, sc.Stderr, sc.Ready = stdout, stderr, ready
	sc.Stores = func(ctx context.Context, logger *slog.Logger) (*server.Stores, error) {
		return openStores(ctx, cfg, logger)
	}
	return server.Run(ctx, sc)
}

// openStores connects to Redis and PostgreSQL (applying the schema
// migrations) and returns the shared stores.
func openStores(ctx context.Context, cfg *config, logger *slog.Logger) (*server.Stores, error) {
	ropt, err := redis.ParseURL(cfg.redisURL)
	if err != nil {
		return nil, fmt.Errorf("-redis-url: %w", err)
	}
	rdb := redis.NewClient(ropt)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	pool, err := pgxpool.New(pctx, cfg.postgresURL)
	if err != nil {
		rdb.Close()
		return nil, fmt.Errorf("-postgres-url: %w", err)
	}
	closeAll := func() error { pool.Close(); return rdb.Close() }
	applied, err := pgstore.Migrate(pctx, pool)
	if err != nil {
		closeAll()
		return nil, err
	}
	if len(applied) > 0 {
		logger.Info("schema migrations applied", "versions", applied)
	}
	rprefix := redisstore.WithPrefix(cfg.redisPrefix)
	st := &server.Stores{
		Sessions:       sessionStore(cfg, rdb, pool),
		Retention:      cfg.sessionRetention,
		FailureLimiter: redisstore.NewFailureLimiter(rdb, redisstore.DefaultMaxFailures, redisstore.DefaultFailureWindow, rprefix),
		Evidence:       pgstore.NewEvidenceStore(pool, nil),
		References:     pgstore.NewReferenceStore(pool),
		Webhooks:       pgstore.NewWebhookStore(pool),
		RateLimiter:    redisstore.NewRateLimiter(rdb, cfg.RateLimit, cfg.RateWindow, rprefix),
		Durable:        true,
		HasKeys:        cfg.keysFile != "",
		Exclusive:      func(ctx context.Context, f func(context.Context) error) error { return exclusive(ctx, pool, f) },
		Close:          closeAll,
	}
	if cfg.keysFile != "" {
		fileKeys, err := apikey.OpenFile(cfg.keysFile)
		if err != nil {
			closeAll()
			return nil, err
		}
		st.Keys = apikey.Chain{apikey.Verifier{Store: fileKeys}}
	}
	if cfg.auditSigner != nil {
		if st.Audit, err = audit.Open(ctx, audit.WithStore(pgstore.NewAuditStore(pool)), audit.WithSigner(cfg.auditSigner), audit.WithLogger(logger)); err != nil {
			closeAll()
			return nil, fmt.Errorf("audit log: %w", err)
		}
	}
	return st, nil
}

// sessionStore returns the session store -sessions-in names.
func sessionStore(cfg *config, rdb *redis.Client, pool *pgxpool.Pool) liveness.Store {
	if cfg.sessionsIn == "postgres" {
		return pgstore.NewSessionStore(pool)
	}
	return redisstore.New(rdb, redisstore.WithPrefix(cfg.redisPrefix), redisstore.WithRetention(cfg.sessionRetention))
}

// purgeLockKey names the advisory lock that lets one replica at a time
// purge evidence.
const purgeLockKey = 0x6f6c_7075_7267 // "olpurg"

// exclusive runs f under a session-level advisory lock, so replicas do
// not purge at the same moment (and write two EVIDENCE_PURGED entries for
// one session); it returns nil without running f when another replica
// holds the lock.
func exclusive(ctx context.Context, pool *pgxpool.Pool, f func(context.Context) error) error {
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
	return f(ctx)
}
