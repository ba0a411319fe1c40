package event

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func payloadSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "payloads", "*.json"))
	require.NoError(t, err, "payload seeds")
	require.NotEmpty(t, files, "no payload seeds")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

func FuzzParseEvent(f *testing.F) {
	for _, b := range payloadSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			return
		}
		// Anything accepted re-encodes into an equivalent event.
		b, err := ev.Payload(FormatEvent)
		if err != nil {
			if len(body) > maxPayloadBytes/2 {
				return
			}
			require.NoError(t, err, "accepted event does not re-encode")
		}
		again, err := ParseEvent(b)
		require.NoError(t, err, "round trip")
		require.Equal(t, ev.ID, again.ID, "round trip")
		require.Equal(t, ev.Type, again.Type, "round trip")
		require.Equal(t, ev.Data.SessionID, again.Data.SessionID, "round trip")
	})
}

func FuzzParseCompleted(f *testing.F) {
	for _, b := range payloadSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCompleted(body)
		if err != nil {
			return
		}
		require.NotEmpty(t, c.SessionID, "accepted %+v", c)
		require.Contains(t, []EventType{EventCompleted, EventTest}, c.Event, "accepted %+v", c)
	})
}
