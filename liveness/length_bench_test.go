package liveness_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/cputime"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/spoof"
)

// recordAnalyzer answers every frame with a live-looking face and a full
// per-frame spoof result (64×64 thumbnail, varying a little per frame), so
// that every frame record has the size of a real one (about 7 KB of
// JSON) while the frame costs no image analysis: what remains is the
// engine's own work per frame (session store, challenge tracker, spoof
// session signals), the part that could grow with the session's length.
type recordAnalyzer struct{ base spoof.Thumb }

func newRecordAnalyzer() *recordAnalyzer {
	r := rand.New(rand.NewPCG(1, 2))
	a := &recordAnalyzer{}
	for i := range a.base {
		a.base[i] = uint8(64 + r.IntN(128))
	}
	return a
}

func (a *recordAnalyzer) AnalyzeFrame(_ context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	n, _ := strconv.Atoi(string(data))
	r := rand.New(rand.NewPCG(uint64(n), 7))
	var lm face.Landmarks
	for i := range lm.Points {
		lm.Points[i] = face.Point{X: 200 + float64(i%20)*3 + r.Float64(), Y: 150 + float64(i/20)*3 + r.Float64(), Z: float64(i % 7)}
	}
	m := face.Measures{EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1}
	f := face.Face{Box: rect(), Score: 10, FaceFlag: 1, Landmarks: &lm, Measures: m, Pose: face.Pose{Yaw: r.Float64() * 2, Pitch: r.Float64()}}
	sr := spoof.Result{Score: 0.8, Margin: 1.4, LaplacianVar: 140 + r.Float64()}
	sr.Thumb = a.base
	for i := range sr.Thumb {
		sr.Thumb[i] += uint8(r.IntN(9))
	}
	return &liveness.FrameAnalysis{Result: &face.Result{Width: 640, Height: 480, Faces: []face.Face{f}}, Spoof: &sr}, nil
}

// BenchmarkFrameSessionLength measures the engine's CPU per frame at the
// 10th and at the 400th frame of one session, with the memory and the
// bbolt store: one iteration is one session of 400 frames sent one at a
// time, 40 ms apart. cpu-us@10 is the mean process CPU of frames 6–15,
// cpu-us@400 that of frames 391–400; the image analysis of a frame
// (BenchmarkEngineFrame) does not depend on the session and is left out,
// so the ratio shows the growth alone.
//
//	go test -run '^$' -bench FrameSessionLength -benchtime 5x -cpu 1 ./liveness/
func BenchmarkFrameSessionLength(b *testing.B) {
	const frames = 400
	for _, store := range []string{"memory", "bbolt"} {
		b.Run(store, func(b *testing.B) {
			ctx := context.Background()
			clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			var st liveness.Store = liveness.NewMemoryStore()
			if store == "bbolt" {
				bs, err := boltstore.Open(filepath.Join(b.TempDir(), "sessions.db"))
				require.NoError(b, err)
				b.Cleanup(func() { bs.Close() })
				st = bs
			}
			th := challenge.DefaultThresholds()
			th.MaxStrikes = 1 << 20
			e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithFrameAnalyzer(newRecordAnalyzer()), liveness.WithStore(st),
				liveness.WithThresholds(th), liveness.WithResponseWindow(time.Hour), liveness.WithMaxFrames(frames+10), liveness.WithAnalyzer(analyzer(b)))
			require.NoError(b, err)
			cost := make([]time.Duration, frames)
			var at10, at400 []float64
			b.ReportAllocs()
			for b.Loop() {
				c, err := e.Create(ctx, liveness.CreateOptions{Sequence: []challenge.ID{challenge.OpenMouth}, TTL: time.Hour})
				require.NoError(b, err)
				for i := range frames {
					clk.Advance(40 * time.Millisecond)
					start := cputime.Process()
					out, err := e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: []byte(strconv.Itoa(i))}}, nil)
					cost[i] = cputime.Process() - start
					require.NoError(b, err)
					require.Equal(b, liveness.StatusPending, out.Session.Status, "frame %d: %s", i+1, out.Session.Reason)
				}
				at10 = append(at10, meanUS(cost[5:15]))
				at400 = append(at400, meanUS(cost[frames-10:]))
			}
			slices.Sort(at10)
			slices.Sort(at400)
			b.ReportMetric(at10[len(at10)/2], "cpu-us@10")
			b.ReportMetric(at400[len(at400)/2], "cpu-us@400")
			b.ReportMetric(at400[len(at400)/2]/at10[len(at10)/2], "ratio")
		})
	}
}

func meanUS(ds []time.Duration) float64 {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return float64(sum.Microseconds()) / float64(len(ds))
}
