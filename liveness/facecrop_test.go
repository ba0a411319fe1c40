package liveness_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

// The session photo (KindFace) is cropped once, when the session ends, from
// the best frontal frame, however often the best frontal frame changed; on
// Cancel the frame is read back from the evidence store.
func TestFaceCropOncePerSession(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/webcam_headmove_cap12.mjpeg"))
	require.NoError(t, err)
	clk := newClock()
	ctx := context.Background()
	ev := evidence.NewMemory(clk.Now)
	// A long response window: the video is not a response to the prompt,
	// and the session must stay pending for the 40 frames.
	e := newEngine(t, clk, liveness.WithEvidenceStore(ev), liveness.WithResponseWindow(time.Hour))
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, Challenges: []challenge.ID{challenge.TurnLeft}})
	require.NoError(t, err)
	id := c.Session.ID
	changes, best := 0, 0
	for _, f := range frames[:40] {
		clk.Advance(200 * time.Millisecond)
		out, err := e.Submit(ctx, id, []liveness.Frame{{Data: f}}, nil)
		require.NoError(t, err)
		require.False(t, out.Session.Status.Final(), "the session ended early: %s", out.Session.Reason)
		if out.Session.BestFrontal != best {
			best = out.Session.BestFrontal
			changes++
		}
		for _, it := range out.Session.Evidence {
			require.NotEqual(t, liveness.KindFace, it.Kind, "face crop of a pending session")
		}
	}
	require.Greater(t, changes, 1, "the best frontal frame should change in this video")
	s, err := e.Cancel(ctx, id)
	require.NoError(t, err)
	var faces []liveness.EvidenceItem
	for _, it := range s.Evidence {
		if it.Kind == liveness.KindFace {
			faces = append(faces, it)
		}
	}
	require.Len(t, faces, 1)
	assert.Equal(t, s.BestFrontal, faces[0].Frame)
	photo, err := e.Photo(ctx, id)
	require.NoError(t, err)
	img, err := jpeg.Decode(bytes.NewReader(photo))
	require.NoError(t, err)
	assert.Equal(t, 256, img.Bounds().Dx())
}
