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
// webhooks in memory, prints a development API key and a generated webhook
// secret once, and logs with slog to stderr. Flags (and environment
// variables):
//
//	-addr                   listen address (OPENLIVENESS_ADDR, default 127.0.0.1:8080)
//	-public-url             external base URL for hosted_url (OPENLIVENESS_PUBLIC_URL; default http://ADDR)
//	-dev-api-key            use this development API key instead of a random one (OPENLIVENESS_DEV_API_KEY)
//	-data-dir               directory of the durable stores (OPENLIVENESS_DATA_DIR): sessions.db,
//	                        webhooks.db (the outbox), keys.json, webhook-secret, evidence/
//	-evidence-retention     with -data-dir: delete evidence frames of sessions ended this long
//	                        ago (720h; 0 keeps them; the hashes stay)
//	-webhook-url            server-wide webhook endpoint (OPENLIVENESS_WEBHOOK_URL)
//	-webhook-secret         webhook signing secret (OPENLIVENESS_WEBHOOK_SECRET; default generated)
//	-webhook-format         payload of -webhook-url: event (session.* envelope) or completed
//	-session-webhook-format payload of per-session webhook_url: completed (default) or event
//	-webhook-allow-private  development only: webhooks may go to http and loopback/private targets
//	-frame-ancestors        origins allowed to frame the hosted page (comma-separated)
//	-cors-origins           origins whose pages may use the SDK (comma-separated, or *)
//	-rate-limit, -rate-window  frame submissions per session (30 per 10s)
//	-log-level, -log-format    debug|info|warn|error, text|json
//	-shutdown-timeout       how long to wait for in-flight requests and webhooks (30s)
//
// The keys commands use -data-dir (default ./data, or OPENLIVENESS_DATA_DIR);
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
