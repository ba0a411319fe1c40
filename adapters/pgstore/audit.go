package pgstore

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/audit"
)

// scanPage is how many entries Scan reads per query.
const scanPage = 500

// AuditStore is an audit.Store and audit.SessionIndex in PostgreSQL
// (tables audit_entries and audit_head; run Migrate first). Appends are
// serialised by the database, not in process memory, so any number of
// processes may append to one chain through their own audit.Log: an entry
// is stored only if the log holds exactly Seq entries and the last one's
// entry_hash is the entry's PrevHash, otherwise Append returns an error
// wrapping audit.ErrConflict. It is safe for concurrent use.
type AuditStore struct {
	pool *pgxpool.Pool
}

var (
	_ audit.Store        = (*AuditStore)(nil)
	_ audit.SessionIndex = (*AuditStore)(nil)
)

// NewAuditStore returns a store over pool. It does not close pool.
func NewAuditStore(pool *pgxpool.Pool) *AuditStore { return &AuditStore{pool: pool} }

const entryColumns = `seq, audit_id, session_id, event_type, ts, payload_hash, prev_hash, evidence_hash, key_id, entry_hash, signature`

// Append implements audit.Store. One statement moves the head, under its
// row lock, and inserts the entry; a concurrent append that moved the head
// first leaves no row to update, and nothing is inserted.
func (s *AuditStore) Append(ctx context.Context, e audit.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `WITH head AS (
			UPDATE audit_head SET size = size + 1, hash = $10
			WHERE one AND size = $1 AND hash = $7
			RETURNING size
		)
		INSERT INTO audit_entries (`+entryColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM head`,
		int64(e.Seq), e.AuditID, e.SessionID, string(e.EventType), e.Timestamp, e.PayloadHash, e.PrevHash,
		e.EvidenceHash, e.KeyID, e.EntryHash, e.Signature)
	if err != nil {
		var pe *pgconn.PgError
		// A unique violation cannot happen while audit_head is kept by this
		// store; a serialization failure comes from a database whose
		// default isolation is above READ COMMITTED. Both mean that
		// another writer appended first.
		if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40001") {
			return fmt.Errorf("%w: seq %d: %s", audit.ErrConflict, e.Seq, pe.Message)
		}
		return fmt.Errorf("pgstore: append audit entry: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: seq %d does not follow the stored head", audit.ErrConflict, e.Seq)
	}
	return nil
}

func scanEntry(r pgx.CollectableRow) (audit.Entry, error) {
	var e audit.Entry
	var seq int64
	err := r.Scan(&seq, &e.AuditID, &e.SessionID, &e.EventType, &e.Timestamp, &e.PayloadHash, &e.PrevHash,
		&e.EvidenceHash, &e.KeyID, &e.EntryHash, &e.Signature)
	e.Seq = uint64(seq)
	return e, err
}

// Last implements audit.Store.
func (s *AuditStore) Last(ctx context.Context) (audit.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return audit.Entry{}, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM audit_entries ORDER BY seq DESC LIMIT 1`)
	if err != nil {
		return audit.Entry{}, false, fmt.Errorf("pgstore: last audit entry: %w", err)
	}
	es, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return audit.Entry{}, false, fmt.Errorf("pgstore: last audit entry: %w", err)
	}
	if len(es) == 0 {
		return audit.Entry{}, false, nil
	}
	return es[0], true, nil
}

// Scan implements audit.Store. It reads pages of entries and holds no
// connection while the consumer runs.
func (s *AuditStore) Scan(ctx context.Context, from uint64) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		next := from
		for {
			if err := ctx.Err(); err != nil {
				yield(audit.Entry{}, err)
				return
			}
			rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM audit_entries WHERE seq >= $1 ORDER BY seq LIMIT $2`,
				int64(next), scanPage)
			if err != nil {
				yield(audit.Entry{}, fmt.Errorf("pgstore: scan audit entries: %w", err))
				return
			}
			page, err := pgx.CollectRows(rows, scanEntry)
			if err != nil {
				yield(audit.Entry{}, fmt.Errorf("pgstore: scan audit entries: %w", err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
				next = e.Seq + 1
			}
			if len(page) < scanPage {
				return
			}
		}
	}
}

// BySession implements audit.SessionIndex.
func (s *AuditStore) BySession(ctx context.Context, sessionID string) ([]audit.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM audit_entries WHERE session_id = $1 ORDER BY seq`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: audit entries by session: %w", err)
	}
	es, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("pgstore: audit entries by session: %w", err)
	}
	return es, nil
}
