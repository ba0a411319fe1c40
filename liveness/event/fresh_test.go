package event_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/webhook"
)

// The flat payload carries its event id and time inside the signed body,
// so a body-signature receiver can drop duplicates and stale replays.
func TestCompletedCheckFresh(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ev, err := event.NewEvent("evt_abc", event.SessionVerified, at, event.SessionData{SessionID: "s"})
	require.NoError(t, err)
	body, err := ev.Payload(event.FormatCompleted)
	require.NoError(t, err)
	c, err := event.ParseCompleted(body)
	require.NoError(t, err)
	assert.Equal(t, "evt_abc", c.EventID)
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"fresh", at.Add(time.Minute), nil},
		{"last retry", at.Add(80 * time.Minute), nil},
		{"stale replay", at.Add(3 * time.Hour), webhook.ErrTimestampOutOfRange},
		{"from the future", at.Add(-time.Hour), webhook.ErrTimestampOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckFresh(tc.now, 2*time.Hour)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
	c.EventID = ""
	assert.ErrorIs(t, c.CheckFresh(at, time.Hour), event.ErrBadEvent)
}
