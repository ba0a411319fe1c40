package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme selects signature schemes. Values combine with |; an endpoint signs
// with every scheme in its set, a [Verifier] checks exactly one.
type Scheme uint8

const (
	// SchemeBody is scheme 1: X-Liveness-Signature: sha256=<lowercase hex
	// HMAC-SHA256(secret, raw body)>.
	SchemeBody Scheme = 1 << iota
	// SchemeTimestamped is scheme 2: a signature header carrying
	// sha256=<hex HMAC-SHA256(secret, "{unix_ts}.{raw_body}")>, a timestamp
	// header and a per-delivery UUID header.
	SchemeTimestamped
	// SchemeStandard is scheme 3, Standard Webhooks 1.0: webhook-id,
	// webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 over
	// "id.ts.body">.
	SchemeStandard

	// DefaultSchemes is what an endpoint signs with when it selects none:
	// the body and the Standard Webhooks schemes.
	DefaultSchemes = SchemeBody | SchemeStandard

	allSchemes = SchemeBody | SchemeTimestamped | SchemeStandard
)

// String returns the scheme names joined by "+", such as "body+standard".
func (s Scheme) String() string {
	if s == 0 {
		return "none"
	}
	var parts []string
	for _, n := range []struct {
		s    Scheme
		name string
	}{{SchemeBody, "body"}, {SchemeTimestamped, "timestamped"}, {SchemeStandard, "standard"}} {
		if s&n.s != 0 {
			parts = append(parts, n.name)
		}
	}
	if s&^allSchemes != 0 {
		parts = append(parts, fmt.Sprintf("0x%02x", uint8(s&^allSchemes)))
	}
	return strings.Join(parts, "+")
}

// ParseScheme parses a scheme set written as names joined by "+" or ","
// (body, timestamped, standard), the inverse of [Scheme.String].
func ParseScheme(text string) (Scheme, error) {
	var s Scheme
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '+' || r == ',' || r == ' ' }) {
		switch f {
		case "body":
			s |= SchemeBody
		case "timestamped":
			s |= SchemeTimestamped
		case "standard":
			s |= SchemeStandard
		default:
			return 0, fmt.Errorf("%w: %q", errUnknownScheme, f)
		}
	}
	if s == 0 {
		return 0, fmt.Errorf("%w: empty", errUnknownScheme)
	}
	return s, nil
}

// Header names. The body-scheme and timestamped-scheme names are defaults
// that [HeaderNames] can change; the Standard Webhooks names are fixed by
// that specification.
const (
	DefaultSignatureHeader            = "X-Liveness-Signature"
	DefaultTimestampedSignatureHeader = "X-Liveness-Timestamped-Signature"
	DefaultTimestampHeader            = "X-Liveness-Timestamp"
	DefaultDeliveryIDHeader           = "X-Liveness-Delivery-Id"

	// EventIDHeader and EventTypeHeader are sent with every delivery, so
	// receivers can drop duplicates by event or delivery id.
	EventIDHeader   = "X-Liveness-Event-Id"
	EventTypeHeader = "X-Liveness-Event-Type"
	// AttemptHeader carries the 1-based attempt number.
	AttemptHeader = "X-Liveness-Attempt"

	StandardIDHeader        = "Webhook-Id"
	StandardTimestampHeader = "Webhook-Timestamp"
	StandardSignatureHeader = "Webhook-Signature"
)

// HeaderNames configures the header names of the body and timestamped
// schemes. Empty fields take the defaults. It is a value; safe to copy.
type HeaderNames struct {
	// Signature is the body-scheme header (default X-Liveness-Signature).
	Signature string `json:"signature,omitempty"`
	// TimestampedSignature is the timestamped-scheme signature header
	// (default X-Liveness-Timestamped-Signature).
	TimestampedSignature string `json:"timestamped_signature,omitempty"`
	// Timestamp is the timestamped-scheme timestamp header (default
	// X-Liveness-Timestamp).
	Timestamp string `json:"timestamp,omitempty"`
	// DeliveryID is the per-delivery UUID header of the timestamped scheme
	// (default X-Liveness-Delivery-Id, which every delivery carries anyway).
	DeliveryID string `json:"delivery_id,omitempty"`
}

// withDefaults returns h with empty names replaced by the defaults, in
// canonical form.
func (h HeaderNames) withDefaults() HeaderNames {
	def := func(v, d string) string {
		if v == "" {
			v = d
		}
		return http.CanonicalHeaderKey(v)
	}
	return HeaderNames{
		Signature:            def(h.Signature, DefaultSignatureHeader),
		TimestampedSignature: def(h.TimestampedSignature, DefaultTimestampedSignatureHeader),
		Timestamp:            def(h.Timestamp, DefaultTimestampHeader),
		DeliveryID:           def(h.DeliveryID, DefaultDeliveryIDHeader),
	}
}

// SignBody returns the body-scheme signature "sha256=<lowercase hex
// HMAC-SHA256(key, body)>".
func SignBody(key, body []byte) string {
	return hexSig(bodyMAC(key, body))
}

func bodyMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// SignTimestamped returns the timestamped-scheme signature "sha256=<hex
// HMAC-SHA256(key, "{ts}.{body}")>".
func SignTimestamped(key []byte, ts int64, body []byte) string {
	return hexSig(timestampedMAC(key, ts, body))
}

// SignStandard returns one Standard Webhooks signature "v1,<base64
// HMAC-SHA256(key, "{id}.{ts}.{body}")>"; key is the decoded secret (see
// [StandardKey]).
func SignStandard(key []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, ts, body))
}

func hexSig(mac []byte) string {
	buf := make([]byte, 7+hex.EncodedLen(len(mac)))
	copy(buf, "sha256=")
	hex.Encode(buf[7:], mac)
	return string(buf)
}

func timestampedMAC(key []byte, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	var b [20]byte
	m.Write(strconv.AppendInt(b[:0], ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func standardMAC(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	var b [21]byte
	m.Write(append(strconv.AppendInt(append(b[:0], '.'), ts, 10), '.'))
	m.Write(body)
	return m.Sum(nil)
}

// Signer adds signature headers to outgoing requests. The zero value signs
// with [DefaultSchemes] and the default header names; Secrets must hold at
// least one active secret.
//
// A Signer is safe for concurrent use as long as its fields are not changed.
type Signer struct {
	// Schemes selects the schemes; zero means DefaultSchemes.
	Schemes Scheme
	// Headers names the body and timestamped scheme headers.
	Headers HeaderNames
	// Secrets signs; every secret active at the signing time produces one
	// signature per scheme.
	Secrets Secrets
}

// Sign sets the signature headers of the enabled schemes on h for a message
// with the given delivery id (a UUID, also the Standard Webhooks
// webhook-id), time and raw body. Several active secrets produce several
// signatures: comma-separated in the body and timestamped headers, and
// space-separated in webhook-signature, newest secret first.
func (s *Signer) Sign(h http.Header, id string, at time.Time, body []byte) error {
	schemes := s.Schemes
	if schemes == 0 {
		schemes = DefaultSchemes
	}
	if schemes&^allSchemes != 0 {
		return fmt.Errorf("%w: %v", errUnknownScheme, schemes)
	}
	secrets := s.Secrets.Active(at)
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	if id == "" && schemes&(SchemeStandard|SchemeTimestamped) != 0 {
		return errNoID
	}
	names := s.Headers.withDefaults()
	ts := at.Unix()
	if schemes&SchemeBody != 0 {
		sigs := make([]string, len(secrets))
		for i, sec := range secrets {
			sigs[i] = SignBody([]byte(sec.Value), body)
		}
		h.Set(names.Signature, strings.Join(sigs, ","))
	}
	if schemes&SchemeTimestamped != 0 {
		sigs := make([]string, len(secrets))
		for i, sec := range secrets {
			sigs[i] = SignTimestamped([]byte(sec.Value), ts, body)
		}
		h.Set(names.TimestampedSignature, strings.Join(sigs, ","))
		h.Set(names.Timestamp, strconv.FormatInt(ts, 10))
		h.Set(names.DeliveryID, id)
	}
	if schemes&SchemeStandard != 0 {
		sigs := make([]string, len(secrets))
		for i, sec := range secrets {
			key, err := StandardKey(sec.Value)
			if err != nil {
				return err
			}
			sigs[i] = SignStandard(key, id, ts, body)
		}
		h.Set(StandardIDHeader, id)
		h.Set(StandardTimestampHeader, strconv.FormatInt(ts, 10))
		h.Set(StandardSignatureHeader, strings.Join(sigs, " "))
	}
	return nil
}
