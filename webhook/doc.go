// Package webhook is the receiver side of the project's webhooks: the
// signature schemes, signing and verification, secret handling and
// rotation, and an HTTP middleware. It uses only the standard library (and the
// project's internal header-number parser). The
// session event payloads are in package liveness/event (which a receiver
// imports to parse them) and the durable sender in package liveness/outbox.
//
// # Signing
//
// Three schemes ([Scheme]); the body and Standard Webhooks schemes are sent
// by default:
//
//   - [SchemeBody]: X-Liveness-Signature: sha256=<hex HMAC-SHA256(secret, body)>.
//   - [SchemeTimestamped]: sha256=<hex HMAC-SHA256(secret, "{ts}.{body}")> with
//     a timestamp header and a per-delivery UUID header (names configurable
//     with [HeaderNames]).
//   - [SchemeStandard]: Standard Webhooks 1.0, webhook-id, webhook-timestamp
//     and webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>,
//     with "whsec_<base64>" secrets.
//
// [Signer] writes the headers of one message. [Secrets] rotate immediately
// ([Secrets.RotateImmediate]) or with an overlap during which every message
// carries a signature per secret ([Secrets.RotateOverlap]).
//
// # Verifying
//
// [Verifier] checks one scheme against one or more secrets, in constant
// time, with a timestamp tolerance in both directions ([DefaultTolerance]),
// and returns errors wrapping one of a few sentinels ([ErrNoSignature],
// [ErrBadSignature], [ErrBadTimestamp], [ErrTimestampOutOfRange],
// [ErrNoSecret], [ErrBadSecret]); test them with [errors.Is].
// [Verifier.Middleware] wraps an http.Handler and passes the raw body on,
// answering 413 ([ErrBodyTooLarge]) or 401 itself.
package webhook
