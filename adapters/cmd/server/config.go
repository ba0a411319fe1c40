package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/webhook"
)

var errHelp = errors.New("help requested")

// config is the server's configuration.
type config struct {
	addr                string
	publicURL           string
	replica             string
	redisURL            string
	redisPrefix         string
	postgresURL         string
	sessionRetention    time.Duration
	devAPIKey           string
	keysFile            string
	webhookURL          string
	webhookSecret       string
	webhookFormat       webhook.Format
	sessionFormat       webhook.Format
	webhookAllowPrivate bool
	webhookTimeout      time.Duration
	auditSigner         *audit.Signer
	evidenceRetention   time.Duration
	frameAncestors      []string
	corsOrigins         []string
	rateLimit           int
	rateWindow          time.Duration
	logLevel            slog.Level
	logJSON             bool
	shutdownTimeout     time.Duration
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var webhookFormat, sessionFormat, ancestors, origins, level, format, auditKey, auditKeyID string
	fs.StringVar(&c.addr, "addr", env("OPENLIVENESS_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&c.publicURL, "public-url", env("OPENLIVENESS_PUBLIC_URL", ""), "external base URL of the API (the load balancer's; default http://ADDR)")
	fs.StringVar(&c.replica, "replica", env("OPENLIVENESS_REPLICA", host), "name of this replica in logs and the webhook User-Agent")
	fs.StringVar(&c.redisURL, "redis-url", env("OPENLIVENESS_REDIS_URL", ""), "Redis URL, redis://[:PASSWORD@]HOST:PORT/DB or rediss:// (required)")
	fs.StringVar(&c.redisPrefix, "redis-prefix", env("OPENLIVENESS_REDIS_PREFIX", redisstore.DefaultPrefix), "prefix of every Redis key")
	fs.StringVar(&c.postgresURL, "postgres-url", env("OPENLIVENESS_POSTGRES_URL", ""), "PostgreSQL URL (required)")
	fs.DurationVar(&c.sessionRetention, "session-retention", redisstore.DefaultRetention, "how long finished sessions stay readable")
	fs.StringVar(&c.devAPIKey, "dev-api-key", env("OPENLIVENESS_DEV_API_KEY", ""), "an API key to accept")
	fs.StringVar(&c.keysFile, "keys-file", env("OPENLIVENESS_KEYS_FILE", ""), "keys.json of API keys")
	fs.StringVar(&c.webhookURL, "webhook-url", env("OPENLIVENESS_WEBHOOK_URL", ""), "server-wide webhook endpoint")
	fs.StringVar(&c.webhookSecret, "webhook-secret", env("OPENLIVENESS_WEBHOOK_SECRET", ""), "webhook signing secret, the same on every replica (required)")
	fs.StringVar(&webhookFormat, "webhook-format", env("OPENLIVENESS_WEBHOOK_FORMAT", "event"), "payload of -webhook-url: event or completed")
	fs.StringVar(&sessionFormat, "session-webhook-format", env("OPENLIVENESS_SESSION_WEBHOOK_FORMAT", "completed"), "payload of per-session webhook_url: completed or event")
	fs.BoolVar(&c.webhookAllowPrivate, "webhook-allow-private", env("OPENLIVENESS_WEBHOOK_ALLOW_PRIVATE", "") == "true", "development only: allow http and private/loopback webhook targets")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", webhook.DefaultAttemptTimeout, "bound of one webhook attempt")
	fs.StringVar(&auditKey, "audit-key", env("OPENLIVENESS_AUDIT_KEY", ""), "base64 Ed25519 seed signing the audit chain (default: no audit log)")
	fs.StringVar(&auditKeyID, "audit-key-id", env("OPENLIVENESS_AUDIT_KEY_ID", "k1"), "id of the audit key")
	fs.DurationVar(&c.evidenceRetention, "evidence-retention", 0, "delete evidence of sessions ended this long ago (0: keep)")
	fs.StringVar(&ancestors, "frame-ancestors", env("OPENLIVENESS_FRAME_ANCESTORS", ""), "comma-separated origins allowed to frame the hosted page")
	fs.StringVar(&origins, "cors-origins", env("OPENLIVENESS_CORS_ORIGINS", ""), "comma-separated origins allowed to call the session API from a browser (* for any)")
	fs.IntVar(&c.rateLimit, "rate-limit", redisstore.DefaultRateLimit, "frame submissions allowed per session per -rate-window, across replicas")
	fs.DurationVar(&c.rateWindow, "rate-window", redisstore.DefaultRateWindow, "rate limit window")
	fs.StringVar(&level, "log-level", env("OPENLIVENESS_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&format, "log-format", env("OPENLIVENESS_LOG_FORMAT", "text"), "text or json")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "time allowed for in-flight requests and webhooks at shutdown")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.redisURL == "":
		return nil, errors.New("-redis-url (or OPENLIVENESS_REDIS_URL) is required")
	case c.postgresURL == "":
		return nil, errors.New("-postgres-url (or OPENLIVENESS_POSTGRES_URL) is required")
	case c.webhookSecret == "":
		return nil, errors.New("-webhook-secret (or OPENLIVENESS_WEBHOOK_SECRET) is required: every replica must sign with the same secret")
	case c.devAPIKey == "" && c.keysFile == "":
		return nil, errors.New("-dev-api-key or -keys-file is required: every replica must accept the same keys")
	case c.devAPIKey != "" && len(c.devAPIKey) < 16:
		return nil, errors.New("-dev-api-key must be at least 16 characters")
	case c.rateLimit < 1 || c.rateWindow <= 0:
		return nil, errors.New("-rate-limit and -rate-window must be positive")
	case c.webhookTimeout <= 0 || c.sessionRetention <= 0 || c.evidenceRetention < 0:
		return nil, errors.New("-webhook-timeout and -session-retention must be positive, -evidence-retention not negative")
	}
	for _, f := range []struct {
		in  string
		out *webhook.Format
	}{{webhookFormat, &c.webhookFormat}, {sessionFormat, &c.sessionFormat}} {
		switch webhook.Format(f.in) {
		case webhook.FormatEvent, webhook.FormatCompleted:
			*f.out = webhook.Format(f.in)
		default:
			return nil, fmt.Errorf("webhook format %q: want event or completed", f.in)
		}
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
	c.frameAncestors = splitList(ancestors)
	c.corsOrigins = splitList(origins)
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	switch format {
	case "text":
	case "json":
		c.logJSON = true
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return &c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
