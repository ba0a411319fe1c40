package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

// ErrBadEvent means an event is invalid (unknown type, missing id or
// session id, oversized or disallowed data), or a flat payload carries no
// event_id.
var ErrBadEvent = errors.New("webhook: invalid event")

// ErrNoPayload means an event has no representation in the requested
// format: the format is unknown, or the flat session.completed payload is
// asked for an event that does not end a session.
var ErrNoPayload = errors.New("webhook: event has no payload in this format")

// EventType names an event.
type EventType string

// Event types of the envelope payload. EventCompleted is the name of the
// flat payload; EventTest is sent by the outbox's Dispatcher.SendTest.
const (
	SessionCreated   EventType = "session.created"
	SessionStarted   EventType = "session.started"
	SessionVerified  EventType = "session.verified"
	SessionFailed    EventType = "session.failed"
	SessionCancelled EventType = "session.cancelled"
	SessionExpired   EventType = "session.expired"

	// EventCompleted is the "event" value of the flat payload, sent to
	// endpoints with FormatCompleted for every terminal session event.
	EventCompleted EventType = "session.completed"
	// EventTest is the type of the test event; it is never a session event,
	// so integrations that switch on the type ignore it.
	EventTest EventType = "webhook.test"
)

// Known reports whether t is one of the envelope event types (including
// EventTest).
func (t EventType) Known() bool {
	switch t {
	case SessionCreated, SessionStarted, SessionVerified, SessionFailed, SessionCancelled, SessionExpired, EventTest:
		return true
	}
	return false
}

// Terminal reports whether t ends a session: verified, failed, cancelled or
// expired. Terminal events are the ones the flat payload represents.
func (t EventType) Terminal() bool {
	switch t {
	case SessionVerified, SessionFailed, SessionCancelled, SessionExpired:
		return true
	}
	return false
}

// Format selects an endpoint's payload.
type Format string

const (
	// FormatEvent is the envelope {"id","object","type","created","data"}.
	FormatEvent Format = "event"
	// FormatCompleted is the flat session.completed payload, sent only for
	// terminal events.
	FormatCompleted Format = "completed"
)

// Limits that keep payloads small; they also keep images out of metadata.
const (
	MaxMetadataKeys     = 20
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
	maxPayloadBytes     = 64 << 10
)

// Evidence points at a session's evidence without carrying it: payloads
// never contain raw images. It is a value, safe to copy.
type Evidence struct {
	// Hash is the evidence digest, "sha256:<64 lowercase hex>".
	Hash string `json:"hash"`
	// URL, when set, is a time-limited (pre-signed) link to the evidence.
	URL string `json:"url,omitempty"`
	// URLExpires is when URL stops working, Unix seconds; required with URL.
	URLExpires int64 `json:"url_expires,omitempty"`
}

// SessionData is the data object of a session event. Copies share the
// pointed-to and slice fields, which must not change while an event using
// them is being enqueued.
type SessionData struct {
	SessionID string `json:"session_id"`
	// Passed and Score are set on terminal events.
	Passed *bool    `json:"passed,omitempty"`
	Score  *float64 `json:"score,omitempty"`
	// Reason explains a failure, cancellation or expiry.
	Reason string `json:"reason,omitempty"`
	// AttackSignals names the evidence of a presentation-attack failure
	// (for example "screen_moire", "frozen_frame"), for manual review.
	AttackSignals []string `json:"attack_signals,omitempty"`
	// Challenges lists the session's challenge names, in order.
	Challenges []string  `json:"challenges,omitempty"`
	Evidence   *Evidence `json:"evidence,omitempty"`
	// Metadata is the integrator's own key-value data, echoed back; at
	// most MaxMetadataKeys keys of MaxMetadataKeyLen bytes with values of
	// MaxMetadataValueLen bytes.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Match is set on terminal events of sessions created with a
	// reference photo.
	Match *Match `json:"match,omitempty"`
}

// Match is the comparison of the live face with a session's reference
// photo. It is a value, safe to copy.
type Match struct {
	// Score is the similarity of the live face with the reference (−1…1).
	Score float64 `json:"score"`
	// Threshold is the score at which the faces count as the same person.
	Threshold float64 `json:"threshold"`
	// Decision is "match", "review", "no_match" or "no_frontal_face".
	Decision string `json:"decision"`
}

// Event is the envelope payload:
//
//	{"id":"evt_…","object":"event","type":"session.verified","created":1700000000,"data":{…}}
//
// An Event is a value; it is safe to copy and to share read-only.
type Event struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	Type    EventType   `json:"type"`
	Created int64       `json:"created"`
	Data    SessionData `json:"data"`
}

// Completed is the flat payload of FormatCompleted endpoints:
//
//	{"event":"session.completed","event_id":"evt_…","session_id":"…","passed":true,"score":0.97,"reason":null,"timestamp":"2024-01-02T03:04:05Z"}
//
// The event id and the timestamp are inside the signed body, so a receiver
// checking only the body signature (SchemeBody) can still drop duplicates
// (by event_id) and stale replays (by timestamp: see CheckFresh). The
// evidence fields appear only when the session has evidence, match only
// for a session created with a reference photo. It is a value, safe to
// copy (Match is shared).
type Completed struct {
	Event EventType `json:"event"`
	// EventID is the event's id ("evt_…"), the same on every retry.
	EventID   string  `json:"event_id,omitempty"`
	SessionID string  `json:"session_id"`
	Passed    bool    `json:"passed"`
	Score     float64 `json:"score"`
	// Reason is null when the session passed.
	Reason *string `json:"reason"`
	// Timestamp is the event time, RFC 3339 in UTC with second precision.
	Timestamp       string `json:"timestamp"`
	EvidenceHash    string `json:"evidence_hash,omitempty"`
	EvidenceURL     string `json:"evidence_url,omitempty"`
	EvidenceExpires string `json:"evidence_url_expires,omitempty"`
	// Match is the face comparison with the session's reference photo.
	Match *Match `json:"match,omitempty"`
}

// NewEventID returns "evt_" and 32 lowercase hex digits read from r (use
// crypto/rand.Reader).
func NewEventID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("webhook: event id: %w", err)
	}
	return "evt_" + hex.EncodeToString(b[:]), nil
}

// NewEvent returns a validated envelope event. id is usually from
// [NewEventID]; the outbox's Dispatcher.NewEvent fills id and time itself.
func NewEvent(id string, typ EventType, created time.Time, data SessionData) (Event, error) {
	ev := Event{ID: id, Object: "event", Type: typ, Created: created.Unix(), Data: data}
	return ev, ev.Validate()
}

// Validate checks the event: an "evt_" id, a known type, a session id, and
// data within the size limits (evidence by hash and expiring URL only).
func (e Event) Validate() error {
	if !strings.HasPrefix(e.ID, "evt_") || len(e.ID) > 64 || len(e.ID) < 5 {
		return fmt.Errorf("%w: id %q must be evt_ and at most 64 bytes", ErrBadEvent, e.ID)
	}
	if e.Object != "event" {
		return fmt.Errorf("%w: object %q, want \"event\"", ErrBadEvent, e.Object)
	}
	if !e.Type.Known() {
		return fmt.Errorf("%w: unknown type %q", ErrBadEvent, e.Type)
	}
	d := e.Data
	if d.SessionID == "" || len(d.SessionID) > 128 {
		return fmt.Errorf("%w: session id must be 1 to 128 bytes", ErrBadEvent)
	}
	if len(d.Metadata) > MaxMetadataKeys {
		return fmt.Errorf("%w: %d metadata keys, at most %d", ErrBadEvent, len(d.Metadata), MaxMetadataKeys)
	}
	for k, v := range d.Metadata {
		if k == "" || len(k) > MaxMetadataKeyLen || len(v) > MaxMetadataValueLen {
			return fmt.Errorf("%w: metadata %q exceeds the size limits", ErrBadEvent, k)
		}
	}
	if len(d.Challenges) > 32 {
		return fmt.Errorf("%w: %d challenges", ErrBadEvent, len(d.Challenges))
	}
	if ev := d.Evidence; ev != nil {
		if !validEvidenceHash(ev.Hash) {
			return fmt.Errorf("%w: evidence hash must be sha256:<64 lowercase hex>", ErrBadEvent)
		}
		if ev.URL != "" && ev.URLExpires == 0 {
			return fmt.Errorf("%w: evidence URL without expiry", ErrBadEvent)
		}
		if len(ev.URL) > 2048 {
			return fmt.Errorf("%w: evidence URL too long", ErrBadEvent)
		}
	}
	return nil
}

func validEvidenceHash(h string) bool {
	x, ok := strings.CutPrefix(h, "sha256:")
	if !ok || len(x) != 64 {
		return false
	}
	for i := 0; i < len(x); i++ {
		c := x[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Completed returns the flat payload of a terminal event (or of EventTest).
// verified gives passed=true and a null reason; failed, cancelled and
// expired give passed=false and the event's reason, defaulting to "failed",
// "cancelled" or "expired". Other types return ErrNoPayload.
func (e Event) Completed() (Completed, error) {
	c := Completed{
		Event:     EventCompleted,
		EventID:   e.ID,
		SessionID: e.Data.SessionID,
		Timestamp: time.Unix(e.Created, 0).UTC().Format(time.RFC3339),
	}
	if e.Data.Score != nil {
		c.Score = *e.Data.Score
	}
	reason := func(def string) *string {
		r := e.Data.Reason
		if r == "" {
			r = def
		}
		return &r
	}
	switch e.Type {
	case SessionVerified:
		c.Passed = true
	case SessionFailed:
		c.Reason = reason("failed")
	case SessionCancelled:
		c.Reason = reason("cancelled")
	case SessionExpired:
		c.Reason = reason("expired")
	case EventTest:
		c.Event = EventTest
		c.Passed = e.Data.Passed == nil || *e.Data.Passed
		if !c.Passed {
			c.Reason = reason("test")
		}
	default:
		return Completed{}, fmt.Errorf("%w: %s has no %s payload", ErrNoPayload, e.Type, FormatCompleted)
	}
	c.Match = e.Data.Match
	if ev := e.Data.Evidence; ev != nil {
		c.EvidenceHash = ev.Hash
		c.EvidenceURL = ev.URL
		if ev.URL != "" {
			c.EvidenceExpires = time.Unix(ev.URLExpires, 0).UTC().Format(time.RFC3339)
		}
	}
	return c, nil
}

// Payload returns the JSON body of e in format f: the envelope for
// FormatEvent (or the empty format), the flat payload for FormatCompleted.
func (e Event) Payload(f Format) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var v any
	switch f {
	case FormatEvent, "":
		v = e
	case FormatCompleted:
		c, err := e.Completed()
		if err != nil {
			return nil, err
		}
		v = c
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrNoPayload, f)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if len(b) > maxPayloadBytes {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrBadEvent, len(b), maxPayloadBytes)
	}
	return b, nil
}

// ParseEvent decodes and validates an envelope payload, for receivers.
// Unknown fields are ignored so that new fields do not break receivers.
func ParseEvent(body []byte) (Event, error) {
	var e Event
	if err := decodeJSON(body, &e); err != nil {
		return Event{}, err
	}
	return e, e.Validate()
}

// CheckFresh is the receiver-side replay check of a flat payload: it
// fails with ErrTimestampOutOfRange when the event is older than maxAge
// (or more than five minutes in the future) and with ErrBadEvent when the
// payload carries no event id. maxAge must cover the retry schedule (the
// body, and so its timestamp, is the same on every retry: about 1 h 15 min
// with DefaultRetryPolicy); within it, drop duplicates by EventID.
func (c Completed) CheckFresh(now time.Time, maxAge time.Duration) error {
	if c.EventID == "" {
		return fmt.Errorf("%w: the payload carries no event_id", ErrBadEvent)
	}
	at, err := time.Parse(time.RFC3339, c.Timestamp)
	if err != nil {
		return fmt.Errorf("%w: %w", webhook.ErrBadTimestamp, err)
	}
	if age := now.Sub(at); age > maxAge || age < -5*time.Minute {
		return fmt.Errorf("%w: event of %s, %s old", webhook.ErrTimestampOutOfRange, c.Timestamp, age.Round(time.Second))
	}
	return nil
}

// ParseCompleted decodes a flat payload, for receivers.
func ParseCompleted(body []byte) (Completed, error) {
	var c Completed
	if err := decodeJSON(body, &c); err != nil {
		return Completed{}, err
	}
	if c.Event != EventCompleted && c.Event != EventTest {
		return Completed{}, fmt.Errorf("%w: event %q", ErrBadEvent, c.Event)
	}
	if c.SessionID == "" {
		return Completed{}, fmt.Errorf("%w: no session id", ErrBadEvent)
	}
	if _, err := time.Parse(time.RFC3339, c.Timestamp); err != nil {
		return Completed{}, fmt.Errorf("%w: timestamp: %w", ErrBadEvent, err)
	}
	return c, nil
}

func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data", ErrBadEvent)
	}
	return nil
}
