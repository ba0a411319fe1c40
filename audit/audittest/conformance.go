package audittest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/openliveness/openliveness/audit"
)

// TestStore runs the audit.Store conformance suite. newStore must return a
// new, empty store for each call; the suite closes nothing, so register
// cleanups with t.Cleanup. Stores that implement audit.SessionIndex are
// checked for that too.
func TestStore(t *testing.T, newStore func(t *testing.T) audit.Store) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		if _, ok, err := s.Last(ctx); err != nil || ok {
			t.Fatalf("Last on an empty store = ok %v, err %v; want false, nil", ok, err)
		}
		for _, from := range []uint64{0, 5} {
			if got := scanAll(t, s, from); len(got) != 0 {
				t.Fatalf("Scan(%d) on an empty store yielded %d entries", from, len(got))
			}
		}
	})

	t.Run("AppendAndRead", func(t *testing.T) {
		s := newStore(t)
		want := Entries(t, 20)
		for i, e := range want {
			mustAppend(t, s, e)
			last, ok, err := s.Last(ctx)
			if err != nil || !ok || !reflect.DeepEqual(last, e) {
				t.Fatalf("after appending entry %d: Last = %+v, %v, %v", i, last, ok, err)
			}
		}
		for _, from := range []uint64{0, 1, 7, 19, 20, 100} {
			got := scanAll(t, s, from)
			var w []audit.Entry
			if from < uint64(len(want)) {
				w = want[from:]
			}
			if len(got) != len(w) || (len(w) > 0 && !reflect.DeepEqual(got, w)) {
				t.Fatalf("Scan(%d) yielded %d entries, want %d equal to those appended", from, len(got), len(w))
			}
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		s := newStore(t)
		es := Entries(t, 6)
		if err := s.Append(ctx, es[1]); !errors.Is(err, audit.ErrConflict) {
			t.Fatalf("Append(seq 1) to an empty store = %v, want ErrConflict", err)
		}
		for _, e := range es[:3] {
			mustAppend(t, s, e)
		}
		for _, e := range []audit.Entry{es[5], es[1], es[2], es[0]} {
			if err := s.Append(ctx, e); !errors.Is(err, audit.ErrConflict) {
				t.Fatalf("Append(seq %d) with 3 entries stored = %v, want ErrConflict", e.Seq, err)
			}
		}
		if got := scanAll(t, s, 0); !reflect.DeepEqual(got, es[:3]) {
			t.Fatalf("after conflicts the store holds %d entries, want the 3 appended", len(got))
		}
		mustAppend(t, s, es[3])
	})

	t.Run("Fidelity", func(t *testing.T) {
		s := newStore(t)
		long := strings.Repeat("x", audit.MaxIDLen)
		l := NewLog(t, audit.WithStore(s), audit.WithIDGenerator(func() string { return long }))
		recs := []audit.Record{
			{SessionID: long, Type: audit.SessionCreated, Payload: []byte("p")},
			{Type: audit.EventType("CUSTOM_EVENT_9"), PayloadHash: audit.Hash([]byte("q"))},
			{SessionID: "a.b_c:d-e", Type: audit.EvidencePurged, EvidenceHash: audit.Hash(nil)},
		}
		var want []audit.Entry
		for _, r := range recs {
			e, err := l.Append(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
		}
		if got := scanAll(t, s, 0); !reflect.DeepEqual(got, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
		}
	})

	t.Run("EarlyBreak", func(t *testing.T) {
		s := newStore(t)
		es := Entries(t, 11)
		for _, e := range es[:10] {
			mustAppend(t, s, e)
		}
		n := 0
		for _, err := range s.Scan(ctx, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 2 {
				break
			}
		}
		mustAppend(t, s, es[10]) // the abandoned iteration must not hold the store
		if got := scanAll(t, s, 0); len(got) != 11 {
			t.Fatalf("store holds %d entries, want 11", len(got))
		}
	})

	t.Run("AppendDuringScan", func(t *testing.T) {
		s := newStore(t)
		es := Entries(t, 40)
		for _, e := range es[:20] {
			mustAppend(t, s, e)
		}
		next := uint64(0)
		appended := 20
		for e, err := range s.Scan(ctx, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Seq != next {
				t.Fatalf("Scan yielded seq %d, want %d", e.Seq, next)
			}
			next++
			if appended < len(es) {
				mustAppend(t, s, es[appended])
				appended++
			}
		}
		if next < 20 {
			t.Fatalf("Scan yielded %d entries, want at least the 20 present when it started", next)
		}
		if got := scanAll(t, s, 0); !reflect.DeepEqual(got, es[:appended]) {
			t.Fatalf("store holds %d entries, want %d", len(got), appended)
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		s := newStore(t)
		es := Entries(t, 2)
		mustAppend(t, s, es[0])
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Append(cctx, es[1]); !errors.Is(err, context.Canceled) {
			t.Fatalf("Append with a canceled context = %v, want context.Canceled", err)
		}
		if _, _, err := s.Last(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Last with a canceled context = %v, want context.Canceled", err)
		}
		var scanErr error
		for _, err := range s.Scan(cctx, 0) {
			if err != nil {
				scanErr = err
				break
			}
		}
		if !errors.Is(scanErr, context.Canceled) {
			t.Fatalf("Scan with a canceled context yielded error %v, want context.Canceled", scanErr)
		}
		if got := scanAll(t, s, 0); len(got) != 1 {
			t.Fatalf("store holds %d entries after a canceled append, want 1", len(got))
		}
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		s := newStore(t)
		l := NewLog(t, audit.WithStore(s))
		const workers, each = 4, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					_, err := l.Append(ctx, audit.Record{SessionID: fmt.Sprintf("w%d", w), Type: audit.ChallengePassed, Payload: []byte{byte(i)}})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		if h, _ := l.Head(ctx); h.Size != workers*each {
			t.Fatalf("head size %d, want %d", h.Size, workers*each)
		}
	})

	t.Run("TwoWriters", func(t *testing.T) {
		// Two Logs over one store: ErrConflict must keep a single chain.
		s := newStore(t)
		a := NewLog(t, audit.WithStore(s), audit.WithIDGenerator(IDs("a")))
		b := NewLog(t, audit.WithStore(s), audit.WithIDGenerator(IDs("b")))
		const each = 15
		var wg sync.WaitGroup
		errs := make(chan error, 2*each)
		for _, l := range []*audit.Log{a, b} {
			wg.Go(func() {
				for i := range each {
					if _, err := l.Append(ctx, audit.Record{SessionID: "s", Type: audit.ChallengePassed, Payload: []byte{byte(i)}}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := a.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		if got := scanAll(t, s, 0); len(got) != 2*each {
			t.Fatalf("store holds %d entries, want %d", len(got), 2*each)
		}
	})

	t.Run("SessionIndex", func(t *testing.T) {
		s := newStore(t)
		idx, ok := s.(audit.SessionIndex)
		if !ok {
			t.Skip("store does not implement audit.SessionIndex")
		}
		es := Entries(t, 14)
		for _, e := range es {
			mustAppend(t, s, e)
		}
		for _, id := range []string{"sess-0", "sess-1", "sess-2", "sess-9", "sess"} {
			var want []audit.Entry
			for _, e := range es {
				if e.SessionID == id {
					want = append(want, e)
				}
			}
			got, err := idx.BySession(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
				t.Fatalf("BySession(%q) = %d entries, want %d in seq order", id, len(got), len(want))
			}
		}
	})
}

func mustAppend(t *testing.T, s audit.Store, e audit.Entry) {
	t.Helper()
	if err := s.Append(context.Background(), e); err != nil {
		t.Fatalf("Append(seq %d): %v", e.Seq, err)
	}
}

func scanAll(t *testing.T, s audit.Store, from uint64) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for e, err := range s.Scan(context.Background(), from) {
		if err != nil {
			t.Fatalf("Scan(%d): %v", from, err)
		}
		out = append(out, e)
	}
	return out
}
