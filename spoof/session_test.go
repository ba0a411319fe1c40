package spoof

import (
	"image"
	"image/color"
	_ "image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const frameStep = 40 * time.Millisecond // 25 frames per second

// loadFace decodes the repository's test face (320×400, redistributable
// pigo sample) and returns it with its face box.
func loadFace(t testing.TB) (image.Image, image.Rectangle) {
	t.Helper()
	f, err := os.Open("../testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img, image.Rect(70, 90, 250, 290)
}

// warp renders src through the homography h (output pixel p shows source
// pixel h⁻¹(p)), bilinear, on a w×h canvas of mid grey.
func warp(src image.Image, hm Homography, w, h int) *image.RGBA {
	inv, ok := invert3(hm)
	if !ok {
		panic("singular homography")
	}
	rgba := toRGBA(src)
	b := rgba.Rect
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := inv.Apply([2]float64{float64(x) + 0.5, float64(y) + 0.5})
			sx, sy := p[0]-0.5, p[1]-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			o := dst.PixOffset(x, y)
			if x0 < b.Min.X || y0 < b.Min.Y || x0+1 >= b.Max.X || y0+1 >= b.Max.Y {
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = 128, 128, 128, 255
				continue
			}
			for c := 0; c < 3; c++ {
				v := func(xx, yy int) float64 { return float64(rgba.Pix[rgba.PixOffset(xx, yy)+c]) }
				val := (1-fy)*((1-fx)*v(x0, y0)+fx*v(x0+1, y0)) + fy*((1-fx)*v(x0, y0+1)+fx*v(x0+1, y0+1))
				dst.Pix[o+c] = uint8(math.Round(val))
			}
			dst.Pix[o+3] = 255
		}
	}
	return dst
}

func toRGBA(src image.Image) *image.RGBA {
	if r, ok := src.(*image.RGBA); ok {
		return r
	}
	b := src.Bounds()
	r := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r.Set(x, y, color.RGBAModel.Convert(src.At(x, y)))
		}
	}
	return r
}

func invert3(h Homography) (Homography, bool) {
	a := h
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	if math.Abs(det) < 1e-15 {
		return Homography{}, false
	}
	inv := Homography{
		a[4]*a[8] - a[5]*a[7], a[2]*a[7] - a[1]*a[8], a[1]*a[5] - a[2]*a[4],
		a[5]*a[6] - a[3]*a[8], a[0]*a[8] - a[2]*a[6], a[2]*a[3] - a[0]*a[5],
		a[3]*a[7] - a[4]*a[6], a[1]*a[6] - a[0]*a[7], a[0]*a[4] - a[1]*a[3],
	}
	for i := range inv {
		inv[i] /= det
	}
	return inv, true
}

// faceGrid is a stand-in for face landmarks: a 9×11 grid over the inner
// face box.
func faceGrid(box image.Rectangle) [][2]float64 {
	var pts [][2]float64
	for j := 0; j < 11; j++ {
		for i := 0; i < 9; i++ {
			x := float64(box.Min.X) + float64(box.Dx())*(0.15+0.7*float64(i)/8)
			y := float64(box.Min.Y) + float64(box.Dy())*(0.1+0.8*float64(j)/10)
			pts = append(pts, [2]float64{x, y})
		}
	}
	return pts
}

// randomPhotoMotion returns a homography that moves the face box as a
// hand-held photograph moves: each corner displaced by up to frac of the
// box size, plus a shift.
func randomPhotoMotion(rng *rand.Rand, box image.Rectangle, frac float64) Homography {
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
	h, ok := FitHomography(corners, moved)
	if !ok {
		panic("degenerate corners")
	}
	return h
}

func applyAll(h *Homography, pts [][2]float64, rng *rand.Rand, noise float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		q := h.Apply(p)
		out[i] = [2]float64{q[0] + rng.NormFloat64()*noise, q[1] + rng.NormFloat64()*noise}
	}
	return out
}

func boundsOf(pts [][2]float64) image.Rectangle {
	// Not image.Rect, which would swap the corners.
	r := image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32), Max: image.Pt(math.MinInt32, math.MinInt32)}
	for _, p := range pts {
		r.Min.X = min(r.Min.X, int(math.Floor(p[0])))
		r.Min.Y = min(r.Min.Y, int(math.Floor(p[1])))
		r.Max.X = max(r.Max.X, int(math.Ceil(p[0])))
		r.Max.Y = max(r.Max.Y, int(math.Ceil(p[1])))
	}
	return r
}

func TestSessionStillPhotoRepeated(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Check(img, box)
	if err != nil {
		t.Fatal(err)
	}
	pts := faceGrid(box)
	s := NewSession()
	var res SessionResult
	for i := 0; i < 40 && !res.Failed; i++ {
		res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: box, Points: pts, Thumb: &r.Thumb})
	}
	require.True(t, res.Failed, "still photo: %+v", res)
	require.Equal(t, CauseFrozen, res.Cause)
	require.Equal(t, ReasonSpoofDetected, res.Reason)
	// 800 ms of identical frames at 25 frames per second: frame 21.
	require.Equal(t, 21, res.FailedAt)
	require.Equal(t, []string{"frozen_frame"}, res.AttackSignals)
}

// TestSessionStallNotFrozen: a stream that stalls for a few frames (a slow
// camera, a low-rate source resampled) is not a still.
func TestSessionStallNotFrozen(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	require.NoError(t, err)
	r, err := d.Check(img, box)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 6))
	s := NewSession()
	var res SessionResult
	for i := range 100 {
		th := r.Thumb
		if i%25 >= 6 { // six identical frames, then noise
			th[rng.IntN(len(th))] ^= 1
		}
		res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: box, Thumb: &th})
	}
	require.False(t, res.Failed, "%+v", res)
}

func TestSessionNoisyStillNotFrozen(t *testing.T) {
	// A live face held still in front of a real camera: sensor noise makes
	// every view differ.
	img, box := loadFace(t)
	base := toRGBA(img)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	s := NewSession()
	noisy := image.NewRGBA(base.Rect)
	for i := 0; i < 40; i++ {
		for j := range base.Pix {
			v := int(base.Pix[j]) + rng.IntN(5) - 2
			noisy.Pix[j] = uint8(min(max(v, 0), 255))
		}
		r, err := d.Check(noisy, box)
		if err != nil {
			t.Fatal(err)
		}
		res := s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: box, Thumb: &r.Thumb})
		if res.Failed {
			t.Fatalf("frame %d: %+v", i+1, res)
		}
	}
}

func TestSessionWarpedPhoto(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	base := faceGrid(box)
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		s := NewSession()
		var res SessionResult
		for i := 0; i < 30 && !res.Failed; i++ {
			h := randomPhotoMotion(rng, box, 0.12)
			frame := warp(img, h, 320, 400)
			pts := applyAll(&h, base, rng, 0.4) // landmark jitter
			fbox := boundsOf(applyAll(&h, []([2]float64){
				{float64(box.Min.X), float64(box.Min.Y)}, {float64(box.Max.X), float64(box.Max.Y)},
			}, rng, 0))
			r, err := d.Check(frame, fbox)
			if err != nil {
				t.Fatal(err)
			}
			res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: fbox, Points: pts, Thumb: &r.Thumb, Frame: &r})
		}
		if !res.Failed || res.Cause != CausePlanar {
			t.Fatalf("seed %d: warped photo not flagged as planar: %+v", seed, res)
		}
		if res.FailedAt >= 10 {
			t.Errorf("seed %d: flagged on frame %d, want < 10", seed, res.FailedAt)
		}
		t.Logf("seed %d: flagged on frame %d: %+v", seed, res.FailedAt, res.Signals)
	}
}

// headPoints is a face-shaped 3-D point cloud (x right, y down, z toward
// the camera, in half face widths): a dome with a nose and eye sockets.
func headPoints(rng *rand.Rand, n int) [][3]float64 {
	pts := make([][3]float64, 0, n)
	for len(pts) < n {
		x, y := rng.Float64()*2-1, rng.Float64()*2.6-1.3
		r := x*x/1.0 + y*y/1.69
		if r > 1 {
			continue
		}
		// Depths of a real face, in half face widths: the temples lie about
		// one unit behind the front of the cheeks, the nose tip 0.4 ahead.
		z := 0.9 * math.Sqrt(1-r)
		z += 0.4 * math.Exp(-(x*x+(y-0.1)*(y-0.1))/0.03)                                      // nose
		z -= 0.08 * math.Exp(-((math.Abs(x)-0.35)*(math.Abs(x)-0.35)+(y+0.25)*(y+0.25))/0.02) // eye sockets
		pts = append(pts, [3]float64{x, y, z})
	}
	return pts
}

// project rotates the head by yaw and pitch (degrees) and projects it
// with a pinhole camera, the face 100 px wide at (cx, cy).
func project(pts [][3]float64, yaw, pitch, cx, cy float64, rng *rand.Rand, noise float64) [][2]float64 {
	cyaw, syaw := math.Cos(yaw*math.Pi/180), math.Sin(yaw*math.Pi/180)
	cp, sp := math.Cos(pitch*math.Pi/180), math.Sin(pitch*math.Pi/180)
	const dist, f = 4.0, 4.0 * 50 // face width 2 units → 100 px at the face
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		x := cyaw*p[0] + syaw*p[2]
		z := -syaw*p[0] + cyaw*p[2]
		y := cp*p[1] - sp*z
		z = sp*p[1] + cp*z
		w := dist - z
		out[i] = [2]float64{cx + f*x/w + rng.NormFloat64()*noise, cy + f*y/w + rng.NormFloat64()*noise}
	}
	return out
}

func TestSessionRotatingHeadNotPlanar(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		head := headPoints(rng, 200)
		s := NewSession()
		var res SessionResult
		for i := 0; i < 100; i++ {
			ph := float64(i) / 25 * 2 * math.Pi / 2 // a turn every 2 s
			yaw := 30 * math.Sin(ph)
			pitch := 12 * math.Sin(0.7*ph)
			pts := project(head, yaw, pitch, 320+10*math.Sin(ph), 240, rng, 0.4)
			box := boundsOf(pts)
			res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: box, Points: pts})
			if res.Failed {
				t.Fatalf("seed %d frame %d: rotating head flagged: %+v", seed, i+1, res)
			}
		}
		t.Logf("seed %d: %+v", seed, res.Signals)
		if res.Signals.DepthFrames < 20 {
			t.Errorf("seed %d: only %d depth frames: %+v", seed, res.Signals.DepthFrames, res.Signals)
		}
	}
}

func TestSessionFlatPointsRotating(t *testing.T) {
	// The same motion as TestSessionRotatingHeadNotPlanar with the depth
	// flattened: a photograph turned in front of the camera.
	rng := rand.New(rand.NewPCG(8, 5))
	head := headPoints(rng, 200)
	for i := range head {
		head[i][2] = 0
	}
	s := NewSession()
	var res SessionResult
	for i := 0; i < 30 && !res.Failed; i++ {
		ph := float64(i) / 25 * 2 * math.Pi / 2
		pts := project(head, 30*math.Sin(ph), 12*math.Sin(0.7*ph), 320, 240, rng, 0.4)
		res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: boundsOf(pts), Points: pts})
	}
	if !res.Failed || res.Cause != CausePlanar || res.FailedAt >= 15 {
		t.Fatalf("flat points turning: %+v", res)
	}
	t.Logf("flagged on frame %d: %+v", res.FailedAt, res.Signals)
}

func TestSessionLoopedClip(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	// A 12-frame clip of a face moving sideways, then played again.
	var clip []Result
	var boxes []image.Rectangle
	for i := 0; i < 12; i++ {
		b := box.Add(image.Pt(3*i-18, i%3))
		r, err := d.Check(img, b)
		if err != nil {
			t.Fatal(err)
		}
		clip = append(clip, r)
		boxes = append(boxes, b)
	}
	s := NewSession()
	var res SessionResult
	n := 0
	for loop := 0; loop < 3 && !res.Failed; loop++ {
		for i := range clip {
			res = s.Observe(FrameInfo{Time: time.Duration(n) * frameStep, Box: boxes[i], Thumb: &clip[i].Thumb})
			n++
			if res.Failed {
				break
			}
		}
	}
	if !res.Failed || res.Cause != CauseLooped {
		t.Fatalf("looped clip: %+v", res)
	}
	if res.FailedAt > len(clip)+6 {
		t.Errorf("flagged on frame %d, want ≤ %d", res.FailedAt, len(clip)+6)
	}
}

func TestSessionContinuity(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	face, _ := d.Check(img, box)
	other, _ := d.Check(img, image.Rect(0, 0, 180, 200)) // hair and background
	pts := faceGrid(box)
	tests := []struct {
		name  string
		next  FrameInfo
		dt    time.Duration
		jumps int
	}{
		{"same face", FrameInfo{Box: box.Add(image.Pt(4, 2)), Thumb: &face.Thumb, Points: pts}, frameStep, 0},
		{"swap: box, appearance and shape jump", FrameInfo{Box: image.Rect(0, 0, 180, 200), Thumb: &other.Thumb,
			Points: faceGrid(image.Rect(0, 0, 90, 200))}, frameStep, 1},
		{"fast move, same face", FrameInfo{Box: box.Add(image.Pt(120, 0)), Thumb: &face.Thumb, Points: pts}, frameStep, 0},
		// The box changes (detector's box to landmark bounds) and so does
		// its view, but the landmarks stay: the same face.
		{"box jump, landmarks stay", FrameInfo{Box: image.Rect(0, 0, 180, 200), Thumb: &other.Thumb, Points: pts}, frameStep, 0},
		{"appearance jump after a long gap", FrameInfo{Box: image.Rect(0, 0, 180, 200), Thumb: &other.Thumb}, time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession()
			s.Observe(FrameInfo{Time: 0, Box: box, Thumb: &face.Thumb, Points: pts})
			tc.next.Time = tc.dt
			res := s.Observe(tc.next)
			if res.Signals.Jumps != tc.jumps {
				t.Errorf("jumps = %d, want %d", res.Signals.Jumps, tc.jumps)
			}
			if (tc.jumps > 0) != res.Failed || (res.Failed && res.Cause != CauseDiscontinuity) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestSessionFrameScores(t *testing.T) {
	live := Result{Score: 0.9, Margin: 2}
	low := Result{Score: 0.3, Margin: -1, Attack: true, Cause: "color"}
	confident := Result{Score: 0.001, Margin: -10, Attack: true, Confident: true, Cause: "frequency"}
	liveLogit := math.Log(9)
	tests := []struct {
		name     string
		frames   []Result
		cause    string
		failedAt int
		score    float64
		signals  []string
	}{
		{"all live", repeat(live, 20), "", 0, 0.9, nil},
		{"one confident attack frame does not fail", append(repeat(live, 3), confident), "", 0, sigmoid((3*liveLogit - 3) / 4), nil},
		{"borderline frames now and then do not fail", repeatPattern([]Result{live, low, low, live}, 40), "", 0,
			sigmoid((liveLogit + 2*logit(0.3) + liveLogit) / 4), nil},
		{"a run of confident attack frames fails", append(repeat(live, 3), repeat(confident, 6)...), CauseFrameEvidence, 8, FailedScoreMax,
			[]string{"screen_moire"}},
		{"mostly low frames fail", repeat(low, 40), CauseFrameEvidence, 24, FailedScoreMax, []string{"display_color"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession()
			var res SessionResult
			for i := range tc.frames {
				res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Frame: &tc.frames[i]})
			}
			require.Equal(t, tc.cause, res.Cause)
			require.Equal(t, tc.failedAt, res.FailedAt)
			require.Equal(t, tc.cause != "", res.Failed)
			require.InDelta(t, tc.score, res.Score, 1e-9)
			require.Equal(t, tc.signals, res.AttackSignals)
		})
	}
}

func repeatPattern(p []Result, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = p[i%len(p)]
	}
	return out
}

func repeat(r Result, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestSessionStaysFailed(t *testing.T) {
	s := NewSession()
	c := Result{Score: 0, Margin: -5, Attack: true, Confident: true}
	l := Result{Score: 1, Margin: 5}
	for range 5 {
		s.Observe(FrameInfo{Frame: &c})
	}
	res := s.Observe(FrameInfo{Frame: &l})
	require.True(t, res.Failed)
	require.Equal(t, 5, res.FailedAt)
	require.Equal(t, 6, res.Signals.Frames)
	require.LessOrEqual(t, res.Score, FailedScoreMax)
	require.Equal(t, res, s.Result())
}

func TestDHash(t *testing.T) {
	var a, b Thumb
	for i := range a {
		a[i] = uint8(i % ThumbSize * 4) // brightening to the right: no bit set
		b[i] = 255 - a[i]               // darkening: every bit set
	}
	if h := DHash(&a); h != 0 {
		t.Errorf("DHash(ramp up) = %#x", h)
	}
	if h := DHash(&b); h != math.MaxUint64 {
		t.Errorf("DHash(ramp down) = %#x", h)
	}
}

func BenchmarkSessionObserve(b *testing.B) {
	// Frames of a photo moving as a plane: every frame runs the landmark
	// and texture tests (478 landmarks, like a face mesh).
	img, box := loadFace(b)
	d, err := NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var base [][2]float64
	for len(base) < 478 {
		base = append(base, [2]float64{
			float64(box.Min.X) + float64(box.Dx())*(0.1+0.8*rng.Float64()),
			float64(box.Min.Y) + float64(box.Dy())*(0.1+0.8*rng.Float64()),
		})
	}
	var frames []FrameInfo
	for i := 0; i < 8; i++ {
		h := randomPhotoMotion(rng, box, 0.12)
		r, err := d.Check(warp(img, h, 320, 400), box)
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, FrameInfo{Box: box, Points: applyAll(&h, base, rng, 0.3), Thumb: &r.Thumb})
	}
	b.ReportAllocs()
	i := 0
	var s *Session
	for b.Loop() {
		if i%len(frames) == 0 {
			th := DefaultSessionThresholds()
			th.PlanarFrames = 1 << 30 // keep judging
			s = NewSession(WithSessionThresholds(th))
		}
		f := frames[i%len(frames)]
		f.Time = time.Duration(i) * frameStep
		s.Observe(f)
		i++
	}
}
