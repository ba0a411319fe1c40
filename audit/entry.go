package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// EventType names what an entry records. Values are upper-case ASCII letters,
// digits and underscores, starting with a letter, at most 64 bytes.
// Applications may define their own types besides the constants below.
type EventType string

// Event types used by the liveness engine and the signing flow.
const (
	SessionCreated  EventType = "SESSION_CREATED"  // a liveness session was created
	ConsentRecorded EventType = "CONSENT_RECORDED" // the subject gave (or refused) consent
	ChallengePassed EventType = "CHALLENGE_PASSED" // one challenge of the sequence was passed
	LivenessResult  EventType = "LIVENESS_RESULT"  // the session reached a verdict
	ManualReview    EventType = "MANUAL_REVIEW"    // a person reviewed the session
	DocSigned       EventType = "DOC_SIGNED"       // a document was signed after the check
	EvidencePurged  EventType = "EVIDENCE_PURGED"  // stored evidence was deleted; its hash remains
	KeyRotated      EventType = "KEY_ROTATED"      // the signing key changed (written by Log.Rotate)
)

const (
	// HashPrefix starts every hash in the log: "sha256:" followed by 64
	// lower-case hexadecimal digits.
	HashPrefix = "sha256:"

	// Genesis is the prev_hash of the first entry of a log and the head hash
	// of an empty log.
	Genesis = HashPrefix + "0000000000000000000000000000000000000000000000000000000000000000"

	// TimeLayout is the layout of every timestamp in the log: RFC 3339 in
	// UTC with exactly six fractional digits (microseconds).
	TimeLayout = "2006-01-02T15:04:05.000000Z"

	// MaxIDLen is the maximum length of audit, session and key ids.
	MaxIDLen = 128

	hashLen = len(HashPrefix) + 2*sha256.Size
	sigLen  = 88 // standard base64 of a 64-byte Ed25519 signature
)

// Entry is one record of the log. The JSON field names and their order are
// part of the format. An Entry is a plain value of strings and integers:
// copies are independent, and once appended it is never changed.
type Entry struct {
	// Seq is the position of the entry in the log, starting at 0.
	Seq uint64 `json:"seq"`
	// AuditID identifies the entry.
	AuditID string `json:"audit_id"`
	// SessionID is the liveness session the entry belongs to; empty for
	// log-level events such as KEY_ROTATED.
	SessionID string `json:"session_id"`
	// EventType says what happened.
	EventType EventType `json:"event_type"`
	// Timestamp is when the entry was appended, in TimeLayout.
	Timestamp string `json:"timestamp"`
	// PayloadHash is the hash of the event payload (the payload itself is
	// kept elsewhere, or not at all).
	PayloadHash string `json:"payload_hash"`
	// PrevHash is the EntryHash of the previous entry, or Genesis.
	PrevHash string `json:"prev_hash"`
	// EvidenceHash is the hash of evidence stored outside the log (frames,
	// documents), or empty.
	EvidenceHash string `json:"evidence_hash"`
	// KeyID names the Ed25519 key that signed the entry.
	KeyID string `json:"key_id"`
	// EntryHash is the hash of Canonical().
	EntryHash string `json:"entry_hash"`
	// Signature is the standard base64 (with padding) Ed25519 signature of
	// EntrySignContext followed by Canonical().
	Signature string `json:"signature"`
}

// EntrySignContext is prepended to the canonical form of an entry before
// signing, so that an entry signature can never be mistaken for a checkpoint
// signature.
const EntrySignContext = "openliveness/audit/entry/v1\n"

// Canonical returns the bytes that EntryHash commits to: the entry as compact
// JSON with the fields seq, audit_id, session_id, event_type, timestamp,
// payload_hash, prev_hash, evidence_hash, key_id in that order, no
// whitespace, seq as a decimal integer. Valid field values never need JSON
// escaping, so the form is plain string concatenation.
func (e Entry) Canonical() []byte {
	return e.appendCanonical(make([]byte, 0, 512))
}

func (e Entry) appendCanonical(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = appendField(b, "audit_id", e.AuditID)
	b = appendField(b, "session_id", e.SessionID)
	b = appendField(b, "event_type", string(e.EventType))
	b = appendField(b, "timestamp", e.Timestamp)
	b = appendField(b, "payload_hash", e.PayloadHash)
	b = appendField(b, "prev_hash", e.PrevHash)
	b = appendField(b, "evidence_hash", e.EvidenceHash)
	b = appendField(b, "key_id", e.KeyID)
	return append(b, '}')
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = append(b, value...)
	return append(b, '"')
}

// ComputeHash returns the hash of e.Canonical() as "sha256:<hex>".
func (e Entry) ComputeHash() string {
	var buf [512]byte
	sum := sha256.Sum256(e.appendCanonical(buf[:0]))
	return formatHash(sum)
}

// Time parses the entry's Timestamp.
func (e Entry) Time() (time.Time, error) {
	return time.Parse(TimeLayout, e.Timestamp)
}

// Hash returns the SHA-256 of b as "sha256:<hex>", the form of every hash in
// the log. Use it for payload and evidence hashes.
func Hash(b []byte) string {
	return formatHash(sha256.Sum256(b))
}

func formatHash(sum [sha256.Size]byte) string {
	var buf [hashLen]byte
	copy(buf[:], HashPrefix)
	hex.Encode(buf[len(HashPrefix):], sum[:])
	return string(buf[:])
}

// parseHash returns the digest of a "sha256:<hex>" string.
func parseHash(s string) ([sha256.Size]byte, bool) {
	var sum [sha256.Size]byte
	if !validHash(s) {
		return sum, false
	}
	_, err := hex.Decode(sum[:], []byte(s[len(HashPrefix):]))
	return sum, err == nil
}

func validHash(s string) bool {
	if len(s) != hashLen || s[:len(HashPrefix)] != HashPrefix {
		return false
	}
	for i := len(HashPrefix); i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validID reports whether s is a valid audit, session or key id: 1 to
// MaxIDLen bytes of ASCII letters, digits, '.', '_', ':' and '-'.
func validID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func validEventType(t EventType) bool {
	if len(t) == 0 || len(t) > 64 || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		c := t[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func validTimestamp(s string) bool {
	if len(s) != len(TimeLayout) {
		return false
	}
	t, err := time.Parse(TimeLayout, s)
	return err == nil && t.Format(TimeLayout) == s
}

func formatTime(t time.Time) string {
	return t.UTC().Format(TimeLayout)
}

// decodeSignature decodes a standard base64 Ed25519 signature and insists on
// the one canonical spelling.
func decodeSignature(s string) ([]byte, bool) {
	if len(s) != sigLen {
		return nil, false
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(sig) != 64 {
		return nil, false
	}
	return sig, true
}

// checkSyntax reports the first field of e whose value is not well formed.
func (e Entry) checkSyntax() error {
	switch {
	case !validID(e.AuditID):
		return errors.New("audit_id is not a valid id")
	case e.SessionID != "" && !validID(e.SessionID):
		return errors.New("session_id is not a valid id")
	case !validEventType(e.EventType):
		return errors.New("event_type is not a valid event type")
	case !validTimestamp(e.Timestamp):
		return fmt.Errorf("timestamp is not in the layout %s", TimeLayout)
	case !validHash(e.PayloadHash):
		return errors.New("payload_hash is not a sha256:<hex> hash")
	case !validHash(e.PrevHash):
		return errors.New("prev_hash is not a sha256:<hex> hash")
	case e.EvidenceHash != "" && !validHash(e.EvidenceHash):
		return errors.New("evidence_hash is neither empty nor a sha256:<hex> hash")
	case !validID(e.KeyID):
		return errors.New("key_id is not a valid id")
	case !validHash(e.EntryHash):
		return errors.New("entry_hash is not a sha256:<hex> hash")
	}
	if _, ok := decodeSignature(e.Signature); !ok {
		return errors.New("signature is not a base64 Ed25519 signature")
	}
	return nil
}

// Record is what a caller appends; the Log fills in the rest of the Entry.
// It is a plain value; Append does not keep or modify it.
type Record struct {
	// SessionID is the session the event belongs to (optional for log-level
	// events). Same alphabet as every id: ASCII letters, digits, ".", "_",
	// ":", "-", at most MaxIDLen bytes.
	SessionID string
	// Type is the event type (required).
	Type EventType
	// Payload is hashed into the entry's payload_hash; the log keeps only
	// the hash. Leave it nil to supply PayloadHash instead.
	Payload []byte
	// PayloadHash is a precomputed "sha256:<hex>" payload hash, used when
	// Payload is nil. When both are empty the payload is the empty string.
	PayloadHash string
	// EvidenceHash optionally binds evidence kept elsewhere ("sha256:<hex>").
	EvidenceHash string
}

// payloadHash validates r and returns its payload hash.
func (r Record) payloadHash() (string, error) {
	switch {
	case r.SessionID != "" && !validID(r.SessionID):
		return "", fmt.Errorf("%w: session id %q", ErrInvalidRecord, r.SessionID)
	case !validEventType(r.Type):
		return "", fmt.Errorf("%w: event type %q", ErrInvalidRecord, r.Type)
	case r.EvidenceHash != "" && !validHash(r.EvidenceHash):
		return "", fmt.Errorf("%w: evidence hash %q", ErrInvalidRecord, r.EvidenceHash)
	case r.Payload != nil && r.PayloadHash != "":
		return "", fmt.Errorf("%w: both Payload and PayloadHash are set", ErrInvalidRecord)
	case r.Payload != nil:
		return Hash(r.Payload), nil
	case r.PayloadHash == "":
		return Hash(nil), nil
	case !validHash(r.PayloadHash):
		return "", fmt.Errorf("%w: payload hash %q", ErrInvalidRecord, r.PayloadHash)
	}
	return r.PayloadHash, nil
}
