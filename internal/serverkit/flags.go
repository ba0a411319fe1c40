package serverkit

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

// Flags are the settings both reference servers share, read from flags
// with environment variables as defaults.
type Flags struct {
	Addr                string
	PublicURL           string
	DevAPIKey           string
	WebhookURL          string
	WebhookSecret       string
	WebhookFormat       webhook.Format
	SessionFormat       webhook.Format
	WebhookAllowPrivate bool
	FrameAncestors      []string
	CORSOrigins         []string
	RateLimit           int
	RateWindow          time.Duration
	LogLevel            slog.Level
	LogJSON             bool
	ShutdownTimeout     time.Duration
	EvidenceRetention   time.Duration

	webhookFormat, sessionFormat, ancestors, origins, level, format string
}

// Defaults are the shared settings whose defaults differ between servers.
type Defaults struct {
	RateLimit         int
	RateWindow        time.Duration
	EvidenceRetention time.Duration
}

// Env returns getenv(name), or def when it is empty.
func Env(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// Register adds the shared flags to fs.
func (f *Flags) Register(fs *flag.FlagSet, getenv func(string) string, d Defaults) {
	env := func(name, def string) string { return Env(getenv, name, def) }
	fs.StringVar(&f.Addr, "addr", env("OPENLIVENESS_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&f.PublicURL, "public-url", env("OPENLIVENESS_PUBLIC_URL", ""), "external base URL of the API, for hosted_url and evidence links (default http://ADDR)")
	fs.StringVar(&f.DevAPIKey, "dev-api-key", env("OPENLIVENESS_DEV_API_KEY", ""), "an API key to accept")
	fs.StringVar(&f.WebhookURL, "webhook-url", env("OPENLIVENESS_WEBHOOK_URL", ""), "server-wide webhook endpoint")
	fs.StringVar(&f.WebhookSecret, "webhook-secret", env("OPENLIVENESS_WEBHOOK_SECRET", ""), "webhook signing secret")
	fs.StringVar(&f.webhookFormat, "webhook-format", env("OPENLIVENESS_WEBHOOK_FORMAT", "event"), "payload of -webhook-url: event or completed")
	fs.StringVar(&f.sessionFormat, "session-webhook-format", env("OPENLIVENESS_SESSION_WEBHOOK_FORMAT", "completed"), "payload of per-session webhook_url: completed or event")
	fs.BoolVar(&f.WebhookAllowPrivate, "webhook-allow-private", env("OPENLIVENESS_WEBHOOK_ALLOW_PRIVATE", "") == "true", "development only: allow http and private/loopback webhook targets")
	fs.StringVar(&f.ancestors, "frame-ancestors", env("OPENLIVENESS_FRAME_ANCESTORS", ""), "comma-separated origins allowed to frame the hosted page")
	fs.StringVar(&f.origins, "cors-origins", env("OPENLIVENESS_CORS_ORIGINS", ""), "comma-separated origins allowed to call the session API from a browser (* for any)")
	fs.IntVar(&f.RateLimit, "rate-limit", d.RateLimit, "frame submissions allowed per session per -rate-window")
	fs.DurationVar(&f.RateWindow, "rate-window", d.RateWindow, "rate limit window")
	fs.StringVar(&f.level, "log-level", env("OPENLIVENESS_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&f.format, "log-format", env("OPENLIVENESS_LOG_FORMAT", "text"), "text or json")
	fs.DurationVar(&f.EvidenceRetention, "evidence-retention", d.EvidenceRetention, "delete evidence frames of sessions ended this long ago (0: keep)")
	fs.DurationVar(&f.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "time allowed for in-flight requests and webhooks at shutdown")
}

// Finish checks and converts the shared flags after fs.Parse.
func (f *Flags) Finish() error {
	for _, v := range []struct {
		in  string
		out *webhook.Format
	}{{f.webhookFormat, &f.WebhookFormat}, {f.sessionFormat, &f.SessionFormat}} {
		switch webhook.Format(v.in) {
		case webhook.FormatEvent, webhook.FormatCompleted:
			*v.out = webhook.Format(v.in)
		default:
			return fmt.Errorf("webhook format %q: want event or completed", v.in)
		}
	}
	f.FrameAncestors = SplitList(f.ancestors)
	f.CORSOrigins = SplitList(f.origins)
	if err := f.LogLevel.UnmarshalText([]byte(f.level)); err != nil {
		return fmt.Errorf("log level %q: %w", f.level, err)
	}
	switch f.format {
	case "text":
		f.LogJSON = false
	case "json":
		f.LogJSON = true
	default:
		return fmt.Errorf("log format %q: want text or json", f.format)
	}
	switch {
	case f.RateLimit < 1 || f.RateWindow <= 0:
		return errors.New("-rate-limit and -rate-window must be positive")
	case f.DevAPIKey != "" && len(f.DevAPIKey) < 16:
		return errors.New("-dev-api-key must be at least 16 characters")
	case f.EvidenceRetention < 0 || f.ShutdownTimeout <= 0:
		return errors.New("-evidence-retention must not be negative, -shutdown-timeout must be positive")
	}
	return nil
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
