package face

import (
	"context"
	"image"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/image/draw"
)

func TestPadGray(t *testing.T) {
	g := image.NewGray(image.Rect(10, 20, 14, 23)) // 4×3, off origin
	for i := range g.Pix {
		g.Pix[i] = uint8(i)
	}
	p := padGray(g, 2)
	require.Equal(t, image.Rect(8, 18, 16, 25), p.Bounds())
	for y := 20; y < 23; y++ {
		for x := 10; x < 14; x++ {
			require.Equal(t, g.GrayAt(x, y), p.GrayAt(x, y), "inside (%d,%d)", x, y)
		}
	}
	// Mirrored without repeating the edge: column 9 mirrors 11, row 19 row 21.
	require.Equal(t, g.GrayAt(11, 20), p.GrayAt(9, 20))
	require.Equal(t, g.GrayAt(12, 20), p.GrayAt(14, 20))
	require.Equal(t, g.GrayAt(10, 21), p.GrayAt(10, 19))
	require.Equal(t, g.GrayAt(11, 21), p.GrayAt(9, 19))
	// A margin larger than the image is cut to what mirroring can fill.
	require.Equal(t, image.Rect(8, 18, 16, 25), padGray(g, 50).Bounds())
}

// TestAnalyzeTightCrop: a face cut out tight around its detector box (as
// face datasets and attack crops are) is still found, by the padded retry.
func TestAnalyzeTightCrop(t *testing.T) {
	data, err := os.ReadFile("../testdata/face.jpg")
	require.NoError(t, err)
	img, err := Decode(data, nil)
	require.NoError(t, err)
	a, err := NewAnalyzer()
	require.NoError(t, err)
	res, err := a.Analyze(context.Background(), img, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Faces)
	// The face only: the detector's box less a sixth on every side.
	b := res.Faces[0].Box.Intersect(img.Bounds())
	box := b.Inset(b.Dx() / 6)
	for _, side := range []int{box.Dx(), 200, 120} {
		crop := image.NewRGBA(image.Rect(0, 0, side, side*box.Dy()/box.Dx()))
		draw.ApproxBiLinear.Scale(crop, crop.Rect, img, box, draw.Src, nil)
		require.Empty(t, a.det.Detect(crop), "side %d: the detector alone finds the tight crop: the test shows nothing", side)
		res, err := a.Analyze(context.Background(), crop, nil)
		require.NoError(t, err)
		require.NotEmpty(t, res.Faces, "side %d", side)
		require.NotNil(t, res.Faces[0].Landmarks, "side %d", side)
	}
}
