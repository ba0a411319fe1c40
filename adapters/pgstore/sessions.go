package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/liveness"
)

// SessionStore is a liveness.Store in PostgreSQL (persisted schema 2,
// migration 0004_sessions): a row per session header, a row per frame
// record, and the outbox of intents. Every Commit is one transaction
// holding the header, the appended frames and the intents. It is safe for
// concurrent use, also by several processes sharing the database.
type SessionStore struct {
	pool *pgxpool.Pool
}

var _ liveness.Store = (*SessionStore)(nil)

// NewSessionStore returns a SessionStore over a migrated database
// (Migrate).
func NewSessionStore(pool *pgxpool.Pool) *SessionStore { return &SessionStore{pool: pool} }

// Get implements liveness.Store: it reads the header row only.
func (s *SessionStore) Get(ctx context.Context, id string) (*liveness.Session, error) {
	var b []byte
	var version int64
	err := s.pool.QueryRow(ctx, `SELECT header, version FROM sessions WHERE id = $1`, id).Scan(&b, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, liveness.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: get session: %w", err)
	}
	sess, _, err := liveness.UnmarshalSession(b)
	if err != nil {
		return nil, fmt.Errorf("pgstore: session %s: %w", id, err)
	}
	sess.Version = version
	return sess, nil
}

// Frames implements liveness.Store.
func (s *SessionStore) Frames(ctx context.Context, id string, from int) ([]liveness.FrameRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT f.record FROM sessions s LEFT JOIN session_frames f ON f.session_id = s.id AND f.n >= $2
		WHERE s.id = $1 ORDER BY f.n`, id, max(from, 0))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get frames: %w", err)
	}
	raw, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("pgstore: get frames: %w", err)
	}
	if len(raw) == 0 {
		return nil, liveness.ErrNotFound
	}
	out := make([]liveness.FrameRecord, 0, len(raw))
	for _, b := range raw {
		if b == nil {
			continue // the session without frames (LEFT JOIN)
		}
		var f liveness.FrameRecord
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("pgstore: frame of %s: %w", id, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Commit implements liveness.Store: one transaction.
func (s *SessionStore) Commit(ctx context.Context, c *liveness.Change) error {
	next, err := c.Next()
	if err != nil {
		return err
	}
	hb, err := liveness.MarshalSession(&next)
	if err != nil {
		return fmt.Errorf("pgstore: encode session: %w", err)
	}
	var completed time.Time
	if next.Status.Final() {
		completed = next.CompletedAt
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: commit session: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if c.Create {
		_, err = tx.Exec(ctx, `INSERT INTO sessions (id, version, schema, header, status, expires_at, completed_at) VALUES ($1, 1, $2, $3, $4, $5, $6)`,
			next.ID, liveness.SchemaVersion, hb, string(next.Status), next.ExpiresAt, nullTime(completed))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return liveness.ErrExists
		}
	} else {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, `UPDATE sessions SET version = $2, schema = $3, header = $4, status = $5, expires_at = $6, completed_at = $7
			WHERE id = $1 AND version = $8`,
			next.ID, next.Version, liveness.SchemaVersion, hb, string(next.Status), next.ExpiresAt, nullTime(completed), c.Session.Version)
		if err == nil && tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1)`, next.ID).Scan(&exists); err != nil {
				return fmt.Errorf("pgstore: commit session: %w", err)
			}
			if exists {
				return liveness.ErrConflict
			}
			return liveness.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("pgstore: commit session: %w", err)
	}
	at := next.Frames - len(c.Frames)
	if _, err := tx.Exec(ctx, `DELETE FROM session_frames WHERE session_id = $1 AND n >= $2`, next.ID, at); err != nil {
		return fmt.Errorf("pgstore: commit frames: %w", err)
	}
	var batch pgx.Batch
	for i := range c.Frames {
		b, err := json.Marshal(&c.Frames[i])
		if err != nil {
			return fmt.Errorf("pgstore: encode frame: %w", err)
		}
		batch.Queue(`INSERT INTO session_frames (session_id, n, record) VALUES ($1, $2, $3)`, next.ID, at+i, b)
	}
	for i := range c.Intents {
		it := &c.Intents[i]
		b, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("pgstore: encode intent: %w", err)
		}
		batch.Queue(`INSERT INTO session_intents (id, session_id, created_at, intent) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
			it.ID, it.SessionID, it.CreatedAt, b)
	}
	if batch.Len() > 0 {
		if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
			return fmt.Errorf("pgstore: commit frames and intents: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit session: %w", err)
	}
	c.Session.Version = next.Version
	return nil
}

// Intents implements liveness.Store.
func (s *SessionStore) Intents(ctx context.Context, before time.Time, limit int) ([]liveness.Intent, error) {
	q := `SELECT intent FROM session_intents WHERE created_at <= $1 ORDER BY created_at, id`
	args := []any{before}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list intents: %w", err)
	}
	raw, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("pgstore: list intents: %w", err)
	}
	out := make([]liveness.Intent, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("pgstore: intent: %w", err)
		}
	}
	liveness.SortIntents(out) // timestamptz keeps microseconds; the intents keep nanoseconds
	return out, nil
}

// DeleteIntents implements liveness.Store.
func (s *SessionStore) DeleteIntents(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM session_intents WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("pgstore: delete intents: %w", err)
	}
	return nil
}

// ExpiredPending implements liveness.Store.
func (s *SessionStore) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	q := `SELECT id FROM sessions WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at, id`
	args := []any{now}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list expired sessions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: list expired sessions: %w", err)
	}
	return ids, nil
}

// Prune implements liveness.Store: it deletes sessions that ended before
// endedBefore, with their frame logs (ON DELETE CASCADE), in one
// statement; intents are left to the relay.
func (s *SessionStore) Prune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	q := `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE completed_at IS NOT NULL AND status <> 'pending' AND completed_at < $1 ORDER BY completed_at, id`
	args := []any{endedBefore}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	tag, err := s.pool.Exec(ctx, q+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
