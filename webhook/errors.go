package webhook

import "errors"

// Verification errors. [Verifier.Verify] and [Verifier.Middleware] return
// them wrapped with detail; test them with [errors.Is].
var (
	// ErrNoSignature means the request carries no signature header for the
	// scheme being verified.
	ErrNoSignature = errors.New("webhook: no signature")
	// ErrBadSignature means a signature header is present but no signature in
	// it matches the body under any of the verifier's secrets, or it is
	// malformed.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrNoTimestamp means the timestamp header is missing.
	ErrNoTimestamp = errors.New("webhook: no timestamp")
	// ErrBadTimestamp means the timestamp header is not a non-negative
	// decimal number of Unix seconds.
	ErrBadTimestamp = errors.New("webhook: malformed timestamp")
	// ErrTimestampOutOfRange means the signed timestamp is further than the
	// tolerance from the receiver's clock, in the past or in the future.
	ErrTimestampOutOfRange = errors.New("webhook: timestamp out of range")
	// ErrNoID means the message id header (webhook-id, or the delivery id of
	// the timestamped scheme) is missing.
	ErrNoID = errors.New("webhook: no message id")
	// ErrNoSecret means a verifier or endpoint has no usable secret.
	ErrNoSecret = errors.New("webhook: no secret")
	// ErrBadSecret means a secret cannot be used for the selected scheme, for
	// example a Standard Webhooks secret that is not whsec_<base64>.
	ErrBadSecret = errors.New("webhook: bad secret")
	// ErrBodyTooLarge means the request body exceeds the verifier's limit.
	ErrBodyTooLarge = errors.New("webhook: body too large")
	// ErrUnknownScheme means a scheme value outside the defined ones.
	ErrUnknownScheme = errors.New("webhook: unknown scheme")
)

// Delivery and configuration errors.
var (
	// ErrForbiddenAddress means a connection was refused by the SSRF guard:
	// the target resolved to a loopback, private, link-local, CGNAT,
	// multicast, unspecified or otherwise non-public address.
	ErrForbiddenAddress = errors.New("webhook: forbidden target address")
	// ErrInsecureURL means an endpoint URL is not https (and the development
	// option is off), or is otherwise unusable (no host, user info).
	ErrInsecureURL = errors.New("webhook: insecure or invalid endpoint URL")
	// ErrBadEndpoint means an endpoint configuration is invalid.
	ErrBadEndpoint = errors.New("webhook: invalid endpoint")
	// ErrBadEvent means an event is invalid (unknown type, missing id or
	// session id, oversized or disallowed data).
	ErrBadEvent = errors.New("webhook: invalid event")
	// ErrFiltered means the event is not sent to the endpoint: the endpoint
	// does not subscribe to its type, or its payload format has no
	// representation for it (the flat session.completed payload exists only
	// for terminal events). Enqueue returns it without storing anything.
	ErrFiltered = errors.New("webhook: event not delivered to this endpoint")
	// ErrEndpointDisabled means the endpoint was disabled (it answered
	// 410 Gone, or was configured disabled); re-enable it with
	// [Dispatcher.SetEndpoint].
	ErrEndpointDisabled = errors.New("webhook: endpoint disabled")
	// ErrNotFound is returned by a [Store] for an unknown id.
	ErrNotFound = errors.New("webhook: not found")
	// ErrDuplicate is returned by a [Store] when a delivery id already exists.
	ErrDuplicate = errors.New("webhook: duplicate id")
	// ErrLeaseLost is returned by a [Store] when a delivery is updated by a
	// worker whose claim is no longer the current one.
	ErrLeaseLost = errors.New("webhook: delivery lease lost")
	// ErrClosed means the dispatcher has been closed.
	ErrClosed = errors.New("webhook: dispatcher closed")
	// ErrUnguardedTransport means a custom HTTP client whose transport is
	// not an *http.Transport was given without the development option: the
	// SSRF guard cannot be installed on it.
	ErrUnguardedTransport = errors.New("webhook: HTTP transport cannot be guarded")
)
