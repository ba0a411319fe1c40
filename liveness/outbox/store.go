package outbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
)

// DeliveryState is the lifecycle state of a delivery.
type DeliveryState string

const (
	// StatePending deliveries are waiting for their next attempt (or are
	// being attempted under a lease).
	StatePending DeliveryState = "pending"
	// StateDelivered deliveries got a 2xx answer; they are never sent again.
	StateDelivered DeliveryState = "delivered"
	// StateFailed deliveries exhausted their retries, got a non-retryable
	// answer, or their endpoint was disabled.
	StateFailed DeliveryState = "failed"
)

// Delivery is one event on its way to one endpoint: the outbox record. The
// payload bytes are fixed when the delivery is created, so every attempt
// sends the same body; only the signature timestamps change.
//
// A Delivery is a value; Payload must not be modified once stored.
type Delivery struct {
	// ID is a UUID, sent as X-Liveness-Delivery-Id and webhook-id; it is
	// the same on every attempt, so receivers can drop duplicates.
	ID         string          `json:"id"`
	EventID    string          `json:"event_id"`
	EventType  event.EventType `json:"event_type"`
	EndpointID string          `json:"endpoint_id"`
	// URL is the endpoint URL when the delivery was created; attempts use
	// the endpoint's current URL.
	URL     string       `json:"url"`
	Format  event.Format `json:"format"`
	Payload []byte       `json:"payload"`
	// Test marks deliveries made by SendTest; they are attempted once.
	Test  bool          `json:"test,omitempty"`
	State DeliveryState `json:"state"`
	// Attempts counts the HTTP attempts made so far.
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	// NextAttemptAt is when a pending delivery is due; while a worker holds
	// it, the end of the worker's lease.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastAttemptAt time.Time `json:"last_attempt_at,omitzero"`
	// LastStatus is the HTTP status of the last attempt, 0 if none or on a
	// network error.
	LastStatus int    `json:"last_status,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	// CompletedAt is when the delivery became delivered or failed.
	CompletedAt time.Time `json:"completed_at,omitzero"`
	// Claim is the lease token of the worker attempting the delivery; empty
	// when no worker has claimed it since its last update.
	Claim string `json:"claim,omitempty"`
}

// Clone returns a copy of d with its own Payload.
func (d Delivery) Clone() Delivery {
	d.Payload = slices.Clone(d.Payload)
	return d
}

// Attempt is the log entry of one HTTP attempt. It is a value, safe to copy.
type Attempt struct {
	DeliveryID string `json:"delivery_id"`
	// N is the 1-based attempt number.
	N   int       `json:"n"`
	At  time.Time `json:"at"`
	URL string    `json:"url"`
	// StatusCode is the HTTP status, 0 when no response was received.
	StatusCode int           `json:"status_code,omitempty"`
	Latency    time.Duration `json:"latency"`
	// Error describes a network error, timeout, refusal or non-2xx answer.
	Error string `json:"error,omitempty"`
	// Response holds the first bytes (at most 1 KiB) of the response body.
	Response string `json:"response,omitempty"`
	// Retry is when the next attempt is due; zero when none follows.
	Retry time.Time `json:"retry,omitzero"`
}

// DeliveryFilter selects deliveries. Empty fields match everything. It is a
// value, safe to copy.
type DeliveryFilter struct {
	ID         string
	EndpointID string
	EventID    string
	State      DeliveryState
	// Limit caps the number of results; zero means no cap.
	Limit int
}

// Match reports whether d passes the filter (ignoring Limit).
func (f DeliveryFilter) Match(d *Delivery) bool {
	return (f.ID == "" || f.ID == d.ID) &&
		(f.EndpointID == "" || f.EndpointID == d.EndpointID) &&
		(f.EventID == "" || f.EventID == d.EventID) &&
		(f.State == "" || f.State == d.State)
}

// CompareDeliveries orders deliveries newest first: CreatedAt descending,
// then ID descending. Stores return Deliveries in this order.
func CompareDeliveries(a, b Delivery) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// Store is the durable outbox behind a [Dispatcher]: endpoints, deliveries
// and their attempt logs. Implementations must be safe for concurrent use,
// must make each method atomic, and must be durable when they claim to be
// (a write that returned nil survives a crash). outboxtest.RunStoreTests is
// the conformance suite every implementation must pass.
//
// It has more methods than most interfaces of this module because it is
// the whole persistence boundary; each method is one transaction.
type Store interface {
	// PutEndpoint creates or replaces the endpoint with e.ID.
	PutEndpoint(ctx context.Context, e Endpoint) error
	// Endpoint returns the endpoint with the id, or ErrNotFound.
	Endpoint(ctx context.Context, id string) (Endpoint, error)

	// AddDelivery stores a new delivery as given; ErrDuplicate if its ID
	// exists.
	AddDelivery(ctx context.Context, d Delivery) error
	// ClaimDue leases up to limit pending deliveries with NextAttemptAt at
	// or before now, earliest first (ties by ID): it sets their
	// NextAttemptAt to leaseUntil and Claim to token, and returns them so
	// changed. A delivery whose lease expired (its NextAttemptAt passed) can
	// be claimed again, whatever its old Claim.
	ClaimDue(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]Delivery, error)
	// UpdateDelivery replaces the stored delivery d.ID with d and, if a is
	// not nil, appends a to its attempt log, in one transaction. It fails
	// with ErrLeaseLost, changing nothing, unless the stored Claim equals
	// d.Claim; the stored copy has an empty Claim. ErrNotFound if d.ID is
	// unknown.
	UpdateDelivery(ctx context.Context, d Delivery, a *Attempt) error

	// Deliveries returns the deliveries matching f, newest first (see
	// CompareDeliveries).
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// Attempts returns the attempt log of a delivery in attempt order;
	// ErrNotFound if the delivery is unknown.
	Attempts(ctx context.Context, deliveryID string) ([]Attempt, error)
}

// MemoryStore is an in-memory [Store]: fast, and lost when the process
// exits. Use it in tests and where losing queued webhooks is acceptable; use
// outbox/boltstore for durability. The zero value is not usable; call
// NewMemoryStore. It is safe for concurrent use.
type MemoryStore struct {
	mu         sync.Mutex
	endpoints  map[string]Endpoint
	deliveries map[string]Delivery
	attempts   map[string][]Attempt
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		endpoints:  map[string]Endpoint{},
		deliveries: map[string]Delivery{},
		attempts:   map[string][]Attempt{},
	}
}

// PutEndpoint implements Store.
func (m *MemoryStore) PutEndpoint(ctx context.Context, e Endpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.ID == "" {
		return fmt.Errorf("%w: empty id", ErrBadEndpoint)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.endpoints[e.ID] = e.Clone()
	return nil
}

// Endpoint implements Store.
func (m *MemoryStore) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	if err := ctx.Err(); err != nil {
		return Endpoint{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.endpoints[id]
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: endpoint %q", ErrNotFound, id)
	}
	return e.Clone(), nil
}

// AddDelivery implements Store.
func (m *MemoryStore) AddDelivery(ctx context.Context, d Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.ID == "" {
		return fmt.Errorf("webhook: delivery without id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.deliveries[d.ID]; ok {
		return fmt.Errorf("%w: delivery %s", ErrDuplicate, d.ID)
	}
	m.deliveries[d.ID] = d.Clone()
	return nil
}

// ClaimDue implements Store.
func (m *MemoryStore) ClaimDue(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []Delivery
	for _, d := range m.deliveries {
		if d.State == StatePending && !d.NextAttemptAt.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	for i := range due {
		due[i].NextAttemptAt = leaseUntil
		due[i].Claim = token
		m.deliveries[due[i].ID] = due[i]
		due[i] = due[i].Clone()
	}
	return due, nil
}

// UpdateDelivery implements Store.
func (m *MemoryStore) UpdateDelivery(ctx context.Context, d Delivery, a *Attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.deliveries[d.ID]
	if !ok {
		return fmt.Errorf("%w: delivery %s", ErrNotFound, d.ID)
	}
	if cur.Claim != d.Claim {
		return fmt.Errorf("%w: delivery %s", ErrLeaseLost, d.ID)
	}
	d = d.Clone()
	d.Claim = ""
	m.deliveries[d.ID] = d
	if a != nil {
		at := *a
		at.DeliveryID = d.ID
		m.attempts[d.ID] = append(m.attempts[d.ID], at)
	}
	return nil
}

// Deliveries implements Store.
func (m *MemoryStore) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for _, d := range m.deliveries {
		if f.Match(&d) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, CompareDeliveries)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// Attempts implements Store.
func (m *MemoryStore) Attempts(ctx context.Context, deliveryID string) ([]Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.deliveries[deliveryID]; !ok {
		return nil, fmt.Errorf("%w: delivery %s", ErrNotFound, deliveryID)
	}
	return slices.Clone(m.attempts[deliveryID]), nil
}

// Prune deletes delivered and failed deliveries completed before the given
// time, with their attempt logs, and returns how many it deleted. Pending
// deliveries are never pruned.
func (m *MemoryStore) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, d := range m.deliveries {
		if d.State != StatePending && d.CompletedAt.Before(before) {
			delete(m.deliveries, id)
			delete(m.attempts, id)
			n++
		}
	}
	return n, nil
}
