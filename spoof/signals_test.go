package spoof

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildTapsAreaMean(t *testing.T) {
	tests := []struct {
		name     string
		a, s     float64
		n, size  int
		wantSums []float64 // resampled values of the source 0, 1, 2, …
	}{
		{"halve", 0, 2, 4, 8, []float64{0.5, 2.5, 4.5, 6.5}},
		{"identity", 0, 1, 4, 4, []float64{0, 1, 2, 3}},
		{"third", 0, 3, 2, 6, []float64{1, 4}},
		{"fractional", 0.5, 1.5, 2, 4, []float64{(0.5*0 + 1*1) / 1.5, (1*2 + 0.5*3) / 1.5}},
		{"clamped left", -1, 2, 2, 4, []float64{0, 1.5}},
		{"enlarge", 0, 0.5, 4, 2, []float64{0, 0.25, 0.75, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			taps, ws := buildTaps(nil, nil, tc.a, tc.s, tc.n, tc.size)
			for i, tp := range taps {
				var v, sum float64
				for j := 0; j < tp.n; j++ {
					k := tp.k0 + j
					if k < 0 || k >= tc.size {
						t.Fatalf("output %d reads index %d outside [0,%d)", i, k, tc.size)
					}
					v += float64(ws[tp.off+j]) * float64(k)
					sum += float64(ws[tp.off+j])
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Errorf("output %d: weights sum to %v", i, sum)
				}
				if math.Abs(v-tc.wantSums[i]) > 1e-6 {
					t.Errorf("output %d = %v, want %v", i, v, tc.wantSums[i])
				}
			}
		})
	}
}

func TestResampleAreaMean(t *testing.T) {
	// Downscaling by an integer factor is the mean of each block, whether
	// the horizontal pass uses prefix sums (shrinking) or taps.
	const n = 256
	pix := make([]uint8, n*n)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	p := plane{pix: pix, stride: n, w: n, h: n}
	var r resampler
	dst := make([]uint8, 64*64)
	r.resample(p, 0, 0, 4, 4, dst, 64, 64)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			sum := 0
			for j := 0; j < 4; j++ {
				for i := 0; i < 4; i++ {
					sum += int(pix[(4*y+j)*n+4*x+i])
				}
			}
			want := float64(sum) / 16
			if math.Abs(float64(dst[y*64+x])-want) > 0.5+1e-6 {
				t.Fatalf("(%d,%d) = %d, want %.2f", x, y, dst[y*64+x], want)
			}
		}
	}
	// A constant plane stays constant when enlarged, shrunk or shifted
	// past its edges.
	for i := range pix {
		pix[i] = 77
	}
	for _, sc := range []float64{0.3, 1, 2.7} {
		r.resample(p, -20, 30.5, sc, sc, dst, 64, 64)
		for i, v := range dst {
			if v != 77 {
				t.Fatalf("scale %v: pixel %d = %d", sc, i, v)
			}
		}
	}
}

func TestLBPHist(t *testing.T) {
	const n = 16
	flat := make([]uint8, n*n)
	check := make([]uint8, n*n)
	for i := range flat {
		flat[i] = 90
		if (i%n+i/n)%2 == 0 {
			check[i] = 200
		}
	}
	var h [10]float64
	lbpHist(flat, n, &h)
	if h[8] != 1 {
		t.Errorf("flat image: %v, want all in bin 8", h)
	}
	// A checkerboard: dark centres see every neighbour ≥ (bin 8); bright
	// centres see only the diagonals (4 transitions: non-uniform, bin 9).
	lbpHist(check, n, &h)
	if math.Abs(h[8]-0.5) > 0.01 || math.Abs(h[9]-0.5) > 0.01 {
		t.Errorf("checkerboard: %v", h)
	}
	// A vertical edge: dark pixels beside it see every neighbour ≥ (bin
	// 8), bright ones miss their three dark neighbours (5 set bits, bin 5).
	edge := make([]uint8, n*n)
	for i := range edge {
		if i%n >= n/2 {
			edge[i] = 255
		}
	}
	lbpHist(edge, n, &h)
	if math.Abs(h[5]-1.0/14) > 1e-9 || math.Abs(h[8]-13.0/14) > 1e-9 {
		t.Errorf("edge: %v", h)
	}
	var sum float64
	for _, v := range h {
		sum += v
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("histogram sums to %v", sum)
	}
}

func TestLBPLabel(t *testing.T) {
	tests := []struct {
		p    uint8
		want uint8
	}{
		{0b00000000, 0}, {0b11111111, 8}, {0b00000001, 1}, {0b10000001, 2},
		{0b00111000, 3}, {0b01010101, 9}, {0b00100100, 9}, {0b11110000, 4},
	}
	for _, tc := range tests {
		if got := lbpLabel[tc.p]; got != tc.want {
			t.Errorf("lbpLabel[%08b] = %d, want %d", tc.p, got, tc.want)
		}
	}
}

// naiveSpectrum computes the spectrum signals with a plain O(n³) DFT.
func naiveSpectrum(gray []uint8, n int) (high, mid, moire float64) {
	var mean float64
	for _, v := range gray {
		mean += float64(v)
	}
	mean /= float64(n * n)
	win := func(i int) float64 { return 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(n)) }
	rows := make([]complex128, n*n)
	for y := 0; y < n; y++ {
		for u := 0; u < n; u++ {
			var s complex128
			for x := 0; x < n; x++ {
				v := (float64(gray[y*n+x]) - mean) * win(x) * win(y)
				s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(u*x)/float64(n)))
			}
			rows[y*n+u] = s
		}
	}
	var total, band, peak float64
	bandN := 0
	half := n / 2
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			var s complex128
			for y := 0; y < n; y++ {
				s += rows[y*n+u] * cmplx.Exp(complex(0, -2*math.Pi*float64(v*y)/float64(n)))
			}
			fu, fv := u, v
			if fu >= half {
				fu -= n
			}
			if fv >= half {
				fv -= n
			}
			if fu == 0 && fv == 0 {
				continue
			}
			pw := real(s)*real(s) + imag(s)*imag(s)
			r := math.Hypot(float64(fu), float64(fv)) / float64(half)
			total += pw
			switch {
			case r > 0.5:
				high += pw
			case r > 0.125:
				mid += pw
			}
			if r > 0.25 && fu*fu > 4 && fv*fv > 4 {
				band += pw
				bandN++
				peak = math.Max(peak, pw)
			}
		}
	}
	return high / total, mid / total, math.Log10(peak / (band / float64(bandN)))
}

func TestSpectrumMatchesDFT(t *testing.T) {
	w := newWork()
	rng := rand.New(rand.NewPCG(5, 6))
	for y := 0; y < faceSize; y++ {
		for x := 0; x < faceSize; x++ {
			v := 128 + 60*math.Sin(float64(x)/9) + 30*math.Cos(float64(x+2*y)/3) + float64(rng.IntN(40))
			w.gray[y*faceSize+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	var sg Signals
	w.spectrum(&sg)
	high, mid, moire := naiveSpectrum(w.gray[:], faceSize)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"HighFreq", sg.HighFreq, high}, {"MidFreq", sg.MidFreq, mid}, {"Moire", sg.Moire, moire}} {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %.12g, naive DFT %.12g", c.name, c.got, c.want)
		}
	}
}

// faceLike paints a smooth face-sized blob with some texture.
func faceLike(img *image.RGBA, box image.Rectangle, rng *rand.Rand) {
	cx, cy := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			dx, dy := (float64(x)-cx)/float64(box.Dx()), (float64(y)-cy)/float64(box.Dy())
			v := 190 - 120*(dx*dx+dy*dy) + float64(rng.IntN(20))
			img.SetRGBA(x, y, color.RGBA{uint8(v), uint8(v * 0.8), uint8(v * 0.7), 255})
		}
	}
}

func TestMoireSignal(t *testing.T) {
	// A screen's pixel grid adds a periodic pattern: a sharp spectral peak.
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(0, 0, 256, 256)
	plain := image.NewRGBA(box)
	faceLike(plain, box, rand.New(rand.NewPCG(1, 2)))
	screen := image.NewRGBA(box)
	copy(screen.Pix, plain.Pix)
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			o := screen.PixOffset(x, y)
			g := 18 * math.Sin(2*math.Pi*(float64(x)*0.31+float64(y)*0.23))
			for c := 0; c < 3; c++ {
				screen.Pix[o+c] = uint8(math.Max(0, math.Min(255, float64(screen.Pix[o+c])+g)))
			}
		}
	}
	a, _ := d.Signals(plain, box)
	b, _ := d.Signals(screen, box)
	if b.Moire < a.Moire+1 {
		t.Errorf("moiré: plain %.2f, with a grid %.2f", a.Moire, b.Moire)
	}
	if b.HighFreq <= a.HighFreq {
		t.Errorf("high frequency: plain %.4f, with a grid %.4f", a.HighFreq, b.HighFreq)
	}
}

func TestBorderSignal(t *testing.T) {
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(260, 180, 380, 300) // 120×120 face, context 240×240
	scene := func(lines ...int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{110, 120, 130, 255}), image.Point{}, draw.Src)
		faceLike(img, box, rand.New(rand.NewPCG(3, 4)))
		for _, x := range lines {
			// A phone's dark edge, the full height of the frame.
			draw.Draw(img, image.Rect(x, 0, x+6, 480), image.NewUniform(color.RGBA{20, 20, 20, 255}), image.Point{}, draw.Src)
		}
		return img
	}
	tests := []struct {
		name     string
		lines    []int
		min, max float64
	}{
		{"no frame", nil, 0, 0.3},
		{"one edge", []int{215}, 0, 0.3},
		{"two edges flanking the face", []int{215, 420}, 0.6, 1},
		{"two edges outside the context", []int{150, 470}, 0, 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sg, err := d.Signals(scene(tc.lines...), box)
			if err != nil {
				t.Fatal(err)
			}
			if sg.Border < tc.min || sg.Border > tc.max {
				t.Errorf("Border = %.3f, want in [%v, %v]", sg.Border, tc.min, tc.max)
			}
			if sg.Context != 1 {
				t.Errorf("Context = %v, want 1", sg.Context)
			}
		})
	}
	// A face at the edge of the frame has little context.
	sg, _ := d.Signals(scene(), image.Rect(0, 0, 120, 120))
	if math.Abs(sg.Context-0.5625) > 0.01 { // (180/240)²
		t.Errorf("corner face: Context = %v", sg.Context)
	}
}

func TestImageTypesAgree(t *testing.T) {
	img, box := loadFace(t)
	ycc, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("test face decodes to %T", img)
	}
	rgba := toRGBA(img)
	nrgba := image.NewNRGBA(rgba.Rect)
	copy(nrgba.Pix, rgba.Pix)
	gray := image.NewGray(rgba.Rect)
	draw.Draw(gray, gray.Rect, ycc, ycc.Rect.Min, draw.Src)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := d.Signals(ycc, box)
	if err != nil {
		t.Fatal(err)
	}
	if !ref.Color {
		t.Fatal("colour face measured without colour")
	}
	for _, c := range []struct {
		name  string
		img   image.Image
		color bool
	}{
		{"RGBA", rgba, true},
		{"NRGBA", nrgba, true},
		{"Gray", gray, false},
		{"generic", generic{rgba}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sg, err := d.Signals(c.img, box)
			if err != nil {
				t.Fatal(err)
			}
			if sg.Color != c.color {
				t.Errorf("Color = %v", sg.Color)
			}
			// Luma differs by rounding between the conversions.
			rel := math.Abs(sg.LaplacianVar-ref.LaplacianVar) / ref.LaplacianVar
			if rel > 0.1 {
				t.Errorf("LaplacianVar %.2f vs YCbCr %.2f", sg.LaplacianVar, ref.LaplacianVar)
			}
			if math.Abs(sg.Contrast-ref.Contrast) > 0.01 || math.Abs(sg.HighFreq-ref.HighFreq) > 0.1*ref.HighFreq {
				t.Errorf("contrast %.4f/%.4f, high freq %.5f/%.5f", sg.Contrast, ref.Contrast, sg.HighFreq, ref.HighFreq)
			}
			if c.color && math.Abs(sg.ChromaSpread-ref.ChromaSpread) > 1.5 {
				t.Errorf("chroma spread %.2f vs %.2f", sg.ChromaSpread, ref.ChromaSpread)
			}
		})
	}
	// A grey picture stored as YCbCr has no colour.
	g := image.NewYCbCr(ycc.Rect, image.YCbCrSubsampleRatio420)
	copy(g.Y, ycc.Y)
	for i := range g.Cb {
		g.Cb[i], g.Cr[i] = 128, 128
	}
	if sg, _ := d.Signals(g, box); sg.Color {
		t.Error("grey YCbCr measured with colour")
	}
}

// generic hides the concrete image type.
type generic struct{ image.Image }

func TestCheckErrorsAndAllocations(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []image.Rectangle{{}, image.Rect(400, 500, 500, 600), image.Rect(-50, -50, -1, -1)} {
		if _, err := d.Check(img, b); err != ErrNoFace {
			t.Errorf("box %v: err = %v, want ErrNoFace", b, err)
		}
	}
	// A box reaching outside the frame is cut to it.
	if _, err := d.Check(img, image.Rect(-40, -40, 100, 100)); err != nil {
		t.Errorf("partly outside: %v", err)
	}
	if raceEnabled {
		t.Skip("skipping the allocation count: sync.Pool drops items under the race detector")
	}
	var r Result
	allocs := testing.AllocsPerRun(50, func() {
		if err := d.CheckInto(img, box, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per CheckInto", allocs)
	}
}

// TestCheckWithMesh: the landmark network's responses reach the Signals
// and the score; a check without them scores the mesh features as their
// training mean, and passing exactly those means changes nothing.
func TestCheckWithMesh(t *testing.T) {
	img, box := loadFace(t)
	d, err := NewDetector()
	require.NoError(t, err)
	var plain, nilOpts Result
	require.NoError(t, d.CheckInto(img, box, &plain))
	require.NoError(t, d.CheckWith(img, box, nil, &nilOpts))
	assert.False(t, plain.Signals.HasMesh)
	assert.Equal(t, plain, nilOpts, "CheckInto is CheckWith without options")

	m := d.Model()
	var means, shifted [MeshChannels]float32
	seen := 0
	for i, name := range m.Color.Features {
		for c := range MeshChannels {
			if name == featureNames[fMesh+c] {
				means[c] = float32(m.Color.Mean[i])
				shifted[c] = float32(m.Color.Mean[i] + 2*m.Color.Scale[i])
				seen++
			}
		}
	}
	require.Equal(t, MeshChannels, seen, "the shipped colour model uses every mesh feature")
	var atMean, moved Result
	require.NoError(t, d.CheckWith(img, box, &CheckOptions{Mesh: &means}, &atMean))
	require.NoError(t, d.CheckWith(img, box, &CheckOptions{Mesh: &shifted}, &moved))
	assert.True(t, atMean.Signals.HasMesh)
	assert.Equal(t, float64(means[3]), atMean.Signals.Mesh[3])
	assert.InDelta(t, plain.Score, atMean.Score, 1e-6, "mesh at the training mean scores as no mesh")
	assert.NotEqual(t, plain.Score, moved.Score, "the mesh features take part in the score")
	assert.False(t, math.IsNaN(moved.Score))
}
