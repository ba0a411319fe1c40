package liveness

import (
	"encoding/json"
	"image"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/spoof"
)

// TestFrameRecordRoundTrip: a frame as the detectors consume it live
// survives the persisted form (and its JSON) unchanged, so a session
// rebuilt from its frame log feeds its detectors exactly what they saw
// live. The landmark points are float32 from the start (the one
// narrowing, before the live detectors see them).
func TestFrameRecordRoundTrip(t *testing.T) {
	thumb := make([]byte, spoof.ThumbSize*spoof.ThumbSize)
	for i := range thumb {
		thumb[i] = byte(i * 7)
	}
	live := frameRec{
		Obs: challenge.Observation{
			Time: 1234567891 * time.Nanosecond, FaceCount: 2,
			Yaw: -12.345678901234, Pitch: 3.0000000000001, Roll: 1e-9, EARLeft: 0.31, EARRight: 0.29,
			MAR: 0.1, Smile: 0.7, Brow: 0.2, FaceWidthFrac: 1.0 / 3, EyeBand: []uint8{1, 2, 3},
		},
		Box:   image.Rect(10, 20, 110, 140),
		Pts:   [][2]float32{{1.5, 2.25}, {float32(1.0 / 3), 1e-7}},
		Thumb: thumb,
		Spoof: &spoof.Result{Score: 0.123456789, Margin: -0.5, LaplacianVar: 42.42, Attack: true, Confident: true, Reason: "r", Cause: "c"},
	}
	rec := live.record()
	assert.Equal(t, live, rec.frame(), "record and back")

	b, err := json.Marshal(rec)
	require.NoError(t, err)
	var stored FrameRecord
	require.NoError(t, json.Unmarshal(b, &stored))
	assert.Equal(t, rec, stored, "JSON round trip")
	assert.Equal(t, live, stored.frame(), "what a replica rebuilds from")

	// The spoof session's input is the same from either shape, and exact.
	fi := stored.frame().spoofFrame()
	assert.Equal(t, live.spoofFrame(), fi)
	require.NotNil(t, fi.Thumb)
	assert.Equal(t, thumb, fi.Thumb[:])
	for i, p := range live.Pts {
		assert.Equal(t, [2]float64{float64(p[0]), float64(p[1])}, fi.Points[i])
	}
}
