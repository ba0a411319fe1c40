// Package webhook sends signed webhooks reliably and safely, and verifies
// them on the receiving side. It uses only the standard library; the
// durable store lives in webhook/boltstore and the testing tools, including
// the store conformance suite, in webhook/webhooktest.
//
// # Signing
//
// Three schemes, selected per endpoint ([Scheme]); the body and Standard
// Webhooks schemes are sent by default:
//
//   - [SchemeBody]: X-Liveness-Signature: sha256=<hex HMAC-SHA256(secret, body)>.
//   - [SchemeTimestamped]: sha256=<hex HMAC-SHA256(secret, "{ts}.{body}")> with
//     a timestamp header and a per-delivery UUID header (names configurable
//     with [HeaderNames]).
//   - [SchemeStandard]: Standard Webhooks 1.0, webhook-id, webhook-timestamp
//     and webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>,
//     with "whsec_<base64>" secrets.
//
// [Secrets] rotate immediately ([Secrets.RotateImmediate]) or with an
// overlap during which every message carries a signature per secret
// ([Secrets.RotateOverlap]).
//
// # Verifying
//
// [Verifier] checks one scheme against one or more secrets, in constant
// time, with a timestamp tolerance in both directions, and returns sentinel
// errors such as [ErrBadSignature] and [ErrTimestampOutOfRange].
// [Verifier.Middleware] wraps an http.Handler and passes the raw body on.
//
// # Delivering
//
// A [Dispatcher] is a durable outbox: [Dispatcher.Enqueue] stores a
// [Delivery] in a [Store] before anything is sent, [Dispatcher.Run] attempts
// due deliveries, signing each attempt afresh, and a delivery leaves the
// pending state only on a 2xx (delivered), a non-retryable answer, or after
// its last retry (failed). Retries follow a [RetryPolicy] (5 s, 30 s, 2 min,
// 10 min, 1 h by default, with jitter) on network errors, timeouts, 408, 429
// and 5xx, honouring Retry-After; 410 Gone disables the endpoint. Every
// attempt is logged ([Dispatcher.Attempts]). Each request carries the event
// id and the delivery id so receivers can drop duplicates.
//
// The HTTP client refuses, at dial time and after DNS resolution, every
// address that is not public ([Forbidden]), never follows redirects, never
// uses a proxy, and requires https; [WithInsecureTargets] lifts this for
// local development only.
//
// # Events
//
// [Event] is the envelope payload ({"id","object","type","created","data"});
// endpoints with [FormatCompleted] get the flat session.completed payload
// ([Completed]) for terminal events instead. Payloads never carry images,
// only an evidence hash and an expiring evidence URL ([Evidence]).
package webhook
