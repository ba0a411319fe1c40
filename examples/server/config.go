package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/openliveness/openliveness/internal/serverkit"
	"github.com/openliveness/openliveness/webhook"
)

var errHelp = errors.New("help requested")

// config is the server's configuration: the settings shared with the
// replica server, and its own.
type config struct {
	serverkit.Flags
	dataDir         string
	checkpointEvery time.Duration

	// Webhook signing and retries, TLS.
	webhookSchemes webhook.Scheme
	webhookRetry   webhook.RetryPolicy
	tlsCert        string
	tlsKey         string
	tlsSelfSigned  bool

	// Metrics on a separate address; per-tenant webhook endpoints.
	metricsAddr    string
	tenantWebhooks string
}

// newFlagSet registers the server's flags on a new FlagSet; every flag
// takes its default from its environment variable (serverkit.ApplyEnv).
func newFlagSet(c *config, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *string, *string, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Register(fs, getenv, serverkit.Defaults{RateLimit: 30, RateWindow: 10 * time.Second, EvidenceRetention: 30 * 24 * time.Hour})
	fs.StringVar(&c.dataDir, "data-dir", serverkit.Env(getenv, "OPENLIVENESS_DATA_DIR", ""), "directory of the durable stores (default: memory only)")
	fs.DurationVar(&c.checkpointEvery, "audit-checkpoint-interval", time.Hour, "sign an audit checkpoint this often when the chain grew (logged; appended to DATA_DIR/audit-checkpoints.jsonl); 0: never")
	schemes := fs.String("webhook-schemes", "body+standard", "signature schemes of every webhook, joined by +: body, timestamped, standard")
	retry := fs.String("webhook-retry", "default", "webhook retries: default (5s,30s,2m,10m,1h), once (5s), none, or a comma-separated list of delays")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs -tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this separate address only (for example 127.0.0.1:9090); default: on -addr")
	fs.StringVar(&c.tenantWebhooks, "tenant-webhooks", "", `JSON file of each tenant's webhook endpoint: {"TENANT": {"url": "https://…", "secret": "whsec_…", "format": "event"}}`)
	fs.BoolVar(&c.tlsSelfSigned, "tls-self-signed", false, "development only: serve HTTPS with a new self-signed certificate for the listen address and local names (its SHA-256 fingerprint is printed)")
	err := serverkit.ApplyEnv(fs, getenv)
	return fs, schemes, retry, err
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	var c config
	fs, schemes, retry, err := newFlagSet(&c, getenv, stderr)
	if err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (commands: keys)", fs.Arg(0))
	}
	if err := c.Finish(); err != nil {
		return nil, err
	}
	if c.webhookSchemes, err = webhook.ParseScheme(*schemes); err != nil {
		return nil, fmt.Errorf("-webhook-schemes: %w", err)
	}
	if c.webhookRetry, err = parseRetry(*retry); err != nil {
		return nil, fmt.Errorf("-webhook-retry: %w", err)
	}
	switch {
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return nil, errors.New("-tls-cert and -tls-key go together")
	case c.tlsCert != "" && c.tlsSelfSigned:
		return nil, errors.New("-tls-self-signed and -tls-cert exclude each other")
	}
	return &c, nil
}

// parseRetry reads a -webhook-retry value.
func parseRetry(v string) (webhook.RetryPolicy, error) {
	switch v {
	case "default":
		return webhook.DefaultRetryPolicy(), nil
	case "once":
		return webhook.RetryOncePolicy(), nil
	case "none":
		return webhook.NoRetryPolicy(), nil
	}
	p := webhook.RetryPolicy{Jitter: 0.1}
	for _, s := range serverkit.SplitList(v) {
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
