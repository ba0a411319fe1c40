package spoof

import (
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// laplacianRef is a direct transcription of OpenCV's definition: pad by
// reflect-101, convolve with [0 1 0; 1 −4 1; 0 1 0] in float64, then the
// two-pass population variance (numpy's var).
func laplacianRef(g *image.Gray) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	at := func(x, y int) float64 {
		x, y = reflect101(x, w), reflect101(y, h)
		return float64(g.GrayAt(g.Rect.Min.X+x, g.Rect.Min.Y+y).Y)
	}
	vals := make([]float64, 0, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			vals = append(vals, at(x, y-1)+at(x, y+1)+at(x-1, y)+at(x+1, y)-4*at(x, y))
		}
	}
	var mean float64
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	return ss / float64(len(vals))
}

func grayFrom(w, h int, pix []uint8) *image.Gray {
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

func TestLaplacianVarHand(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		pix  []uint8
		want float64
	}{
		// Laplacian 8 6 4 / 2 0 −2 / −4 −6 −8 (cv2 4.6 agrees).
		{"3x3 ramp", 3, 3, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}, 240.0 / 9},
		{"constant", 4, 3, []uint8{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 0},
		{"single pixel", 1, 1, []uint8{200}, 0},
		// Row 10 20 30: up and down reflect onto the row itself (h = 1),
		// so values are 2·20−2·10 = 20, 10+30−2·20 = 0, 2·20−2·30 = −20.
		{"1x3 row", 3, 1, []uint8{10, 20, 30}, 800.0 / 3},
		// 2×2 [0 255; 255 0]: every neighbour reflects to the other
		// diagonal, each value is 4·(other) − 4·(self) = ±1020.
		{"2x2 diagonal", 2, 2, []uint8{0, 255, 255, 0}, 1020 * 1020},
		// A single bright pixel in the middle of 3×3 zeros: centre −400;
		// each edge pixel sees the centre twice (once directly, once
		// through the reflected border): +200; corners 0. Mean 400/9,
		// var 320000/9 − (400/9)² = 2720000/81.
		{"impulse", 3, 3, []uint8{0, 0, 0, 0, 100, 0, 0, 0, 0}, 2720000.0 / 81},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := grayFrom(tc.w, tc.h, tc.pix)
			if got := LaplacianVar(g); math.Abs(got-tc.want) > 1e-9*math.Max(1, tc.want) {
				t.Errorf("LaplacianVar = %v, want %v", got, tc.want)
			}
			if ref := laplacianRef(g); math.Abs(ref-tc.want) > 1e-9*math.Max(1, tc.want) {
				t.Errorf("reference = %v, want %v", ref, tc.want)
			}
		})
	}
}

func TestLaplacianVarOpenCV(t *testing.T) {
	data, err := os.ReadFile("testdata/laplacian_opencv.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			W, H int
			Kind string
			Pix  []uint8
			Var  float64
		}
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 30 {
		t.Fatalf("only %d golden cases", len(golden.Cases))
	}
	for _, c := range golden.Cases {
		g := grayFrom(c.W, c.H, c.Pix)
		got := LaplacianVar(g)
		if math.Abs(got-c.Var) > 1e-9*math.Max(1, c.Var) {
			t.Errorf("%dx%d %s: LaplacianVar = %.12g, OpenCV %.12g", c.W, c.H, c.Kind, got, c.Var)
		}
	}
}

func TestLaplacianVarBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 200; i++ {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		// A sub-image of a larger one: offset origin and stride > width.
		big := image.NewGray(image.Rect(-3, 5, w+4, h+9))
		for j := range big.Pix {
			switch i % 3 {
			case 0:
				big.Pix[j] = uint8(rng.IntN(256))
			case 1:
				big.Pix[j] = uint8(j * 7)
			default:
				big.Pix[j] = uint8(255 * rng.IntN(2))
			}
		}
		r := image.Rect(-1, 6, -1+w, 6+h)
		g := big.SubImage(r).(*image.Gray)
		got, want := LaplacianVar(g), laplacianRef(g)
		if math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("%v: LaplacianVar = %.12g, reference %.12g", r, got, want)
		}
	}
}

func TestLaplacianVarEmpty(t *testing.T) {
	if v := LaplacianVar(nil); v != 0 {
		t.Errorf("nil: %v", v)
	}
	if v := LaplacianVar(image.NewGray(image.Rect(0, 0, 0, 5))); v != 0 {
		t.Errorf("empty: %v", v)
	}
}

func TestLaplacianVarNoAlloc(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 64, 64))
	if n := testing.AllocsPerRun(10, func() { _ = LaplacianVar(g) }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}
