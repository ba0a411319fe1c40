package face

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"sync"
	"testing"

	"golang.org/x/image/draw"
)

// testFrame returns the bundled test portrait (pigo's sample image).
func testFrame(t testing.TB) image.Image {
	t.Helper()
	b, err := os.ReadFile("../testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// webcamFrame returns the test portrait placed in a 640×480 frame, as a
// JPEG of quality 80, like the frames browsers send.
func webcamFrame(t testing.TB) []byte {
	t.Helper()
	src := testFrame(t)
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.RGBA{90, 100, 110, 255}), image.Point{}, draw.Src)
	draw.BiLinear.Scale(dst, image.Rect(128, 0, 512, 480), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newTestAnalyzer(t testing.TB, opts ...Option) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDetect(t *testing.T) {
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	img := testFrame(t)
	ds := d.Detect(img)
	if len(ds) != 1 {
		t.Fatalf("got %d faces, want 1: %v", len(ds), ds)
	}
	// The face in the sample spans about x 90–230, y 130–300.
	c := ds[0].Box.Min.Add(ds[0].Box.Max).Div(2)
	if c.X < 130 || c.X > 190 || c.Y < 170 || c.Y > 260 || ds[0].Box.Dx() < 100 || ds[0].Box.Dx() > 250 {
		t.Errorf("face box %v not around the face", ds[0].Box)
	}
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	if ds := d.Detect(blank); len(ds) != 0 {
		t.Errorf("faces in a blank image: %v", ds)
	}
	if ds := d.Detect(image.NewGray(image.Rect(0, 0, 8, 8))); ds != nil {
		t.Errorf("faces in a tiny image: %v", ds)
	}
	// Two copies side by side: two faces, largest first.
	two := image.NewRGBA(image.Rect(0, 0, 640+200, 400))
	draw.Draw(two, image.Rect(0, 0, 320, 400), img, img.Bounds().Min, draw.Src)
	draw.BiLinear.Scale(two, image.Rect(400, 50, 640, 350), img, img.Bounds(), draw.Src, nil)
	ds = d.Detect(two)
	if len(ds) != 2 {
		t.Fatalf("two faces: got %v", ds)
	}
	if ds[0].Box.Dx() < ds[1].Box.Dx() {
		t.Errorf("faces not sorted largest first: %v", ds)
	}
	if _, err := NewDetector(WithMinFaceFraction(0)); err == nil {
		t.Error("invalid option accepted")
	}
}

func TestAnalyze(t *testing.T) {
	a := newTestAnalyzer(t)
	img, err := Decode(webcamFrame(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Analyze(context.Background(), img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 640 || res.Height != 480 || len(res.Faces) != 1 {
		t.Fatalf("result %dx%d with %d faces", res.Width, res.Height, len(res.Faces))
	}
	f := res.Faces[0]
	if f.Landmarks == nil || f.FaceFlag < 0.9 {
		t.Fatalf("no landmarks (flag %.3f)", f.FaceFlag)
	}
	m := f.Measures
	// An open-eyed, closed-mouth, frontal portrait.
	checks := []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"EAR", m.EAR, 0.2, 0.4}, {"EARLeft", m.EARLeft, 0.2, 0.4}, {"EARRight", m.EARRight, 0.2, 0.4},
		{"MAR", m.MAR, 0, 0.1}, {"Smile", m.Smile, 0.3, 0.5}, {"Brow", m.Brow, 0.15, 0.45},
		{"Yaw", f.Pose.Yaw, -10, 10}, {"Pitch", f.Pose.Pitch, -15, 15}, {"Roll", f.Pose.Roll, -8, 8},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			t.Errorf("%s = %.3f, want in [%g, %g]", c.name, c.v, c.lo, c.hi)
		}
	}
	// Landmarks lie inside the face box's neighbourhood, eyes above mouth,
	// image-left eye left of the image-right eye.
	l := f.Landmarks
	eyeL, eyeR := l.Points[idxEyeLOuter], l.Points[idxEyeROuter]
	mouth := l.Points[idxUpperLipTop]
	if !(eyeL.X < eyeR.X && eyeL.Y < mouth.Y && eyeR.Y < mouth.Y) {
		t.Errorf("implausible geometry: eyes %v %v mouth %v", eyeL, eyeR, mouth)
	}
	box := f.Box.Inset(-f.Box.Dx() / 3)
	for i, p := range l.Points {
		if !image.Pt(int(p.X), int(p.Y)).In(box) {
			t.Fatalf("landmark %d at %.0f,%.0f outside %v", i, p.X, p.Y, box)
		}
	}

	// The landmark network's texture responses are filled in and differ
	// between channels.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range l.Texture {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	if !(hi-lo > 0.01) || math.IsNaN(hi-lo) {
		t.Errorf("texture %v: channels do not differ", l.Texture)
	}

	// Tracking from the previous frame gives the same face and measures.
	res2, err := a.Analyze(context.Background(), img, &AnalyzeOptions{Previous: &f})
	if err != nil || len(res2.Faces) != 1 || !res2.Faces[0].Tracked {
		t.Fatalf("tracked analysis: %v %+v", err, res2)
	}
	if d := math.Abs(res2.Faces[0].Measures.EAR - m.EAR); d > 0.02 {
		t.Errorf("tracked EAR differs by %.3f", d)
	}
	for c, v := range res2.Faces[0].Landmarks.Texture {
		if d := math.Abs(float64(v - l.Texture[c])); d > 0.05*(hi-lo) {
			t.Errorf("tracked texture channel %d differs by %.4f", c, d)
		}
	}

	// A blank frame has no face; a cancelled context and a nil image are
	// errors.
	res3, err := a.Analyze(context.Background(), image.NewGray(image.Rect(0, 0, 640, 480)), nil)
	if err != nil || len(res3.Faces) != 0 {
		t.Errorf("blank frame: %v %+v", err, res3)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Analyze(ctx, img, nil); err == nil {
		t.Error("cancelled context accepted")
	}
	if _, err := a.Analyze(context.Background(), nil, nil); err != ErrNilImage {
		t.Errorf("nil image: %v", err)
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	a := newTestAnalyzer(t)
	img := testFrame(t)
	want, err := a.Analyze(context.Background(), img, nil)
	if err != nil || len(want.Faces) != 1 {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				got, err := a.Analyze(context.Background(), img, nil)
				if err != nil || len(got.Faces) != 1 {
					t.Errorf("concurrent analysis: %v", err)
					return
				}
				if got.Faces[0].Measures != want.Faces[0].Measures || *got.Faces[0].Landmarks != *want.Faces[0].Landmarks {
					t.Errorf("concurrent analysis differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSampleCrop(t *testing.T) {
	// A horizontal ramp: value = x. Crop-and-resize of the box [10,20]×[5,15]
	// into 11×11 samples exactly the pixels at the (W−1)/W-scaled positions.
	w, h := 64, 32
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*g.Stride+x] = uint8(3 * x)
		}
	}
	n := 11
	dst := make([]float32, n*n*3)
	var reg rgbRegion
	sampleCrop(g, cropBox{CX: 15, CY: 10, Side: 10}, n, dst, &reg)
	for j := 0; j < n; j++ {
		x := 10*float64(w-1)/float64(w) + float64(j)*10*float64(w-1)/float64(w)/float64(n-1)
		want := 3 * x / 255
		if got := float64(dst[3*(5*n+j)]); math.Abs(got-want) > 1e-5 {
			t.Fatalf("sample %d = %.6f, want %.6f", j, got, want)
		}
	}
	// Samples outside the image are black.
	sampleCrop(g, cropBox{CX: 0, CY: 0, Side: 20}, n, dst, &reg)
	if dst[0] != 0 || dst[3*(n*n-1)] == 0 {
		t.Errorf("outside sample %v, inside sample %v", dst[0], dst[3*(n*n-1)])
	}
	// A rotated crop maps back to the image through toImage.
	c := cropBox{CX: 32, CY: 16, Side: 20, Angle: math.Pi / 2}
	sampleCrop(g, c, n, dst, &reg)
	x, _ := c.toImage(5.5, 0, n) // top-centre of the crop: rotated by 90° it lies right of the centre
	if math.Abs(x-42) > 0.6 {
		t.Errorf("rotated toImage x = %.2f, want about 42", x)
	}
}

func TestMeasuresSynthetic(t *testing.T) {
	var l Landmarks
	set := func(i int, x, y float64) { l.Points[i] = Point{X: x, Y: y} }
	// Image-left eye 10 wide, lids 3 apart: EAR = (3+3)/(2·10) = 0.3.
	set(33, 0, 0)
	set(133, 10, 0)
	set(160, 3, -1.5)
	set(144, 3, 1.5)
	set(158, 7, -1.5)
	set(153, 7, 1.5)
	// Image-right eye half closed: EAR 0.1.
	set(362, 20, 0)
	set(263, 30, 0)
	set(385, 23, -0.5)
	set(380, 23, 0.5)
	set(387, 27, -0.5)
	set(373, 27, 0.5)
	// Mouth: inner corners 20 apart, lips 10 apart.
	set(78, 5, 30)
	set(308, 25, 30)
	set(13, 15, 25)
	set(14, 15, 35)
	set(61, 3, 30)
	set(291, 27, 30)
	set(234, -5, 10)
	set(454, 35, 10)
	set(10, 15, -20)
	set(152, 15, 50)
	// Brows 7 px above each eye's corner line, the face upright (the
	// vertical axis from the pose pairs points straight down).
	for _, k := range regionIndices[BrowLeft] {
		set(k, 5, -7)
	}
	for _, k := range regionIndices[BrowRight] {
		set(k, 25, -7)
	}
	// The brow tails do not count: only the inner half of the lower edge.
	set(53, 2, -20)
	set(283, 28, -20)
	for i, pr := range posePairs {
		if pr[0] != 33 && pr[0] != 133 && pr[0] != 234 && pr[0] != 61 && pr[0] != 46 {
			set(pr[0], -float64(i), 0)
			set(pr[1], 40+float64(i), 0)
		}
	}
	for _, pr := range poseVertical {
		if pr[0] != 10 {
			set(pr[0], 15, -10)
			set(pr[1], 15, 40)
		}
	}
	m := ComputeMeasures(&l)
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("EARLeft", m.EARLeft, 0.3)
	near("EARRight", m.EARRight, 0.1)
	near("EAR", m.EAR, 0.2)
	near("MAR", m.MAR, 0.5)
	near("Smile", m.Smile, 24.0/40)
	near("Brow", m.Brow, 7.0/30)
	// Degenerate landmarks give zeros, not NaN or a panic.
	var zero Landmarks
	if z := ComputeMeasures(&zero); z != (Measures{}) {
		t.Errorf("measures of zero landmarks: %+v", z)
	}
}

// rotatedFace returns symmetric synthetic landmarks rotated by yaw, pitch
// and roll (degrees, in the Pose conventions) and projected orthographically.
func rotatedFace(yaw, pitch, roll float64) *Landmarks {
	var l Landmarks
	// A face-like point set: pairs mirrored in x, vertical pairs on the
	// midline, with depth (the nose region forward).
	for i, pr := range posePairs {
		x, y, z := 20+3*float64(i), -30+6*float64(i), 10-float64(i)
		l.Points[pr[0]] = Point{-x, y, z}
		l.Points[pr[1]] = Point{x, y, z}
	}
	for i, pr := range poseVertical {
		z := -5 + 2*float64(i)
		l.Points[pr[0]] = Point{0, -60 + 4*float64(i), z}
		l.Points[pr[1]] = Point{0, 60 - 4*float64(i), z}
	}
	r := func(deg float64) float64 { return deg * math.Pi / 180 }
	sy, cy := math.Sincos(r(yaw))
	sp, cp := math.Sincos(r(pitch))
	sr, cr := math.Sincos(r(roll))
	for i, p := range l.Points {
		// Pitch about x (looking up brings the chin toward the camera),
		// then yaw about y (nose toward image right), then roll in the
		// image plane (clockwise on screen).
		y1 := cp*p.Y + sp*p.Z
		z1 := -sp*p.Y + cp*p.Z
		x2 := cy*p.X - sy*z1
		z2 := sy*p.X + cy*z1
		x3 := cr*x2 - sr*y1
		y3 := sr*x2 + cr*y1
		l.Points[i] = Point{x3 + 200, y3 + 200, z2}
	}
	return &l
}

func TestEstimatePose(t *testing.T) {
	tests := []struct{ yaw, pitch, roll float64 }{
		{0, 0, 0}, {30, 0, 0}, {-30, 0, 0}, {0, 20, 0}, {0, -25, 0}, {0, 0, 15}, {0, 0, -20}, {25, -15, 10}, {-40, 10, -5},
	}
	for _, tc := range tests {
		got := EstimatePose(rotatedFace(tc.yaw, tc.pitch, tc.roll))
		if math.Abs(got.Yaw-tc.yaw) > 1e-6 || math.Abs(got.Pitch-tc.pitch) > 1e-6 || math.Abs(got.Roll-tc.roll) > 1e-6 {
			t.Errorf("pose of %+v: got %+v", tc, got)
		}
	}
}

func TestRegions(t *testing.T) {
	var l Landmarks
	for i := range l.Points {
		l.Points[i] = Point{X: float64(i)}
	}
	for r := EyeLeft; r <= Midline; r++ {
		idx := r.Indices()
		pts := l.Region(r)
		if len(idx) == 0 || len(pts) != len(idx) || r.String() == "unknown" {
			t.Fatalf("region %v: %d indices %d points", r, len(idx), len(pts))
		}
		for i, k := range idx {
			if k < 0 || k >= NumLandmarks || pts[i].X != float64(k) {
				t.Fatalf("region %v index %d", r, k)
			}
		}
		idx[0] = -1 // the caller's copy; the table must not change
		if r.Indices()[0] == -1 {
			t.Fatalf("Indices shares the table")
		}
	}
}

func BenchmarkDecode640(b *testing.B) {
	data := webcamFrame(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetect640(b *testing.B) {
	img, _ := Decode(webcamFrame(b), nil)
	d, _ := NewDetector()
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(img)
	}
}

// BenchmarkAnalyzeFrame is the full per-frame analysis of a 640×480 JPEG:
// decode, detect, landmarks, pose and measures. "first" is a frame without
// history (detector box, then re-centred landmark passes); "tracked" is the
// steady state of a session, where the previous frame's landmarks place the
// crop.
func BenchmarkAnalyzeFrame(b *testing.B) {
	data := webcamFrame(b)
	a := newTestAnalyzer(b)
	img, _ := Decode(data, nil)
	first, err := a.Analyze(context.Background(), img, nil)
	if err != nil || len(first.Faces) != 1 {
		b.Fatal("no face in the benchmark frame")
	}
	prev := first.Faces[0]
	for _, mode := range []string{"first", "tracked"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				img, err := Decode(data, nil)
				if err != nil {
					b.Fatal(err)
				}
				var opts *AnalyzeOptions
				if mode == "tracked" {
					opts = &AnalyzeOptions{Previous: &prev}
				}
				if _, err := a.Analyze(context.Background(), img, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
