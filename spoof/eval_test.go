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
	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/spoof"
	"github.com/openliveness/openliveness/spoof/internal/fitdata"
)

// The evaluations of the spoof package over ../shared/facedata. They print
// the figures of docs/evaluation.md (Measured (spoof)); run them with
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

// nuaaSamples loads the NUAA crops as the shipped model was fit on them.
func nuaaSamples(t *testing.T) []spoof.Sample {
	t.Helper()
	dir := facedata.Path(t, "spoof/nuaa")
	d, err := spoof.NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	var all []spoof.Sample
	for _, c := range []struct {
		sub  string
		live bool
	}{{"live", true}, {"print", false}} {
		s, _, err := fitdata.Load(context.Background(), d, filepath.Join(dir, c.sub), c.live, fitdata.Shipped)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s...)
	}
	return all
}

// TestEvalNUAACrossValidation: subject-wise (leave-one-subject-out)
// cross-validation of the whole fitting procedure, operating point
// included, on NUAA live vs printed photo.
func TestEvalNUAACrossValidation(t *testing.T) {
	samples := nuaaSamples(t)
	res, err := spoof.CrossValidate(samples, fitdata.ShippedOptions())
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	t.Logf("NUAA subject-wise CV (%d folds): live %d, print %d: ROC AUC %.4f, APCER %.4f, BPCER %.4f at the operating point",
		res.Folds, m.Live, m.Attack, m.AUC, m.APCER, m.BPCER)
	// APCER at fixed BPCER levels, from the pooled out-of-fold scores.
	live := slices.Clone(res.Live)
	slices.Sort(live)
	for _, b := range []float64{0.01, 0.02, 0.05} {
		thr := live[int(b*float64(len(live)))]
		e := spoof.Evaluate(res.Live, res.Attack, thr)
		t.Logf("  at pooled BPCER %.3f: APCER %.4f", e.BPCER, e.APCER)
	}
	if m.AUC < 0.95 {
		t.Errorf("ROC AUC %.4f < 0.95", m.AUC)
	}
	if m.Live < 400 || m.Attack < 400 {
		t.Errorf("only %d live and %d attack samples", m.Live, m.Attack)
	}
}

// TestEvalShippedModelReproducible refits the default model the way the
// docs/spoof.md says and compares it with the embedded one.
func TestEvalShippedModelReproducible(t *testing.T) {
	samples := nuaaSamples(t)
	m, err := spoof.Fit(samples, fitdata.ShippedOptions())
	if err != nil {
		t.Fatal(err)
	}
	def := spoof.DefaultModel()
	for _, p := range []struct {
		name      string
		got, want *spoof.Logistic
	}{{"color", &m.Color, &def.Color}, {"gray", &m.Gray, &def.Gray}} {
		if !slices.Equal(p.got.Features, p.want.Features) {
			t.Fatalf("%s: features differ: refit %v, shipped %v", p.name, p.got.Features, p.want.Features)
		}
		diff := math.Abs(p.got.Bias - p.want.Bias)
		for i := range p.got.Weights {
			diff = math.Max(diff, math.Abs(p.got.Weights[i]-p.want.Weights[i]))
			diff = math.Max(diff, math.Abs(p.got.Mean[i]-p.want.Mean[i])/p.want.Scale[i])
		}
		if diff > 1e-6 {
			t.Errorf("%s: refit differs from spoof/model.json by %g: rerun spooffit (see docs/spoof.md)", p.name, diff)
		}
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
	srcs := []source{{name: "yale", frames: func(yield func(image.Image) bool) error {
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
	videos, _ := filepath.Glob(filepath.Join(facedata.Path(t, "video"), "*.mjpeg"))
	for _, v := range videos {
		srcs = append(srcs, source{name: filepath.Base(v), frames: func(yield func(image.Image) bool) error {
			frames, err := facedata.Frames(v)
			if err != nil {
				return err
			}
			for _, fr := range frames {
				img, err := face.Decode(fr, nil)
				if err != nil {
					return err
				}
				if !yield(img) {
					return nil
				}
			}
			return nil
		}})
	}
	return srcs
}

func decodeFile(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return face.Decode(b, nil)
}

// TestEvalBonaFideFalseRejects scores the largest detected face of every
// Yale image and every video frame at the operating point.
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
	if rate > 0.02 {
		t.Errorf("bona fide false-reject rate %.4f > 0.02", rate)
	}
	if confident > 0 {
		t.Errorf("%d bona fide frames are confident attacks (each would fail a session)", confident)
	}
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
		r, err := d.Check(img, f.Box)
		if err == nil {
			fi.Thumb = &r.Thumb
			fi.Frame = &r
		}
	}
	return s.Observe(fi)
}

// TestEvalSessionRealVideos: honest sessions must not be flagged.
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
		if !res.Failed || res.FailedAt >= 10 {
			t.Errorf("%s: still photo not flagged within 10 frames: %+v", name, res)
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
