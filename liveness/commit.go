package liveness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// maxAttempts bounds the optimistic retries of one update.
const maxAttempts = 5

// errNoChange, returned by an update's change function, leaves the
// session as it was read.
var errNoChange = errors.New("no change")

// AuditIndex finds the audit entries of a session; *audit.Log implements
// it. The engine requires it of its Auditor (WithAuditor) to relay an
// audit intent again without appending a duplicate.
type AuditIndex interface {
	BySession(ctx context.Context, sessionID string) ([]audit.Entry, error)
}

// Pruner deletes records that were completed before a time, for
// retention: outbox.MemoryStore and liveness/outbox/boltstore.Store delete their
// delivered and failed deliveries (see WithRetention).
type Pruner interface {
	Prune(ctx context.Context, before time.Time) (int, error)
}

// WithRetention sets how long ended sessions are kept (with their frame
// logs) and how often Run prunes them (defaults 24 h and 10 min); the
// pruners, typically the webhook outbox's store, drop their delivered
// records older than keep on the same schedule. keep 0 keeps everything.
func WithRetention(keep, every time.Duration, pruners ...Pruner) Option {
	return func(c *config) {
		c.retention, c.pruneEvery = keep, every
		c.pruners = append(c.pruners, pruners...)
	}
}

// WithReconcileInterval sets how often Run relays intents left over by an
// interrupted relay (default 30 s), and the age an intent must reach
// before the periodic reconciler takes it (default 1 min; the relay that
// follows each commit normally removes it within moments).
func WithReconcileInterval(every, minAge time.Duration) Option {
	return func(c *config) { c.reconcileEvery, c.reconcileAge = every, minAge }
}

// change collects the consequences of one session change.
type change struct {
	Change
	now time.Time
}

// event adds the webhook event typ of the session as committed.
func (c *change) event(typ string) {
	c.Intents = append(c.Intents, Intent{Kind: IntentWebhook, EventType: typ, CreatedAt: c.now})
}

// audit adds an audit record.
func (c *change) audit(r audit.Record) {
	c.Intents = append(c.Intents, Intent{Kind: IntentAudit, AuditType: string(r.Type), Payload: r.Payload, PayloadHash: r.PayloadHash, EvidenceHash: r.EvidenceHash, CreatedAt: c.now})
}

// seal gives the intents their ids and webhook events the header as it
// will be committed (version+1).
func (c *change) seal() {
	s := c.Session
	next := s.Version + 1
	if c.Create {
		next = 1
	}
	var snap *Session
	for i := range c.Intents {
		it := &c.Intents[i]
		it.SessionID = s.ID
		it.ID = fmt.Sprintf("%s/%010d/%03d", s.ID, next, i) // sorts in commit order
		if it.Kind == IntentWebhook {
			if snap == nil {
				snap = s.clone()
				snap.Version = next
			}
			it.Session = snap
			it.EventID = EventID(s.ID, next, it.EventType)
		}
	}
}

// EventID is the webhook event id of the event typ caused by the change
// that made version of a session: the same change always has the same
// event id, so a receiver drops a repeated delivery by its id.
func EventID(sessionID string, version int64, typ string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", sessionID, version, typ))
	return "evt_" + hex.EncodeToString(h[:16])
}

// update is the one optimistic-update loop of the engine: it reads the
// session's header, lets fn change it and add frames and intents, and
// commits; on ErrConflict it starts again from a fresh read. fn returning
// errNoChange leaves the session as read (returned with errNoChange).
// After the commit the change's intents are relayed.
func (e *Engine) update(ctx context.Context, id string, fn func(s *Session, c *change) error) (*Session, error) {
	for range maxAttempts {
		s, err := e.cfg.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		c := &change{Change: Change{Session: s}, now: e.cfg.clock().UTC()}
		if err := fn(s, c); err != nil {
			if errors.Is(err, errNoChange) {
				return s, err
			}
			return nil, err
		}
		err = e.commit(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, errRetryConflict
}

// commit stores c and has its intents relayed: by the relay worker just
// after (relay.go), or before returning with WithSyncRelay. The change is
// durable when commit returns nil, whether or not the relay succeeded
// (what it did not finish, Reconcile does).
func (e *Engine) commit(ctx context.Context, c *change) error {
	c.seal()
	if e.cfg.syncRelay || len(c.Intents) == 0 {
		e.track(c.Intents, true)
		defer e.track(c.Intents, false)
		if err := e.cfg.store.Commit(ctx, &c.Change); err != nil {
			return err
		}
		e.relay(context.WithoutCancel(ctx), c.Intents, false)
		return nil
	}
	j, err := e.queueRelay(ctx, c.Intents)
	if err != nil {
		return err
	}
	e.track(c.Intents, true) // until the relay worker is done with them
	err = e.cfg.store.Commit(ctx, &c.Change)
	if err != nil {
		e.track(c.Intents, false)
	}
	e.settle(j, err == nil)
	return err
}

// track marks intents as being relayed by this process, so the periodic
// reconciler leaves them alone.
func (e *Engine) track(its []Intent, on bool) {
	if len(its) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, it := range its {
		if on {
			e.inflight[it.ID] = struct{}{}
		} else {
			delete(e.inflight, it.ID)
		}
	}
}

// relay hands intents to the Notifier and the Auditor, in order, and
// deletes from the outbox those that were handed over. replay says that
// an intent may have been relayed before (a crash between the relay and
// the delete): the audit log is then searched for it first, and the
// notifier is told to drop a repeated event id.
func (e *Engine) relay(ctx context.Context, its []Intent, replay bool) int {
	var done []string
	for _, it := range its {
		if err := e.relayOne(ctx, it, replay); err != nil {
			e.cfg.logger.Error("liveness: relaying a committed intent (the reconciler retries)", "intent", it.ID, "kind", it.Kind, "err", err)
			continue
		}
		done = append(done, it.ID)
	}
	if len(done) > 0 {
		if err := e.cfg.store.DeleteIntents(ctx, done...); err != nil {
			e.cfg.logger.Warn("liveness: deleting relayed intents", "err", err)
		}
	}
	return len(done)
}

func (e *Engine) relayOne(ctx context.Context, it Intent, replay bool) error {
	switch it.Kind {
	case IntentWebhook:
		if e.cfg.notifier == nil || it.Session == nil {
			return nil
		}
		return e.cfg.notifier.Notify(ctx, Event{ID: it.EventID, Type: it.EventType, Session: it.Session, Time: it.CreatedAt, Replay: replay})
	case IntentAudit:
		if e.cfg.auditor == nil {
			return nil
		}
		r := audit.Record{SessionID: it.SessionID, Type: audit.EventType(it.AuditType), Payload: it.Payload, PayloadHash: it.PayloadHash, EvidenceHash: it.EvidenceHash}
		if replay {
			ok, err := e.audited(ctx, r)
			if err != nil || ok {
				return err
			}
		}
		_, err := e.cfg.auditor.Append(ctx, r)
		return err
	}
	return fmt.Errorf("liveness: unknown intent kind %q", it.Kind)
}

// audited reports whether the audit log already holds r.
func (e *Engine) audited(ctx context.Context, r audit.Record) (bool, error) {
	ents, err := e.cfg.auditor.(AuditIndex).BySession(ctx, r.SessionID)
	if err != nil {
		return false, err
	}
	ph := r.PayloadHash
	if r.Payload != nil || ph == "" {
		ph = audit.Hash(r.Payload)
	}
	for _, en := range ents {
		if en.EventType == r.Type && en.PayloadHash == ph && en.EvidenceHash == r.EvidenceHash {
			return true, nil
		}
	}
	return false, nil
}

// Reconcile relays the intents committed at or before before that are
// still in the outbox (a crash or a failing notifier or audit log
// interrupted their relay), without duplicating an audit entry and with
// the same webhook event ids. Run calls it at start-up for all intents
// and periodically for those older than the reconcile age. It returns how
// many intents it relayed.
func (e *Engine) Reconcile(ctx context.Context, before time.Time) (int, error) {
	n := 0
	for {
		its, err := e.cfg.store.Intents(ctx, before, 200)
		if err != nil {
			return n, err
		}
		e.mu.Lock()
		todo := its[:0]
		for _, it := range its {
			if _, busy := e.inflight[it.ID]; !busy {
				todo = append(todo, it)
			}
		}
		e.mu.Unlock()
		done := e.relay(ctx, todo, true)
		n += done
		if len(its) < 200 || done == 0 {
			return n, nil
		}
	}
}

// PruneEnded deletes the sessions that ended more than the retention ago
// (WithRetention) with their frame logs, and the pruners' old records. It
// returns how many sessions it deleted. Run calls it on the retention
// schedule.
func (e *Engine) PruneEnded(ctx context.Context) (int, error) {
	if e.cfg.retention <= 0 {
		return 0, nil
	}
	cutoff := e.cfg.clock().Add(-e.cfg.retention)
	n, err := e.cfg.store.Prune(ctx, cutoff, 0)
	if err != nil {
		return n, err
	}
	var errs []error
	for _, p := range e.cfg.pruners {
		if _, err := p.Prune(ctx, cutoff); err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
