package event

import (
	"os"
	"path/filepath"
	"testing"
)

func payloadSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "payloads", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no payload seeds: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
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
			t.Fatalf("accepted event does not re-encode: %v", err)
		}
		again, err := ParseEvent(b)
		if err != nil || again.ID != ev.ID || again.Type != ev.Type || again.Data.SessionID != ev.Data.SessionID {
			t.Fatalf("round trip changed the event: %+v vs %+v (%v)", ev, again, err)
		}
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
		if c.SessionID == "" || (c.Event != EventCompleted && c.Event != EventTest) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
