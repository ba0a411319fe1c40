package audit

import (
	"context"
	"fmt"
	"iter"
	"sync"
)

// Store persists entries for a Log. Implementations must be safe for
// concurrent use; audittest.TestStore checks the contract below.
type Store interface {
	// Append stores e as the entry at position e.Seq. It must succeed only
	// if exactly e.Seq entries are stored, and otherwise return an error
	// wrapping ErrConflict and store nothing. It must be atomic: after a
	// crash or error the entry is either entirely stored or absent.
	Append(ctx context.Context, e Entry) error
	// Last returns the entry with the highest seq; ok is false when the
	// store is empty.
	Last(ctx context.Context) (e Entry, ok bool, err error)
	// Scan yields the entries with seq >= from in seq order. It must not
	// hold locks or transactions while the consumer runs, so that the
	// consumer may Append during the iteration. After an error it yields
	// nothing more.
	Scan(ctx context.Context, from uint64) iter.Seq2[Entry, error]
}

// SessionIndex is implemented by stores that can find a session's entries
// without scanning the whole log. Log.BySession uses it when present.
type SessionIndex interface {
	// BySession returns the entries whose session_id is sessionID, in seq
	// order.
	BySession(ctx context.Context, sessionID string) ([]Entry, error)
}

// MemoryStore is a Store and SessionIndex kept in memory, for tests and for
// processes that export their log elsewhere. The zero value is an empty
// store. It is safe for concurrent use.
type MemoryStore struct {
	mu       sync.RWMutex
	entries  []Entry
	sessions map[string][]uint64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Append implements Store.
func (m *MemoryStore) Append(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Seq != uint64(len(m.entries)) {
		return fmt.Errorf("%w: seq %d, store holds %d entries", ErrConflict, e.Seq, len(m.entries))
	}
	m.entries = append(m.entries, e)
	if m.sessions == nil {
		m.sessions = make(map[string][]uint64)
	}
	m.sessions[e.SessionID] = append(m.sessions[e.SessionID], e.Seq)
	return nil
}

// Last implements Store.
func (m *MemoryStore) Last(ctx context.Context) (Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.entries) == 0 {
		return Entry{}, false, nil
	}
	return m.entries[len(m.entries)-1], true, nil
}

// Scan implements Store. It iterates over a snapshot taken when the
// iteration starts.
func (m *MemoryStore) Scan(ctx context.Context, from uint64) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		m.mu.RLock()
		snap := m.entries[:len(m.entries):len(m.entries)] // entries are never modified in place
		m.mu.RUnlock()
		for i := from; i < uint64(len(snap)); i++ {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			if !yield(snap[i], nil) {
				return
			}
		}
	}
}

// BySession implements SessionIndex.
func (m *MemoryStore) BySession(ctx context.Context, sessionID string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	seqs := m.sessions[sessionID]
	out := make([]Entry, len(seqs))
	for i, s := range seqs {
		out[i] = m.entries[s]
	}
	return out, nil
}
