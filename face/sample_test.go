package face

import (
	"image"
	"image/draw"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/mesh"
	"github.com/openliveness/openliveness/internal/cputime"
)

// The fast paths of the landmark crop (row-wise YCbCr conversion, separable
// taps for unrotated crops) give exactly the samples of the plain loops.
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
		// The reference: YCbCr converted pixel by pixel with image/color,
		// the generic sampling loop.
		sampleCropFrom(tc.a, tc.c, n, want, &reg, false)
		sampleCropFrom(tc.a, tc.c, n, got, &reg, true)
		require.Equal(t, want, got, tc.name)
		sampleCropFrom(tc.b, tc.c, n, got, &reg, true)
		require.Equal(t, want, got, tc.name+" from RGBA")
	}
}

// BenchmarkSampleCrop samples a 192×192 landmark crop of a 330-pixel box
// of a decoded 640×480 frame: with the fast paths and with the plain loops
// (the code before them), and from an RGBA frame.
func BenchmarkSampleCrop(b *testing.B) {
	img, err := Decode(webcamFrame(b), nil)
	require.NoError(b, err)
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	dst := make([]float32, mesh.InputSize*mesh.InputSize*3)
	var reg rgbRegion
	for _, tc := range []struct {
		name   string
		img    image.Image
		planes bool
		c      cropBox
	}{
		{"ycbcr-fast", img, true, cropBox{CX: 320, CY: 250, Side: 330}},
		{"ycbcr-plain", img, false, cropBox{CX: 320, CY: 250, Side: 330}},
		{"ycbcr-fast-rotated", img, true, cropBox{CX: 320, CY: 250, Side: 330, Angle: 0.3}},
		{"ycbcr-plain-rotated", img, false, cropBox{CX: 320, CY: 250, Side: 330, Angle: 0.3}},
		{"rgba", rgba, true, cropBox{CX: 320, CY: 250, Side: 330}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.Process()
			for b.Loop() {
				sampleCropFrom(tc.img, tc.c, mesh.InputSize, dst, &reg, tc.planes)
			}
			cputime.Report(b, cpu, 0)
		})
	}
}
