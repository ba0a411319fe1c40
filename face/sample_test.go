package face

import (
	"image"
	"image/draw"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/mesh"
)

// Sampling the landmark crop straight from the Y, Cb and Cr planes gives
// the samples of converting the frame to RGB first, up to the 8-bit
// rounding of that conversion.
func TestSampleYCbCrMatchesRGB(t *testing.T) {
	img, err := Decode(webcamFrame(t), nil)
	require.NoError(t, err)
	m, ok := img.(*image.YCbCr)
	require.True(t, ok)
	rgba := image.NewRGBA(m.Bounds())
	draw.Draw(rgba, rgba.Bounds(), m, m.Bounds().Min, draw.Src)
	sub := m.SubImage(image.Rect(3, 5, 611, 470)).(*image.YCbCr)
	subRGBA := rgba.SubImage(sub.Rect)
	n := mesh.InputSize
	got, want := make([]float32, n*n*3), make([]float32, n*n*3)
	var reg rgbRegion
	for _, tc := range []struct {
		name string
		a, b image.Image
		c    cropBox
	}{
		{"centre", m, rgba, cropBox{CX: 320, CY: 250, Side: 300}},
		{"rotated", m, rgba, cropBox{CX: 300, CY: 230, Side: 280, Angle: 0.4}},
		{"off the edge", m, rgba, cropBox{CX: 40, CY: 450, Side: 200}},
		{"small", m, rgba, cropBox{CX: 320, CY: 200, Side: 90}},
		{"sub-image", sub, subRGBA, cropBox{CX: 300, CY: 240, Side: 260, Angle: -0.3}},
	} {
		sampleCrop(tc.a, tc.c, n, got, &reg)
		sampleCrop(tc.b, tc.c, n, want, &reg)
		var worst, sum float64
		far := 0
		for i := range got {
			d := math.Abs(float64(got[i]-want[i])) * 255
			worst = max(worst, d)
			sum += d
			if d > 1 {
				far++
			}
		}
		t.Logf("%s: mean |difference| %.3f, max %.2f levels, %d of %d samples above 1 level", tc.name, sum/float64(len(got)), worst, far, len(got))
		// Rounding: within one level. Clipping (a pixel converted to RGB
		// outside 0..255): a few samples at saturated colour edges.
		assert.LessOrEqual(t, sum/float64(len(got)), 0.35, tc.name)
		assert.LessOrEqual(t, far, len(got)/200, tc.name)
		assert.LessOrEqual(t, worst, 16.0, tc.name)
	}
}

func BenchmarkSampleCrop(b *testing.B) {
	img, err := Decode(webcamFrame(b), nil)
	require.NoError(b, err)
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	dst := make([]float32, mesh.InputSize*mesh.InputSize*3)
	var reg rgbRegion
	c := cropBox{CX: 320, CY: 250, Side: 330}
	for _, tc := range []struct {
		name string
		img  image.Image
	}{{"ycbcr-planes", img}, {"rgba", rgba}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sampleCrop(tc.img, c, mesh.InputSize, dst, &reg)
			}
		})
	}
}
