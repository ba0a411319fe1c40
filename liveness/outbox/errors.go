package outbox

import "errors"

// Delivery and configuration errors, returned wrapped with detail; test
// them with [errors.Is]. Endpoint secrets and schemes fail with the
// webhook package's [webhook.ErrNoSecret] and [webhook.ErrBadSecret].
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
