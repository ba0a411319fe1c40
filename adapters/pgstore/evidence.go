package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/liveness"
)

// EvidenceStore is a liveness.EvidenceStore and liveness.EvidenceLister in
// PostgreSQL (table evidence_objects; run Migrate first), so that evidence
// written by one replica is readable by the others. It is safe for
// concurrent use, also by several processes.
type EvidenceStore struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var (
	_ liveness.EvidenceStore  = (*EvidenceStore)(nil)
	_ liveness.EvidenceLister = (*EvidenceStore)(nil)
)

// NewEvidenceStore returns a store over pool; now is its clock, which
// dates each Put for retention (nil for time.Now). It does not close pool.
func NewEvidenceStore(pool *pgxpool.Pool, now func() time.Time) *EvidenceStore {
	if now == nil {
		now = time.Now
	}
	return &EvidenceStore{pool: pool, now: now}
}

// Put implements liveness.EvidenceStore; it replaces an object of the
// same name.
func (s *EvidenceStore) Put(ctx context.Context, sessionID, name string, data []byte) error {
	if sessionID == "" || name == "" {
		return fmt.Errorf("%w: empty evidence session or name", liveness.ErrBadRequest)
	}
	if data == nil {
		data = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO evidence_objects (session_id, name, data, stored_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (session_id, name) DO UPDATE SET data = EXCLUDED.data, stored_at = EXCLUDED.stored_at`,
		sessionID, name, data, s.now())
	if err != nil {
		return fmt.Errorf("pgstore: put evidence: %w", err)
	}
	return nil
}

// Get implements liveness.EvidenceStore.
func (s *EvidenceStore) Get(ctx context.Context, sessionID, name string) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM evidence_objects WHERE session_id = $1 AND name = $2`, sessionID, name).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, liveness.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: get evidence: %w", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// Delete implements liveness.EvidenceStore.
func (s *EvidenceStore) Delete(ctx context.Context, sessionID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM evidence_objects WHERE session_id = $1`, sessionID); err != nil {
		return fmt.Errorf("pgstore: delete evidence: %w", err)
	}
	return nil
}

// SessionsBefore implements liveness.EvidenceLister: the sessions whose
// last object was stored before t, in id order.
func (s *EvidenceStore) SessionsBefore(ctx context.Context, t time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT session_id FROM evidence_objects
		GROUP BY session_id HAVING max(stored_at) < $1 ORDER BY session_id COLLATE "C"`, t)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list evidence: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: list evidence: %w", err)
	}
	return ids, nil
}
