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
	"github.com/openliveness/openliveness/liveness/server"
)

var errHelp = errors.New("help requested")

// config is the replica's configuration: the shared settings of
// liveness/server, and the backends'.
type config struct {
	server.Config
	redisURL         string
	redisPrefix      string
	postgresURL      string
	sessionRetention time.Duration
	sessionsIn       string
	keysFile         string
	auditSigner      *audit.Signer
}

// backendFlags are the flags of this server beyond server.SharedFlags.
var backendFlags = []string{"replica", "redis-url", "redis-prefix", "postgres-url", "sessions-in", "session-retention", "keys-file", "audit-key", "audit-key-id"}

// defaults are the shared flags' defaults for replicas: evidence is kept
// until -evidence-retention is set.
func defaults() server.Config {
	d := server.DefaultConfig()
	d.RateLimit, d.RateWindow = redisstore.DefaultRateLimit, redisstore.DefaultRateWindow
	d.EvidenceRetention = 0
	return d
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var auditKey, auditKeyID, replica string
	shared := server.RegisterFlags(fs, defaults())
	fs.StringVar(&replica, "replica", host, "name of this replica in logs and the webhook User-Agent")
	fs.StringVar(&c.redisURL, "redis-url", "", "Redis URL, redis://[:PASSWORD@]HOST:PORT/DB or rediss:// (required)")
	fs.StringVar(&c.redisPrefix, "redis-prefix", redisstore.DefaultPrefix, "prefix of every Redis key")
	fs.StringVar(&c.postgresURL, "postgres-url", "", "PostgreSQL URL (required)")
	fs.StringVar(&c.sessionsIn, "sessions-in", "redis", "where sessions are kept: redis, or postgres (one transaction per change with its intents)")
	fs.DurationVar(&c.sessionRetention, "session-retention", redisstore.DefaultRetention, "how long ended sessions and delivered webhook records are kept (pruned every 10 minutes)")
	fs.StringVar(&c.keysFile, "keys-file", "", "keys.json of API keys")
	fs.StringVar(&auditKey, "audit-key", "", "base64 Ed25519 seed signing the audit chain (default: no audit log)")
	fs.StringVar(&auditKeyID, "audit-key-id", "k1", "id of the audit key")
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Config, err = shared(); err != nil {
		return nil, err
	}
	c.Replica = replica
	switch {
	case c.redisURL == "":
		return nil, errors.New("-redis-url (or OPENLIVENESS_REDIS_URL) is required")
	case c.postgresURL == "":
		return nil, errors.New("-postgres-url (or OPENLIVENESS_POSTGRES_URL) is required")
	case c.WebhookSecret == "":
		return nil, errors.New("-webhook-secret (or OPENLIVENESS_WEBHOOK_SECRET) is required: every replica must sign with the same secret")
	case c.sessionsIn != "redis" && c.sessionsIn != "postgres":
		return nil, errors.New("-sessions-in must be redis or postgres")
	case c.DevAPIKey == "" && c.keysFile == "":
		return nil, errors.New("-dev-api-key or -keys-file is required: every replica must accept the same keys")
	case c.sessionRetention <= 0:
		return nil, errors.New("-session-retention must be positive")
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
