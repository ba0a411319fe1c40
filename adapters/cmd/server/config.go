package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/internal/serverkit"
	"github.com/openliveness/openliveness/webhook"
)

var errHelp = errors.New("help requested")

// config is the replica's configuration: the settings shared with
// examples/server, and the backends'.
type config struct {
	serverkit.Flags
	replica          string
	redisURL         string
	redisPrefix      string
	postgresURL      string
	sessionRetention time.Duration
	sessionsIn       string
	keysFile         string
	webhookTimeout   time.Duration
	auditSigner      *audit.Signer
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(name, def string) string { return serverkit.Env(getenv, name, def) }
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var auditKey, auditKeyID string
	c.Register(fs, getenv, serverkit.Defaults{RateLimit: redisstore.DefaultRateLimit, RateWindow: redisstore.DefaultRateWindow})
	fs.StringVar(&c.replica, "replica", env("OPENLIVENESS_REPLICA", host), "name of this replica in logs and the webhook User-Agent")
	fs.StringVar(&c.redisURL, "redis-url", env("OPENLIVENESS_REDIS_URL", ""), "Redis URL, redis://[:PASSWORD@]HOST:PORT/DB or rediss:// (required)")
	fs.StringVar(&c.redisPrefix, "redis-prefix", env("OPENLIVENESS_REDIS_PREFIX", redisstore.DefaultPrefix), "prefix of every Redis key")
	fs.StringVar(&c.postgresURL, "postgres-url", env("OPENLIVENESS_POSTGRES_URL", ""), "PostgreSQL URL (required)")
	fs.StringVar(&c.sessionsIn, "sessions-in", env("OPENLIVENESS_SESSIONS_IN", "redis"), "where sessions are kept: redis, or postgres (one transaction per change with its intents)")
	fs.DurationVar(&c.sessionRetention, "session-retention", redisstore.DefaultRetention, "how long ended sessions and delivered webhook records are kept (pruned every 10 minutes)")
	fs.StringVar(&c.keysFile, "keys-file", env("OPENLIVENESS_KEYS_FILE", ""), "keys.json of API keys")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", webhook.DefaultAttemptTimeout, "bound of one webhook attempt")
	fs.StringVar(&auditKey, "audit-key", env("OPENLIVENESS_AUDIT_KEY", ""), "base64 Ed25519 seed signing the audit chain (default: no audit log)")
	fs.StringVar(&auditKeyID, "audit-key-id", env("OPENLIVENESS_AUDIT_KEY_ID", "k1"), "id of the audit key")
	if err := serverkit.ApplyEnv(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.Finish(); err != nil {
		return nil, err
	}
	switch {
	case c.redisURL == "":
		return nil, errors.New("-redis-url (or OPENLIVENESS_REDIS_URL) is required")
	case c.postgresURL == "":
		return nil, errors.New("-postgres-url (or OPENLIVENESS_POSTGRES_URL) is required")
	case c.WebhookSecret == "":
		return nil, errors.New("-webhook-secret (or OPENLIVENESS_WEBHOOK_SECRET) is required: every replica must sign with the same secret")
	case c.DevAPIKey == "" && c.keysFile == "":
		return nil, errors.New("-dev-api-key or -keys-file is required: every replica must accept the same keys")
	case c.sessionsIn != "redis" && c.sessionsIn != "postgres":
		return nil, errors.New("-sessions-in must be redis or postgres")
	case c.webhookTimeout <= 0 || c.sessionRetention <= 0:
		return nil, errors.New("-webhook-timeout and -session-retention must be positive")
	}
	if auditKey != "" {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(auditKey))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("-audit-key must be the standard base64 of a 32-byte Ed25519 seed")
		}
		if c.auditSigner, err = audit.NewSigner(auditKeyID, ed25519.NewKeyFromSeed(seed)); err != nil {
			return nil, fmt.Errorf("-audit-key-id: %w", err)
		}
	}
	return &c, nil
}
