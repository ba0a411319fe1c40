package spoof

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"
)

// benchFrame is a 640×480 4:2:0 frame of noise with a face-sized box.
func benchFrame() (*image.YCbCr, image.Rectangle) {
	img := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Y {
		img.Y[i] = uint8(rng.IntN(256))
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(100 + rng.IntN(56))
		img.Cr[i] = uint8(120 + rng.IntN(40))
	}
	return img, image.Rect(220, 140, 420, 340)
}

func BenchmarkCheck(b *testing.B) {
	img, box := benchFrame()
	rgba := image.NewRGBA(img.Rect)
	gray := image.NewGray(img.Rect)
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			c := img.YCbCrAt(x, y)
			rgba.Set(x, y, c)
			gray.SetGray(x, y, color.Gray{Y: c.Y})
		}
	}
	d, err := NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		img  image.Image
	}{{"YCbCr", img}, {"RGBA", rgba}, {"Gray", gray}} {
		b.Run(bc.name, func(b *testing.B) {
			var r Result
			b.ReportAllocs()
			for b.Loop() {
				if err := d.CheckInto(bc.img, box, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLaplacianVar(b *testing.B) {
	img := image.NewGray(image.Rect(0, 0, faceSize, faceSize))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = LaplacianVar(img)
	}
}

// BenchmarkFrame is the whole per-frame spoof cost of a session frame:
// Check on a 640×480 YCbCr frame, then Session.Observe with the thumb and
// 68 landmarks that move a little every frame (motion tests included).
func BenchmarkFrame(b *testing.B) {
	img, box := benchFrame()
	d, err := NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	base := make([][2]float64, 68)
	for i := range base {
		base[i] = [2]float64{float64(box.Min.X) + rng.Float64()*float64(box.Dx()), float64(box.Min.Y) + rng.Float64()*float64(box.Dy())}
	}
	pts := make([][2]float64, len(base))
	s := NewSession()
	var r Result
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := d.CheckInto(img, box, &r); err != nil {
			b.Fatal(err)
		}
		k++
		for i, p := range base {
			pts[i] = [2]float64{p[0] + float64(k%7) + rng.Float64(), p[1] + float64(k%5)*0.5 + rng.Float64()}
		}
		s.Observe(FrameInfo{Time: time.Duration(k) * 40 * time.Millisecond, Box: box, Points: pts, Thumb: &r.Thumb, Frame: &r})
	}
}
