// Command server is the openliveness server for several replicas behind a
// load balancer: the same REST API, hosted page, SDK, webhooks and metrics
// as examples/server, with the shared state in Redis and PostgreSQL
// instead of embedded stores, so any replica can serve any request.
//
// What lives where:
//
//	Redis       sessions (optimistic, atomic updates), the per-session frame
//	            rate limit, failure limits per reference id
//	PostgreSQL  the webhook outbox (every replica delivers; each delivery is
//	            leased to one worker), the audit chain (one chain whatever
//	            replica appends), evidence objects, registered reference faces
//	each replica  the analysis engine and its caches (rebuilt from Redis
//	            when a session's frames move to another replica)
//
// Usage:
//
//	server -redis-url redis://HOST:6379/0 -postgres-url postgres://USER@HOST/DB \
//	       -webhook-secret whsec_... -dev-api-key KEY [flags]
//
// It has every flag of examples/server (the shared flags of
// liveness/server, which does the wiring: TLS, webhook schemes and retries,
// -metrics-addr, -tenant-webhooks, ...; see docs/server.md) except
// -data-dir, and these for its backends. Every flag has an environment
// variable: OPENLIVENESS_ and its name in upper case with '_' for '-';
// -h shows them.
//
//	-replica                name of this replica in logs, the banner and the webhook
//	                        User-Agent (default the host name)
//	-redis-url              Redis URL (required)
//	-redis-prefix           prefix of every Redis key (default openliveness:)
//	-postgres-url           PostgreSQL URL (required); add search_path=SCHEMA to keep the
//	                        tables in their own schema
//	-sessions-in            where sessions are kept: redis (default) or postgres, where a
//	                        change and its intents are one transaction
//	-session-retention      how long ended sessions (with their frame logs) and delivered
//	                        or failed webhook records are kept (24h); pruned every 10 minutes
//	-keys-file              a keys.json of API keys, as written by "examples/server keys";
//	                        it or -dev-api-key is required
//	-audit-key              base64 Ed25519 seed (32 bytes) signing the audit chain, the same
//	                        on every replica (without it no audit log)
//	-audit-key-id           id of that key (default k1)
//
// Replicas differ from examples/server in their defaults and checks:
// -webhook-secret is required (every replica signs with it), evidence is
// kept unless -evidence-retention is set (one replica at a time purges,
// under a PostgreSQL advisory lock), and a dead replica's webhook
// deliveries are retried after twice -webhook-timeout plus 5 s.
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
