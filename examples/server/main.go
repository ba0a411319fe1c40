// Command server is the openliveness reference server: the liveness engine,
// the REST API, the hosted page and the SDK, webhooks, metrics.
//
// Usage:
//
//	server [flags]                  run the server
//	server keys create [-name N]    create an API key (shown once)
//	server keys list                list API keys (prefixes only)
//	server keys revoke PREFIX       revoke an API key
//
// With no flags it listens on 127.0.0.1:8080, keeps sessions and queued
// webhooks in memory, prints a development API key (kept in DATA_DIR/dev-api-key
// with -data-dir) and a generated webhook secret, and logs with slog to
// stderr (durations in milliseconds). Every flag has an environment variable:
// OPENLIVENESS_ and its name in upper case with '_' for '-' (-rate-limit:
// OPENLIVENESS_RATE_LIMIT); -h shows them; the command line wins.
//
//	-addr                   listen address (default 127.0.0.1:8080)
//	-public-url             external base URL for hosted_url (default http://ADDR, or https://)
//	-dev-api-key            use this development API key instead of a generated one
//	-data-dir               directory of the durable stores: sessions.db (sessions and
//	                        registered reference faces), webhooks.db (the
//	                        outbox), keys.json, webhook-secret, dev-api-key, evidence/
//	-evidence-retention     delete evidence frames of sessions ended this long ago (720h;
//	                        0 keeps them; the hashes stay)
//	-webhook-url            server-wide webhook endpoint
//	-webhook-secret         webhook signing secret (default generated)
//	-webhook-format         payload of -webhook-url: event (session.* envelope) or completed
//	-session-webhook-format payload of per-session webhook_url: completed (default) or event
//	-webhook-allow-private  development only: webhooks may go to http and loopback/private targets
//	-webhook-schemes        signature schemes: body, timestamped, standard joined by + (body+standard)
//	-webhook-retry          default (5s,30s,2m,10m,1h), once (5s), none, or delays such as 10s,1m
//	-webhook-timeout        bound of one webhook attempt (5s)
//	-tenant-webhooks        JSON file of each tenant's webhook endpoint
//	-frame-ancestors        origins allowed to frame the hosted page (comma-separated)
//	-cors-origins           origins whose pages may use the SDK (comma-separated, or *)
//	-rate-limit, -rate-window  frame submissions per session (30 per 10s)
//	-log-level, -log-format    debug|info|warn|error, text|json
//	-shutdown-timeout       how long to wait for in-flight requests and webhooks (30s)
//	-audit-checkpoint-interval  sign an audit checkpoint this often (1h)
//	-tls-cert, -tls-key     serve HTTPS with this certificate and key (PEM files)
//	-tls-self-signed        development only: HTTPS with a self-signed certificate for the
//	                        listen address and local names (kept in DATA_DIR; fingerprint printed)
//	-metrics-addr           serve /metrics on this separate address only
//
// Every flag but -data-dir is a shared flag of liveness/server, which does
// the wiring; adapters/cmd/server has the same ones. This main only opens
// the stores.
//
// The keys commands use -data-dir (default OPENLIVENESS_DATA_DIR, else
// $XDG_DATA_HOME/openliveness or ~/.local/share/openliveness);
// a server started with the same -data-dir accepts those keys, and sees
// created and revoked keys without a restart.
//
// On SIGINT or SIGTERM the server stops accepting connections, finishes the
// requests in flight (frames being analysed), lets webhook attempts in
// flight finish, and exits; webhooks not yet delivered stay in the outbox
// (with -data-dir, they are sent after the next start).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, nil))
}

// run is main with its dependencies; ready, when not nil, receives the
// listening address.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, ready func(addr string)) int {
	if len(args) > 0 && args[0] == "keys" {
		return keysCommand(ctx, args[1:], stdout, stderr, getenv)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(stderr, "server:", err)
		return 2
	}
	if err := serve(ctx, cfg, stdout, stderr, ready); err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return 1
	}
	return 0
}
