package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// ErrConsentRequired is returned by Submit for a session with consent text
// whose consent has not been accepted (AcceptConsent) yet: no frame is
// analysed before the subject agreed.
var ErrConsentRequired = errors.New("liveness: consent required")

// ErrConsentMismatch means AcceptConsent was given the hash of another
// text than the session's consent text.
// It is the cause of a CodeBadRequest error about field "consent_hash".
var ErrConsentMismatch = errors.New("liveness: consent_hash does not match the session's consent text")

// errNoConsent means AcceptConsent was called on a session without
// consent text.
var errNoConsent = errors.New("liveness: the session has no consent text")

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
	expired := false
	s, err := e.update(ctx, id, func(s *Session, c *change) error {
		if s.Status.Final() {
			return &StateError{s.Status}
		}
		if !c.now.Before(s.ExpiresAt) {
			expired = true
			return errNoChange
		}
		if s.ConsentHash == "" {
			return badRequest("consent", errNoConsent)
		}
		if hash != "" && hash != s.ConsentHash {
			return badRequest("consent_hash", ErrConsentMismatch)
		}
		if !s.ConsentAcceptedAt.IsZero() {
			return errNoChange
		}
		s.ConsentAcceptedAt = c.now
		c.audit(audit.Record{SessionID: s.ID, Type: audit.ConsentRecorded, Payload: ConsentPayload(s)})
		return nil
	})
	if expired {
		if _, err := e.expire(ctx, id); err != nil {
			return nil, err
		}
		return nil, ErrExpired
	}
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, err
	}
	return s.clone(), nil
}
