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

// Store keeps sessions (docs/storage.md). A session is a small header, the
// *Session, plus an append-only log of FrameRecords; every change is one
// atomic, durable Commit of the new header, the frame records it appends
// and the Intents (webhook events and audit entries) it causes. The
// engine relays committed intents to its Notifier and Auditor and deletes
// them afterwards; what a crash interrupts, the reconciler relays again at
// start-up and periodically (Engine.Reconcile).
//
// All four stores (memory, bbolt, Redis, PostgreSQL) implement the whole
// interface and pass liveness/storetest. Implementations must be safe for
// concurrent use.
type Store interface {
	SessionStore
	Outbox
	Sweeper
}

// SessionStore reads and changes sessions.
type SessionStore interface {
	// Get returns the session's header; it never reads the frame log.
	// ErrNotFound if there is no session with that id.
	Get(ctx context.Context, id string) (*Session, error)
	// Frames returns the session's frame records from index from (0 is
	// the first frame) to the end, in order. ErrNotFound if there is no
	// session with that id.
	Frames(ctx context.Context, id string, from int) ([]FrameRecord, error)
	// Commit applies c atomically: either all of it is stored or nothing.
	//
	// With c.Create the header is stored as a new session (ErrExists if
	// the id is taken). Otherwise the stored header's version must equal
	// c.Session.Version (ErrConflict if not, ErrNotFound if there is no
	// session). The stored header then replaces it and c.Frames are
	// appended to the frame log at indexes c.Session.Frames-len(c.Frames)
	// onwards; c.Intents are added to the outbox. On success the stored
	// version is the old one plus one (1 for a new session) and
	// c.Session.Version is set to it; on failure c is unchanged.
	//
	// Commit returns only once the change is as durable as the store is
	// (for bbolt: fsync'd); concurrent commits may share one transaction.
	Commit(ctx context.Context, c *Change) error
}

// Outbox holds the intents of committed changes until they are relayed.
type Outbox interface {
	// Intents returns up to limit intents (0: all) whose CreatedAt is at
	// or before before, oldest first (ties by ID).
	Intents(ctx context.Context, before time.Time, limit int) ([]Intent, error)
	// DeleteIntents removes relayed intents; unknown ids are ignored.
	DeleteIntents(ctx context.Context, ids ...string) error
}

// PendingLister lists pending sessions that expired, so an Engine can end
// them without waiting for a request.
type PendingLister interface {
	// ExpiredPending returns up to limit (0: all) ids of pending sessions
	// whose ExpiresAt is at or before now.
	ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// Sweeper finds sessions by time, for expiry and retention.
type Sweeper interface {
	PendingLister
	// Prune deletes up to limit (0: all) sessions that ended (a final
	// Status) with CompletedAt before endedBefore, with their frame logs,
	// and returns how many it deleted. Pending sessions are never pruned.
	Prune(ctx context.Context, endedBefore time.Time, limit int) (int, error)
}

// Change is one atomic change of a session, for Store.Commit.
type Change struct {
	// Session is the new header. Its Version is the version it was read
	// at (ignored with Create).
	Session *Session
	// Create makes Commit store a new session.
	Create bool
	// Frames are appended to the session's frame log; the header's Frames
	// count includes them.
	Frames []FrameRecord
	// Intents are the consequences of the change, stored with it.
	Intents []Intent
}

// IntentKind says what an Intent asks for.
type IntentKind string

// Intent kinds.
const (
	// IntentWebhook hands an event to the Notifier (a webhook outbox).
	IntentWebhook IntentKind = "webhook"
	// IntentAudit appends an entry to the audit log.
	IntentAudit IntentKind = "audit"
)

// Intent is a consequence of a committed change, kept in the store's
// outbox until it is relayed (persisted schema v2, docs/storage.md). Its
// ID is derived from the session id, the version the change created and
// the intent's position in the change, so relaying it twice is detectable:
// a webhook event's id is derived from the same values, and an audit entry
// is matched by session, type and payload hash.
type Intent struct {
	ID        string     `json:"id"`
	SessionID string     `json:"session_id"`
	Kind      IntentKind `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`

	// EventID, EventType and Session are the webhook event (IntentWebhook):
	// Session is the header as committed, without the frame log.
	EventID   string   `json:"event_id,omitempty"`
	EventType string   `json:"event_type,omitempty"`
	Session   *Session `json:"session,omitempty"`

	// AuditType, Payload or PayloadHash, and EvidenceHash are the audit
	// record (IntentAudit).
	AuditType    string `json:"audit_type,omitempty"`
	Payload      []byte `json:"payload,omitempty"`
	PayloadHash  string `json:"payload_hash,omitempty"`
	EvidenceHash string `json:"evidence_hash,omitempty"`
}

// MemoryStore is a Store in process memory; it is the default and loses
// its sessions when the process ends. Headers, frame records and intents
// are kept encoded (the persisted schema), so callers never share memory
// with the store. Safe for concurrent use.
type MemoryStore struct {
	mu      sync.Mutex
	data    map[string]*memEntry
	intents map[string]memIntent
}

type memEntry struct {
	header  []byte
	frames  [][]byte
	version int64
	status  Status
	expires time.Time
	ended   time.Time
}

type memIntent struct {
	b  []byte
	at time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{data: map[string]*memEntry{}, intents: map[string]memIntent{}}
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, id string) (*Session, error) {
	m.mu.Lock()
	e, ok := m.data[id]
	var b []byte
	if ok {
		b = e.header
	}
	m.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	s, _, err := UnmarshalSession(b)
	return s, err
}

// Frames implements Store.
func (m *MemoryStore) Frames(ctx context.Context, id string, from int) ([]FrameRecord, error) {
	m.mu.Lock()
	e, ok := m.data[id]
	var raw [][]byte
	if ok && from < len(e.frames) {
		raw = e.frames[max(0, from):len(e.frames):len(e.frames)]
	}
	m.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	out := make([]FrameRecord, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Commit implements Store.
func (m *MemoryStore) Commit(ctx context.Context, c *Change) error {
	next, err := c.Next()
	if err != nil {
		return err
	}
	hb, err := MarshalSession(&next)
	if err != nil {
		return err
	}
	fb := make([][]byte, len(c.Frames))
	for i := range c.Frames {
		if fb[i], err = json.Marshal(&c.Frames[i]); err != nil {
			return err
		}
	}
	ib := make([][]byte, len(c.Intents))
	for i := range c.Intents {
		if ib[i], err = json.Marshal(&c.Intents[i]); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[next.ID]
	switch {
	case c.Create && ok:
		return ErrExists
	case c.Create:
		e = &memEntry{}
		m.data[next.ID] = e
	case !ok:
		return ErrNotFound
	case e.version != c.Session.Version:
		return ErrConflict
	}
	at := next.Frames - len(c.Frames)
	if at < len(e.frames) {
		e.frames = e.frames[:max(0, at)] // a header that counts fewer frames than stored
	}
	e.frames = append(e.frames, fb...)
	e.header, e.version = hb, next.Version
	e.status, e.expires, e.ended = next.Status, next.ExpiresAt, next.CompletedAt
	for i, it := range c.Intents {
		m.intents[it.ID] = memIntent{b: ib[i], at: it.CreatedAt}
	}
	c.Session.Version = next.Version
	return nil
}

// Next validates c (Validate) and returns the header as Commit stores it:
// version 1 when it creates the session, the version read plus one
// otherwise. Stores call it first.
func (c *Change) Next() (Session, error) {
	if err := c.Validate(); err != nil {
		return Session{}, err
	}
	next := *c.Session
	if c.Create {
		next.Version = 1
	} else {
		next.Version++
	}
	return next, nil
}

// Validate checks a change before a store applies it: a header with an
// id, no more frames than the header counts, intents with ids.
func (c *Change) Validate() error {
	if c == nil || c.Session == nil || c.Session.ID == "" {
		return errors.New("liveness: commit without a session")
	}
	if len(c.Frames) > c.Session.Frames {
		return errors.New("liveness: commit appends more frames than the header counts")
	}
	for _, it := range c.Intents {
		if it.ID == "" {
			return errors.New("liveness: intent without an id")
		}
	}
	return nil
}

// Intents implements Store.
func (m *MemoryStore) Intents(ctx context.Context, before time.Time, limit int) ([]Intent, error) {
	m.mu.Lock()
	var raw [][]byte
	for _, it := range m.intents {
		if !it.at.After(before) {
			raw = append(raw, it.b)
		}
	}
	m.mu.Unlock()
	out := make([]Intent, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, err
		}
	}
	SortIntents(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SortIntents orders intents oldest first, ties by ID, as
// Outbox.Intents returns them.
func SortIntents(its []Intent) {
	sort.Slice(its, func(i, j int) bool {
		if c := its[i].CreatedAt.Compare(its[j].CreatedAt); c != 0 {
			return c < 0
		}
		return its[i].ID < its[j].ID
	})
}

// DeleteIntents implements Store.
func (m *MemoryStore) DeleteIntents(ctx context.Context, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.intents, id)
	}
	return nil
}

// ExpiredPending implements Store.
func (m *MemoryStore) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, e := range m.data {
		if e.status == StatusPending && !now.Before(e.expires) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// Prune implements Store.
func (m *MemoryStore) Prune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, e := range m.data {
		if e.status.Final() && !e.ended.IsZero() && e.ended.Before(endedBefore) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	for _, id := range ids {
		delete(m.data, id)
	}
	return len(ids), nil
}
