package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
)

// Authentication messages.
const (
	msgNoCredentials = "missing API key (X-API-Key) or client token (Authorization: Bearer)"
	msgNoKey         = "missing API key (X-API-Key)"
	msgBadKey        = "invalid API key"
	msgBadToken      = "invalid client token"
)

// requireKey checks the request's X-API-Key.
func (h *Handler) requireKey(r *http.Request) error {
	_, err := h.callerKey(r)
	return err
}

// callerKey checks the request's X-API-Key and returns its record.
func (h *Handler) callerKey(r *http.Request) (apikey.Key, error) {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		return apikey.Key{}, errorf(http.StatusUnauthorized, msgNoKey)
	}
	return h.checkKey(r.Context(), key)
}

func (h *Handler) checkKey(ctx context.Context, key string) (apikey.Key, error) {
	k, err := h.cfg.keys.Verify(ctx, key)
	if err != nil {
		if errors.Is(err, apikey.ErrInvalid) {
			return apikey.Key{}, errorf(http.StatusUnauthorized, msgBadKey)
		}
		return apikey.Key{}, err
	}
	return k, nil
}

// canSee reports whether key k may act on session s: its tenant created
// it, or k is an admin key. Sessions without an owner (created through
// the library, not the API) are visible to every key.
func canSee(k apikey.Key, s *liveness.Session) bool {
	return k.Admin() || s.Owner == "" || s.Owner == k.TenantID()
}

// ownedSession checks the request's API key and reads session id; a
// session of another tenant is answered like an unknown one (404), so
// keys cannot even learn which ids exist elsewhere.
func (h *Handler) ownedSession(r *http.Request, id string) (*liveness.Session, error) {
	k, err := h.callerKey(r)
	if err != nil {
		return nil, err
	}
	s, err := h.engine.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !canSee(k, s) {
		return nil, liveness.ErrNotFound
	}
	return s, nil
}

// access is who may act on a session.
type access int

const (
	accessClient access = iota + 1 // the session's client token
	accessKey                      // an API key: everything
)

// sessionAccess authenticates a request on session id, with an API key
// (X-API-Key) or the session's client token (Authorization: Bearer), and
// returns the session. A client token never proves anything about another
// session, so a token request for an unknown session is 401, not 404.
func (h *Handler) sessionAccess(r *http.Request, id string) (*liveness.Session, access, error) {
	ctx := r.Context()
	if r.Header.Get("X-API-Key") != "" {
		s, err := h.ownedSession(r, id)
		if err != nil {
			return nil, 0, err
		}
		return s, accessKey, nil
	}
	token, ok := bearer(r)
	if !ok {
		return nil, 0, errorf(http.StatusUnauthorized, msgNoCredentials)
	}
	if len(token) > 256 {
		return nil, 0, errorf(http.StatusUnauthorized, msgBadToken)
	}
	s, err := h.engine.Get(ctx, id)
	if errors.Is(err, liveness.ErrNotFound) {
		return nil, 0, errorf(http.StatusUnauthorized, msgBadToken)
	}
	if err != nil {
		return nil, 0, err
	}
	if !h.engine.CheckClientToken(s, token) {
		return nil, 0, errorf(http.StatusUnauthorized, msgBadToken)
	}
	if s.Status.Final() {
		h.tokens.drop(s.ID)
	} else {
		h.tokens.addOwned(s.ID, token, s.Owner)
	}
	return s, accessClient, nil
}

// frameAccess authenticates a frame submission and returns the tenant
// that owns the session (for fair scheduling). A client token already
// seen valid for this session is trusted without reading the session;
// otherwise the session is read (an API key must own it). It returns the
// session when it read it.
func (h *Handler) frameAccess(r *http.Request, id string) (*liveness.Session, string, error) {
	if r.Header.Get("X-API-Key") == "" {
		if token, ok := bearer(r); ok {
			if owner, ok := h.tokens.lookup(id, token); ok {
				return nil, owner, nil
			}
		}
	}
	s, _, err := h.sessionAccess(r, id)
	if err != nil {
		return nil, "", err
	}
	return s, s.Owner, nil
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
