// Package outbox delivers signed webhooks reliably and safely: the sending
// side of package webhook, for the session events of package
// liveness/event. It uses only the standard library; the durable store is
// in outbox/boltstore and the testing tools, including the store
// conformance suite, in outbox/outboxtest.
//
// # Delivering
//
// A [Dispatcher] is a durable outbox: [Dispatcher.Enqueue] stores a
// [Delivery] in a [Store] before anything is sent, [Dispatcher.Run] attempts
// due deliveries, signing each attempt afresh with the [Endpoint]'s
// secrets, and a delivery leaves the pending state only on a 2xx
// (delivered), a non-retryable answer, or after its last retry (failed).
// Retries follow a [RetryPolicy] (5 s, 30 s, 2 min, 10 min, 1 h by default,
// with jitter) on network errors, timeouts, 408, 429 and 5xx, honouring
// Retry-After; 410 Gone disables the endpoint. Every attempt is logged
// ([Dispatcher.Attempts]). Each request carries the event id and the
// delivery id so receivers can drop duplicates.
//
// # SSRF guard
//
// The HTTP client refuses, at dial time and after DNS resolution, every
// address that is not public ([Forbidden]), never follows redirects, never
// uses a proxy, and requires https; [WithInsecureTargets] lifts this for
// local development only.
package outbox
