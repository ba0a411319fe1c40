package face

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"

	"golang.org/x/image/draw"
)

// pearson is the correlation of two equal-length bands.
func pearson(a, b []uint8) float64 {
	var sa, sb float64
	for i := range a {
		sa += float64(a[i])
		sb += float64(b[i])
	}
	ma, mb := sa/float64(len(a)), sb/float64(len(b))
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		ab += x * y
		aa += x * x
		bb += y * y
	}
	return ab / math.Sqrt(aa*bb)
}

// moved returns a copy of l translated by (dx, dy) and scaled by s about
// the origin.
func moved(l *Landmarks, s, dx, dy float64) *Landmarks {
	m := *l
	for i, p := range m.Points {
		m.Points[i] = Point{p.X*s + dx, p.Y*s + dy, p.Z * s}
	}
	return &m
}

func TestEyeBand(t *testing.T) {
	a := newTestAnalyzer(t)
	img := testFrame(t)
	res, err := a.Analyze(context.Background(), img, nil)
	if err != nil || len(res.Faces) == 0 || res.Faces[0].Landmarks == nil {
		t.Fatalf("analysis: %v %+v", err, res)
	}
	f := res.Faces[0]
	l := f.Landmarks
	ref := EyeBand(img, l)
	if len(ref) != EyeBandCols*EyeBandRows || len(f.EyeBand) != len(ref) {
		t.Fatalf("band sizes %d and %d, want %d", len(ref), len(f.EyeBand), EyeBandCols*EyeBandRows)
	}
	if c := pearson(ref, f.EyeBand); c < 0.9999 {
		t.Errorf("EyeBand and Face.EyeBand differ: correlation %.4f", c)
	}
	// The eyes are darker than the band's mean: the band sits on them.
	var mean float64
	for _, v := range ref {
		mean += float64(v)
	}
	mean /= float64(len(ref))
	eyeCell := func(p Point) uint8 {
		// Column and row of a landmark in the band.
		s := dist2(l.Points[idxEyeLOuter], l.Points[idxEyeROuter])
		ox := (l.Points[idxEyeLOuter].X + l.Points[idxEyeROuter].X) / 2
		oy := (l.Points[idxEyeLOuter].Y + l.Points[idxEyeROuter].Y) / 2
		u, v := (p.X-ox)/s, (p.Y-oy)/s // the portrait is upright
		j := int((u + eyeBandHalfWidth) / (2 * eyeBandHalfWidth) * EyeBandCols)
		i := int((v - eyeBandTop) / eyeBandHeight * EyeBandRows)
		return ref[i*EyeBandCols+j]
	}
	for _, k := range []int{468, 473} { // irises
		if v := eyeCell(l.Points[k]); float64(v) > mean-20 {
			t.Errorf("iris %d cell %d not darker than the band mean %.0f", k, v, mean)
		}
	}

	b := img.Bounds()
	draw2 := func(dst draw.Image, r image.Rectangle) {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
		draw.BiLinear.Scale(dst, r, img, b, draw.Src, nil)
	}
	// The same picture moved by whole pixels, with its landmarks, gives
	// the same band.
	shifted := image.NewRGBA(image.Rect(0, 0, b.Dx()+60, b.Dy()+40))
	draw.Draw(shifted, shifted.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	draw.Draw(shifted, b.Add(image.Pt(37, 21)), img, b.Min, draw.Src)
	if c := pearson(ref, EyeBand(shifted, moved(l, 1, 37, 21))); c < 0.999 {
		t.Errorf("shifted picture: correlation %.4f", c)
	}
	// Twice as large: each cell is still its area's mean.
	big := image.NewRGBA(image.Rect(0, 0, 2*b.Dx(), 2*b.Dy()))
	draw2(big, big.Bounds())
	if c := pearson(ref, EyeBand(big, moved(l, 2, 0, 0))); c < 0.98 {
		t.Errorf("doubled picture: correlation %.4f", c)
	}
	// Grey and YCbCr copies agree with the RGB picture.
	gray := image.NewGray(b)
	draw.Draw(gray, b, img, b.Min, draw.Src)
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio444)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ycc.Y[ycc.YOffset(x, y)], ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = yy, cb, cr
		}
	}
	for name, im := range map[string]image.Image{"gray": gray, "ycbcr": ycc} {
		got := EyeBand(im, l)
		for i := range got {
			if d := int(got[i]) - int(ref[i]); d < -3 || d > 3 {
				t.Errorf("%s: cell %d = %d, RGB gives %d", name, i, got[i], ref[i])
				break
			}
		}
	}
	// Dimmer light changes the values, not the correlation.
	dim := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			dim.Set(x, y, color.RGBA{uint8(r >> 8 * 6 / 10), uint8(g >> 8 * 6 / 10), uint8(bl >> 8 * 6 / 10), 255})
		}
	}
	if c := pearson(ref, EyeBand(dim, l)); c < 0.99 {
		t.Errorf("dimmed picture: correlation %.4f", c)
	}

	// No band without landmarks or image, or for a face too small.
	if EyeBand(img, nil) != nil || EyeBand(nil, l) != nil {
		t.Error("band without landmarks or image")
	}
	if s := EyeBand(img, moved(l, 10/l.InterOcular(), 0, 0)); s != nil {
		t.Errorf("band for a face 10 pixels across the eyes: %v", s)
	}
}

// TestEyeBandOrientation draws a dark line across and a dark line down a
// synthetic face at known places in the face's own frame, for several head
// rolls, and finds them in the expected band row and column.
func TestEyeBandOrientation(t *testing.T) {
	for _, roll := range []float64{0, 25, -40} {
		l := rotatedFace(0, 0, roll)
		o := l.Points[idxEyeLOuter].add(l.Points[idxEyeROuter]).scale(0.5)
		s := l.InterOcular()
		sin, cos := math.Sincos(roll * math.Pi / 180)
		img := image.NewGray(image.Rect(0, 0, 400, 400))
		for y := range 400 {
			for x := range 400 {
				dx, dy := float64(x)-o.X, float64(y)-o.Y
				u, v := (dx*cos+dy*sin)/s, (-dx*sin+dy*cos)/s
				c := uint8(200)
				if math.Abs(v-0.075) < 0.0125 || math.Abs(u-0.39) < 0.015 {
					c = 30
				}
				img.Pix[y*img.Stride+x] = c
			}
		}
		band := EyeBand(img, l)
		if band == nil {
			t.Fatalf("roll %v: no band", roll)
		}
		darkest := func(n, m int, at func(i, j int) uint8) int {
			best, bi := math.Inf(1), -1
			for i := range n {
				var sum float64
				for j := range m {
					sum += float64(at(i, j))
				}
				if sum < best {
					best, bi = sum, i
				}
			}
			return bi
		}
		row := darkest(EyeBandRows, EyeBandCols, func(i, j int) uint8 { return band[i*EyeBandCols+j] })
		col := darkest(EyeBandCols, EyeBandRows, func(j, i int) uint8 { return band[i*EyeBandCols+j] })
		// v = 0.075 is row (0.075+0.08)/0.025 = 6.2; u = 0.39 is column
		// (0.39+0.75)/0.0375 = 30.4.
		if row != 6 || col != 30 {
			t.Errorf("roll %v: dark row %d column %d, want 6 and 30", roll, row, col)
		}
	}
}

func BenchmarkEyeBand(b *testing.B) {
	img, err := Decode(webcamFrame(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	res, err := newTestAnalyzer(b).Analyze(context.Background(), img, nil)
	if err != nil || len(res.Faces) == 0 {
		b.Fatalf("analysis: %v", err)
	}
	l := res.Faces[0].Landmarks
	b.ReportAllocs()
	for b.Loop() {
		EyeBand(img, l)
	}
}
