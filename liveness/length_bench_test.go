package liveness_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/cputime"
	"github.com/openliveness/openliveness/internal/facedata"
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
//
// With frames set, each call also runs the real analysis of the next
// video frame (decode, face analysis tracked from the previous one, the
// per-frame spoof check) and discards it, so that the measured CPU is a
// whole frame's while the detectors still see the synthetic face.
type recordAnalyzer struct {
	base   spoof.Thumb
	frames [][]byte
	an     *face.Analyzer
	det    *spoof.Detector
	k      int
	prev   *face.Face
}

func newRecordAnalyzer() *recordAnalyzer {
	r := rand.New(rand.NewPCG(1, 2))
	a := &recordAnalyzer{}
	for i := range a.base {
		a.base[i] = uint8(64 + r.IntN(128))
	}
	return a
}

func (a *recordAnalyzer) AnalyzeFrame(ctx context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	if a.frames != nil {
		if err := a.analyseReal(ctx); err != nil {
			return nil, err
		}
	}
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

// analyseReal analyses the next video frame as the engine's default
// FrameAnalyzer does.
func (a *recordAnalyzer) analyseReal(ctx context.Context) error {
	img, err := face.Decode(a.frames[a.k%len(a.frames)], nil)
	if err != nil {
		return err
	}
	a.k++
	var opts *face.AnalyzeOptions
	if a.prev != nil {
		opts = &face.AnalyzeOptions{Previous: a.prev}
	}
	res, err := a.an.Analyze(ctx, img, opts)
	if err != nil {
		return err
	}
	a.prev = nil
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		f := res.Faces[0]
		a.prev = &f
		var r spoof.Result
		if err := a.det.CheckWith(img, f.Box, &spoof.CheckOptions{Mesh: &f.Landmarks.Texture}, &r); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkFrameSessionLength measures the engine's CPU per frame at the
// 10th and at the 400th frame of one session, with the memory and the
// bbolt store: one iteration is one session of 400 frames sent one at a
// time, 40 ms apart. cpu-us@10 is the median process CPU of frames 6–15,
// cpu-us@100 of frames 96–105 and cpu-us@400 of frames 391–400 (medians
// over iterations). "engine" leaves the image analysis out (the part that
// could grow with the session); "frame" adds the real analysis of the
// shared webcam video's frames (see recordAnalyzer), the server's whole
// CPU per frame.
//
//	go test -run '^$' -bench FrameSessionLength -benchtime 5x -cpu 1 ./liveness/
func BenchmarkFrameSessionLength(b *testing.B) {
	const frames = 400
	for _, run := range []string{"engine/memory", "engine/bbolt", "frame/memory", "frame/bbolt"} {
		mode, store, _ := strings.Cut(run, "/")
		b.Run(run, func(b *testing.B) {
			ra := newRecordAnalyzer()
			if mode == "frame" {
				var err error
				ra.frames, err = facedata.Frames(facedata.Path(b, "video/webcam_headmove_cap12.mjpeg"))
				require.NoError(b, err)
				ra.an = analyzer(b)
				ra.det, err = spoof.NewDetector()
				require.NoError(b, err)
			}
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
			e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithFrameAnalyzer(ra), liveness.WithStore(st),
				liveness.WithThresholds(th), liveness.WithResponseWindow(time.Hour), liveness.WithMaxFrames(frames+10), liveness.WithAnalyzer(analyzer(b)))
			require.NoError(b, err)
			cost := make([]time.Duration, frames)
			var at10, at100, at400 []float64
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
				at10 = append(at10, medianUS(cost[5:15]))
				at100 = append(at100, medianUS(cost[95:105]))
				at400 = append(at400, medianUS(cost[frames-10:]))
			}
			slices.Sort(at10)
			slices.Sort(at100)
			slices.Sort(at400)
			b.ReportMetric(at10[len(at10)/2], "cpu-us@10")
			b.ReportMetric(at100[len(at100)/2], "cpu-us@100")
			b.ReportMetric(at400[len(at400)/2], "cpu-us@400")
			b.ReportMetric(at400[len(at400)/2]/at10[len(at10)/2], "ratio")
		})
	}
}

func medianUS(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds()) / 1e3
}
