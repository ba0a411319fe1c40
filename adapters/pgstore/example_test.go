package pgstore_test

import (
	"context"
	"crypto/ed25519"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// A replica migrates the schema at start and builds its outbox and audit
// log over the shared database. (Not run as a test: it needs a PostgreSQL
// server.)
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://openliveness@db.internal/openliveness?search_path=openliveness")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}

	dispatcher, err := outbox.New(outbox.WithStore(pgstore.NewWebhookStore(pool)))
	if err != nil {
		log.Fatal(err)
	}
	defer dispatcher.Close()
	go dispatcher.Run(ctx) // every replica delivers; each delivery is leased to one worker

	var key ed25519.PrivateKey // from the secret store: the same key on every replica
	signer, err := audit.NewSigner("k1", key)
	if err != nil {
		log.Fatal(err)
	}
	chain, err := audit.Open(ctx, audit.WithStore(pgstore.NewAuditStore(pool)), audit.WithSigner(signer))
	if err != nil {
		log.Fatal(err)
	}
	_ = chain // liveness.WithAuditor(chain)
}
