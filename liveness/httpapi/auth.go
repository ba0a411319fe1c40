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
	key := r.Header.Get("X-API-Key")
	if key == "" {
		return errorf(http.StatusUnauthorized, msgNoKey)
	}
	return h.checkKey(r.Context(), key)
}

func (h *Handler) checkKey(ctx context.Context, key string) error {
	if _, err := h.cfg.keys.Verify(ctx, key); err != nil {
		if errors.Is(err, apikey.ErrInvalid) {
			return errorf(http.StatusUnauthorized, msgBadKey)
		}
		return err
	}
	return nil
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
	if key := r.Header.Get("X-API-Key"); key != "" {
		if err := h.checkKey(ctx, key); err != nil {
			return nil, 0, err
		}
		s, err := h.engine.Get(ctx, id)
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
		h.tokens.add(s.ID, token)
	}
	return s, accessClient, nil
}

// frameAccess authenticates a frame submission. It reads the session only
// when it must: an API key needs no session (the engine answers for an
// unknown or ended one), and a client token already seen valid for this
// session is trusted. It returns the session when it read it.
func (h *Handler) frameAccess(r *http.Request, id string) (*liveness.Session, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		return nil, h.checkKey(r.Context(), key)
	}
	if token, ok := bearer(r); ok && h.tokens.ok(id, token) {
		return nil, nil
	}
	s, _, err := h.sessionAccess(r, id)
	return s, err
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
