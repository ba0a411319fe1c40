package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openliveness/openliveness/internal/digits"
)

// DefaultTolerance is how far a signed timestamp may be from the receiver's
// clock, in either direction, before verification fails.
const DefaultTolerance = 300 * time.Second

// maxSignatures bounds how many signatures of one header are checked, so a
// hostile header cannot make verification arbitrarily slow.
const maxSignatures = 16

// Verifier checks signed webhook requests on the receiving side. Set Scheme
// and Secrets; the other fields have defaults.
//
// A Verifier is safe for concurrent use as long as its fields are not
// changed.
type Verifier struct {
	// Scheme is the one scheme to verify: SchemeBody, SchemeTimestamped or
	// SchemeStandard.
	Scheme Scheme
	// Secrets are the secrets accepted, as given by the sender (for
	// Standard Webhooks "whsec_<base64>"). Several secrets let a receiver
	// accept both sides of a rotation.
	Secrets []string
	// Tolerance bounds |now - timestamp| for the timestamped and Standard
	// Webhooks schemes; zero means DefaultTolerance.
	Tolerance time.Duration
	// Headers names the body and timestamped scheme headers; empty fields
	// take the defaults.
	Headers HeaderNames
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds the body read by Middleware; zero means 1 MiB.
	MaxBodyBytes int64
	// ErrorHandler writes the response when Middleware rejects a request;
	// nil writes 413 for ErrBodyTooLarge, 400 when the body cannot be read,
	// 401 for other verification failures and 500 for a misconfigured
	// verifier, each with a short text body.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// Verify checks the signature headers in h against the raw body. It returns
// nil when a signature of the verifier's scheme matches under one of its
// secrets and, for the timestamped schemes, the timestamp is within the
// tolerance; otherwise an error wrapping one of ErrNoSignature,
// ErrBadSignature, ErrBadTimestamp, ErrTimestampOutOfRange, ErrNoSecret or
// ErrBadSecret. Signatures are
// compared in constant time.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	if len(v.Secrets) == 0 {
		return ErrNoSecret
	}
	names := v.Headers.withDefaults()
	switch v.Scheme {
	case SchemeBody:
		vals := h.Values(names.Signature)
		if len(vals) == 0 {
			return ErrNoSignature
		}
		macs := parseHexSignatures(vals)
		for _, sec := range v.Secrets {
			want := bodyMAC([]byte(sec), body)
			if anyEqual(macs, want) {
				return nil
			}
		}
		return ErrBadSignature
	case SchemeTimestamped:
		vals := h.Values(names.TimestampedSignature)
		if len(vals) == 0 {
			return ErrNoSignature
		}
		ts, err := v.checkTimestamp(h.Get(names.Timestamp))
		if err != nil {
			return err
		}
		macs := parseHexSignatures(vals)
		for _, sec := range v.Secrets {
			if anyEqual(macs, timestampedMAC([]byte(sec), ts, body)) {
				return nil
			}
		}
		return ErrBadSignature
	case SchemeStandard:
		vals := h.Values(StandardSignatureHeader)
		if len(vals) == 0 {
			return ErrNoSignature
		}
		id := h.Get(StandardIDHeader)
		if id == "" {
			return errNoID
		}
		ts, err := v.checkTimestamp(h.Get(StandardTimestampHeader))
		if err != nil {
			return err
		}
		macs := parseStandardSignatures(vals)
		var keyErr error
		usable := 0
		for _, sec := range v.Secrets {
			key, err := StandardKey(sec)
			if err != nil {
				keyErr = err
				continue
			}
			usable++
			if anyEqual(macs, standardMAC(key, id, ts, body)) {
				return nil
			}
		}
		if usable == 0 {
			return keyErr
		}
		return ErrBadSignature
	default:
		return fmt.Errorf("%w: verifier needs exactly one scheme, got %v", errUnknownScheme, v.Scheme)
	}
}

func (v *Verifier) checkTimestamp(text string) (int64, error) {
	if text == "" {
		return 0, errNoTimestamp
	}
	ts, ok := digits.Parse(text)
	if !ok {
		return 0, ErrBadTimestamp
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	diff := now().Unix() - ts
	if diff < 0 {
		diff = -diff
	}
	if diff > int64(tol/time.Second) {
		return 0, fmt.Errorf("%w: %ds from now, tolerance %v", ErrTimestampOutOfRange, now().Unix()-ts, tol)
	}
	return ts, nil
}

func anyEqual(macs [][]byte, want []byte) bool {
	ok := false
	for _, m := range macs {
		// No early exit: the time taken does not depend on which matched.
		if hmac.Equal(m, want) {
			ok = true
		}
	}
	return ok
}

// parseHexSignatures extracts the MACs of "sha256=<64 hex>" items from header
// values, each value holding one or more comma-separated items (repeated
// header lines are joined the same way). Malformed items are skipped; at
// most maxSignatures are returned.
func parseHexSignatures(vals []string) [][]byte {
	var out [][]byte
	for _, v := range vals {
		for item := range strings.SplitSeq(v, ",") {
			if len(out) == maxSignatures {
				return out
			}
			item = strings.TrimSpace(item)
			hexPart, ok := strings.CutPrefix(item, "sha256=")
			if !ok || len(hexPart) != 64 {
				continue
			}
			mac, err := hex.DecodeString(hexPart)
			if err != nil {
				continue
			}
			out = append(out, mac)
		}
	}
	return out
}

// parseStandardSignatures extracts the MACs of "v1,<base64>" items from
// webhook-signature values (space-separated items). Other versions and
// malformed items are skipped; at most maxSignatures are returned.
func parseStandardSignatures(vals []string) [][]byte {
	var out [][]byte
	for _, v := range vals {
		for _, item := range strings.Fields(v) {
			if len(out) == maxSignatures {
				return out
			}
			b64, ok := strings.CutPrefix(item, "v1,")
			if !ok || len(b64) != 44 {
				continue
			}
			mac, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(mac) != 32 {
				continue
			}
			out = append(out, mac)
		}
	}
	return out
}

// isVerifyFailure reports whether err is a rejection of the request rather
// than a misconfiguration of the verifier.
func isVerifyFailure(err error) bool {
	for _, e := range []error{ErrNoSignature, ErrBadSignature, ErrBadTimestamp, ErrTimestampOutOfRange} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
