package pgstore_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
)

func TestAuditStoreConformance(t *testing.T) {
	conn, _ := connect(t) // skip the whole suite without a server
	conn.Close(t.Context())
	audittest.TestStore(t, func(t *testing.T) audit.Store {
		_, p := migrated(t)
		return pgstore.NewAuditStore(p)
	})
}

// TestAuditTwoProcesses appends through two Logs, each over its own pool
// as two replicas would, and checks that the result is one chain.
func TestAuditTwoProcesses(t *testing.T) {
	db, p := migrated(t)
	ctx := t.Context()
	var logs []*audit.Log
	for i, pool := range []*pgxpool.Pool{p, db.pool(t)} {
		store := pgstore.NewAuditStore(pool)
		logs = append(logs, audittest.NewLog(t, audit.WithStore(store), audit.WithIDGenerator(audittest.IDs(fmt.Sprint("r", i)))))
	}
	const each = 40
	var wg sync.WaitGroup
	for w := range 4 {
		l := logs[w%2]
		wg.Go(func() {
			for i := range each {
				if _, err := l.Append(ctx, audit.Record{SessionID: fmt.Sprint("s", w), Type: audit.ChallengePassed, Payload: []byte{byte(i)}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range logs {
		if err := l.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h, err := logs[1].Head(ctx)
	if err != nil || h.Size != 4*each {
		t.Fatalf("head %+v, %v; want %d entries", h, err, 4*each)
	}
}

// TestAuditFork refuses an entry at the right position whose prev_hash
// does not name the stored last entry.
func TestAuditFork(t *testing.T) {
	_, p := migrated(t)
	s := pgstore.NewAuditStore(p)
	es := audittest.Entries(t, 3)
	for _, e := range es[:2] {
		if err := s.Append(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	forged := es[2]
	forged.PrevHash = es[0].EntryHash
	if err := s.Append(t.Context(), forged); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("Append of a forked entry: %v, want ErrConflict", err)
	}
	if err := s.Append(t.Context(), es[2]); err != nil {
		t.Fatal(err)
	}
}
