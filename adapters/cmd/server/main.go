// Command server is the openliveness server for several replicas behind a
// load balancer: the same REST API, hosted page, SDK, webhooks and metrics
// as examples/server, with the shared state in Redis and PostgreSQL
// instead of embedded stores, so any replica can serve any request.
//
// What lives where:
//
//	Redis       sessions (header, frame log and the outbox of intents, each
//	            change one atomic script), the per-session frame
//	            rate limit, failure limits per reference id
//	PostgreSQL  the webhook outbox (every replica delivers; each delivery is
//	            leased to one worker), the audit chain (one chain whatever
//	            replica appends), evidence objects
//	each replica  the analysis engine and its caches (rebuilt from Redis
//	            when a session's frames move to another replica)
//
// Usage:
//
//	server -redis-url redis://HOST:6379/0 -postgres-url postgres://USER@HOST/DB \
//	       -webhook-secret whsec_... -dev-api-key KEY [flags]
//
// Flags (and environment variables):
//
//	-addr                   listen address (OPENLIVENESS_ADDR, default 127.0.0.1:8080)
//	-public-url             external base URL, the load balancer's (OPENLIVENESS_PUBLIC_URL)
//	-replica                name of this replica in logs and the webhook User-Agent
//	                        (OPENLIVENESS_REPLICA, default the host name)
//	-redis-url              Redis URL (OPENLIVENESS_REDIS_URL, required)
//	-redis-prefix           prefix of every Redis key (OPENLIVENESS_REDIS_PREFIX, default openliveness:)
//	-postgres-url           PostgreSQL URL (OPENLIVENESS_POSTGRES_URL, required); add
//	                        search_path=SCHEMA to keep the tables in their own schema
//	-sessions-in            where sessions are kept: redis (default) or postgres, where a
//	                        change and its intents are one transaction (OPENLIVENESS_SESSIONS_IN)
//	-session-retention      how long ended sessions (with their frame logs) and delivered
//	                        or failed webhook records are kept (24h); pruned every 10 minutes
//	-dev-api-key            an API key to accept (OPENLIVENESS_DEV_API_KEY)
//	-keys-file              a keys.json of API keys, as written by "examples/server keys"
//	                        (OPENLIVENESS_KEYS_FILE); one of the two is required
//	-webhook-secret         webhook signing secret, the same on every replica
//	                        (OPENLIVENESS_WEBHOOK_SECRET, required)
//	-webhook-url            server-wide webhook endpoint (OPENLIVENESS_WEBHOOK_URL)
//	-webhook-format         payload of -webhook-url: event or completed
//	-session-webhook-format payload of per-session webhook_url: completed or event
//	-webhook-allow-private  development only: http and loopback/private webhook targets
//	-webhook-timeout        bound of one webhook attempt (5s); a dead replica's
//	                        deliveries are retried after twice this plus 5 s
//	-audit-key              base64 Ed25519 seed (32 bytes) signing the audit chain, the same
//	                        on every replica (OPENLIVENESS_AUDIT_KEY; without it no audit log)
//	-audit-key-id           id of that key (OPENLIVENESS_AUDIT_KEY_ID, default k1)
//	-evidence-retention     delete evidence of sessions ended this long ago (0: keep)
//	-frame-ancestors, -cors-origins, -rate-limit, -rate-window,
//	-log-level, -log-format, -shutdown-timeout   as in examples/server
//
// The schema migrations are applied at start (replicas starting together
// wait for each other). On SIGINT or SIGTERM a replica stops accepting
// connections, finishes the requests and webhook attempts in flight and
// exits; what is not delivered stays in the outbox for the other replicas.
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
