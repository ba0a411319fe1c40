package audit_test

import (
	"context"
	"encoding/base64"
	"errors"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
)

var ctx = context.Background()

func keyring() *audit.Keyring { return audit.NewKeyring(audittest.Signer("k1", 1)) }

func appendAll(t *testing.T, l *audit.Log, recs []audit.Record) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, len(recs))
	for i, r := range recs {
		e, err := l.Append(ctx, r)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out[i] = e
	}
	return out
}

func TestMemoryStoreConformance(t *testing.T) {
	audittest.TestStore(t, func(*testing.T) audit.Store { return audit.NewMemoryStore() })
}

func TestZeroMemoryStoreIsUsable(t *testing.T) {
	var s audit.MemoryStore
	l := audittest.NewLog(t, audit.WithStore(&s))
	appendAll(t, l, audittest.Records(3))
	if got, _ := l.BySession(ctx, "sess-1"); len(got) != 1 {
		t.Fatalf("BySession = %d entries, want 1", len(got))
	}
}

func TestAppendBuildsChain(t *testing.T) {
	l := audittest.NewLog(t)
	recs := audittest.Records(10)
	es := appendAll(t, l, recs)
	prev := audit.Genesis
	for i, e := range es {
		switch {
		case e.Seq != uint64(i):
			t.Errorf("entry %d: seq %d", i, e.Seq)
		case e.PrevHash != prev:
			t.Errorf("entry %d: prev_hash %s, want %s", i, e.PrevHash, prev)
		case e.EntryHash != e.ComputeHash():
			t.Errorf("entry %d: entry_hash does not match the content", i)
		case e.PayloadHash != audit.Hash(recs[i].Payload):
			t.Errorf("entry %d: payload_hash %s, want the hash of the payload", i, e.PayloadHash)
		case e.EvidenceHash != recs[i].EvidenceHash, e.SessionID != recs[i].SessionID, e.EventType != recs[i].Type:
			t.Errorf("entry %d does not carry its record: %+v", i, e)
		case e.KeyID != "k1":
			t.Errorf("entry %d: key_id %q", i, e.KeyID)
		}
		want := time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC)
		if ts, err := e.Time(); err != nil || !ts.Equal(want) {
			t.Errorf("entry %d: time %v (%v), want %v", i, ts, err, want)
		}
		prev = e.EntryHash
	}
	if es[3].AuditID != "aud-000004" {
		t.Errorf("audit id %q, want aud-000004 from the injected generator", es[3].AuditID)
	}
	h, err := l.Head(ctx)
	if err != nil || h != (audit.Head{Size: 10, Hash: prev}) {
		t.Fatalf("Head = %+v, %v", h, err)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAppendPayloadHash(t *testing.T) {
	l := audittest.NewLog(t)
	pre := audit.Hash([]byte("kept elsewhere"))
	for _, tc := range []struct {
		name string
		rec  audit.Record
		want string
	}{
		{"payload", audit.Record{Type: audit.DocSigned, Payload: []byte("x")}, audit.Hash([]byte("x"))},
		{"precomputed", audit.Record{Type: audit.DocSigned, PayloadHash: pre}, pre},
		{"none", audit.Record{Type: audit.DocSigned}, audit.Hash(nil)},
		{"empty payload", audit.Record{Type: audit.DocSigned, Payload: []byte{}}, audit.Hash(nil)},
	} {
		e, err := l.Append(ctx, tc.rec)
		if err != nil || e.PayloadHash != tc.want {
			t.Errorf("%s: payload_hash %s (%v), want %s", tc.name, e.PayloadHash, err, tc.want)
		}
	}
}

func TestAppendRejectsInvalidRecords(t *testing.T) {
	h := audit.Hash(nil)
	for _, tc := range []struct {
		name string
		rec  audit.Record
	}{
		{"space in session id", audit.Record{SessionID: "a b", Type: audit.SessionCreated}},
		{"quote in session id", audit.Record{SessionID: `a"b`, Type: audit.SessionCreated}},
		{"non-ASCII session id", audit.Record{SessionID: "séance", Type: audit.SessionCreated}},
		{"session id too long", audit.Record{SessionID: strings.Repeat("s", audit.MaxIDLen+1), Type: audit.SessionCreated}},
		{"no event type", audit.Record{SessionID: "s"}},
		{"lower-case event type", audit.Record{Type: "session_created"}},
		{"event type starting with a digit", audit.Record{Type: "1ST"}},
		{"event type too long", audit.Record{Type: audit.EventType(strings.Repeat("A", 65))}},
		{"bad evidence hash", audit.Record{Type: audit.DocSigned, EvidenceHash: "sha256:xyz"}},
		{"upper-case hex", audit.Record{Type: audit.DocSigned, EvidenceHash: strings.ToUpper(h)}},
		{"bad payload hash", audit.Record{Type: audit.DocSigned, PayloadHash: "md5:00"}},
		{"payload and payload hash", audit.Record{Type: audit.DocSigned, Payload: []byte("x"), PayloadHash: h}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := audittest.NewLog(t)
			if _, err := l.Append(ctx, tc.rec); !errors.Is(err, audit.ErrInvalidRecord) {
				t.Fatalf("Append = %v, want ErrInvalidRecord", err)
			}
			if h, _ := l.Head(ctx); h.Size != 0 {
				t.Fatalf("an invalid record was appended")
			}
		})
	}
	t.Run("bad generated id", func(t *testing.T) {
		l := audittest.NewLog(t, audit.WithIDGenerator(func() string { return "not an id" }))
		if _, err := l.Append(ctx, audit.Record{Type: audit.DocSigned}); !errors.Is(err, audit.ErrInvalidRecord) {
			t.Fatalf("Append = %v, want ErrInvalidRecord", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		l := audittest.NewLog(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := l.Append(cctx, audit.Record{Type: audit.DocSigned}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Append = %v, want context.Canceled", err)
		}
	})
}

func TestOpenNeedsSigner(t *testing.T) {
	if _, err := audit.Open(ctx); !errors.Is(err, audit.ErrNoSigner) {
		t.Fatalf("Open without signer = %v, want ErrNoSigner", err)
	}
}

func TestOpenContinuesChain(t *testing.T) {
	s := audit.NewMemoryStore()
	first := appendAll(t, audittest.NewLog(t, audit.WithStore(s)), audittest.Records(4))
	l := audittest.NewLog(t, audit.WithStore(s), audit.WithIDGenerator(audittest.IDs("second")))
	e, err := l.Append(ctx, audit.Record{Type: audit.ManualReview, SessionID: "sess-0"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 4 || e.PrevHash != first[3].EntryHash {
		t.Fatalf("reopened log appended seq %d after %s, want seq 4 after %s", e.Seq, e.PrevHash, first[3].EntryHash)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsDamagedHead(t *testing.T) {
	es := audittest.Entries(t, 3)
	es[2].SessionID = "someone-else"
	s := audit.NewMemoryStore()
	for _, e := range es {
		if err := s.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	_, err := audit.Open(ctx, audit.WithStore(s), audit.WithSigner(audittest.Signer("k1", 1)))
	var ve *audit.VerifyError
	if !errors.As(err, &ve) || ve.Problem != audit.Modified || ve.Seq != 2 {
		t.Fatalf("Open over a modified head = %v, want a Modified VerifyError at seq 2", err)
	}
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	l := audittest.NewLog(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := l.Append(ctx, audit.Record{SessionID: "s", Type: audit.ChallengePassed, Payload: []byte{byte(w), byte(i)}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	es, err := l.Entries(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != workers*each {
		t.Fatalf("%d entries, want %d", len(es), workers*each)
	}
	if err := audit.Verify(l.Keyring(), es, nil); err != nil {
		t.Fatal(err)
	}
}

// faultyStore wraps a store and fails or panics on chosen appends.
type faultyStore struct {
	audit.Store
	calls  atomic.Int64
	failAt int64 // call number (1-based) that fails
	mode   string
}

func (f *faultyStore) Append(ctx context.Context, e audit.Entry) error {
	n := f.calls.Add(1)
	if n != f.failAt {
		return f.Store.Append(ctx, e)
	}
	switch f.mode {
	case "error":
		return errors.New("disk full")
	case "conflict":
		return audit.ErrConflict
	case "panic before":
		panic("crash before the write")
	case "panic after":
		if err := f.Store.Append(ctx, e); err != nil {
			return err
		}
		panic("crash after the write")
	case "error after":
		if err := f.Store.Append(ctx, e); err != nil {
			return err
		}
		return errors.New("acknowledgement lost")
	}
	return nil
}

func TestStoreFailuresKeepTheChain(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		stored  int  // entries stored by the failing call
		wantErr bool // whether the failing Append reports an error
	}{
		{"error", 0, true},
		{"panic before", 0, true},
		{"panic after", 1, true},
		{"error after", 1, true},
		{"conflict", 0, false}, // retried on the reloaded head
	} {
		t.Run(tc.mode, func(t *testing.T) {
			inner := audit.NewMemoryStore()
			fs := &faultyStore{Store: inner, failAt: 4, mode: tc.mode}
			l := audittest.NewLog(t, audit.WithStore(fs))
			appendAll(t, l, audittest.Records(3))
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = errors.New("panicked")
					}
				}()
				_, err = l.Append(ctx, audit.Record{SessionID: "s", Type: audit.LivenessResult})
				return err
			}()
			if (err != nil) != tc.wantErr {
				t.Fatalf("failing append returned %v, want error %v", err, tc.wantErr)
			}
			appendAll(t, l, audittest.Records(2))
			want := 3 + tc.stored + 2
			if !tc.wantErr {
				want = 6
			}
			es, _ := l.Entries(ctx, 0, 0)
			if len(es) != want {
				t.Fatalf("%d entries stored, want %d", len(es), want)
			}
			if err := audit.Verify(l.Keyring(), es, nil); err != nil {
				t.Fatalf("chain broken after a store failure: %v", err)
			}
		})
	}
}

type alwaysConflict struct{ audit.Store }

func (alwaysConflict) Append(context.Context, audit.Entry) error { return audit.ErrConflict }

func TestAppendGivesUpOnEndlessConflicts(t *testing.T) {
	l := audittest.NewLog(t, audit.WithStore(alwaysConflict{audit.NewMemoryStore()}))
	if _, err := l.Append(ctx, audit.Record{Type: audit.DocSigned}); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("Append = %v, want ErrConflict", err)
	}
}

func TestRotate(t *testing.T) {
	l := audittest.NewLog(t)
	before := appendAll(t, l, audittest.Records(3))
	k2 := audittest.Signer("k2", 2)
	rot, err := l.Rotate(ctx, k2)
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"key_id":"k2","public_key":"` + base64.StdEncoding.EncodeToString(k2.Public()) + `"}`
	if rot.EventType != audit.KeyRotated || rot.KeyID != "k1" || rot.PayloadHash != audit.Hash([]byte(payload)) || rot.SessionID != "" {
		t.Fatalf("rotation entry %+v, want KEY_ROTATED signed by k1 with the new key as payload", rot)
	}
	after := appendAll(t, l, audittest.Records(2))
	if after[0].KeyID != "k2" || before[0].KeyID != "k1" {
		t.Fatalf("key ids before/after rotation: %s/%s", before[0].KeyID, after[0].KeyID)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ := l.Entries(ctx, 0, 0)
	for _, tc := range []struct {
		name    string
		keys    *audit.Keyring
		wantIdx int // -1: valid
	}{
		{"both keys", audit.NewKeyring(audittest.Signer("k1", 1), k2), -1},
		{"new key only", audit.NewKeyring(k2), 0},
		{"old key only", audit.NewKeyring(audittest.Signer("k1", 1)), 4},
	} {
		err := audit.Verify(tc.keys, es, nil)
		var ve *audit.VerifyError
		switch {
		case tc.wantIdx < 0 && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantIdx >= 0 && (!errors.As(err, &ve) || ve.Index != tc.wantIdx || ve.Problem != audit.UnknownKey):
			t.Errorf("%s: %v, want UnknownKey at %d", tc.name, err, tc.wantIdx)
		}
	}
	if _, err := l.Rotate(ctx, audittest.Signer("k1", 9)); !errors.Is(err, audit.ErrInvalidKey) {
		t.Fatalf("rotating to a different key under a used id = %v, want ErrInvalidKey", err)
	}
}

func TestKeyring(t *testing.T) {
	k := audit.NewKeyring()
	s := audittest.Signer("k1", 1)
	if err := k.Add("k1", s.Public()); err != nil {
		t.Fatal(err)
	}
	if err := k.Add("k1", s.Public()); err != nil {
		t.Fatalf("adding the same key twice: %v", err)
	}
	for _, tc := range []struct {
		id  string
		key []byte
	}{
		{"k1", audittest.Signer("x", 2).Public()},
		{"bad id", s.Public()},
		{"k3", s.Public()[:31]},
	} {
		if err := k.Add(tc.id, tc.key); !errors.Is(err, audit.ErrInvalidKey) {
			t.Errorf("Add(%q, %d bytes) = %v, want ErrInvalidKey", tc.id, len(tc.key), err)
		}
	}
	if pub, ok := k.Key("k1"); !ok || !pub.Equal(s.Public()) {
		t.Fatal("Key(k1) does not return the added key")
	}
	if got := k.IDs(); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("IDs = %v", got)
	}
	if _, err := audit.NewSigner("k1", make([]byte, 10)); !errors.Is(err, audit.ErrInvalidKey) {
		t.Fatalf("NewSigner with a short key = %v", err)
	}
}

// scanOnly hides the SessionIndex of the store it wraps.
type scanOnly struct{ s audit.Store }

func (w scanOnly) Append(ctx context.Context, e audit.Entry) error { return w.s.Append(ctx, e) }
func (w scanOnly) Last(ctx context.Context) (audit.Entry, bool, error) {
	return w.s.Last(ctx)
}
func (w scanOnly) Scan(ctx context.Context, from uint64) iter.Seq2[audit.Entry, error] {
	return w.s.Scan(ctx, from)
}

func TestQueries(t *testing.T) {
	mem := audit.NewMemoryStore()
	l := audittest.NewLog(t, audit.WithStore(mem))
	es := appendAll(t, l, audittest.Records(12))
	got, err := l.Entries(ctx, 5, 4)
	if err != nil || len(got) != 4 || got[0] != es[5] || got[3] != es[8] {
		t.Fatalf("Entries(5, 4) = %d entries, %v", len(got), err)
	}
	if got, _ := l.Entries(ctx, 10, 0); len(got) != 2 {
		t.Fatalf("Entries(10, all) = %d entries, want 2", len(got))
	}
	plain := audittest.NewLog(t, audit.WithStore(scanOnly{mem}))
	for _, id := range []string{"sess-0", "sess-1", "nobody"} {
		a, err1 := l.BySession(ctx, id)
		b, err2 := plain.BySession(ctx, id)
		if err1 != nil || err2 != nil || len(a) != len(b) {
			t.Fatalf("BySession(%q): index gives %d (%v), scan gives %d (%v)", id, len(a), err1, len(b), err2)
		}
		for i := range a {
			if a[i] != b[i] || a[i].SessionID != id {
				t.Fatalf("BySession(%q) entry %d differs", id, i)
			}
		}
	}
	if a, _ := l.BySession(ctx, "sess-0"); len(a) != 4 {
		t.Fatalf("BySession(sess-0) = %d entries, want 4", len(a))
	}
}

func TestCheckpoint(t *testing.T) {
	l := audittest.NewLog(t)
	keys := l.Keyring()
	es := appendAll(t, l, audittest.Records(10))
	whole, err := l.Checkpoint(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := audit.MerkleRoot(es)
	if whole.Start != 0 || whole.Size != 10 || whole.HeadHash != es[9].EntryHash || whole.MerkleRoot != root || whole.KeyID != "k1" {
		t.Fatalf("checkpoint %+v does not describe the log", whole)
	}
	if err := audit.VerifyCheckpoint(keys, whole); err != nil {
		t.Fatal(err)
	}
	part, err := l.Checkpoint(ctx, &audit.CheckpointOptions{Start: 6})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := audit.MerkleRoot(es[6:]); part.MerkleRoot != r || part.HeadHash != whole.HeadHash {
		t.Fatalf("range checkpoint %+v", part)
	}
	appendAll(t, l, audittest.Records(5))
	if err := l.Verify(ctx, whole, part); err != nil {
		t.Fatalf("a grown log no longer matches its checkpoints: %v", err)
	}
	if _, err := l.Checkpoint(ctx, &audit.CheckpointOptions{Start: 16}); !errors.Is(err, audit.ErrBadCheckpoint) {
		t.Fatalf("checkpoint starting after the head = %v", err)
	}
	empty, err := audittest.NewLog(t).Checkpoint(ctx, nil)
	if err != nil || empty.Size != 0 || empty.HeadHash != audit.Genesis {
		t.Fatalf("checkpoint of an empty log = %+v, %v", empty, err)
	}
	// A checkpoint whose signed fields were changed is rejected.
	for _, mutate := range []func(*audit.Checkpoint){
		func(c *audit.Checkpoint) { c.Size-- },
		func(c *audit.Checkpoint) { c.Start++ },
		func(c *audit.Checkpoint) { c.HeadHash = es[8].EntryHash },
		func(c *audit.Checkpoint) { c.MerkleRoot = es[0].EntryHash },
		func(c *audit.Checkpoint) { c.Timestamp = "2030-01-01T00:00:00.000000Z" },
		func(c *audit.Checkpoint) { c.KeyID = "k2" },
		func(c *audit.Checkpoint) { c.Signature = otherBase64(c.Signature, 10) },
	} {
		c := whole
		mutate(&c)
		if c == whole {
			t.Fatal("mutation did not change the checkpoint")
		}
		if err := audit.VerifyCheckpoint(keys, c); !errors.Is(err, audit.ErrBadCheckpoint) {
			t.Errorf("modified checkpoint %+v verified: %v", c, err)
		}
	}
}

func TestRunCheckpoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := audittest.NewLog(t)
		tick := make(chan time.Time)
		published := make(chan audit.Checkpoint, 10)
		var fail atomic.Bool
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() {
			done <- l.RunCheckpoints(rctx, tick, func(_ context.Context, cp audit.Checkpoint) error {
				if fail.Load() {
					return errors.New("anchor unavailable")
				}
				published <- cp
				return nil
			})
		}()
		next := func() (audit.Checkpoint, bool) {
			tick <- time.Time{}
			synctest.Wait()
			select {
			case cp := <-published:
				return cp, true
			default:
				return audit.Checkpoint{}, false
			}
		}
		if _, ok := next(); ok {
			t.Fatal("checkpoint of an empty log published")
		}
		appendAll(t, l, audittest.Records(3))
		cp1, ok := next()
		if !ok || cp1.Start != 0 || cp1.Size != 3 {
			t.Fatalf("first checkpoint %+v (%v), want [0, 3)", cp1, ok)
		}
		if _, ok := next(); ok {
			t.Fatal("checkpoint published although the log did not grow")
		}
		appendAll(t, l, audittest.Records(2))
		fail.Store(true)
		if _, ok := next(); ok {
			t.Fatal("failed publish delivered a checkpoint")
		}
		fail.Store(false)
		cp2, ok := next()
		if !ok || cp2.Start != 3 || cp2.Size != 5 {
			t.Fatalf("second checkpoint %+v (%v), want [3, 5) retried after the failure", cp2, ok)
		}
		if err := l.Verify(ctx, cp1, cp2); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("RunCheckpoints returned %v, want context.Canceled", err)
		}
	})
}

func TestInclusion(t *testing.T) {
	l := audittest.NewLog(t)
	keys := l.Keyring()
	es := appendAll(t, l, audittest.Records(13))
	whole, _ := l.Checkpoint(ctx, nil)
	part, _ := l.Checkpoint(ctx, &audit.CheckpointOptions{Start: 5})
	for _, cp := range []audit.Checkpoint{whole, part} {
		for seq := cp.Start; seq < cp.Size; seq++ {
			path, err := l.InclusionPath(ctx, seq, cp)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyInclusion(keys, es[seq], cp, path); err != nil {
				t.Fatalf("range [%d,%d) seq %d: %v", cp.Start, cp.Size, seq, err)
			}
			other := es[cp.Start+(seq-cp.Start+1)%(cp.Size-cp.Start)]
			if err := audit.VerifyInclusion(keys, other, cp, path); !errors.Is(err, audit.ErrBadProof) {
				t.Fatalf("seq %d: the path of another entry verified: %v", seq, err)
			}
			forged := es[seq]
			forged.SessionID = "forged"
			forged.EntryHash = forged.ComputeHash()
			if err := audit.VerifyInclusion(keys, forged, cp, path); !errors.Is(err, audit.ErrVerification) {
				t.Fatalf("seq %d: a re-hashed forged entry verified: %v", seq, err)
			}
		}
	}
	if _, err := l.InclusionPath(ctx, 2, part); !errors.Is(err, audit.ErrBadProof) {
		t.Fatalf("path for a seq outside the range = %v", err)
	}
	if err := audit.VerifyInclusion(keys, es[2], part, nil); !errors.Is(err, audit.ErrBadProof) {
		t.Fatalf("entry outside the range verified: %v", err)
	}
}
