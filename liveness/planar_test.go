package liveness_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

// A printed photo moved in front of the camera (tilted and shifted: random
// homographies of one image) fails on planar motion within 10 frames.
func TestPlanarPhotoFails(t *testing.T) {
	src, err := face.Decode(stillFrame(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(170, 110, 470, 410) // around the face of the test frame
	for seed := uint64(1); seed <= 3; seed++ {
		clk := newClock()
		e := newEngine(t, clk)
		ctx := context.Background()
		c, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, Challenges: []challenge.ID{challenge.TurnLeft}})
		rng := rand.New(rand.NewPCG(seed, 7))
		var s *liveness.Session
		var out *liveness.Outcome
		n := 0
		for n < 20 {
			n++
			frame := warpJPEG(t, src, photoMotion(rng, box, 0.12))
			clk.Advance(120 * time.Millisecond)
			if out, err = e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: frame}}, nil); err != nil {
				t.Fatal(err)
			}
			if s = out.Session; s.Status.Final() {
				break
			}
		}
		if s.Status != liveness.StatusFailed || s.Reason != liveness.ReasonSpoof || n >= 10 {
			t.Errorf("seed %d: %s %s (%s) after %d frames; want spoof_detected within 10 frames; signals %+v", seed, s.Status, s.Reason, out.Spoof.Cause, n, out.Spoof.Signals)
		} else {
			t.Logf("seed %d: %s after %d frames", seed, out.Spoof.Cause, n)
		}
	}
}

// photoMotion displaces each corner of box by up to frac of its size, plus
// a common shift.
func photoMotion(rng *rand.Rand, box image.Rectangle, frac float64) spoof.Homography {
	s := float64(box.Dx())
	corners := [][2]float64{
		{float64(box.Min.X), float64(box.Min.Y)}, {float64(box.Max.X), float64(box.Min.Y)},
		{float64(box.Max.X), float64(box.Max.Y)}, {float64(box.Min.X), float64(box.Max.Y)},
	}
	shift := [2]float64{(rng.Float64() - 0.5) * 0.2 * s, (rng.Float64() - 0.5) * 0.2 * s}
	moved := make([][2]float64, 4)
	for i, c := range corners {
		moved[i] = [2]float64{c[0] + shift[0] + (rng.Float64()*2-1)*frac*s, c[1] + shift[1] + (rng.Float64()*2-1)*frac*s}
	}
	// Map the moved corners back to the originals: the inverse warp.
	h, ok := spoof.FitHomography(moved, corners)
	if !ok {
		panic("degenerate corners")
	}
	return h
}

// warpJPEG renders src through the inverse homography inv (nearest
// neighbour, grey outside) and encodes it as a JPEG.
func warpJPEG(t *testing.T, src image.Image, inv spoof.Homography) []byte {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := inv.Apply([2]float64{float64(x), float64(y)})
			sx, sy := int(math.Round(p[0])), int(math.Round(p[1]))
			o := dst.PixOffset(x, y)
			if !image.Pt(sx, sy).In(b) {
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = 128, 128, 128, 255
				continue
			}
			r, g, bl, _ := src.At(sx, sy).RGBA()
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
