// Package fitdata loads labelled folders of face crops as training
// samples for spoof.Fit, with optional degraded copies. It is shared by the
// spooffit command and the evaluation tests, so both fit the same way.
package fitdata

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"
	"golang.org/x/image/draw"

	"github.com/openliveness/openliveness/spoof"
)

// Augment asks Load for N degraded copies of every image (see Degrade),
// drawn from a PCG generator seeded with Seed for each folder.
type Augment struct {
	N       int
	MinSide int
	Seed    uint64
}

// Shipped is the default augmentation of spooffit -live/-attack (the
// former NUAA-only model was fit with it; the shipped model now comes
// from spooffit -root, internal/padfit).
var Shipped = Augment{N: 6, MinSide: 64, Seed: 1}

// Load measures every JPEG or PNG image under dir, in lexical order, as a
// face crop (the whole image is the face region). The first folder level
// below dir names the sample's group (subject). It returns the samples
// and their file names (a degraded copy k of file F is named "F#k").
func Load(ctx context.Context, det *spoof.Detector, dir string, live bool, a Augment) ([]spoof.Sample, []string, error) {
	rng := rand.New(rand.NewPCG(a.Seed, 0))
	var samples []spoof.Sample
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
			return nil
		}
		img, err := imaging.Open(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		group := ""
		if parts := strings.Split(filepath.ToSlash(rel), "/"); len(parts) > 1 {
			group = parts[0]
		}
		for k := 0; k <= a.N; k++ {
			im, name := img, path
			if k > 0 {
				if im, err = Degrade(img, rng, a.MinSide); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				name = fmt.Sprintf("%s#%d", path, k)
			}
			sg, err := det.Signals(im, im.Bounds())
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			samples = append(samples, spoof.Sample{Signals: sg, Live: live, Group: group, Derived: k > 0})
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(samples) == 0 {
		return nil, nil, fmt.Errorf("fitdata: no images under %s", dir)
	}
	return samples, files, nil
}

// Degrade returns a copy of img as a worse camera would capture it: a
// smaller face (longer side log-uniform between minSide and the original),
// a lower contrast about mid-grey with a brightness shift, and JPEG
// compression at quality 55–94. The same degradations are applied to both
// classes, so they cannot become a cue: the model has to separate live
// faces from attacks whatever the camera.
func Degrade(img image.Image, rng *rand.Rand, minSide int) (image.Image, error) {
	b := img.Bounds()
	side := max(b.Dx(), b.Dy())
	lo := math.Log(float64(min(minSide, side)))
	hi := math.Log(float64(side))
	s := math.Exp(lo+rng.Float64()*(hi-lo)) / float64(side)
	w, h := max(1, int(math.Round(float64(b.Dx())*s))), max(1, int(math.Round(float64(b.Dy())*s)))
	// x/image's BiLinear rather than imaging.Resize: the copies stay
	// pixel-identical to those the former NUAA-only model was fitted on.
	small := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(small, small.Rect, img, b, draw.Src, nil)
	c := 0.6 + 0.4*rng.Float64()
	off := (rng.Float64() - 0.5) * 40
	adj := func(v uint8) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(128+c*(float64(v)-128)+off)))) }
	soft := imaging.AdjustFunc(small, func(p color.NRGBA) color.NRGBA { return color.NRGBA{adj(p.R), adj(p.G), adj(p.B), p.A} })
	var buf bytes.Buffer
	if err := imaging.Encode(&buf, soft, imaging.JPEG, imaging.JPEGQuality(55+rng.IntN(40))); err != nil {
		return nil, err
	}
	return imaging.Decode(&buf)
}

// ShippedOptions are the default Fit options of spooffit -live/-attack.
func ShippedOptions() *spoof.FitOptions {
	return &spoof.FitOptions{
		L2:          1,
		TargetBPCER: 0.01,
		Data: "NUAA Photograph Imposter Database face crops, subjects 0001-0009: 449 live and 448 " +
			"printed-photo captures, each with 6 degraded copies (min side 64, seed 1)",
	}
}
