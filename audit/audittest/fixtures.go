package audittest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// Epoch is the first timestamp of NewLog's clock, in RFC 3339.
const Epoch = "2025-01-01T00:00:00Z"

// Clock returns a clock that returns start on its first call and advances by
// step on every call. It is safe for concurrent use.
func Clock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	next := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := next
		next = next.Add(step)
		return t
	}
}

// IDs returns a generator of the ids prefix-000001, prefix-000002, ...
// It is safe for concurrent use.
func IDs(prefix string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%s-%06d", prefix, n)
	}
}

// Signer returns a signer whose Ed25519 seed is 32 bytes of seed. It panics
// on an invalid key id. Such keys are for tests only.
func Signer(keyID string, seed byte) *audit.Signer {
	s, err := audit.NewSigner(keyID, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))
	if err != nil {
		panic(err)
	}
	return s
}

// NewLog opens a deterministic Log: a clock starting at Epoch and advancing
// one second per call, ids "aud-000001" onwards, the signer Signer("k1", 1)
// and a new MemoryStore. Later opts override these.
func NewLog(t testing.TB, opts ...audit.Option) *audit.Log {
	t.Helper()
	start, _ := time.Parse(time.RFC3339, Epoch)
	base := []audit.Option{
		audit.WithClock(Clock(start, time.Second)),
		audit.WithIDGenerator(IDs("aud")),
		audit.WithSigner(Signer("k1", 1)),
	}
	l, err := audit.Open(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("audittest: open log: %v", err)
	}
	return l
}

// Records returns n records spread over a few sessions and all the event
// types, with payloads and evidence hashes that depend on the index.
func Records(n int) []audit.Record {
	types := []audit.EventType{
		audit.SessionCreated, audit.ConsentRecorded, audit.ChallengePassed,
		audit.LivenessResult, audit.ManualReview, audit.DocSigned, audit.EvidencePurged,
	}
	out := make([]audit.Record, n)
	for i := range out {
		r := audit.Record{
			SessionID: fmt.Sprintf("sess-%d", i%3),
			Type:      types[i%len(types)],
			Payload:   fmt.Appendf(nil, `{"i":%d}`, i),
		}
		if i%2 == 0 {
			r.EvidenceHash = audit.Hash(fmt.Appendf(nil, "evidence %d", i))
		}
		out[i] = r
	}
	return out
}

// Entries returns n valid, signed entries made by NewLog from Records(n).
func Entries(t testing.TB, n int) []audit.Entry {
	t.Helper()
	l := NewLog(t)
	out := make([]audit.Entry, n)
	for i, r := range Records(n) {
		e, err := l.Append(context.Background(), r)
		if err != nil {
			t.Fatalf("audittest: append: %v", err)
		}
		out[i] = e
	}
	return out
}
