package fitdata

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/openliveness/openliveness/spoof"
)

func TestDegrade(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 200, 160))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 13)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		img, err := Degrade(src, rng, 64)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() < 63 || b.Dx() > 200 || b.Dy() > 160 {
			t.Errorf("degraded size %v", b)
		}
		// The aspect ratio is kept.
		if r := float64(b.Dx()) / float64(b.Dy()); r < 1.2 || r > 1.3 {
			t.Errorf("aspect %v", r)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"s1/a.png", "s1/b.png", "s2/c.png", "top.png", "notes.txt"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(full)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(p) == ".png" {
			img := image.NewRGBA(image.Rect(0, 0, 80, 80))
			for i := range img.Pix {
				img.Pix[i] = uint8(i * 7)
			}
			img.Set(0, 0, color.RGBA{255, 0, 0, 255})
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	d, err := spoof.NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	samples, files, err := Load(context.Background(), d, dir, true, Augment{N: 2, MinSide: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 12 || len(files) != 12 {
		t.Fatalf("%d samples, %d files", len(samples), len(files))
	}
	groups := map[string]int{}
	derived := 0
	for _, s := range samples {
		groups[s.Group]++
		if s.Derived {
			derived++
		}
		if !s.Live {
			t.Error("sample not live")
		}
	}
	if groups["s1"] != 6 || groups["s2"] != 3 || groups[""] != 3 || derived != 8 {
		t.Errorf("groups %v, derived %d", groups, derived)
	}
	if _, _, err := Load(context.Background(), d, t.TempDir(), true, Augment{}); err == nil {
		t.Error("empty folder: no error")
	}
}
