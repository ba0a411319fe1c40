package event_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/golden"
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
		require.NoError(t, err, typ)
		b, err := ev.Payload(event.FormatEvent)
		require.NoError(t, err)
		golden.Check(t, "payloads/event_"+string(typ)+".json", b)
		back, err := event.ParseEvent(b)
		require.NoError(t, err, "ParseEvent round trip")
		require.Equal(t, ev.ID, back.ID, "ParseEvent round trip")
		require.Equal(t, typ, back.Type, "ParseEvent round trip")
		require.Equal(t, "sess_8f2k", back.Data.SessionID, "ParseEvent round trip")
		flat, err := ev.Payload(event.FormatCompleted)
		if !typ.Terminal() {
			require.ErrorIs(t, err, event.ErrNoPayload, "%s flat payload", typ)
			continue
		}
		require.NoError(t, err)
		golden.Check(t, "payloads/completed_"+string(typ)+".json", flat)
		_, err = event.ParseCompleted(flat)
		require.NoError(t, err, "ParseCompleted")
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
			require.NoError(t, err)
			b, err := ev.Payload(event.FormatCompleted)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			want := map[string]any{"event": "session.completed", "event_id": "evt_x", "session_id": "s", "passed": tc.passed, "score": 0.5,
				"reason": tc.want, "timestamp": "2025-06-01T12:00:00Z"}
			require.Equal(t, fmt.Sprint(want), fmt.Sprint(m), "flat payload %s", b)
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
			_, err := event.NewEvent(tc.id, tc.typ, created, tc.data)
			require.ErrorIs(t, err, event.ErrBadEvent)
		})
	}
}

func TestNewEventID(t *testing.T) {
	a, err := event.NewEventID(seeded(1))
	require.NoError(t, err)
	b, _ := event.NewEventID(seeded(2))
	require.True(t, strings.HasPrefix(a, "evt_"), "id %q", a)
	require.Len(t, a, 36)
	require.NotEqual(t, a, b)
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{``, `{}`, `[]`, `{"id":"evt_1","object":"event","type":"session.created","created":1,"data":{"session_id":"s"}} {}`,
		`{"id":"evt_1","object":"thing","type":"session.created","created":1,"data":{"session_id":"s"}}`} {
		_, err := event.ParseEvent([]byte(body))
		assert.ErrorIs(t, err, event.ErrBadEvent, "ParseEvent(%q)", body)
	}
	for _, body := range []string{`{}`, `{"event":"session.created","session_id":"s","timestamp":"2025-06-01T12:00:00Z"}`,
		`{"event":"session.completed","session_id":"s","timestamp":"yesterday"}`} {
		_, err := event.ParseCompleted([]byte(body))
		assert.ErrorIs(t, err, event.ErrBadEvent, "ParseCompleted(%q)", body)
	}
}
