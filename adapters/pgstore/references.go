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

// ReferenceStore is a liveness.ReferenceStore in PostgreSQL (table
// reference_faces; run Migrate first), so that a reference registered
// through one replica names sessions on every replica and survives
// restarts. It is safe for concurrent use, also by several processes.
type ReferenceStore struct {
	pool *pgxpool.Pool
}

var _ liveness.ReferenceStore = (*ReferenceStore)(nil)

// NewReferenceStore returns a store over pool. It does not close pool.
func NewReferenceStore(pool *pgxpool.Pool) *ReferenceStore { return &ReferenceStore{pool: pool} }

// PutReference implements liveness.ReferenceStore; it replaces a
// reference of the same id.
func (s *ReferenceStore) PutReference(ctx context.Context, r *liveness.Reference) error {
	if r.ID == "" {
		return fmt.Errorf("%w: empty reference id", liveness.ErrBadRequest)
	}
	rec, err := liveness.MarshalReference(r)
	if err != nil {
		return err
	}
	var created *time.Time
	if !r.CreatedAt.IsZero() {
		created = &r.CreatedAt
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO reference_faces (id, record, owner, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, owner = EXCLUDED.owner, created_at = EXCLUDED.created_at`,
		r.ID, string(rec), r.Owner, created)
	if err != nil {
		return fmt.Errorf("pgstore: put reference: %w", err)
	}
	return nil
}

// GetReference implements liveness.ReferenceStore.
func (s *ReferenceStore) GetReference(ctx context.Context, id string) (*liveness.Reference, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT record::text FROM reference_faces WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, liveness.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: get reference: %w", err)
	}
	r, err := liveness.UnmarshalReference(b)
	if err != nil {
		return nil, fmt.Errorf("pgstore: reference %s: %w", id, err)
	}
	return r, nil
}

// DeleteReference implements liveness.ReferenceStore.
func (s *ReferenceStore) DeleteReference(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM reference_faces WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("pgstore: delete reference: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return liveness.ErrNotFound
	}
	return nil
}
