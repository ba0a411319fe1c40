package pgstore_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/openliveness/openliveness/adapters/pgstore"
)

func TestMigrations(t *testing.T) {
	ms, err := pgstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	for i, m := range ms {
		if m.Version != i+1 || m.Name == "" || m.SQL == "" {
			t.Errorf("migration %d: version %d name %q (%d bytes); want consecutive versions from 1", i, m.Version, m.Name, len(m.SQL))
		}
	}
}

func TestMigrateIdempotent(t *testing.T) {
	db := newDB(t)
	p := db.pool(t)
	ms, _ := pgstore.Migrations()
	var all []int
	for _, m := range ms {
		all = append(all, m.Version)
	}
	applied, err := pgstore.Migrate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, all) {
		t.Fatalf("first Migrate applied %v, want %v", applied, all)
	}
	applied, err = pgstore.Migrate(t.Context(), p)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate applied %v, %v; want nothing", applied, err)
	}
	rows, err := p.Query(t.Context(), `SELECT version FROM openliveness_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("recorded versions %v, want %v", got, all)
	}
}

// TestMigrateConcurrent starts replicas together: each migration is
// applied once, and every Migrate succeeds.
func TestMigrateConcurrent(t *testing.T) {
	db := newDB(t)
	const replicas = 4
	results := make([][]int, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		p := db.pool(t)
		wg.Go(func() {
			var err error
			if results[i], err = pgstore.Migrate(t.Context(), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ms, _ := pgstore.Migrations()
	total := 0
	for _, r := range results {
		total += len(r)
	}
	if total != len(ms) {
		t.Errorf("replicas applied %v in all, want each of the %d migrations once", results, len(ms))
	}
}

func TestMigrateWithoutSchema(t *testing.T) {
	db := newDB(t)
	db.schema = "no_such_schema_here"
	_, err := pgstore.Migrate(t.Context(), db.pool(t))
	if !errors.Is(err, pgstore.ErrMigration) {
		t.Fatalf("Migrate into a missing schema: %v, want ErrMigration", err)
	}
}
