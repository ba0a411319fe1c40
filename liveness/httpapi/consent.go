package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/openliveness/openliveness/liveness"
)

// ConsentEngine records a subject's acceptance of the consent text
// (POST /v1/sessions/{id}/consent); *liveness.Engine implements it.
// Engines without it answer 404 there.
type ConsentEngine interface {
	AcceptConsent(ctx context.Context, id, hash string) (*liveness.Session, error)
}

// consentRequest is the body of POST /v1/sessions/{id}/consent: the
// subject accepted the session's consent text (consent_hash, optional,
// is "sha256:<hex>" of the text shown, checked against the session's).
type consentRequest struct {
	Accepted    *bool  `json:"accepted"`
	ConsentHash string `json:"consent_hash"`
}

// consent records the subject's acceptance of the consent text; until
// then a session with consent text refuses frames (409).
func (h *Handler) consent(w http.ResponseWriter, r *http.Request) {
	s, acc, err := h.sessionAccess(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req consentRequest
	if err := decodeJSON(w, r, 4<<10, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Accepted == nil || !*req.Accepted {
		writeError(w, http.StatusBadRequest, "accepted must be true; a subject who does not agree cancels the session (POST /v1/sessions/{id}/cancel)")
		return
	}
	ce, ok := h.engine.(ConsentEngine)
	if !ok {
		writeError(w, http.StatusNotFound, "consent is not recorded by this server")
		return
	}
	s, err = ce.AcceptConsent(r.Context(), s.ID, req.ConsentHash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.view(s, acc))
}

// consentAcceptedAt formats when consent was accepted, nil if not yet.
func consentAcceptedAt(s *liveness.Session) *string {
	if s.ConsentAcceptedAt.IsZero() {
		return nil
	}
	v := s.ConsentAcceptedAt.UTC().Format(time.RFC3339Nano)
	return &v
}
