package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

var errHelp = errors.New("help requested")

// config is the server's configuration.
type config struct {
	addr                string
	publicURL           string
	devAPIKey           string
	dataDir             string
	webhookURL          string
	webhookSecret       string
	webhookFormat       webhook.Format
	sessionFormat       webhook.Format
	webhookAllowPrivate bool
	frameAncestors      []string
	corsOrigins         []string
	rateLimit           int
	rateWindow          time.Duration
	logLevel            slog.Level
	logJSON             bool
	shutdownTimeout     time.Duration
	evidenceRetention   time.Duration
	checkpointEvery     time.Duration
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var webhookFormat, sessionFormat, ancestors, origins, level, format string
	fs.StringVar(&c.addr, "addr", env("OPENLIVENESS_ADDR", "127.0.0.1:8080"), "listen address (OPENLIVENESS_ADDR)")
	fs.StringVar(&c.publicURL, "public-url", env("OPENLIVENESS_PUBLIC_URL", ""), "external base URL of the API for hosted_url (default http://ADDR)")
	fs.StringVar(&c.devAPIKey, "dev-api-key", env("OPENLIVENESS_DEV_API_KEY", ""), "development API key to accept (default: a random one, printed)")
	fs.StringVar(&c.dataDir, "data-dir", env("OPENLIVENESS_DATA_DIR", ""), "directory of the durable stores (default: memory only)")
	fs.StringVar(&c.webhookURL, "webhook-url", env("OPENLIVENESS_WEBHOOK_URL", ""), "server-wide webhook endpoint")
	fs.StringVar(&c.webhookSecret, "webhook-secret", env("OPENLIVENESS_WEBHOOK_SECRET", ""), "webhook signing secret (default: generated, printed)")
	fs.StringVar(&webhookFormat, "webhook-format", env("OPENLIVENESS_WEBHOOK_FORMAT", "event"), "payload of -webhook-url: event or completed")
	fs.StringVar(&sessionFormat, "session-webhook-format", env("OPENLIVENESS_SESSION_WEBHOOK_FORMAT", "completed"), "payload of per-session webhook_url: completed or event")
	fs.BoolVar(&c.webhookAllowPrivate, "webhook-allow-private", env("OPENLIVENESS_WEBHOOK_ALLOW_PRIVATE", "") == "true", "development only: allow http and private/loopback webhook targets")
	fs.StringVar(&ancestors, "frame-ancestors", env("OPENLIVENESS_FRAME_ANCESTORS", ""), "comma-separated origins allowed to frame the hosted page")
	fs.StringVar(&origins, "cors-origins", env("OPENLIVENESS_CORS_ORIGINS", ""), "comma-separated origins allowed to call the session API from a browser (* for any)")
	fs.IntVar(&c.rateLimit, "rate-limit", 30, "frame submissions allowed per session per -rate-window")
	fs.DurationVar(&c.rateWindow, "rate-window", 10*time.Second, "rate limit window")
	fs.StringVar(&level, "log-level", env("OPENLIVENESS_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&format, "log-format", env("OPENLIVENESS_LOG_FORMAT", "text"), "text or json")
	fs.DurationVar(&c.evidenceRetention, "evidence-retention", 30*24*time.Hour, "delete evidence frames of sessions ended this long ago (0: keep)")
	fs.DurationVar(&c.checkpointEvery, "audit-checkpoint-interval", time.Hour, "sign an audit checkpoint this often when the chain grew (logged; appended to DATA_DIR/audit-checkpoints.jsonl); 0: never")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "time allowed for in-flight requests and webhooks at shutdown")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (commands: keys)", fs.Arg(0))
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
	if c.rateLimit < 1 || c.rateWindow <= 0 {
		return nil, errors.New("-rate-limit and -rate-window must be positive")
	}
	if c.devAPIKey != "" && len(c.devAPIKey) < 16 {
		return nil, errors.New("-dev-api-key must be at least 16 characters")
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
