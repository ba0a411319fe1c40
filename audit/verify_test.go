package audit_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
)

// otherBase64 replaces s[i] with a different base64 character.
func otherBase64(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// otherHex replaces the hexadecimal digit s[i] with a different one.
func otherHex(s string, i int) string {
	c := byte('0')
	if s[i] == '0' {
		c = '1'
	}
	return s[:i] + string(c) + s[i+1:]
}

// mod returns a copy of es with entry i changed by f.
func mod(i int, f func(*audit.Entry)) func([]audit.Entry) []audit.Entry {
	return func(es []audit.Entry) []audit.Entry {
		out := slices.Clone(es)
		f(&out[i])
		return out
	}
}

// signedAfter returns an entry signed by signer that continues es[:n] with r.
func signedAfter(t *testing.T, es []audit.Entry, n int, signer *audit.Signer, r audit.Record) audit.Entry {
	t.Helper()
	s := audit.NewMemoryStore()
	for _, e := range es[:n] {
		if err := s.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	l := audittest.NewLog(t, audit.WithStore(s), audit.WithSigner(signer), audit.WithIDGenerator(audittest.IDs("evil")))
	e, err := l.Append(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func insertAt(es []audit.Entry, i int, e audit.Entry) []audit.Entry {
	return slices.Insert(slices.Clone(es), i, e)
}

func wantVerifyError(t *testing.T, err error, idx int, p audit.Problem) {
	t.Helper()
	var ve *audit.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *VerifyError (%v at %d)", err, p, idx)
	}
	if ve.Index != idx || ve.Problem != p {
		t.Fatalf("got %v (index %d, %v), want %v at index %d", err, ve.Index, ve.Problem, p, idx)
	}
	if !errors.Is(err, audit.ErrVerification) {
		t.Fatalf("%v does not wrap ErrVerification", err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	es := audittest.Entries(t, 10)
	keys := keyring()
	if err := audit.Verify(keys, es, nil); err != nil {
		t.Fatalf("untouched log: %v", err)
	}
	evil := signedAfter(t, es, 4, audittest.Signer("k1", 1), audit.Record{SessionID: "sess-1", Type: audit.LivenessResult, Payload: []byte(`{"live":true}`)})
	wrongKey := signedAfter(t, es, 4, audittest.Signer("k1", 9), audit.Record{SessionID: "sess-1", Type: audit.LivenessResult})
	unknownKey := signedAfter(t, es, 4, audittest.Signer("evil", 9), audit.Record{SessionID: "sess-1", Type: audit.LivenessResult})
	rehashed := es[4]
	rehashed.SessionID = "sess-9"
	rehashed.EntryHash = rehashed.ComputeHash()
	otherLog := appendAll(t, audittest.NewLog(t, audit.WithIDGenerator(audittest.IDs("other"))), audittest.Records(10))

	for _, tc := range []struct {
		name    string
		tamper  func([]audit.Entry) []audit.Entry
		idx     int
		problem audit.Problem
	}{
		// A byte changed in each field, keeping the field well formed.
		{"seq", mod(4, func(e *audit.Entry) { e.Seq = 5 }), 4, audit.Modified},
		{"audit_id", mod(4, func(e *audit.Entry) { e.AuditID = otherHex(e.AuditID, 9) }), 4, audit.Modified},
		{"session_id", mod(4, func(e *audit.Entry) { e.SessionID = "sess-7" }), 4, audit.Modified},
		{"event_type", mod(4, func(e *audit.Entry) { e.EventType = audit.DocSigned }), 4, audit.Modified},
		{"timestamp", mod(4, func(e *audit.Entry) { e.Timestamp = otherHex(e.Timestamp, 18) }), 4, audit.Modified},
		{"payload_hash", mod(4, func(e *audit.Entry) { e.PayloadHash = otherHex(e.PayloadHash, 20) }), 4, audit.Modified},
		{"prev_hash", mod(4, func(e *audit.Entry) { e.PrevHash = otherHex(e.PrevHash, 20) }), 4, audit.Modified},
		{"evidence_hash", mod(4, func(e *audit.Entry) { e.EvidenceHash = otherHex(e.EvidenceHash, 70) }), 4, audit.Modified},
		{"evidence_hash removed", mod(4, func(e *audit.Entry) { e.EvidenceHash = "" }), 4, audit.Modified},
		{"evidence_hash added", mod(5, func(e *audit.Entry) { e.EvidenceHash = audit.Hash(nil) }), 5, audit.Modified},
		{"key_id", mod(4, func(e *audit.Entry) { e.KeyID = "k2" }), 4, audit.Modified},
		{"entry_hash", mod(4, func(e *audit.Entry) { e.EntryHash = otherHex(e.EntryHash, 7) }), 4, audit.Modified},
		{"signature", mod(4, func(e *audit.Entry) { e.Signature = otherBase64(e.Signature, 10) }), 4, audit.Modified},
		{"signature of another entry", mod(4, func(e *audit.Entry) { e.Signature = es[3].Signature }), 4, audit.Modified},
		// A byte changed so that the field is no longer well formed.
		{"audit_id malformed", mod(4, func(e *audit.Entry) { e.AuditID = "aud 5" }), 4, audit.Malformed},
		{"session_id malformed", mod(4, func(e *audit.Entry) { e.SessionID = "sess\n1" }), 4, audit.Malformed},
		{"event_type malformed", mod(4, func(e *audit.Entry) { e.EventType = "Liveness_Result" }), 4, audit.Malformed},
		{"timestamp malformed", mod(4, func(e *audit.Entry) { e.Timestamp = strings.Replace(e.Timestamp, "T", " ", 1) }), 4, audit.Malformed},
		{"timestamp not UTC", mod(4, func(e *audit.Entry) { e.Timestamp = strings.Replace(e.Timestamp, "Z", "+00:00", 1) }), 4, audit.Malformed},
		{"payload_hash malformed", mod(4, func(e *audit.Entry) { e.PayloadHash = strings.ToUpper(e.PayloadHash) }), 4, audit.Malformed},
		{"prev_hash malformed", mod(4, func(e *audit.Entry) { e.PrevHash = e.PrevHash[:70] }), 4, audit.Malformed},
		{"evidence_hash malformed", mod(4, func(e *audit.Entry) { e.EvidenceHash = "sha256:" }), 4, audit.Malformed},
		{"key_id malformed", mod(4, func(e *audit.Entry) { e.KeyID = "" }), 4, audit.Malformed},
		{"entry_hash malformed", mod(4, func(e *audit.Entry) { e.EntryHash = "sha1:" + e.EntryHash[7:] }), 4, audit.Malformed},
		{"signature malformed", mod(4, func(e *audit.Entry) { e.Signature = e.Signature[:87] + "A" }), 4, audit.Malformed},
		// Whole entries replaced.
		{"content re-hashed", mod(4, func(e *audit.Entry) { *e = rehashed }), 4, audit.Modified},
		{"signed by another key with the same id", mod(4, func(e *audit.Entry) { *e = wrongKey }), 4, audit.Modified},
		{"signed by an unknown key", mod(4, func(e *audit.Entry) { *e = unknownKey }), 4, audit.UnknownKey},
		{"rewritten with the real key", mod(4, func(e *audit.Entry) { *e = evil }), 5, audit.BrokenChain},
		{"entry of another log", mod(4, func(e *audit.Entry) { *e = otherLog[4] }), 4, audit.BrokenChain},
		// Entries removed.
		{"first removed", func(es []audit.Entry) []audit.Entry { return es[1:] }, 0, audit.Removed},
		{"one removed", func(es []audit.Entry) []audit.Entry { return slices.Delete(slices.Clone(es), 4, 5) }, 4, audit.Removed},
		{"three removed", func(es []audit.Entry) []audit.Entry { return slices.Delete(slices.Clone(es), 4, 7) }, 4, audit.Removed},
		// Entries reordered.
		{"neighbours swapped", func(es []audit.Entry) []audit.Entry {
			out := slices.Clone(es)
			out[3], out[4] = out[4], out[3]
			return out
		}, 3, audit.Reordered},
		{"distant swap", func(es []audit.Entry) []audit.Entry {
			out := slices.Clone(es)
			out[2], out[7] = out[7], out[2]
			return out
		}, 2, audit.Reordered},
		{"moved to the end", func(es []audit.Entry) []audit.Entry {
			return append(slices.Delete(slices.Clone(es), 2, 3), es[2])
		}, 2, audit.Reordered},
		{"reversed", func(es []audit.Entry) []audit.Entry {
			out := slices.Clone(es)
			slices.Reverse(out)
			return out
		}, 0, audit.Reordered},
		// Entries inserted.
		{"duplicated", func(es []audit.Entry) []audit.Entry { return insertAt(es, 5, es[4]) }, 5, audit.Inserted},
		{"replayed", func(es []audit.Entry) []audit.Entry { return insertAt(es, 6, es[1]) }, 6, audit.Inserted},
		{"forgery inserted", func(es []audit.Entry) []audit.Entry { return insertAt(es, 4, rehashed) }, 4, audit.Inserted},
		{"wrong key inserted", func(es []audit.Entry) []audit.Entry { return insertAt(es, 4, wrongKey) }, 4, audit.Inserted},
		{"unknown key inserted", func(es []audit.Entry) []audit.Entry { return insertAt(es, 4, unknownKey) }, 4, audit.Inserted},
		{"real key inserted", func(es []audit.Entry) []audit.Entry { return insertAt(es, 4, evil) }, 5, audit.Inserted},
		{"forgery appended", func(es []audit.Entry) []audit.Entry {
			f := es[9]
			f.Seq, f.PrevHash = 10, es[9].EntryHash
			f.EntryHash = f.ComputeHash()
			return append(slices.Clone(es), f)
		}, 10, audit.Modified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(es)
			tampered := tc.tamper(es)
			if slices.Equal(tampered, es) {
				t.Fatal("the tampering changed nothing")
			}
			wantVerifyError(t, audit.Verify(keys, tampered, nil), tc.idx, tc.problem)
			if !slices.Equal(es, before) {
				t.Fatal("Verify or the tampering modified its input")
			}
		})
	}
}

func TestVerifyErrorMessage(t *testing.T) {
	es := audittest.Entries(t, 6)
	es[3], es[4] = es[4], es[3]
	err := audit.Verify(keyring(), es, nil)
	const want = "audit: entry 3 (seq 3, audit_id aud-000005): reordered: has seq 4; seq 3 appears later, at index 4"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if err := audit.Verify(nil, es, nil); err == nil {
		t.Fatal("Verify without a keyring must fail")
	}
}

func TestVerifyAgainstCheckpoints(t *testing.T) {
	l := audittest.NewLog(t)
	es := appendAll(t, l, audittest.Records(10))
	keys := l.Keyring()
	whole, _ := l.Checkpoint(ctx, nil)
	tail, _ := l.Checkpoint(ctx, &audit.CheckpointOptions{Start: 6})
	end, _ := l.Checkpoint(ctx, &audit.CheckpointOptions{Start: 10})
	fork := appendAll(t, audittest.NewLog(t, audit.WithIDGenerator(audittest.IDs("fork"))), audittest.Records(10))
	badSig := whole
	badSig.Signature = otherBase64(badSig.Signature, 20)

	for _, tc := range []struct {
		name    string
		entries []audit.Entry
		opts    audit.VerifyOptions
		idx     int           // for VerifyErrors
		problem audit.Problem // 0: no VerifyError
		err     error         // other error wanted, nil for none
	}{
		{name: "whole log", entries: es, opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{whole, tail, end}}},
		{name: "without checkpoint the truncation is not visible", entries: es[:7]},
		{name: "truncated", entries: es[:7], opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{whole}}, idx: 7, problem: audit.Truncated},
		{name: "last entry removed", entries: es[:9], opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{tail}}, idx: 9, problem: audit.Truncated},
		{name: "emptied", entries: nil, opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{whole}}, idx: 0, problem: audit.Truncated},
		{name: "rewritten consistently", entries: fork, opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{whole}}, idx: 9, problem: audit.Diverged},
		{name: "tampering is reported before truncation", entries: mod(2, func(e *audit.Entry) { e.SessionID = "x" })(es[:5]), opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{whole}}, idx: 2, problem: audit.Modified},
		{name: "badly signed checkpoint", entries: es, opts: audit.VerifyOptions{Checkpoints: []audit.Checkpoint{badSig}}, err: audit.ErrBadCheckpoint},
		{name: "segment", entries: es[6:], opts: audit.VerifyOptions{Start: 6, PrevHash: es[5].EntryHash, Checkpoints: []audit.Checkpoint{tail}}},
		{name: "segment trusting its first prev_hash", entries: es[6:], opts: audit.VerifyOptions{Start: 6}},
		{name: "segment after the wrong entry", entries: es[6:], opts: audit.VerifyOptions{Start: 6, PrevHash: es[4].EntryHash}, idx: 0, problem: audit.BrokenChain},
		{name: "segment missing its first entry", entries: es[7:], opts: audit.VerifyOptions{Start: 6}, idx: 0, problem: audit.Removed},
		{name: "checkpoint range before the segment", entries: es[6:], opts: audit.VerifyOptions{Start: 6, Checkpoints: []audit.Checkpoint{whole}}, err: audit.ErrBadCheckpoint},
		{name: "empty segment at a checkpoint head", entries: nil, opts: audit.VerifyOptions{Start: 10, PrevHash: es[9].EntryHash, Checkpoints: []audit.Checkpoint{end}}},
		{name: "empty segment at another head", entries: nil, opts: audit.VerifyOptions{Start: 10, PrevHash: es[8].EntryHash, Checkpoints: []audit.Checkpoint{end}}, idx: 0, problem: audit.Diverged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := audit.Verify(keys, tc.entries, &tc.opts)
			switch {
			case tc.problem != 0:
				wantVerifyError(t, err, tc.idx, tc.problem)
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			}
		})
	}
}

// TestImportDetectsEveryByteChange changes every byte of one exported line
// in several ways; Import must reject each change at that line.
func TestImportDetectsEveryByteChange(t *testing.T) {
	l := audittest.NewLog(t)
	appendAll(t, l, audittest.Records(6))
	var buf bytes.Buffer
	if err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	lines := bytes.SplitAfter(data, []byte("\n"))
	const target = 3
	off := 0
	for _, ln := range lines[:target] {
		off += len(ln)
	}
	keys := l.Keyring()
	n := 0
	for i := off; i < off+len(lines[target]); i++ {
		for _, mask := range []byte{0x01, 0x02, 0x10, 0x20, 0x80} {
			mutated := bytes.Clone(data)
			mutated[i] ^= mask
			_, err := audit.Import(bytes.NewReader(mutated), keys, nil)
			var ve *audit.VerifyError
			if !errors.As(err, &ve) || ve.Index != target {
				t.Fatalf("byte %d of line %d (%q) ^ %#x: Import = %v, want a VerifyError at line %d",
					i-off, target, data[i], mask, err, target)
			}
			n++
		}
	}
	t.Logf("%d single-byte changes of line %d detected", n, target)
}
