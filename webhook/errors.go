package webhook

import (
	"errors"
	"fmt"
)

// Verification errors. [Verifier.Verify], [Verifier.Middleware] and
// [Signer.Sign] return them wrapped with detail; test them with [errors.Is].
var (
	// ErrNoSignature means the request carries no signature header for the
	// scheme being verified.
	ErrNoSignature = errors.New("webhook: no signature")
	// ErrBadSignature means a signature header is present but no signature in
	// it matches the body under any of the verifier's secrets, or it is
	// malformed, or the message id it covers (webhook-id, or the delivery id
	// of the timestamped scheme) is missing.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrBadTimestamp means the timestamp header is missing or is not a
	// non-negative decimal number of Unix seconds.
	ErrBadTimestamp = errors.New("webhook: malformed timestamp")
	// ErrTimestampOutOfRange means the signed timestamp is further than the
	// tolerance from the receiver's clock, in the past or in the future.
	ErrTimestampOutOfRange = errors.New("webhook: timestamp out of range")
	// ErrNoSecret means a verifier or signer has no usable secret.
	ErrNoSecret = errors.New("webhook: no secret")
	// ErrBadSecret means a secret cannot be used for the selected scheme, for
	// example a Standard Webhooks secret that is not whsec_<base64>, or the
	// scheme itself is not one of the defined ones.
	ErrBadSecret = errors.New("webhook: bad secret")
	// ErrBodyTooLarge means the request body exceeds the verifier's limit
	// ([Verifier.MaxBodyBytes]); Middleware answers it with 413.
	ErrBodyTooLarge = errors.New("webhook: body too large")
)

// Details, each wrapping one of the sentinels above.
var (
	errNoTimestamp   = fmt.Errorf("%w: no timestamp", ErrBadTimestamp)
	errNoID          = fmt.Errorf("%w: no message id", ErrBadSignature)
	errUnknownScheme = fmt.Errorf("%w: unknown scheme", ErrBadSecret)
)
