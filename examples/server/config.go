package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/openliveness/openliveness/internal/serverkit"
)

var errHelp = errors.New("help requested")

// config is the server's configuration: the settings shared with the
// replica server, and its own.
type config struct {
	serverkit.Flags
	dataDir         string
	checkpointEvery time.Duration
	metricsAddr     string
	tenantWebhooks  string
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.Register(fs, getenv, serverkit.Defaults{RateLimit: 30, RateWindow: 10 * time.Second, EvidenceRetention: 30 * 24 * time.Hour})
	fs.StringVar(&c.dataDir, "data-dir", serverkit.Env(getenv, "OPENLIVENESS_DATA_DIR", ""), "directory of the durable stores (default: memory only)")
	fs.DurationVar(&c.checkpointEvery, "audit-checkpoint-interval", time.Hour, "sign an audit checkpoint this often when the chain grew (logged; appended to DATA_DIR/audit-checkpoints.jsonl); 0: never")
	fs.StringVar(&c.metricsAddr, "metrics-addr", serverkit.Env(getenv, "OPENLIVENESS_METRICS_ADDR", ""), "serve /metrics on this separate address only (for example 127.0.0.1:9090); default: on -addr")
	fs.StringVar(&c.tenantWebhooks, "tenant-webhooks", serverkit.Env(getenv, "OPENLIVENESS_TENANT_WEBHOOKS", ""), `JSON file of each tenant's webhook endpoint: {"TENANT": {"url": "https://…", "secret": "whsec_…", "format": "event"}}`)
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
	return &c, nil
}
