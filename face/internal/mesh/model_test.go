package mesh

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// Landmark subsets of spec §8.2 and §8.3, in refinement order.
var (
	specEye33 = []int{
		33, 7, 163, 144, 145, 153, 154, 155, 133, // Lower0
		246, 161, 160, 159, 158, 157, 173, // Upper0
		130, 25, 110, 24, 23, 22, 26, 112, 243, // Lower1
		247, 30, 29, 27, 28, 56, 190, // Upper1
		226, 31, 228, 229, 230, 231, 232, 233, 244, // Lower2
		113, 225, 224, 223, 222, 221, 189, // Upper2
		35, 124, 46, 53, 52, 65, // BrowLower
		143, 111, 117, 118, 119, 120, 121, 128, 245, // Lower3
		156, 70, 63, 105, 66, 107, 55, 193, // BrowUpper
	}
	specEye263 = []int{
		263, 249, 390, 373, 374, 380, 381, 382, 362,
		466, 388, 387, 386, 385, 384, 398,
		359, 255, 339, 254, 253, 252, 256, 341, 463,
		467, 260, 259, 257, 258, 286, 414,
		446, 261, 448, 449, 450, 451, 452, 453, 464,
		342, 445, 444, 443, 442, 441, 413,
		265, 353, 276, 283, 282, 295,
		372, 340, 346, 347, 348, 349, 350, 357, 465,
		383, 300, 293, 334, 296, 336, 285, 417,
	}
	specLips = []int{
		61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
		185, 40, 39, 37, 0, 267, 269, 270, 409,
		78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
		191, 80, 81, 82, 13, 312, 311, 310, 415,
		76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
		184, 74, 73, 72, 11, 302, 303, 304, 408,
		62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
		183, 42, 41, 38, 12, 268, 271, 272, 407,
	}
)

func loadModel(t testing.TB) *Model {
	t.Helper()
	m, err := Load()
	require.NoError(t, err)
	return m
}

func TestLoadStructure(t *testing.T) {
	m := loadModel(t)
	p := m.p
	var blocks, convs, samples int
	for _, st := range p.steps {
		switch st.kind {
		case stepBlock:
			blocks++
		case stepConv:
			convs++
		case stepSample:
			samples++
		}
	}
	// Trunk: stem, 17 blocks, reduction, 1 block, 2 heads. Each of the five
	// sub-network tails shares the 4×4 fork of its region (spec §5.2).
	if blocks != 66 || convs != 14 || samples != 3 {
		t.Errorf("program has %d blocks, %d convolutions, %d samplers; want 66, 14, 3", blocks, convs, samples)
	}
	tests := []struct {
		name    string
		r       int
		indices []int
		a, b    int
		heads   []string
	}{
		{"lips", regionLips, specLips, 61, 291, []string{outLips}},
		{"eye 33/133", regionEye33, specEye33, 33, 133, []string{outEye33, outIris33}},
		{"eye 263/362", regionEye263, specEye263, 362, 263, []string{outEye263, outIris263}},
	}
	for _, tt := range tests {
		reg := p.regions[tt.r]
		if !slices.Equal(reg.indices, tt.indices) {
			t.Errorf("%s: indices from the graph differ from the spec", tt.name)
		}
		if reg.a != tt.a || reg.b != tt.b {
			t.Errorf("%s: corner pair %d→%d, want %d→%d", tt.name, reg.a, reg.b, tt.a, tt.b)
		}
		var heads []string
		for _, h := range reg.heads {
			heads = append(heads, h.output)
		}
		if !slices.Equal(heads, tt.heads) {
			t.Errorf("%s: heads %v, want %v", tt.name, heads, tt.heads)
		}
	}
	if f := p.tensors[p.feature]; f.name != "StatefulPartitionedCall/functional_1/p_re_lu_3/Relu" || f.c != 32 {
		t.Errorf("ROI feature map is %s with %d channels", f.name, f.c)
	}
	if !p.flagSig {
		t.Error("face flag is not sigmoided")
	}
	for i, g := range p.grid {
		want := nn.Float16to32(f16FromFloat(-1 + 2*float64(i)/15))
		if g != want {
			t.Errorf("grid[%d] = %v, want float16 %v", i, g, want)
		}
	}
}

// f16FromFloat rounds v to the nearest binary16 (normal range only).
func f16FromFloat(v float64) uint16 {
	var sign uint16
	if v < 0 {
		sign, v = 0x8000, -v
	}
	if v == 0 {
		return sign
	}
	frac, exp := math.Frexp(v) // v = frac·2^exp, frac in [0.5, 1)
	m := math.RoundToEven(frac * 2048)
	if m == 2048 {
		m, exp = 1024, exp+1
	}
	return sign | uint16(exp+14)<<10 | uint16(m)&0x3ff
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		json []byte
		bin  []byte
	}{
		{"truncated weights", modelJSON, modelBin[:len(modelBin)-2]},
		{"extra weights", modelJSON, append(slices.Clip(modelBin), 0, 0)},
		{"bad JSON", modelJSON[:1000], modelBin},
		{"wrong format", bytes.Replace(modelJSON, []byte(`"graph-model"`), []byte(`"layers-model"`), 1), modelBin},
		{"unsupported activation", bytes.Replace(modelJSON, []byte(`"op":"Prelu"`), []byte(`"op":"Relu6"`), 1), modelBin},
		{"missing output", bytes.ReplaceAll(modelJSON, []byte(`"name":"Identity_6"`), []byte(`"name":"Other"`)), modelBin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.json, tt.bin)
			if !errors.Is(err, ErrModel) {
				t.Errorf("load: %v, want ErrModel", err)
			}
		})
	}
}

func TestRunInputSize(t *testing.T) {
	m := loadModel(t)
	var res Result
	for _, n := range []int{0, InputSize * InputSize, InputSize*InputSize*3 + 1} {
		if err := m.Run(make([]float32, n), &res); !errors.Is(err, ErrInputSize) {
			t.Errorf("Run with %d values: %v, want ErrInputSize", n, err)
		}
	}
}

// TestRunExtremeInputs feeds values outside the input contract: Run must
// neither fail nor panic, and ROIs that land off the feature map sample
// zeros.
func TestRunExtremeInputs(t *testing.T) {
	m := loadModel(t)
	fill := func(v float32) []float32 {
		in := make([]float32, InputSize*InputSize*3)
		for i := range in {
			in[i] = v
		}
		return in
	}
	tests := []struct {
		name string
		in   []float32
	}{
		{"black", fill(0)},
		{"white", fill(1)},
		{"huge", fill(1e30)},
		{"negative", fill(-1e6)},
		{"NaN", fill(float32(math.NaN()))},
		{"infinity", fill(float32(math.Inf(1)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res Result
			require.NoError(t, m.Run(tt.in, &res))
		})
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m := loadModel(t)
	in := syntheticInput()
	var res Result
	require.NoError(t, m.Run(in, &res))
	if n := testing.AllocsPerRun(5, func() { _ = m.Run(in, &res) }); n != 0 {
		t.Errorf("Run allocates %v times per call", n)
	}
}

// perturbed returns a second deterministic input.
func perturbed() []float32 {
	in := syntheticInput()
	for i := range in {
		in[i] = 1 - in[i]
	}
	return in
}

func TestConcurrentRun(t *testing.T) {
	m := loadModel(t)
	inputs := [][]float32{syntheticInput(), perturbed()}
	want := make([]Result, len(inputs))
	for i, in := range inputs {
		require.NoError(t, m.Run(in, &want[i]))
	}
	if want[0] == want[1] {
		t.Fatal("different inputs gave identical results")
	}
	const workers, runs = 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers*runs)
	for w := range workers {
		wg.Go(func() {
			var res Result
			for r := range runs {
				k := (w + r) % len(inputs)
				if err := m.Run(inputs[k], &res); err != nil {
					errs <- err
					return
				}
				if res != want[k] {
					errs <- errors.New("concurrent result differs from the sequential one")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAssemblyMatchesGo runs the whole network with both kernel sets.
func TestAssemblyMatchesGo(t *testing.T) {
	if !nn.HaveSIMD() {
		t.Skip("no assembly kernels on this machine or build")
	}
	asm := loadModel(t)
	pure := loadModel(t)
	pure.simd = false
	for _, in := range [][]float32{syntheticInput(), perturbed()} {
		var a, g Result
		require.NoError(t, asm.Run(in, &a))
		require.NoError(t, pure.Run(in, &g))
		var worst float64
		for i := range a.Points {
			for k := range 3 {
				worst = max(worst, math.Abs(float64(a.Points[i][k]-g.Points[i][k])))
			}
		}
		if worst > 1e-3 || math.Abs(float64(a.FaceFlag-g.FaceFlag)) > 1e-5 {
			t.Errorf("assembly and Go kernels differ by %.3g px, flags %v and %v", worst, a.FaceFlag, g.FaceFlag)
		}
	}
}

func TestROIAffine(t *testing.T) {
	// A rectangle of 80×20 crop pixels centred on (100, 80), rotated by 30°;
	// points 0 and 1 span its long side, so θ = 30°.
	theta := math.Pi / 6
	cos, sin := math.Cos(theta), math.Sin(theta)
	local := [][2]float64{{-40, -10}, {40, -10}, {40, 10}, {-40, 10}, {0, 0}}
	mesh := make([]float32, 468*3)
	for i, l := range local {
		mesh[3*i] = float32(100 + cos*l[0] - sin*l[1])
		mesh[3*i+1] = float32(80 + sin*l[0] + cos*l[1])
	}
	reg := &region{indices: []int{0, 1, 2, 3, 4}, a: 0, b: 1}
	a := roiAffine(mesh, reg)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-5 }
	if !near(a.cos, cos) || !near(a.sin, sin) {
		t.Errorf("rotation cos %v sin %v, want %v %v", a.cos, a.sin, cos, sin)
	}
	if !near(a.cx, 25) || !near(a.cy, 20) {
		t.Errorf("centre (%v, %v), want (25, 20) feature cells", a.cx, a.cy)
	}
	if !near(a.sx, 20*roiExtent) || !near(a.sy, 5*roiExtent) {
		t.Errorf("scale (%v, %v), want (%v, %v)", a.sx, a.sy, 20*roiExtent, 5*roiExtent)
	}
	// The patch centre maps to the centre and the patch x axis to the
	// rotated long side, 1.5 times as long as the rectangle.
	x, y := a.apply(8, 8)
	if !near(x, 25) || !near(y, 20) {
		t.Errorf("A(8, 8) = (%v, %v), want (25, 20)", x, y)
	}
	x0, y0 := a.apply(0, 8)
	x1, y1 := a.apply(16, 8)
	if !near(math.Hypot(x1-x0, y1-y0), 1.5*20) || !near(math.Atan2(y1-y0, x1-x0), theta) {
		t.Errorf("patch x axis from (%v, %v) to (%v, %v)", x0, y0, x1, y1)
	}
}

// samplerHarness builds a program with one sampler step over a 48×48×c
// feature map holding f(y, x, ch).
func samplerHarness(t *testing.T, mesh []float32, reg region, c int, f func(y, x, ch int) float32) (*Model, *workspace) {
	t.Helper()
	real := loadModel(t)
	p := &program{
		tensors: []*tensor{
			{h: 1, w: 1, c: 1404},
			{h: 48, w: 48, c: c, padded: true},
			{h: patchSize, w: patchSize, c: c, padded: true},
		},
		input:   -1,
		mesh:    0,
		feature: 1,
		grid:    real.p.grid,
	}
	off := 0
	for _, tt := range p.tensors {
		tt.off = off
		off += tt.size()
	}
	p.arena = off
	reg.sample = 2
	p.regions[0] = reg
	p.steps = []step{{kind: stepSample, in: 1, out: 2, region: 0}}
	m := &Model{p: p, texture: -1}
	ws := m.newWorkspace()
	copy(ws.arena, mesh)
	v := m.viewOf(ws, 1, nil)
	for y := range 48 {
		for x := range 48 {
			for ch := range c {
				v.data[y*v.stride+x*c+ch] = f(y, x, ch)
			}
		}
	}
	m.forward(ws, nil, &Result{})
	return m, ws
}

func TestSampler(t *testing.T) {
	const c = 8
	linear := func(y, x, ch int) float32 { return 1 + 0.5*float32(x) + 2*float32(y) + float32(ch) }
	// An axis-aligned ROI: points 0 and 1 at the ends of a horizontal
	// segment, points 2 and 3 above and below.
	square := func(cx, cy, half float32) []float32 {
		mesh := make([]float32, 1404)
		pts := [][2]float32{{cx - half, cy}, {cx + half, cy}, {cx, cy - half}, {cx, cy + half}}
		for i, p := range pts {
			mesh[3*i], mesh[3*i+1] = p[0], p[1]
		}
		return mesh
	}
	reg := region{indices: []int{0, 1, 2, 3}, a: 0, b: 1}

	t.Run("inside", func(t *testing.T) {
		mesh := square(96, 96, 40)
		m, ws := samplerHarness(t, mesh, reg, c, linear)
		a := ws.aff[0]
		got := m.tensorData(ws, 2)
		for v := range patchSize {
			for u := range patchSize {
				// Bilinear interpolation reproduces a linear function.
				qx, qy := a.apply(7.5*float64(m.p.grid[u])+8, 7.5*float64(m.p.grid[v])+8)
				x := 23.5 * sampleNorm * (qx - 0.5)
				y := 23.5 * sampleNorm * (qy - 0.5)
				for ch := range c {
					want := 1 + 0.5*x + 2*y + float64(ch)
					if g := got[(v*patchSize+u)*c+ch]; math.Abs(float64(g)-want) > 1e-4 {
						t.Fatalf("cell (%d, %d) channel %d = %v, want %v", u, v, ch, g, want)
					}
				}
			}
		}
	})
	t.Run("partly outside", func(t *testing.T) {
		// Centred on the top-left corner: cells left of or above the map
		// are zero, the others are not.
		mesh := square(0, 0, 40)
		m, ws := samplerHarness(t, mesh, reg, c, linear)
		a := ws.aff[0]
		got := m.tensorData(ws, 2)
		zeros, values := 0, 0
		for v := range patchSize {
			for u := range patchSize {
				qx, qy := a.apply(7.5*float64(m.p.grid[u])+8, 7.5*float64(m.p.grid[v])+8)
				outside := 23.5*sampleNorm*(qx-0.5) < 0 || 23.5*sampleNorm*(qy-0.5) < 0
				g := got[(v*patchSize+u)*c]
				switch {
				case outside && g != 0:
					t.Fatalf("cell (%d, %d) outside the map = %v, want 0", u, v, g)
				case outside:
					zeros++
				case g == 0:
					t.Fatalf("cell (%d, %d) inside the map is 0", u, v)
				default:
					values++
				}
			}
		}
		if zeros == 0 || values == 0 {
			t.Errorf("%d zero and %d sampled cells, want both", zeros, values)
		}
	})
}

// TestTexture checks Result.Texture against the first block's output read
// back right after its step: the channel means over the face centre.
func TestTexture(t *testing.T) {
	m := loadModel(t)
	out := m.p.tensors[m.p.steps[m.texture].out]
	require.Equal(t, [3]int{InputSize / 2, InputSize / 2, TextureChannels}, [3]int{out.h, out.w, out.c})
	in := syntheticInput()
	ws := m.newWorkspace()
	for i := range m.texture + 1 {
		m.forwardStep(ws, &m.p.steps[i], in)
	}
	data := m.tensorData(ws, m.p.steps[m.texture].out)
	var want [TextureChannels]float64
	n := 0
	for y := out.h * 3 / 10; y < out.h*8/10; y++ {
		for x := out.w / 4; x < out.w*3/4; x++ {
			for c := range want {
				want[c] += float64(data[(y*out.w+x)*out.c+c])
			}
			n++
		}
	}
	var res Result
	require.NoError(t, m.Run(in, &res))
	spread := 0.0
	for c := range want {
		want[c] /= float64(n)
		require.InDelta(t, want[c], float64(res.Texture[c]), 1e-4*(1+math.Abs(want[c])), "channel %d", c)
		spread = math.Max(spread, math.Abs(want[c]-want[0]))
	}
	require.Greater(t, spread, 1e-3, "the channels respond differently")
	// Run twice on the same input: the same texture (no state kept).
	var again Result
	require.NoError(t, m.Run(in, &again))
	require.Equal(t, res.Texture, again.Texture)
}
