package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openliveness/openliveness/liveness/outbox"
)

// WebhookStore is an outbox.Store in PostgreSQL (tables webhook_endpoints,
// webhook_deliveries and webhook_attempts; run Migrate first). Every
// method is one transaction and durable once it returns. It is safe for
// concurrent use, also by several processes: ClaimDue locks the rows it
// leases with FOR UPDATE SKIP LOCKED, so concurrent claimers never lease
// one delivery twice.
type WebhookStore struct {
	pool *pgxpool.Pool
}

var _ outbox.Store = (*WebhookStore)(nil)

// NewWebhookStore returns a store over pool. It does not close pool.
func NewWebhookStore(pool *pgxpool.Pool) *WebhookStore { return &WebhookStore{pool: pool} }

// PutEndpoint implements outbox.Store.
func (s *WebhookStore) PutEndpoint(ctx context.Context, e outbox.Endpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.ID == "" {
		return fmt.Errorf("%w: empty id", outbox.ErrBadEndpoint)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("pgstore: encode endpoint: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO webhook_endpoints (id, config) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config`, e.ID, string(b))
	if err != nil {
		return fmt.Errorf("pgstore: put endpoint: %w", err)
	}
	return nil
}

// Endpoint implements outbox.Store.
func (s *WebhookStore) Endpoint(ctx context.Context, id string) (outbox.Endpoint, error) {
	if err := ctx.Err(); err != nil {
		return outbox.Endpoint{}, err
	}
	var b string
	err := s.pool.QueryRow(ctx, `SELECT config FROM webhook_endpoints WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return outbox.Endpoint{}, fmt.Errorf("%w: endpoint %q", outbox.ErrNotFound, id)
	}
	if err != nil {
		return outbox.Endpoint{}, fmt.Errorf("pgstore: get endpoint: %w", err)
	}
	var e outbox.Endpoint
	if err := json.Unmarshal([]byte(b), &e); err != nil {
		return outbox.Endpoint{}, fmt.Errorf("pgstore: decode endpoint %q: %w", id, err)
	}
	return e, nil
}

// deliveryColumns are read by scanDelivery, in this order.
const deliveryColumns = `d.id, d.event_id, d.event_type, d.endpoint_id, d.url, d.format, d.payload, d.test,
	d.state, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error,
	d.completed_at, d.claim`

func scanDelivery(row pgx.Row, extra ...any) (outbox.Delivery, error) {
	var d outbox.Delivery
	var created, next, last, completed pgtype.Timestamptz
	var lastErr []byte
	dest := []any{&d.ID, &d.EventID, &d.EventType, &d.EndpointID, &d.URL, &d.Format, &d.Payload, &d.Test,
		&d.State, &d.Attempts, &created, &next, &last, &d.LastStatus, &lastErr, &completed, &d.Claim}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return outbox.Delivery{}, err
	}
	d.CreatedAt, d.NextAttemptAt, d.LastAttemptAt, d.CompletedAt = fromTS(created), fromTS(next), fromTS(last), fromTS(completed)
	d.LastError = string(lastErr)
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	return d, nil
}

// fromTS converts a scanned timestamp to UTC; NULL is the zero time.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullTS stores the zero time as NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// AddDelivery implements outbox.Store.
func (s *WebhookStore) AddDelivery(ctx context.Context, d outbox.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.ID == "" {
		return errors.New("pgstore: delivery without id")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, url, format,
		payload, test, state, attempts, created_at, next_attempt_at, last_attempt_at, last_status, last_error,
		completed_at, claim)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (id) DO NOTHING`,
		d.ID, d.EventID, string(d.EventType), d.EndpointID, d.URL, string(d.Format), payloadOf(d), d.Test,
		string(d.State), d.Attempts, d.CreatedAt, d.NextAttemptAt, nullTS(d.LastAttemptAt), d.LastStatus,
		[]byte(d.LastError), nullTS(d.CompletedAt), d.Claim)
	if err != nil {
		return fmt.Errorf("pgstore: add delivery: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: delivery %s", outbox.ErrDuplicate, d.ID)
	}
	return nil
}

func payloadOf(d outbox.Delivery) []byte {
	if d.Payload == nil {
		return []byte{}
	}
	return d.Payload
}

// ClaimDue implements outbox.Store. The due rows are selected and leased
// by one statement; rows another claimer has locked are skipped, not
// waited for.
func (s *WebhookStore) ClaimDue(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]outbox.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id, next_attempt_at FROM webhook_deliveries
			WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED
		)
		UPDATE webhook_deliveries d SET next_attempt_at = $2, claim = $3
		FROM due WHERE d.id = due.id
		RETURNING `+deliveryColumns+`, due.next_attempt_at`,
		now, leaseUntil, token, lim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim deliveries: %w", err)
	}
	type claimed struct {
		d   outbox.Delivery
		was time.Time
	}
	var cs []claimed
	for rows.Next() {
		var was pgtype.Timestamptz
		d, err := scanDelivery(rows, &was)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("pgstore: claim deliveries: %w", err)
		}
		cs = append(cs, claimed{d, fromTS(was)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: claim deliveries: %w", err)
	}
	slices.SortFunc(cs, func(a, b claimed) int {
		if c := a.was.Compare(b.was); c != 0 {
			return c
		}
		return strings.Compare(a.d.ID, b.d.ID)
	})
	out := make([]outbox.Delivery, len(cs))
	for i, c := range cs {
		out[i] = c.d
	}
	return out, nil
}

// UpdateDelivery implements outbox.Store.
func (s *WebhookStore) UpdateDelivery(ctx context.Context, d outbox.Delivery, a *outbox.Attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET event_id = $3, event_type = $4, endpoint_id = $5,
			url = $6, format = $7, payload = $8, test = $9, state = $10, attempts = $11, created_at = $12,
			next_attempt_at = $13, last_attempt_at = $14, last_status = $15, last_error = $16, completed_at = $17,
			claim = ''
			WHERE id = $1 AND claim = $2`,
			d.ID, d.Claim, d.EventID, string(d.EventType), d.EndpointID, d.URL, string(d.Format), payloadOf(d),
			d.Test, string(d.State), d.Attempts, d.CreatedAt, d.NextAttemptAt, nullTS(d.LastAttemptAt),
			d.LastStatus, []byte(d.LastError), nullTS(d.CompletedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)`, d.ID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("%w: delivery %s", outbox.ErrNotFound, d.ID)
			}
			return fmt.Errorf("%w: delivery %s", outbox.ErrLeaseLost, d.ID)
		}
		if a == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, url, status_code, latency_ns, error, response, retry)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			d.ID, a.N, a.At, a.URL, a.StatusCode, int64(a.Latency), []byte(a.Error), []byte(a.Response), nullTS(a.Retry))
		return err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, outbox.ErrNotFound), errors.Is(err, outbox.ErrLeaseLost):
		return err
	}
	return fmt.Errorf("pgstore: update delivery: %w", err)
}

// Deliveries implements outbox.Store.
func (s *WebhookStore) Deliveries(ctx context.Context, f outbox.DeliveryFilter) ([]outbox.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	for _, c := range []struct {
		col, v string
	}{{"id", f.ID}, {"endpoint_id", f.EndpointID}, {"event_id", f.EventID}, {"state", string(f.State)}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, fmt.Sprintf("d.%s = $%d", c.col, len(args)))
		}
	}
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY d.created_at DESC, d.id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outbox.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: list deliveries: %w", err)
	}
	return out, nil
}

// Attempts implements outbox.Store.
func (s *WebhookStore) Attempts(ctx context.Context, deliveryID string) ([]outbox.Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)`, deliveryID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("pgstore: list attempts: %w", err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: delivery %s", outbox.ErrNotFound, deliveryID)
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, n, at, url, status_code, latency_ns, error, response, retry
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY pos`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list attempts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outbox.Attempt, error) {
		var a outbox.Attempt
		var at, retry pgtype.Timestamptz
		var latency int64
		var errText, resp []byte
		err := r.Scan(&a.DeliveryID, &a.N, &at, &a.URL, &a.StatusCode, &latency, &errText, &resp, &retry)
		a.At, a.Retry, a.Latency, a.Error, a.Response = fromTS(at), fromTS(retry), time.Duration(latency), string(errText), string(resp)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: list attempts: %w", err)
	}
	return out, nil
}

// Prune deletes delivered and failed deliveries completed before the given
// time, with their attempt logs, and returns how many it deleted. Pending
// deliveries are never pruned.
func (s *WebhookStore) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_deliveries
		WHERE state <> 'pending' AND (completed_at IS NULL OR completed_at < $1)`, before)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
