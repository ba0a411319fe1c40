package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/spoof"
)

// writeFaces writes n face-like crops per subject: sharp textured ones
// for live, smooth low-contrast ones for attack.
func writeFaces(t *testing.T, dir string, live bool, subjects, n int) {
	rng := rand.New(rand.NewPCG(uint64(subjects), 1))
	for s := 0; s < subjects; s++ {
		sub := filepath.Join(dir, string(rune('a'+s)))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			img := image.NewRGBA(image.Rect(0, 0, 96, 96))
			for y := 0; y < 96; y++ {
				for x := 0; x < 96; x++ {
					v := 120.0 + float64((x*y)%40)
					if live {
						v += float64(rng.IntN(60)) - 30
					} else {
						v = 128 + (v-128)*0.4 + float64(rng.IntN(4))
					}
					c := uint8(max(0, min(255, v)))
					img.Set(x, y, color.RGBA{c, uint8(float64(c) * 0.8), uint8(float64(c) * 0.7), 255})
				}
			}
			f, err := os.Create(filepath.Join(sub, strings.Repeat("x", i+1)+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeFaces(t, filepath.Join(dir, "live"), true, 3, 6)
	writeFaces(t, filepath.Join(dir, "attack"), false, 3, 6)
	out := filepath.Join(dir, "model.json")
	dump := filepath.Join(dir, "dump.csv")
	scores := filepath.Join(dir, "scores.csv")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{
		"-live", filepath.Join(dir, "live"), "-attack", filepath.Join(dir, "attack"),
		"-augment", "1", "-cv", "-cv-scores", scores, "-dump", dump, "-out", out,
	}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "subject-wise cross-validation (3 folds): live 18, attack 18") {
		t.Errorf("output:\n%s", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := spoof.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.CV == nil || m.CV.AUC < 0.9 {
		t.Errorf("cross-validation of separable data: %+v", m.CV)
	}
	if !strings.Contains(m.Data, "1 degraded copies") {
		t.Errorf("Data = %q", m.Data)
	}
	for _, p := range []string{dump, scores} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(string(b), "\n"); lines < 37 {
			t.Errorf("%s: %d lines", filepath.Base(p), lines)
		}
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-live", "x"},
		{"-live", t.TempDir(), "-attack", t.TempDir()},
		{"-bogus"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
