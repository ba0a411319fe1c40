package face

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/mesh"
	"github.com/openliveness/openliveness/internal/cputime"
)

// imagingCrop is the landmark crop of sampleCrop written with
// github.com/disintegration/imaging (crop, rotate, resize, then the same
// float32 conversion): the comparison docs/performance.md quotes for
// keeping imaging off the per-frame path. Off-image samples and the
// crop_and_resize corner convention are not reproduced; only the cost is
// compared.
func imagingCrop(img image.Image, c cropBox, n int, dst []float32) {
	side := int(math.Round(c.Side))
	at := func(cx, cy, s int) image.Rectangle { return image.Rect(cx-s/2, cy-s/2, cx-s/2+s, cy-s/2+s) }
	cx, cy := int(math.Round(c.CX)), int(math.Round(c.CY))
	var m *image.NRGBA
	if c.Angle == 0 {
		m = imaging.Crop(img, at(cx, cy, side))
	} else {
		sin, cos := math.Sincos(c.Angle)
		big := int(math.Ceil(c.Side*(math.Abs(sin)+math.Abs(cos)))) + 2
		rot := imaging.Rotate(imaging.Crop(img, at(cx, cy, big)), c.Angle*180/math.Pi, color.Black)
		b := rot.Bounds()
		m = imaging.Crop(rot, at(b.Dx()/2, b.Dy()/2, side))
	}
	m = imaging.Resize(m, n, n, imaging.Linear)
	const inv = 1.0 / 255
	for i := 0; i < n*n; i++ {
		p := m.Pix[4*i : 4*i+3 : 4*i+3]
		dst[3*i], dst[3*i+1], dst[3*i+2] = float32(p[0])*inv, float32(p[1])*inv, float32(p[2])*inv
	}
}

// BenchmarkImaging compares, on one decoded 640×480 webcam frame, the
// per-frame image steps of this package with the same steps written with
// imaging: JPEG decoding, and the 192×192 landmark crop of a 330-pixel box,
// upright and rotated. imaging converts to *image.NRGBA and spreads each
// call over goroutines, so cpu-ms/op (all threads) is the figure to
// compare next to ns/op.
func BenchmarkImaging(b *testing.B) {
	data := webcamFrame(b)
	img, err := Decode(data, nil)
	require.NoError(b, err)
	n := mesh.InputSize
	dst := make([]float32, n*n*3)
	var reg rgbRegion
	upright := cropBox{CX: 320, CY: 250, Side: 330}
	rotated := cropBox{CX: 320, CY: 250, Side: 330, Angle: 0.3}
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"decode/face", func() { _, err = Decode(data, nil) }},
		{"decode/imaging", func() { _, err = imaging.Decode(bytes.NewReader(data)) }},
		{"crop/face", func() { sampleCrop(img, upright, n, dst, &reg) }},
		{"crop/imaging", func() { imagingCrop(img, upright, n, dst) }},
		{"crop-rotated/face", func() { sampleCrop(img, rotated, n, dst, &reg) }},
		{"crop-rotated/imaging", func() { imagingCrop(img, rotated, n, dst) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.Process()
			for b.Loop() {
				bc.f()
			}
			cputime.Report(b, cpu, 0)
			require.NoError(b, err)
		})
	}
}

// The imaging crop of the benchmark samples the same face region as
// sampleCrop: its mean colour is within a few levels.
func TestImagingCropComparable(t *testing.T) {
	img, err := Decode(webcamFrame(t), nil)
	require.NoError(t, err)
	n := mesh.InputSize
	want, got := make([]float32, n*n*3), make([]float32, n*n*3)
	var reg rgbRegion
	for _, c := range []cropBox{{CX: 320, CY: 250, Side: 330}, {CX: 320, CY: 250, Side: 330, Angle: 0.3}} {
		sampleCrop(img, c, n, want, &reg)
		imagingCrop(img, c, n, got)
		var diff float64
		for i := range want {
			diff += math.Abs(float64(want[i] - got[i]))
		}
		t.Logf("angle %v: mean absolute difference %.4f", c.Angle, diff/float64(len(want)))
		require.Less(t, diff/float64(len(want)), 0.03, "mean absolute difference, angle %v", c.Angle)
	}
}
