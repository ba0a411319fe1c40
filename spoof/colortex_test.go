package spoof

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColorTexture(t *testing.T) {
	sum := func(h []float64) float64 {
		var s float64
		for _, v := range h {
			s += v
		}
		return s
	}
	tests := []struct {
		name    string
		c       func(x, y int) color.RGBA
		color   bool
		satMean [2]float64 // range
	}{
		{"grey ramp", func(x, y int) color.RGBA {
			v := uint8((x*3 + y*5) % 256)
			return color.RGBA{v, v, v, 255}
		}, false, [2]float64{0, 0}},
		{"saturated red texture", func(x, y int) color.RGBA {
			return color.RGBA{uint8(150 + (x*7+y*3)%100), uint8((x * y) % 40), 10, 255}
		}, true, [2]float64{0.7, 1}},
	}
	d, err := NewDetector()
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, 200, 200))
			for y := range 200 {
				for x := range 200 {
					img.SetRGBA(x, y, tc.c(x, y))
				}
			}
			sg, err := d.Signals(img, image.Rect(50, 50, 150, 150))
			require.NoError(t, err)
			assert.Equal(t, tc.color, sg.Color)
			assert.False(t, math.IsNaN(sg.Skew))
			assert.GreaterOrEqual(t, sg.Clipped, 0.0)
			if !tc.color {
				assert.Zero(t, sg.SatMean)
				assert.Zero(t, sum(sg.LBPSat[:]))
				return
			}
			assert.GreaterOrEqual(t, sg.SatMean, tc.satMean[0])
			assert.LessOrEqual(t, sg.SatMean, tc.satMean[1])
			for _, h := range [][]float64{sg.LBPSat[:], sg.LBPHue[:], sg.LBPCbR2[:], sg.LBPCrR2[:]} {
				assert.InDelta(t, 1, sum(h), 1e-9)
			}
		})
	}
}
