package event_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
)

func ptr[T any](v T) *T { return &v }

var created = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func sampleData(typ event.EventType) event.SessionData {
	d := event.SessionData{
		SessionID:  "sess_8f2k",
		Challenges: []string{"BLINK", "TURN_LEFT", "SMILE"},
		Metadata:   map[string]string{"user": "u_42"},
	}
	switch typ {
	case event.SessionVerified:
		d.Passed, d.Score = ptr(true), ptr(0.97)
		d.Evidence = &event.Evidence{
			Hash:       "sha256:" + strings.Repeat("ab", 32),
			URL:        "https://evidence.example.com/sess_8f2k?sig=x",
			URLExpires: created.Add(15 * time.Minute).Unix(),
		}
	case event.SessionFailed:
		d.Passed, d.Score, d.Reason = ptr(false), ptr(0.12), "spoof_suspected"
		d.Evidence = &event.Evidence{Hash: "sha256:" + strings.Repeat("cd", 32)}
	case event.SessionExpired, event.SessionCancelled:
		d.Passed = ptr(false)
	}
	return d
}

// TestPayloadGolden pins the bytes of every event in both formats; the
// files double as seeds for the payload fuzz tests.
func TestPayloadGolden(t *testing.T) {
	types := []event.EventType{event.SessionCreated, event.SessionStarted, event.SessionVerified,
		event.SessionFailed, event.SessionCancelled, event.SessionExpired}
	for _, typ := range types {
		ev, err := event.NewEvent("evt_0123456789abcdef0123456789abcdef", typ, created, sampleData(typ))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		b, err := ev.Payload(event.FormatEvent)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "payloads/event_"+string(typ)+".json", b)
		back, err := event.ParseEvent(b)
		if err != nil || back.ID != ev.ID || back.Type != typ || back.Data.SessionID != "sess_8f2k" {
			t.Fatalf("ParseEvent round trip: %+v, %v", back, err)
		}
		flat, err := ev.Payload(event.FormatCompleted)
		if !typ.Terminal() {
			if !errors.Is(err, event.ErrNoPayload) {
				t.Fatalf("%s flat payload error = %v, want ErrNoPayload", typ, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "payloads/completed_"+string(typ)+".json", flat)
		if _, err := event.ParseCompleted(flat); err != nil {
			t.Fatalf("ParseCompleted: %v", err)
		}
	}
}

func TestCompletedMapping(t *testing.T) {
	tests := []struct {
		typ    event.EventType
		reason string
		passed bool
		want   any // reason in JSON: nil or string
	}{
		{event.SessionVerified, "", true, nil},
		{event.SessionFailed, "spoof_suspected", false, "spoof_suspected"},
		{event.SessionFailed, "", false, "failed"},
		{event.SessionExpired, "", false, "expired"},
		{event.SessionCancelled, "user_cancelled", false, "user_cancelled"},
		{event.SessionCancelled, "", false, "cancelled"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.typ, tc.reason), func(t *testing.T) {
			ev, err := event.NewEvent("evt_x", tc.typ, created, event.SessionData{SessionID: "s", Reason: tc.reason, Score: ptr(0.5)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := ev.Payload(event.FormatCompleted)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"event": "session.completed", "event_id": "evt_x", "session_id": "s", "passed": tc.passed, "score": 0.5,
				"reason": tc.want, "timestamp": "2025-06-01T12:00:00Z"}
			if fmt.Sprint(m) != fmt.Sprint(want) {
				t.Fatalf("flat payload = %s, want fields %v", b, want)
			}
		})
	}
}

func TestEventValidation(t *testing.T) {
	big := map[string]string{}
	for i := range event.MaxMetadataKeys + 1 {
		big[fmt.Sprint("k", i)] = "v"
	}
	tests := []struct {
		name string
		id   string
		typ  event.EventType
		data event.SessionData
	}{
		{"id prefix", "ev_1", event.SessionCreated, event.SessionData{SessionID: "s"}},
		{"id empty", "", event.SessionCreated, event.SessionData{SessionID: "s"}},
		{"unknown type", "evt_1", "session.exploded", event.SessionData{SessionID: "s"}},
		{"completed is not an envelope type", "evt_1", event.EventCompleted, event.SessionData{SessionID: "s"}},
		{"no session", "evt_1", event.SessionCreated, event.SessionData{}},
		{"too many metadata keys", "evt_1", event.SessionCreated, event.SessionData{SessionID: "s", Metadata: big}},
		{"image in metadata", "evt_1", event.SessionCreated, event.SessionData{SessionID: "s",
			Metadata: map[string]string{"selfie": "data:image/jpeg;base64," + strings.Repeat("A", 4000)}}},
		{"evidence hash", "evt_1", event.SessionVerified, event.SessionData{SessionID: "s", Evidence: &event.Evidence{Hash: "md5:abc"}}},
		{"evidence hash uppercase", "evt_1", event.SessionVerified, event.SessionData{SessionID: "s",
			Evidence: &event.Evidence{Hash: "sha256:" + strings.Repeat("AB", 32)}}},
		{"evidence URL without expiry", "evt_1", event.SessionVerified, event.SessionData{SessionID: "s",
			Evidence: &event.Evidence{Hash: "sha256:" + strings.Repeat("ab", 32), URL: "https://e.example.com/x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := event.NewEvent(tc.id, tc.typ, created, tc.data); !errors.Is(err, event.ErrBadEvent) {
				t.Fatalf("NewEvent error = %v, want ErrBadEvent", err)
			}
		})
	}
}

func TestNewEventID(t *testing.T) {
	a, err := event.NewEventID(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := event.NewEventID(seeded(2))
	if !strings.HasPrefix(a, "evt_") || len(a) != 36 || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{``, `{}`, `[]`, `{"id":"evt_1","object":"event","type":"session.created","created":1,"data":{"session_id":"s"}} {}`,
		`{"id":"evt_1","object":"thing","type":"session.created","created":1,"data":{"session_id":"s"}}`} {
		if _, err := event.ParseEvent([]byte(body)); !errors.Is(err, event.ErrBadEvent) {
			t.Errorf("ParseEvent(%q) error = %v", body, err)
		}
	}
	for _, body := range []string{`{}`, `{"event":"session.created","session_id":"s","timestamp":"2025-06-01T12:00:00Z"}`,
		`{"event":"session.completed","session_id":"s","timestamp":"yesterday"}`} {
		if _, err := event.ParseCompleted([]byte(body)); !errors.Is(err, event.ErrBadEvent) {
			t.Errorf("ParseCompleted(%q) error = %v", body, err)
		}
	}
}
