// Package httpapi mounts a liveness.Engine as the openliveness REST API,
// with the hosted capture page and the browser SDK, as one http.Handler.
//
//	engine, _ := liveness.New()
//	h, err := httpapi.New(engine,
//		httpapi.WithKeys(apikey.Verifier{Store: keys}),
//		httpapi.WithPublicURL("https://liveness.example.com"),
//		httpapi.WithCORSOrigins("https://app.example.com"),
//	)
//	http.ListenAndServe(addr, h)
//
// # Routes
//
//	POST /v1/sessions                 create a session (API key)
//	GET  /v1/sessions/{id}            session state (API key, or the session's client token)
//	POST /v1/sessions/{id}/verify     submit a frame or a burst (API key or client token)
//	GET  /v1/sessions/{id}/result     verdict, score, model version (API key)
//	POST /v1/sessions/{id}/cancel     cancel a pending session (API key or client token)
//	POST /v1/webhooks/test            send one signed test delivery (API key)
//	GET  /openapi.yaml                the OpenAPI 3.1 document (OpenAPI())
//	GET  /v1/limits                   the bounds of requests (liveness/limits)
//	GET  /healthz, GET /metrics       health and Prometheus metrics
//	GET  /check, /sdk/liveness.js     hosted page and SDK (package web)
//
// API keys travel in X-API-Key; client tokens in Authorization: Bearer. A
// client token is scoped to its session: with it, GET /v1/sessions/{id}
// shows only what the hosted page needs. A session belongs to the tenant
// of the key that created it: other tenants' keys get 404 on all its
// routes, admin keys see every tenant. Errors are JSON {"error": "...", "code": "..."}
// with 400 (invalid field, bad base64, not a JPEG, too costly to decode),
// 401, 404, 409 (session no longer pending), 410 (expired), 413 (body,
// frame or image size over its limit), 429 (rate limit, with Retry-After),
// 502 (analysis engine unavailable) and 503 (in-flight budgets full, with
// Retry-After). Bad input never yields a 5xx; a panic is recovered, logged
// and answered 500. Limits, budgets and fairness: docs/security.md.
//
// The handler is safe for concurrent use. Its collaborators are
// interfaces: Engine (a *liveness.Engine), KeyVerifier (apikey.Verifier),
// RateLimiter (MemoryRateLimiter, or a shared one for several replicas) and
// Webhooks (*notify.Notifier).
package httpapi
