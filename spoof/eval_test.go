//go:build eval

package spoof_test

import (
	"context"
	"flag"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/internal/padfit"
	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/spoof"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The evaluations of the spoof package over ../shared/facedata. They print
// the figures of the README table; run them with
//
//	go test -tags eval -run Eval -v ./spoof/

var modelFile = flag.String("spoof.model", "", "score with this model file instead of the shipped one")

func evalDetector(t *testing.T) *spoof.Detector {
	t.Helper()
	var opts []spoof.Option
	if *modelFile != "" {
		f, err := os.Open(*modelFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := spoof.LoadModel(f)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, spoof.WithModel(m))
	}
	d, err := spoof.NewDetector(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEvalShippedModelReproducible refits the default model on the
// shared corpus as spooffit -root does and compares it with the embedded
// one.
func TestEvalShippedModelReproducible(t *testing.T) {
	items, _, _ := heldOut(t)
	m, err := spoof.Fit(padfit.Samples(items), padfit.Options())
	require.NoError(t, err)
	def := spoof.DefaultModel()
	require.Equal(t, def.Print == nil, m.Print == nil, "print head")
	heads := []struct {
		name      string
		got, want *spoof.Logistic
	}{{"color", &m.Color, &def.Color}, {"gray", &m.Gray, &def.Gray}}
	if m.Print != nil {
		heads = append(heads, struct {
			name      string
			got, want *spoof.Logistic
		}{"print", m.Print, def.Print})
	}
	for _, p := range heads {
		require.Equal(t, p.want.Features, p.got.Features, p.name)
		diff := math.Abs(p.got.Bias - p.want.Bias)
		for i := range p.got.Weights {
			diff = math.Max(diff, math.Abs(p.got.Weights[i]-p.want.Weights[i]))
			diff = math.Max(diff, math.Abs(p.got.Mean[i]-p.want.Mean[i])/p.want.Scale[i])
		}
		assert.LessOrEqual(t, diff, 1e-6, "%s: refit differs from spoof/model.json: rerun spooffit -root (docs/spoof.md)", p.name)
	}
}

// source is one set of bona fide frames.
type source struct {
	name   string
	frames func(yield func(img image.Image) bool) error
}

func bonaFideSources(t *testing.T) []source {
	yale, _ := filepath.Glob(filepath.Join(facedata.Path(t, "yale"), "subject*.jpeg"))
	if len(yale) == 0 {
		testenv.Missing(t, "skipping: no Yale images")
	}
	return []source{{name: "yale", frames: func(yield func(image.Image) bool) error {
		for _, f := range yale {
			img, err := decodeFile(f)
			if err != nil {
				return err
			}
			if !yield(img) {
				return nil
			}
		}
		return nil
	}}}
}

func decodeFile(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return face.Decode(b, nil)
}

// TestEvalBonaFideFalseRejects scores the largest detected face of every
// Yale image (never used for fitting) at the operating point: none may be
// flagged. The videos are judged held out in TestEvalHeldOutVideoFrames.
func TestEvalBonaFideFalseRejects(t *testing.T) {
	srcs := bonaFideSources(t)
	fd, err := face.NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	d := evalDetector(t)
	var total, rejected, confident, noFace int
	for _, src := range srcs {
		var n, rej, conf, none int
		var scores []float64
		causes := map[string]int{}
		err := src.frames(func(img image.Image) bool {
			dets := fd.Detect(img)
			if len(dets) == 0 {
				none++
				return true
			}
			r, err := d.Check(img, dets[0].Box)
			if err != nil {
				t.Fatal(err)
			}
			n++
			scores = append(scores, r.Score)
			if r.Attack {
				rej++
				causes[r.Cause]++
			}
			if r.Confident {
				conf++
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(scores)
		t.Logf("%-28s faces %4d (no face %3d): false rejects %3d (%.2f%%), confident %d, score p1 %.3f median %.3f, causes %v",
			src.name, n, none, rej, 100*float64(rej)/float64(max(n, 1)), conf,
			scores[len(scores)/100], scores[len(scores)/2], causes)
		total += n
		rejected += rej
		confident += conf
		noFace += none
	}
	rate := float64(rejected) / float64(total)
	t.Logf("all bona fide: %d faces, %d false rejects (%.2f%%), %d confident attacks; %d frames without a face",
		total, rejected, 100*rate, confident, noFace)
	assert.Zero(t, rejected, "Yale faces flagged (false-reject rate %.4f)", rate)
}

// observe analyses one frame and feeds the session; prev is the tracked
// face of the previous frame.
func observe(t *testing.T, a *face.Analyzer, d *spoof.Detector, s *spoof.Session, img image.Image, at time.Duration, prev **face.Face) spoof.SessionResult {
	t.Helper()
	res, err := a.Analyze(context.Background(), img, &face.AnalyzeOptions{Previous: *prev})
	if err != nil {
		t.Fatal(err)
	}
	fi := spoof.FrameInfo{Time: at}
	*prev = nil
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil && res.Faces[0].FaceFlag >= 0.5 {
		f := &res.Faces[0]
		*prev = f
		fi.Box = f.Box
		fi.Points = make([][2]float64, len(f.Landmarks.Points))
		for i, p := range f.Landmarks.Points {
			fi.Points[i] = [2]float64{p.X, p.Y}
		}
		var r spoof.Result
		err := d.CheckWith(img, f.Box, &spoof.CheckOptions{Mesh: &f.Landmarks.Texture}, &r)
		if err == nil {
			fi.Thumb = &r.Thumb
			fi.Frame = &r
		}
	}
	return s.Observe(fi)
}

// TestEvalSessionRealVideos: honest sessions must not be flagged. The
// shipped model was fitted on these videos' frames among others: the
// held-out figures are those of the engine evaluation (liveness).
func TestEvalSessionRealVideos(t *testing.T) {
	videos, _ := filepath.Glob(filepath.Join(facedata.Path(t, "video"), "*.mjpeg"))
	a, err := face.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	d := evalDetector(t)
	for _, v := range videos {
		frames, err := facedata.Frames(v)
		if err != nil {
			t.Fatal(err)
		}
		s := spoof.NewSession()
		var prev *face.Face
		var res spoof.SessionResult
		for i, fr := range frames {
			img, err := face.Decode(fr, nil)
			if err != nil {
				t.Fatal(err)
			}
			res = observe(t, a, d, s, img, time.Duration(i)*40*time.Millisecond, &prev)
		}
		t.Logf("%-28s %+v", filepath.Base(v), res)
		if res.Failed {
			t.Errorf("%s: honest video flagged: %s at frame %d", filepath.Base(v), res.Cause, res.FailedAt)
		}
	}
}

// attackImages are frontal faces to attack with: the repository's test
// face, a frame of a phone selfie and Yale faces.
func attackImages(t *testing.T) map[string]image.Image {
	out := map[string]image.Image{}
	img, err := decodeFile("../testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	out["testdata/face.jpg"] = img
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	if err != nil {
		t.Fatal(err)
	}
	if img, err = face.Decode(frames[0], nil); err != nil {
		t.Fatal(err)
	}
	out["blink_selfie frame 1"] = img
	for _, s := range []string{"subject01", "subject04", "subject07"} {
		p := facedata.Path(t, "yale/"+s+".normal.jpeg")
		if img, err = decodeFile(p); err != nil {
			t.Fatal(err)
		}
		out["yale "+s+".normal"] = img
	}
	return out
}

// TestEvalSessionStillPhoto feeds the same photo as every frame.
func TestEvalSessionStillPhoto(t *testing.T) {
	a, err := face.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	d := evalDetector(t)
	for name, img := range attackImages(t) {
		s := spoof.NewSession()
		var prev *face.Face
		var res spoof.SessionResult
		for i := 0; i < 30 && !res.Failed; i++ {
			res = observe(t, a, d, s, img, time.Duration(i)*40*time.Millisecond, &prev)
		}
		t.Logf("%-22s %s at frame %d", name, res.Cause, res.FailedAt)
		// Identical frames spanning 800 ms at 25 frames per second.
		if !res.Failed || res.FailedAt > 21 {
			t.Errorf("%s: still photo not flagged within 21 frames: %+v", name, res)
		}
	}
}

// TestEvalSessionWarpedPhoto moves each photo as a rigid plane: every
// frame is the photo warped by a random homography (corners displaced by
// up to 12% of the face box, plus a shift), as a hand-held print moves.
func TestEvalSessionWarpedPhoto(t *testing.T) {
	a, err := face.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	d := evalDetector(t)
	for name, img := range attackImages(t) {
		res0, err := a.Analyze(context.Background(), img, nil)
		if err != nil || len(res0.Faces) == 0 {
			t.Fatalf("%s: no face: %v", name, err)
		}
		box := res0.Faces[0].Box
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 7))
			s := spoof.NewSession()
			var prev *face.Face
			var res spoof.SessionResult
			for i := 0; i < 30 && !res.Failed; i++ {
				h := randomPhotoMotion(rng, box, 0.12)
				frame := spoof.Warp(img, h, img.Bounds().Dx(), img.Bounds().Dy())
				res = observe(t, a, d, s, frame, time.Duration(i)*40*time.Millisecond, &prev)
			}
			t.Logf("%-22s seed %d: %s at frame %d; planar %d, depth %d, last shape %.3f, landmark ratio %.2f, texture residual %.2f",
				name, seed, res.Cause, res.FailedAt, res.Signals.PlanarFrames, res.Signals.DepthFrames,
				res.Signals.ShapeChange, res.Signals.LandmarkRatio, res.Signals.TextureResidual)
			if !res.Failed || res.FailedAt >= 10 {
				t.Errorf("%s seed %d: warped photo not flagged within 10 frames: %+v", name, seed, res)
			}
		}
	}
}

// randomPhotoMotion is a homography that displaces each corner of box by
// up to frac of its size, plus a common shift.
func randomPhotoMotion(rng *rand.Rand, box image.Rectangle, frac float64) spoof.Homography {
	s := float64(box.Dx())
	corners := [][2]float64{
		{float64(box.Min.X), float64(box.Min.Y)}, {float64(box.Max.X), float64(box.Min.Y)},
		{float64(box.Max.X), float64(box.Max.Y)}, {float64(box.Min.X), float64(box.Max.Y)},
	}
	shift := [2]float64{(rng.Float64() - 0.5) * 0.2 * s, (rng.Float64() - 0.5) * 0.2 * s}
	moved := make([][2]float64, 4)
	for i, c := range corners {
		moved[i] = [2]float64{
			c[0] + shift[0] + (rng.Float64()*2-1)*frac*s,
			c[1] + shift[1] + (rng.Float64()*2-1)*frac*s,
		}
	}
	h, ok := spoof.FitHomography(corners, moved)
	if !ok {
		panic("degenerate corners")
	}
	return h
}
