package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// ErrConsentRequired is returned by Submit for a session with consent text
// whose consent has not been accepted (AcceptConsent) yet: no frame is
// analysed before the subject agreed.
var ErrConsentRequired = errors.New("liveness: consent required: accept the session's consent text before sending frames")

// ErrConsentMismatch means AcceptConsent was given the hash of another
// text than the session's consent text.
var ErrConsentMismatch = fmt.Errorf("%w: consent_hash does not match the session's consent text", ErrBadRequest)

// errNoConsent means AcceptConsent was called on a session without
// consent text.
var errNoConsent = fmt.Errorf("%w: the session has no consent text", ErrBadRequest)

// consentPending reports whether s asks for consent not yet accepted.
func consentPending(s *Session) bool {
	return s.ConsentHash != "" && s.ConsentAcceptedAt.IsZero()
}

// ConsentPayload is the payload of the CONSENT_RECORDED audit entry of an
// accepted consent, whose hash the entry keeps:
// {"accepted":true,"consent_hash":"sha256:…","accepted_at":"<RFC 3339>"}.
func ConsentPayload(s *Session) []byte {
	b, _ := json.Marshal(struct {
		Accepted    bool   `json:"accepted"`
		ConsentHash string `json:"consent_hash"`
		AcceptedAt  string `json:"accepted_at"`
	}{true, s.ConsentHash, s.ConsentAcceptedAt.UTC().Format(time.RFC3339Nano)})
	return b
}

// AcceptConsent records that the subject accepted the session's consent
// text: Session.ConsentAcceptedAt is set to the engine's clock and a
// CONSENT_RECORDED audit entry of ConsentPayload is written. hash, when not empty, must be the session's
// ConsentHash ("sha256:<hex>" of the text shown), proving which text was
// accepted. Accepting again returns the session unchanged. The session
// must be pending and have consent text.
func (e *Engine) AcceptConsent(ctx context.Context, id, hash string) (*Session, error) {
	for range 5 {
		s, err := e.cfg.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if s.Status.Final() {
			return nil, &StateError{s.Status}
		}
		if !e.cfg.clock().Before(s.ExpiresAt) {
			if _, err := e.expire(ctx, id); err != nil {
				return nil, err
			}
			return nil, ErrExpired
		}
		if s.ConsentHash == "" {
			return nil, errNoConsent
		}
		if hash != "" && hash != s.ConsentHash {
			return nil, ErrConsentMismatch
		}
		if !s.ConsentAcceptedAt.IsZero() {
			return s.clone(), nil
		}
		s.ConsentAcceptedAt = e.cfg.clock().UTC()
		err = e.cfg.store.Update(ctx, s)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		e.audit(ctx, audit.Record{SessionID: s.ID, Type: audit.ConsentRecorded, Payload: ConsentPayload(s)}, "")
		return s.clone(), nil
	}
	return nil, errRetryConflict
}
