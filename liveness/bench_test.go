package liveness_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/cputime"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

// BenchmarkEngineFrame is the engine's whole per-frame path (decode, detect
// or track, crop, landmarks, measures, spoof, challenge, store, evidence)
// for one 640×480 frame of the shared webcam video submitted on its own, as
// a client sending frames one at a time does. "first" is the first frame of
// a session; "tracked" any later frame. cpu-ms/op is the process CPU time
// per frame (all threads), the figure the performance goals are set in.
// Sessions are capped at 60 frames (WithMaxFrames), about the length of a
// three-challenge session; BenchmarkFrameSessionLength shows that a frame
// costs the same at any point of a session.
//
//	go test -run '^$' -bench EngineFrame -benchmem -cpu 1 ./liveness/
func BenchmarkEngineFrame(b *testing.B) {
	frames, err := facedata.Frames(facedata.Path(b, "video/webcam_headmove_cap12.mjpeg"))
	require.NoError(b, err)
	ctx := context.Background()
	for _, mode := range []string{"first", "tracked"} {
		b.Run(mode, func(b *testing.B) {
			clk := newClock()
			opts := []liveness.Option{liveness.WithEvidenceStore(evidence.NewMemory(clk.Now)), liveness.WithMaxFrames(60)}
			e := newEngine(b, clk, opts...)
			var id string
			k, sessions := 0, 0
			newSession := func() {
				sessions++
				c, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Blink, challenge.TurnLeft, challenge.TurnRight}, ChallengeCount: 3})
				require.NoError(b, err)
				id = c.Session.ID
			}
			submit := func() *liveness.Outcome {
				clk.Advance(40 * time.Millisecond)
				out, err := e.Submit(ctx, id, []liveness.Frame{{Data: frames[k%len(frames)]}}, nil)
				require.NoError(b, err)
				k++
				return out
			}
			newSession()
			if mode != "first" {
				submit()
			}
			b.ReportAllocs()
			var cpu time.Duration
			for b.Loop() {
				start := cputime.Process()
				out := submit()
				cpu += cputime.Process() - start
				if mode == "first" || out.Session.Status != liveness.StatusPending {
					b.StopTimer()
					newSession()
					if mode != "first" {
						submit()
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(k)/float64(sessions), "frames/session")
		})
	}
}
