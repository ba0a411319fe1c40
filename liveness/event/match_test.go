package event_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
)

// TestFlatPayloadMatch checks that the face match of a session with a
// reference photo reaches the flat payload as it does the envelope, and
// that sessions without one carry no match key.
func TestFlatPayloadMatch(t *testing.T) {
	m := &event.Match{Score: 0.71, Threshold: 0.43, Decision: "match"}
	for _, tc := range []struct {
		name  string
		typ   event.EventType
		match *event.Match
	}{
		{"verified with match", event.SessionVerified, m},
		{"failed with no_match", event.SessionFailed, &event.Match{Score: 0.1, Threshold: 0.43, Decision: "no_match"}},
		{"verified without reference", event.SessionVerified, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := event.NewEvent("evt_x", tc.typ, created, event.SessionData{SessionID: "s", Score: ptr(0.9), Match: tc.match})
			require.NoError(t, err)
			b, err := ev.Payload(event.FormatCompleted)
			require.NoError(t, err)
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(b, &raw))
			got, err := event.ParseCompleted(b)
			require.NoError(t, err)
			if tc.match == nil {
				assert.NotContains(t, raw, "match")
				assert.Nil(t, got.Match)
				return
			}
			assert.JSONEq(t, `{"score":`+jsonNum(tc.match.Score)+`,"threshold":0.43,"decision":"`+tc.match.Decision+`"}`, string(raw["match"]))
			require.NotNil(t, got.Match)
			assert.Equal(t, *tc.match, *got.Match)
		})
	}
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
