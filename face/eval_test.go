//go:build eval

package face_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/internal/testenv"
)

// The evaluations of the face package over ../shared/facedata. They print
// the figures of docs/evaluation.md (Measured (face)); run them with
//
//	go test -tags eval -run Eval -v ./face/

func newEvalAnalyzer(t *testing.T, opts ...face.Option) *face.Analyzer {
	t.Helper()
	a, err := face.NewAnalyzer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := face.Decode(b, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// yaleMeasures analyses every Yale image: subject → condition → face.
func yaleMeasures(t *testing.T, a *face.Analyzer) map[string]map[string]*face.Face {
	dir := facedata.Path(t, "yale")
	files, _ := filepath.Glob(filepath.Join(dir, "subject*.jpeg"))
	if len(files) == 0 {
		testenv.Missing(t, "skipping: no Yale images")
	}
	out := map[string]map[string]*face.Face{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		subj, cond := parts[0], parts[1]
		res, err := a.Analyze(context.Background(), decodeFile(t, f), nil)
		if err != nil {
			t.Fatal(err)
		}
		if out[subj] == nil {
			out[subj] = map[string]*face.Face{}
		}
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			out[subj][cond] = &res.Faces[0]
		}
	}
	return out
}

// videoTrack analyses every frame of a video as a session would (tracking
// from the previous frame) and returns the largest face per frame (nil when
// none).
func videoTrack(t *testing.T, a *face.Analyzer, name string) []*face.Face {
	frames, err := facedata.Frames(facedata.Path(t, filepath.Join("video", name)))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*face.Face, len(frames))
	var prev *face.Face
	for i, fr := range frames {
		img, err := face.Decode(fr, nil)
		if err != nil {
			t.Fatalf("%s frame %d: %v", name, i+1, err)
		}
		var opts *face.AnalyzeOptions
		if prev != nil {
			opts = &face.AnalyzeOptions{Previous: prev}
		}
		res, err := a.Analyze(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		prev = nil
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			out[i] = &res.Faces[0]
			prev = out[i]
		}
	}
	return out
}

var videos = []string{"blink_selfie.mjpeg", "expressions_d3.mjpeg", "expressions_d6.mjpeg", "selfie_talk_d13.mjpeg", "webcam_headmove_cap12.mjpeg"}

func TestEvalDetection(t *testing.T) {
	a := newEvalAnalyzer(t)
	yale := yaleMeasures(t, a)
	found, total := 0, 0
	for _, conds := range yale {
		total += 11
		found += len(conds)
	}
	rate := float64(found) / float64(total)
	t.Logf("| yale/ images with a face and landmarks | %d/%d (%.1f%%) | ≥ 99%% |", found, total, 100*rate)
	if rate < 0.99 {
		t.Errorf("yale: faces found in %.1f%% of images, want ≥ 99%%", 100*rate)
	}
	for _, v := range videos {
		tr := videoTrack(t, a, v)
		n := 0
		for _, f := range tr {
			if f != nil {
				n++
			}
		}
		r := float64(n) / float64(len(tr))
		t.Logf("| video/%s frames with a face and landmarks | %d/%d (%.1f%%) | ≥ 99%% |", v, n, len(tr), 100*r)
		if r < 0.99 {
			t.Errorf("%s: face in %.1f%% of frames, want ≥ 99%%", v, 100*r)
		}
	}
}

func TestEvalPose(t *testing.T) {
	path := facedata.Path(t, "pose/annotations.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ann map[string]struct {
		Yaw   float64      `json:"yaw_deg"`
		Pitch float64      `json:"pitch_deg"`
		Roll  float64      `json:"roll_deg"`
		Pts   [][2]float64 `json:"landmarks68_xy"`
	}
	if err := json.Unmarshal(raw, &ann); err != nil {
		t.Fatal(err)
	}
	a := newEvalAnalyzer(t, face.WithMaxFaces(5))
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range ann {
			if !yield(k) {
				return
			}
		}
	})
	var ey, ep, er float64
	n := 0
	for _, name := range names {
		gt := ann[name]
		res, err := a.Analyze(context.Background(), decodeFile(t, filepath.Join(filepath.Dir(path), name)), nil)
		if err != nil {
			t.Fatal(err)
		}
		f := faceNear(res, centroid(gt.Pts))
		if f == nil {
			t.Errorf("%s: no face", name)
			continue
		}
		// The data set's yaw is positive toward the image left; ours toward
		// the image right. Pitch has the same sign (negative looking down).
		dy, dp, dr := f.Pose.Yaw-(-gt.Yaw), f.Pose.Pitch-gt.Pitch, f.Pose.Roll-gt.Roll
		t.Logf("%s: yaw %+6.1f (truth %+6.1f)  pitch %+6.1f (truth %+6.1f)  roll %+6.1f (truth %+6.1f)", name, f.Pose.Yaw, -gt.Yaw, f.Pose.Pitch, gt.Pitch, f.Pose.Roll, gt.Roll)
		ey += math.Abs(dy)
		ep += math.Abs(dp)
		er += math.Abs(dr)
		n++
	}
	if n == 0 {
		t.Fatal("no faces")
	}
	ey, ep, er = ey/float64(n), ep/float64(n), er/float64(n)
	t.Logf("| pose/ yaw mean absolute error | %.1f° | ≤ 8° |", ey)
	t.Logf("| pose/ pitch mean absolute error | %.1f° | ≤ 10° |", ep)
	t.Logf("| pose/ roll mean absolute error | %.1f° | (reported) |", er)
	if ey > 8 || ep > 10 || n < len(ann) {
		t.Errorf("pose: yaw MAE %.1f° (≤ 8), pitch MAE %.1f° (≤ 10), %d/%d faces", ey, ep, n, len(ann))
	}
}

func centroid(pts [][2]float64) image.Point {
	var x, y float64
	for _, p := range pts {
		x += p[0]
		y += p[1]
	}
	return image.Pt(int(x/float64(len(pts))), int(y/float64(len(pts))))
}

// faceNear returns the analysed face whose landmarks' bounds contain p.
func faceNear(res *face.Result, p image.Point) *face.Face {
	var best *face.Face
	bestD := math.Inf(1)
	for i := range res.Faces {
		f := &res.Faces[i]
		if f.Landmarks == nil {
			continue
		}
		minX, minY, maxX, maxY := f.Landmarks.Bounds()
		if float64(p.X) < minX || float64(p.X) > maxX || float64(p.Y) < minY || float64(p.Y) > maxY {
			continue
		}
		d := math.Hypot((minX+maxX)/2-float64(p.X), (minY+maxY)/2-float64(p.Y))
		if d < bestD {
			best, bestD = f, d
		}
	}
	return best
}

// ibug68 maps the 68 iBUG points to MediaPipe indices: jaw 0–16, brows
// 17–26, nose 27–35, eyes 36–47, outer lips 48–59, inner lips 60–67.
//
// The 51 inner points (17–67) have anatomical equivalents in the mesh and
// form the subset the requirement is checked on, as in the 300-W 51-point
// protocol. The jaw points do not: iBUG marks the visible silhouette of the
// jaw, which on a turned face lies on different skin than any fixed mesh
// point, so their error is reported separately.
var ibug68 = [68]int{
	162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
	71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
	168, 197, 5, 4, 75, 97, 2, 326, 305,
	33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
	61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
	78, 82, 13, 312, 308, 317, 14, 87,
}

func readPts(t *testing.T, path string) [][2]float64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]float64
	inside := false
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "{":
			inside = true
		case line == "}":
			inside = false
		case inside && line != "":
			f := strings.Fields(line)
			x, _ := strconv.ParseFloat(f[0], 64)
			y, _ := strconv.ParseFloat(f[1], 64)
			pts = append(pts, [2]float64{x - 1, y - 1}) // .pts are 1-based
		}
	}
	return pts
}

func TestEvalLandmarks(t *testing.T) {
	dir := facedata.Path(t, "landmarks68")
	files, _ := filepath.Glob(filepath.Join(dir, "*.pts"))
	// Group photos with small faces: search finely for small faces. This
	// evaluates the landmarks, not the detector.
	det, err := face.NewDetector(face.WithMinFaceFraction(0.05), face.WithMaxDetectDimension(2048), face.WithSearchStep(0.05, 1.05), face.WithMinScore(2))
	if err != nil {
		t.Fatal(err)
	}
	a := newEvalAnalyzer(t, face.WithDetector(det), face.WithMaxFaces(10))
	var sum, sum68 float64
	n, evaluated := 0, 0
	for _, pf := range files {
		base := strings.TrimSuffix(pf, ".pts")
		img := ""
		for _, ext := range []string{".jpg", ".png"} {
			if _, err := os.Stat(base + ext); err == nil {
				img = base + ext
			}
		}
		gt := readPts(t, pf)
		if len(gt) != 68 {
			t.Logf("%s: %d points, not an iBUG 68-point annotation; not evaluated", filepath.Base(pf), len(gt))
			continue
		}
		evaluated++
		res, err := a.Analyze(context.Background(), decodeFile(t, img), nil)
		if err != nil {
			t.Fatal(err)
		}
		f := faceNear(res, centroid(gt))
		if f == nil {
			t.Errorf("%s: no face with landmarks", filepath.Base(img))
			continue
		}
		iod := math.Hypot(gt[36][0]-gt[45][0], gt[36][1]-gt[45][1])
		errAt := func(i int) float64 {
			p := f.Landmarks.Points[ibug68[i]]
			return math.Hypot(p.X-gt[i][0], p.Y-gt[i][1]) / iod
		}
		var inner, all float64
		for i := range ibug68 {
			all += errAt(i)
			if i >= 17 {
				inner += errAt(i)
			}
		}
		nme, nme68 := inner/51, all/68
		t.Logf("%s: NME %.4f over the 51 inner points, %.4f over all 68 (jaw contour included)", filepath.Base(img), nme, nme68)
		sum68 += nme68
		sum += nme
		n++
	}
	if n == 0 {
		testenv.Missing(t, "skipping: no .pts faces")
	}
	mean := sum / float64(n)
	t.Logf("| landmarks68/ .pts normalised mean error, 51 inner points (brows, nose, eyes, lips), outer-corner inter-ocular | %.4f over %d faces | ≤ 0.08 |", mean, n)
	t.Logf("| landmarks68/ .pts normalised mean error, all 68 points (the jaw is a silhouette in iBUG, a surface contour in the mesh) | %.4f over %d faces | (reported) |", sum68/float64(n), n)
	if mean > 0.08 || n < evaluated {
		t.Errorf("landmark NME %.4f over %d/%d faces, want ≤ 0.08", mean, n, evaluated)
	}
}

func TestEvalEyesAndMouth(t *testing.T) {
	a := newEvalAnalyzer(t)
	yale := yaleMeasures(t, a)
	var ratios []float64
	subjects := slices.Sorted(func(yield func(string) bool) {
		for k := range yale {
			if !yield(k) {
				return
			}
		}
	})
	mouthOK, smileOK := 0, 0
	for _, s := range subjects {
		c := yale[s]
		if c["normal"] == nil || c["sleepy"] == nil || c["surprised"] == nil || c["happy"] == nil {
			t.Errorf("%s: missing faces", s)
			continue
		}
		r := c["sleepy"].Measures.EAR / c["normal"].Measures.EAR
		ratios = append(ratios, r)
		marN, marS := c["normal"].Measures.MAR, c["surprised"].Measures.MAR
		smN, smH := c["normal"].Measures.Smile, c["happy"].Measures.Smile
		t.Logf("%s: EAR normal %.3f sleepy %.3f ratio %.2f | MAR normal %.3f surprised %.3f | smile normal %.3f happy %.3f | brow normal %.3f surprised %.3f",
			s, c["normal"].Measures.EAR, c["sleepy"].Measures.EAR, r, marN, marS, smN, smH, c["normal"].Measures.Brow, c["surprised"].Measures.Brow)
		if marS >= 2*marN {
			mouthOK++
		} else {
			t.Errorf("%s: MAR surprised %.3f < 2 × normal %.3f", s, marS, marN)
		}
		if smH > smN {
			smileOK++
		} else {
			t.Errorf("%s: smile happy %.3f ≤ normal %.3f", s, smH, smN)
		}
	}
	if len(ratios) == 0 {
		t.Fatal("no subjects")
	}
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	worst := ratios[len(ratios)-1]
	t.Logf("| yale/ EAR(sleepy)/EAR(normal), median over subjects | %.2f | ≤ 0.35 (dlib 0.57) |", median)
	t.Logf("| yale/ EAR(sleepy)/EAR(normal), worst subject | %.2f | ≤ 0.6 (dlib 0.74) |", worst)
	t.Logf("| yale/ MAR(surprised) ≥ 2 × MAR(normal) | %d/%d subjects | all |", mouthOK, len(subjects))
	t.Logf("| yale/ smile(happy) > smile(normal) | %d/%d subjects | all |", smileOK, len(subjects))
	if median > 0.35 || worst > 0.6 {
		t.Errorf("EAR ratio median %.2f (≤ 0.35), worst %.2f (≤ 0.6)", median, worst)
	}
}

// blinkClosures are the labelled eye closures of blink_selfie.mjpeg (1-based
// frame ranges, from the data's README).
var blinkClosures = [][2]int{{11, 13}, {41, 43}, {84, 85}, {112, 113}, {222, 224}, {240, 242}, {139, 194}, {264, 328}}

func TestEvalBlinkVideo(t *testing.T) {
	a := newEvalAnalyzer(t)
	tr := videoTrack(t, a, "blink_selfie.mjpeg")
	closed := func(k int) bool { // k 1-based
		for _, c := range blinkClosures {
			if k >= c[0] && k <= c[1] {
				return true
			}
		}
		return false
	}
	// Frames next to a labelled closure are transitions (the lids are half
	// way); they belong neither to the closures nor to the open-eye frames.
	near := func(k int) bool { return closed(k-2) || closed(k-1) || closed(k+1) || closed(k+2) }
	var open []float64
	ear := make([]float64, len(tr)+1)
	for i, f := range tr {
		if f == nil {
			t.Fatalf("frame %d: no face", i+1)
		}
		ear[i+1] = f.Measures.EAR
		if !closed(i+1) && !near(i+1) {
			open = append(open, f.Measures.EAR)
		}
	}
	slices.Sort(open)
	level := open[len(open)/2]
	thr := 0.75 * level
	seen := 0
	for _, c := range blinkClosures {
		minE := math.Inf(1)
		for k := c[0]; k <= c[1]; k++ {
			minE = math.Min(minE, ear[k])
		}
		if minE < thr {
			seen++
		} else {
			t.Errorf("closure %d–%d: min EAR %.3f not below %.3f", c[0], c[1], minE, thr)
		}
	}
	var false_ []string
	for k := 1; k < len(ear); k++ {
		if !closed(k) && !near(k) && ear[k] < thr {
			false_ = append(false_, fmt.Sprintf("%d (%.3f)", k, ear[k]))
		}
	}
	t.Logf("| video/blink_selfie labelled closures seen as EAR < 0.75 × open level (%.3f) | %d/%d, %d drops outside | all, none outside |", level, seen, len(blinkClosures), len(false_))
	if len(false_) > 0 {
		t.Errorf("EAR drops outside labelled closures at frames %v", false_)
	}
}
