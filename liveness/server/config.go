package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// Config is one server's configuration: the settings of the shared flags
// (RegisterFlags), what the main adds (state directory, replica name,
// stores), and where the server writes. Run takes it by value and never
// changes it.
type Config struct {
	Addr                 string         // listen address
	PublicURL            string         // external base URL (default scheme://ADDR)
	DevAPIKey            string         // an admin API key to accept; empty: generated when no key store has a key
	WebhookURL           string         // server-wide webhook endpoint
	WebhookSecret        string         // signing secret; empty: kept in StateDir or generated
	WebhookFormat        event.Format   // payload of WebhookURL
	SessionWebhookFormat event.Format   // payload of per-session webhook_url
	WebhookAllowPrivate  bool           // development: http and private webhook targets
	WebhookSchemes       webhook.Scheme // signature schemes of every webhook
	WebhookRetry         outbox.RetryPolicy
	WebhookTimeout       time.Duration // bound of one webhook attempt
	TenantWebhooks       string        // JSON file of per-tenant webhook endpoints
	FrameAncestors       []string
	CORSOrigins          []string
	RateLimit            int // frame submissions per session per RateWindow
	RateWindow           time.Duration
	LogLevel             slog.Level
	LogJSON              bool
	ShutdownTimeout      time.Duration
	EvidenceRetention    time.Duration // 0 keeps evidence
	AuditCheckpoints     time.Duration // audit checkpoint interval; 0: never
	TLSCert, TLSKey      string        // PEM files
	TLSSelfSigned        bool          // development: a self-signed certificate
	MetricsAddr          string        // a separate listen address of /metrics

	// StateDir, when set, keeps the generated webhook secret, development
	// key and self-signed certificate across restarts, and the audit
	// checkpoints (files webhook-secret, dev-api-key, tls-self-signed.pem,
	// audit-checkpoints.jsonl).
	StateDir string
	// Replica names this process in logs, the banner and the webhook
	// User-Agent when several replicas share the stores.
	Replica string
	// Stores opens the stores; nil keeps everything in memory. Run
	// calls it once, with the server's logger, and calls Stores.Close at
	// the end.
	Stores func(ctx context.Context, logger *slog.Logger) (*Stores, error)
	// Stdout receives the banner, Stderr the log (nil: discarded).
	Stdout, Stderr io.Writer
	// Ready, when not nil, receives the listening address.
	Ready func(addr string)
}

// Stores are the backends a main constructs; a nil field is kept in
// memory (Audit: no audit log).
type Stores struct {
	Sessions       liveness.Store
	Evidence       liveness.EvidenceStore
	References     liveness.ReferenceStore
	FailureLimiter liveness.FailureLimiter
	Webhooks       outbox.Store
	Audit          *audit.Log
	RateLimiter    httpapi.RateLimiter
	// Keys verify API keys; HasKeys reports that they hold an active key
	// (no development key is generated then).
	Keys    apikey.Chain
	HasKeys bool
	// Durable: webhooks not delivered at shutdown stay in the outbox.
	Durable bool
	// Retention is how long ended sessions (with their frame logs) and
	// delivered or failed webhook records are kept; they are pruned every
	// 10 minutes (0: 24 h).
	Retention time.Duration
	// Exclusive, when not nil, runs f unless another replica is running
	// it (the evidence purge); it returns nil when skipped.
	Exclusive func(ctx context.Context, f func(context.Context) error) error
	// Close releases the stores; it is called once when Run returns.
	Close func() error
}

// DefaultConfig returns the defaults of the shared flags: 127.0.0.1:8080,
// 30 frames per 10 s per session, evidence kept 30 days, body+standard
// signatures, the default retry policy.
func DefaultConfig() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		WebhookFormat:        event.FormatEvent,
		SessionWebhookFormat: event.FormatCompleted,
		WebhookSchemes:       webhook.SchemeBody | webhook.SchemeStandard,
		WebhookRetry:         outbox.DefaultRetryPolicy(),
		WebhookTimeout:       outbox.DefaultAttemptTimeout,
		RateLimit:            30,
		RateWindow:           10 * time.Second,
		LogLevel:             slog.LevelInfo,
		ShutdownTimeout:      30 * time.Second,
		EvidenceRetention:    30 * 24 * time.Hour,
		AuditCheckpoints:     time.Hour,
	}
}

// SharedFlags are the names of the flags RegisterFlags adds: the flags
// every server built on this package has.
func SharedFlags() []string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	RegisterFlags(fs, DefaultConfig())
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// RegisterFlags adds the shared flags to fs, with def's values as
// defaults; after fs.Parse, the returned function gives the configuration
// they describe, validated (def's other fields are kept).
func RegisterFlags(fs *flag.FlagSet, def Config) func() (Config, error) {
	c := def
	logFormat := "text"
	if def.LogJSON {
		logFormat = "json"
	}
	schemes := def.WebhookSchemes.String()
	retry := retryText(def.WebhookRetry)
	fs.StringVar(&c.Addr, "addr", def.Addr, "listen address")
	fs.StringVar(&c.PublicURL, "public-url", def.PublicURL, "external base URL of the API, for hosted_url and evidence links (default http://ADDR, or https://)")
	fs.StringVar(&c.DevAPIKey, "dev-api-key", def.DevAPIKey, "an admin API key to accept (default: generated when no key is configured)")
	fs.StringVar(&c.WebhookURL, "webhook-url", def.WebhookURL, "server-wide webhook endpoint")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", def.WebhookSecret, "webhook signing secret (default: generated)")
	fs.Var(formatValue{&c.WebhookFormat}, "webhook-format", "`format` of the payloads of -webhook-url: event or completed")
	fs.Var(formatValue{&c.SessionWebhookFormat}, "session-webhook-format", "`format` of the payloads of per-session webhook_url: completed or event")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", def.WebhookAllowPrivate, "development only: allow http and private/loopback webhook targets")
	fs.StringVar(&schemes, "webhook-schemes", schemes, "signature schemes of every webhook, joined by +: body, timestamped, standard")
	fs.StringVar(&retry, "webhook-retry", retry, "webhook retries: default (5s,30s,2m,10m,1h), once (5s), none, or a comma-separated list of delays")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", def.WebhookTimeout, "bound of one webhook attempt")
	fs.StringVar(&c.TenantWebhooks, "tenant-webhooks", def.TenantWebhooks, `JSON file of each tenant's webhook endpoint: {"TENANT": {"url": "https://…", "secret": "whsec_…", "format": "event"}}`)
	fs.Var(listValue{&c.FrameAncestors}, "frame-ancestors", "comma-separated `origins` allowed to frame the hosted page")
	fs.Var(listValue{&c.CORSOrigins}, "cors-origins", "comma-separated `origins` allowed to call the session API from a browser (* for any)")
	fs.IntVar(&c.RateLimit, "rate-limit", def.RateLimit, "frame submissions allowed per session per -rate-window")
	fs.DurationVar(&c.RateWindow, "rate-window", def.RateWindow, "rate limit window")
	fs.TextVar(&c.LogLevel, "log-level", def.LogLevel, "`level`: debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", logFormat, "text or json")
	fs.DurationVar(&c.EvidenceRetention, "evidence-retention", def.EvidenceRetention, "delete evidence frames of sessions ended this long ago (0: keep; the hashes stay)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", def.ShutdownTimeout, "time allowed for in-flight requests and webhooks at shutdown")
	fs.DurationVar(&c.AuditCheckpoints, "audit-checkpoint-interval", def.AuditCheckpoints, "sign an audit checkpoint this often when the chain grew (logged; appended to audit-checkpoints.jsonl of the state directory); 0: never")
	fs.StringVar(&c.TLSCert, "tls-cert", def.TLSCert, "serve HTTPS with this PEM certificate (chain) file; needs -tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", def.TLSKey, "PEM private key of -tls-cert")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", def.TLSSelfSigned, "development only: serve HTTPS with a self-signed certificate for the listen address and local names (its SHA-256 fingerprint is printed)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", def.MetricsAddr, "serve /metrics on this separate address only (for example 127.0.0.1:9090); default: on -addr")
	return func() (Config, error) {
		out := c
		out.FrameAncestors = slices.Clone(c.FrameAncestors)
		out.CORSOrigins = slices.Clone(c.CORSOrigins)
		switch logFormat {
		case "text", "json":
			out.LogJSON = logFormat == "json"
		default:
			return out, fmt.Errorf("-log-format %q: want text or json", logFormat)
		}
		var err error
		if out.WebhookSchemes, err = webhook.ParseScheme(schemes); err != nil {
			return out, fmt.Errorf("-webhook-schemes: %w", err)
		}
		if out.WebhookRetry, err = ParseRetry(retry); err != nil {
			return out, fmt.Errorf("-webhook-retry: %w", err)
		}
		return out, out.Validate()
	}
}

// Validate reports the first setting Run would refuse.
func (c *Config) Validate() error {
	for _, f := range []event.Format{c.WebhookFormat, c.SessionWebhookFormat} {
		if f != event.FormatEvent && f != event.FormatCompleted {
			return fmt.Errorf("webhook format %q: want event or completed", f)
		}
	}
	switch {
	case c.RateLimit < 1 || c.RateWindow <= 0:
		return errors.New("-rate-limit and -rate-window must be positive")
	case c.DevAPIKey != "" && len(c.DevAPIKey) < 16:
		return errors.New("-dev-api-key must be at least 16 characters")
	case c.EvidenceRetention < 0 || c.ShutdownTimeout <= 0:
		return errors.New("-evidence-retention must not be negative, -shutdown-timeout must be positive")
	case c.WebhookTimeout <= 0:
		return errors.New("-webhook-timeout must be positive")
	case c.AuditCheckpoints < 0:
		return errors.New("-audit-checkpoint-interval must not be negative")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("-tls-cert and -tls-key go together")
	case c.TLSCert != "" && c.TLSSelfSigned:
		return errors.New("-tls-self-signed and -tls-cert exclude each other")
	}
	return nil
}

// ParseFlags gives every flag of fs its environment variable (ApplyEnv),
// then parses args. -h is flag.ErrHelp.
func ParseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := ApplyEnv(fs, getenv); err != nil {
		return err
	}
	return fs.Parse(args)
}

// ParseRetry reads a -webhook-retry value: default, once, none, or a
// comma-separated list of positive delays.
func ParseRetry(v string) (outbox.RetryPolicy, error) {
	switch v {
	case "default":
		return outbox.DefaultRetryPolicy(), nil
	case "once":
		return outbox.RetryOncePolicy(), nil
	case "none":
		return outbox.NoRetryPolicy(), nil
	}
	p := outbox.RetryPolicy{Jitter: 0.1}
	for _, s := range SplitList(v) {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return p, fmt.Errorf("%q: want default, once, none or positive delays such as 5s,1m", v)
		}
		p.Delays = append(p.Delays, d)
	}
	if len(p.Delays) == 0 {
		return p, fmt.Errorf("%q: want default, once, none or positive delays such as 5s,1m", v)
	}
	return p, nil
}

// retryText is the -webhook-retry text of p.
func retryText(p outbox.RetryPolicy) string {
	for name, q := range map[string]outbox.RetryPolicy{"default": outbox.DefaultRetryPolicy(), "once": outbox.RetryOncePolicy(), "none": outbox.NoRetryPolicy()} {
		if slices.Equal(p.Delays, q.Delays) {
			return name
		}
	}
	s := make([]string, len(p.Delays))
	for i, d := range p.Delays {
		s[i] = d.String()
	}
	return strings.Join(s, ",")
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

// formatValue is a event.Format flag.
type formatValue struct{ f *event.Format }

func (v formatValue) String() string {
	if v.f == nil {
		return ""
	}
	return string(*v.f)
}

func (v formatValue) Set(s string) error {
	switch f := event.Format(s); f {
	case event.FormatEvent, event.FormatCompleted:
		*v.f = f
		return nil
	}
	return fmt.Errorf("%q: want event or completed", s)
}

// listValue is a comma-separated list flag.
type listValue struct{ l *[]string }

func (v listValue) String() string {
	if v.l == nil {
		return ""
	}
	return strings.Join(*v.l, ",")
}

func (v listValue) Set(s string) error { *v.l = SplitList(s); return nil }
