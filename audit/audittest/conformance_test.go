package audittest_test

import (
	"context"
	"iter"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
)

// brokenEnv selects, in a child process, the broken store that the
// conformance suite is run against.
const brokenEnv = "OPENLIVENESS_AUDITTEST_BROKEN_STORE"

// broken wraps a MemoryStore and breaks one part of the Store contract.
type broken struct {
	mem  *audit.MemoryStore
	flaw string
}

func (b *broken) Append(ctx context.Context, e audit.Entry) error {
	switch b.flaw {
	case "no conflict check":
		if last, ok, _ := b.mem.Last(ctx); ok && e.Seq <= last.Seq {
			return nil // silently drops duplicates and accepts gaps below
		}
		e.Seq = 0
		if last, ok, _ := b.mem.Last(ctx); ok {
			e.Seq = last.Seq + 1
		}
	case "ignores context":
		ctx = context.Background()
	}
	return b.mem.Append(ctx, e)
}

func (b *broken) Last(ctx context.Context) (audit.Entry, bool, error) {
	if b.flaw == "ignores context" {
		ctx = context.Background()
	}
	return b.mem.Last(ctx)
}

func (b *broken) Scan(ctx context.Context, from uint64) iter.Seq2[audit.Entry, error] {
	if b.flaw == "scan skips one" && from > 0 {
		from++
	}
	return b.mem.Scan(ctx, from)
}

func (b *broken) BySession(ctx context.Context, id string) ([]audit.Entry, error) {
	var out []audit.Entry
	for e, err := range b.mem.Scan(ctx, 0) {
		if err != nil {
			return nil, err
		}
		if e.SessionID == id || (b.flaw == "prefix session match" && strings.HasPrefix(e.SessionID, id)) {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestBrokenStoreChild runs the suite against a broken store; it is run by
// TestSuiteCatchesBrokenStores in a child process and is expected to fail.
func TestBrokenStoreChild(t *testing.T) {
	flaw := os.Getenv(brokenEnv)
	if flaw == "" {
		t.Skip("runs only as a child process of TestSuiteCatchesBrokenStores")
	}
	audittest.TestStore(t, func(*testing.T) audit.Store {
		return &broken{mem: audit.NewMemoryStore(), flaw: flaw}
	})
}

// TestSuiteCatchesBrokenStores runs the suite in a child process against
// stores that each break one rule, and expects the suite to fail the
// matching subtest.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, tc := range []struct{ flaw, failing string }{
		{"no conflict check", "Conflict"},
		{"ignores context", "Canceled"},
		{"scan skips one", "AppendAndRead"},
		{"prefix session match", "SessionIndex"},
	} {
		t.Run(tc.flaw, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStoreChild$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with the flaw %q:\n%s", tc.flaw, out)
			}
			if want := "--- FAIL: TestBrokenStoreChild/" + tc.failing; !strings.Contains(string(out), want) {
				t.Fatalf("output lacks %q:\n%s", want, out)
			}
		})
	}
}

func TestFixtures(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := audittest.Clock(start, time.Second)
	if a, b := clock(), clock(); !a.Equal(start) || !b.Equal(start.Add(time.Second)) {
		t.Fatalf("clock returned %v, %v", a, b)
	}
	ids := audittest.IDs("x")
	if a, b := ids(), ids(); a != "x-000001" || b != "x-000002" {
		t.Fatalf("ids %q, %q", a, b)
	}
	a, b := audittest.Entries(t, 5), audittest.Entries(t, 5)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("Entries is not deterministic at %d", i)
		}
	}
	if err := audit.Verify(audit.NewKeyring(audittest.Signer("k1", 1)), a, nil); err != nil {
		t.Fatal(err)
	}
}
