package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"
)

// Store errors.
var (
	// ErrNotFound means no session has the given id.
	ErrNotFound = errors.New("liveness: session not found")
	// ErrConflict means the session changed since it was read (another
	// frame of the same session was stored first); the caller re-reads and
	// retries.
	ErrConflict = errors.New("liveness: session changed concurrently")
	// ErrExists means a session with that id already exists.
	ErrExists = errors.New("liveness: session already exists")
)

// Store keeps sessions. Implementations must be safe for concurrent use and
// give each session optimistic concurrency: Update succeeds only when the
// stored version equals the version the caller read, and then stores the
// session with its version increased by one.
type Store interface {
	// Create stores a new session (Version 1); ErrExists if the id is taken.
	Create(ctx context.Context, s *Session) error
	// Get returns the session; ErrNotFound if there is none.
	Get(ctx context.Context, id string) (*Session, error)
	// Update stores s if the stored version is s.Version, and increments
	// s.Version; ErrConflict otherwise.
	Update(ctx context.Context, s *Session) error
}

// PendingLister is implemented by stores that can list pending sessions
// that expired, so an Engine can end them without waiting for a request.
type PendingLister interface {
	ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// MemoryStore is a Store in process memory; it is the default and loses
// its sessions when the process ends. Sessions are kept as encoded bytes,
// so callers never share memory with the store. Finished sessions are
// deleted Retention after they end (default 24 h). Safe for concurrent use.
type MemoryStore struct {
	mu        sync.Mutex
	data      map[string]memEntry
	retention time.Duration
	now       func() time.Time
	lastGC    time.Time
}

type memEntry struct {
	b       []byte
	version int64
	pending bool
	expires time.Time
	ended   time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{data: map[string]memEntry{}, retention: 24 * time.Hour, now: time.Now}
}

// Create implements Store.
func (m *MemoryStore) Create(ctx context.Context, s *Session) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[s.ID]; ok {
		return ErrExists
	}
	s.Version = 1
	if b, err = json.Marshal(s); err != nil {
		return err
	}
	m.data[s.ID] = entryOf(s, b)
	m.gcLocked()
	return nil
}

func entryOf(s *Session, b []byte) memEntry {
	return memEntry{b: b, version: s.Version, pending: s.Status == StatusPending, expires: s.ExpiresAt, ended: s.CompletedAt}
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, id string) (*Session, error) {
	m.mu.Lock()
	e, ok := m.data[id]
	m.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	var s Session
	if err := json.Unmarshal(e.b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Update implements Store.
func (m *MemoryStore) Update(ctx context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[s.ID]
	if !ok {
		return ErrNotFound
	}
	if e.version != s.Version {
		return ErrConflict
	}
	s.Version++
	b, err := json.Marshal(s)
	if err != nil {
		s.Version--
		return err
	}
	m.data[s.ID] = entryOf(s, b)
	return nil
}

// ExpiredPending implements PendingLister.
func (m *MemoryStore) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, e := range m.data {
		if e.pending && !now.Before(e.expires) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// gcLocked drops finished sessions older than the retention, at most once
// a minute.
func (m *MemoryStore) gcLocked() {
	now := m.now()
	if now.Sub(m.lastGC) < time.Minute {
		return
	}
	m.lastGC = now
	for id, e := range m.data {
		if !e.pending && !e.ended.IsZero() && now.Sub(e.ended) > m.retention {
			delete(m.data, id)
		}
	}
}
