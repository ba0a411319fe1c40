package webhook

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
)

// SecretPrefix starts a Standard Webhooks secret: "whsec_" followed by the
// base64 encoding of the key.
const SecretPrefix = "whsec_"

// Secret is one signing secret of an endpoint.
//
// Value is the secret exactly as shared with the receiver. The body and
// timestamped schemes use the bytes of Value as the HMAC key, so a receiver
// that computes hmac(secret, ...) with the string it was given gets the same
// result; the Standard Webhooks scheme uses the base64-decoded part after the
// "whsec_" prefix, as the Standard Webhooks libraries do. [GenerateSecret]
// produces secrets usable by all three schemes.
//
// A Secret is a value; it is safe to copy and to use concurrently.
type Secret struct {
	// Value is the secret text, normally "whsec_<base64>".
	Value string `json:"value"`
	// Expires, when not zero, is the instant after which the secret no
	// longer signs: the end of a rotation overlap.
	Expires time.Time `json:"expires,omitzero"`
}

// GenerateSecret returns a new "whsec_" secret holding 32 bytes read from r
// (use crypto/rand.Reader).
func GenerateSecret(r io.Reader) (string, error) {
	var key [32]byte
	if _, err := io.ReadFull(r, key[:]); err != nil {
		return "", fmt.Errorf("webhook: generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key[:]), nil
}

// StandardKey returns the HMAC key of a Standard Webhooks secret: the
// base64-decoded text after an optional "whsec_" prefix. It fails with
// [ErrBadSecret] when that text is not base64 or decodes to nothing.
func StandardKey(secret string) ([]byte, error) {
	s := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64 after %q", ErrBadSecret, SecretPrefix)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrBadSecret)
	}
	return key, nil
}

// Secrets is an endpoint's list of secrets, newest first. Every active
// secret signs each message, so during a rotation overlap receivers holding
// either the old or the new secret verify it. Its methods return new slices
// and never modify the receiver, so a Secrets may be shared read-only.
type Secrets []Secret

// Active returns the secrets that sign at now: those without an expiry or
// expiring after now, in order.
func (s Secrets) Active(now time.Time) Secrets {
	var out Secrets
	for _, sec := range s {
		if sec.Expires.IsZero() || now.Before(sec.Expires) {
			out = append(out, sec)
		}
	}
	return out
}

// RotateImmediate returns the secrets after an immediate rotation to next:
// only next remains, and the old secrets are dead at once.
func (s Secrets) RotateImmediate(next string) Secrets {
	return Secrets{{Value: next}}
}

// RotateOverlap returns the secrets after a rotation to next that keeps the
// secrets active at now signing until now+overlap: receivers have that long
// to switch. A non-positive overlap is an immediate rotation.
func (s Secrets) RotateOverlap(next string, now time.Time, overlap time.Duration) Secrets {
	if overlap <= 0 {
		return s.RotateImmediate(next)
	}
	out := Secrets{{Value: next}}
	until := now.Add(overlap)
	for _, old := range s.Active(now) {
		if old.Value == next {
			continue
		}
		if old.Expires.IsZero() || old.Expires.After(until) {
			old.Expires = until
		}
		out = append(out, old)
	}
	return out
}
