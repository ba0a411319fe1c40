// Package client is a small typed Go client for the openliveness REST API
// (package liveness/httpapi, or the reference server), for backends that
// run the liveness service separately.
//
//	c, err := client.New("https://liveness.example.com", client.WithAPIKey(key))
//	s, err := c.CreateSession(ctx, client.CreateSessionRequest{ChallengeCount: 3, ReferenceID: "order-42"})
//	// send the browser to s.HostedURL, then, after the webhook or the redirect:
//	r, err := c.Result(ctx, s.SessionID)
//	if r.Verdict != nil && *r.Verdict == "PASS" { ... }
//
// The client has a method for every operation of the API's OpenAPI
// document (sessions, evidence, photo, manual review, webhook tests,
// health, the document itself and metrics); a test fails when the
// document gains one it lacks.
//
// API errors are *Error values; errors.Is matches them against ErrBadRequest,
// ErrUnauthorized, ErrNotFound, ErrConflict, ErrExpired, ErrRateLimited and
// ErrUnavailable. A Client is safe for concurrent use.
package client
