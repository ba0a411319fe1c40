package pgstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/internal/testenv"
)

// testDB is one throwaway schema of the server named by
// OPENLIVENESS_POSTGRES_URL.
type testDB struct {
	url    string
	schema string
}

// connect connects to the server named by OPENLIVENESS_POSTGRES_URL, or
// skips the test when none is configured or reachable.
func connect(t *testing.T) (*pgx.Conn, string) {
	t.Helper()
	url := os.Getenv("OPENLIVENESS_POSTGRES_URL")
	if url == "" {
		testenv.Missing(t, "OPENLIVENESS_POSTGRES_URL is not set: start PostgreSQL (see adapters/ci/services.sh) to run this test")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		testenv.Missing(t, "PostgreSQL at %s is unreachable (%v): start it (see adapters/ci/services.sh) to run this test", url, err)
	}
	return conn, url
}

// newDB creates an empty schema, dropped when the test ends, and skips the
// test when no server is configured or reachable.
func newDB(t *testing.T) testDB {
	t.Helper()
	conn, url := connect(t)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	schema := "t_" + strings.ToLower(rand.Text()[:16])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, url); err == nil {
			c.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			c.Close(ctx)
		}
	})
	return testDB{url: url, schema: schema}
}

// pool opens a pool whose search_path is the test schema; it is closed
// when the test ends.
func (db testDB) pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = db.schema
	cfg.MaxConns = 8
	p, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// migrated opens a pool over a new migrated schema.
func migrated(t *testing.T) (testDB, *pgxpool.Pool) {
	t.Helper()
	db := newDB(t)
	p := db.pool(t)
	if _, err := pgstore.Migrate(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return db, p
}
