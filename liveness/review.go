package liveness

import (
	"context"
	"encoding/json"
	"fmt"

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
