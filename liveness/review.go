package liveness

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// ErrNotInReview means Review was called on a session whose verdict is not
// REQUIRES_MANUAL_REVIEW.
var ErrNotInReview = fmt.Errorf("%w: session is not awaiting manual review", ErrBadRequest)

// ReviewDecision settles a session in the manual-review band.
type ReviewDecision struct {
	// Verdict is VerdictPass or VerdictFail.
	Verdict  Verdict
	Reviewer string
	Reason   string
}

// Review settles a session that ended REQUIRES_MANUAL_REVIEW: the verdict
// becomes the reviewer's, a MANUAL_REVIEW audit entry is written and the
// session's final event is sent (session.verified or session.failed). A
// rejected session's status becomes failed with reason manual_review_rejected.
func (e *Engine) Review(ctx context.Context, id string, d ReviewDecision) (*Session, error) {
	if d.Verdict != VerdictPass && d.Verdict != VerdictFail {
		return nil, badRequest("decision", nil)
	}
	if d.Reviewer == "" {
		return nil, badRequest("reviewer", nil)
	}
	s, err := e.update(ctx, id, func(s *Session, c *change) error {
		if s.Verdict != VerdictReview {
			return ErrNotInReview
		}
		s.Verdict = d.Verdict
		s.ReviewedBy, s.ReviewReason, s.ReviewedAt = d.Reviewer, d.Reason, e.cfg.clock().UTC()
		if d.Verdict == VerdictFail {
			s.Status, s.Reason = StatusFailed, ReasonReviewRejected
		}
		payload, _ := json.Marshal(map[string]any{"verdict": d.Verdict, "reviewer": d.Reviewer, "reason": d.Reason})
		c.audit(audit.Record{SessionID: id, Type: audit.ManualReview, Payload: payload, EvidenceHash: s.EvidenceHash})
		typ := EventFailed
		if d.Verdict == VerdictPass {
			typ = EventVerified
		}
		c.event(typ)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.clone(), nil
}

// ReasonReviewRejected is the reason of a session rejected by a reviewer.
const ReasonReviewRejected = "manual_review_rejected"

// TooManyFailuresError is returned by Create when the reference id had too
// many failed sessions recently; RetryAfter says when to try again.
type TooManyFailuresError struct {
	ReferenceID string
	RetryAfter  time.Duration
}

func (e *TooManyFailuresError) Error() string {
	return fmt.Sprintf("liveness: too many failed sessions for this reference; try again in %d s", int(e.RetryAfter.Seconds()+0.999))
}

// FailureLimiter counts failed sessions per reference id. Implementations
// must be safe for concurrent use; several replicas share one through a
// common store (for example Redis).
type FailureLimiter interface {
	// Check returns how long to wait before a new session for ref may
	// start (0: now).
	Check(ctx context.Context, ref string, now time.Time) (time.Duration, error)
	// Failed records a failed session of ref.
	Failed(ctx context.Context, ref string, now time.Time) error
}

// MemoryFailureLimiter allows at most Max failed sessions per reference id
// within Window; after that, new sessions wait until the oldest counted
// failure leaves the window (the cool-down). Safe for concurrent use.
type MemoryFailureLimiter struct {
	Max    int
	Window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewMemoryFailureLimiter returns a limiter of max failures per window
// (the defaults are 5 in 3 minutes).
func NewMemoryFailureLimiter(max int, window time.Duration) *MemoryFailureLimiter {
	return &MemoryFailureLimiter{Max: max, Window: window, fails: map[string][]time.Time{}}
}

func (m *MemoryFailureLimiter) prune(ref string, now time.Time) []time.Time {
	ts := m.fails[ref]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= m.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(m.fails, ref)
	} else {
		m.fails[ref] = ts
	}
	return ts
}

// Check implements FailureLimiter.
func (m *MemoryFailureLimiter) Check(_ context.Context, ref string, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.prune(ref, now)
	if len(ts) < m.Max {
		return 0, nil
	}
	return ts[len(ts)-m.Max].Add(m.Window).Sub(now), nil
}

// Failed implements FailureLimiter.
func (m *MemoryFailureLimiter) Failed(_ context.Context, ref string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fails[ref] = append(m.prune(ref, now), now)
	return nil
}
