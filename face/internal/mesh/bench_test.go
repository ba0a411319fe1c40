package mesh

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// Benchmarks: go test -run '^$' -bench . -benchmem -cpu 1 ./face/internal/mesh/
// Each reports wall time and, where the machine is shared, cpu-ms/op.

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// reportCPU adds the process CPU time per operation, which is less affected
// than wall time when other jobs compete for the cores.
func reportCPU(b *testing.B, start time.Duration) {
	if d := processCPU() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
	}
}

// forEachKernel runs fn as a sub-benchmark per kernel set.
func forEachKernel(b *testing.B, fn func(b *testing.B, m *Model)) {
	for _, mode := range kernelModes() {
		b.Run(mode.name, func(b *testing.B) {
			m, err := Load()
			require.NoError(b, err)
			m.simd = mode.simd
			fn(b, m)
		})
	}
}

func BenchmarkRun(b *testing.B) {
	forEachKernel(b, func(b *testing.B, m *Model) {
		in := syntheticInput()
		var res Result
		require.NoError(b, m.Run(in, &res))
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			require.NoError(b, m.Run(in, &res))
		}
		reportCPU(b, cpu)
	})
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// stepMACs counts the multiply-adds of a convolutional step.
func stepMACs(st *step) int {
	switch st.kind {
	case stepBlock:
		L := st.block
		return L.outH * L.outW * L.cin * (9 + L.cout)
	case stepConv:
		L := st.conv
		return L.outH * L.outW * L.k * L.k * L.cin * L.cout
	}
	return 0
}

// benchSteps runs the steps selected by keep after one full forward pass
// has filled the workspace, and reports GMAC/s.
func benchSteps(b *testing.B, m *Model, keep func(i int, st *step) bool) {
	ws := m.newWorkspace()
	in := syntheticInput()
	m.forward(ws, in, &Result{})
	var sel []*step
	macs := 0
	for i := range m.p.steps {
		if st := &m.p.steps[i]; keep(i, st) {
			sel = append(sel, st)
			macs += stepMACs(st)
		}
	}
	if len(sel) == 0 {
		b.Fatal("no steps selected")
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for _, st := range sel {
			m.forwardStep(ws, st, in)
		}
	}
	reportCPU(b, cpu)
	if macs > 0 {
		b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		reportFLOPs(b, cpu, 2*float64(macs))
	}
}

// BenchmarkLayers runs each layer of the trunk and of the sub-networks on
// its own (a residual block: depthwise 3×3 + 1×1 with its epilogue; a
// convolution: stem, reductions, heads), for the per-layer table of
// docs/performance.md: GFLOP/cpu-s against BenchmarkFMAPeak.
//
//	go test -run '^$' -bench 'Layers|FMAPeak' -cpu 1 -benchtime 200ms ./face/internal/mesh/
func BenchmarkLayers(b *testing.B) {
	m, err := Load()
	require.NoError(b, err)
	for i := range m.p.steps {
		st := &m.p.steps[i]
		var name string
		switch st.kind {
		case stepBlock:
			L := st.block
			name = fmt.Sprintf("%02d_block_%dx%dx%d_to_%dx%dx%d", i, L.inH, L.inW, L.cin, L.outH, L.outW, L.cout)
		case stepConv:
			L := st.conv
			name = fmt.Sprintf("%02d_conv%dx%d_%dx%dx%d_to_%dx%dx%d", i, L.k, L.k, L.inH, L.inW, L.cin, L.outH, L.outW, L.cout)
		default:
			continue
		}
		b.Run(name, func(b *testing.B) {
			forEachKernel(b, func(b *testing.B, m *Model) {
				benchSteps(b, m, func(j int, _ *step) bool { return j == i })
			})
		})
	}
}

// firstSample is the index of the first ROI sampler step.
func firstSample(m *Model) int {
	for i, st := range m.p.steps {
		if st.kind == stepSample {
			return i
		}
	}
	return len(m.p.steps)
}

// BenchmarkStem is the 3×3 stride-2 convolution 192×192×3 → 96×96×16 with
// its im2col gather.
func BenchmarkStem(b *testing.B) {
	forEachKernel(b, func(b *testing.B, m *Model) {
		benchSteps(b, m, func(i int, st *step) bool { return i == 0 })
	})
}

// BenchmarkTrunk is the whole trunk up to the mesh and face-flag heads.
func BenchmarkTrunk(b *testing.B) {
	forEachKernel(b, func(b *testing.B, m *Model) {
		n := firstSample(m)
		benchSteps(b, m, func(i int, st *step) bool { return i < n })
	})
}

// BenchmarkBlock runs single residual blocks of the trunk.
func BenchmarkBlock(b *testing.B) {
	cases := []struct {
		name string
		step int
	}{
		{"96x96x16", 1},
		{"96to48x32_pool", 3},
		{"24x24x64", 7},
		{"12x12x128", 10},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			forEachKernel(b, func(b *testing.B, m *Model) {
				benchSteps(b, m, func(i int, st *step) bool { return i == c.step })
			})
		})
	}
}

// BenchmarkSample is the ROI geometry and bilinear sampling of the three
// 16×16×32 patches.
func BenchmarkSample(b *testing.B) {
	m, err := Load()
	require.NoError(b, err)
	benchSteps(b, m, func(i int, st *step) bool { return st.kind == stepSample })
}

// BenchmarkSubnetworks runs the lips and both eye sub-networks on sampled
// patches (without the sampling).
func BenchmarkSubnetworks(b *testing.B) {
	forEachKernel(b, func(b *testing.B, m *Model) {
		n := firstSample(m)
		benchSteps(b, m, func(i int, st *step) bool { return i > n && st.kind != stepSample })
	})
}

// BenchmarkMerge maps the sub-network outputs back and assembles 478 points.
func BenchmarkMerge(b *testing.B) {
	m, err := Load()
	require.NoError(b, err)
	ws := m.newWorkspace()
	m.forward(ws, syntheticInput(), &Result{})
	var res Result
	b.ReportAllocs()
	for b.Loop() {
		m.merge(ws, &res)
	}
}

// Kernel benchmarks on layer shapes of the trunk.

func benchDepthwise(b *testing.B, simd bool, h, w, c, stride int) {
	r := rand.New(rand.NewPCG(1, 1))
	in := randSlice(r, (h+2)*(w+2)*c)
	k := randSlice(r, 9*c)
	oh, ow := (h+stride-1)/stride, (w+stride-1)/stride
	out := make([]float32, ow*c)
	rs := (w + 2) * c
	_, padTop, _ := samePad(h, 3, stride)
	_, padLeft, _ := samePad(w, 3, stride)
	off := 1 - padLeft // as in execBlock
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for y := range oh {
			r0 := (y*stride - padTop + 1) * rs
			nn.DepthwiseRow(simd, out, in[r0:r0+rs], in[r0+rs:r0+2*rs], in[r0+2*rs:r0+3*rs], k, ow, c, stride, off)
		}
	}
	b.ReportMetric(float64(oh*ow*c*9)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	reportFLOPs(b, cpu, 2*float64(oh*ow*c*9))
}

func BenchmarkDepthwise(b *testing.B) {
	cases := []struct {
		name       string
		h, w, c, s int
	}{
		{"96x96x16", 96, 96, 16, 1},
		{"96x96x16_s2", 96, 96, 16, 2},
		{"12x12x128", 12, 12, 128, 1},
	}
	for _, c := range cases {
		for _, mode := range kernelModes() {
			b.Run(c.name+"/"+mode.name, func(b *testing.B) { benchDepthwise(b, mode.simd, c.h, c.w, c.c, c.s) })
		}
	}
}

func benchPointwise(b *testing.B, simd bool, npix, cin, cout int, residual bool) {
	r := rand.New(rand.NewPCG(2, 2))
	in := randSlice(r, npix*cin)
	w := nn.BlockFilter(randSlice(r, cin*cout), cout, cin)
	bias, slope := randSlice(r, cout), randSlice(r, cout)
	var res []float32
	if residual {
		res = randSlice(r, npix*cin)
	}
	out := make([]float32, npix*cout)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		nn.Pointwise(simd, out, in, npix, cin, cout, w, bias, slope, res, cin)
	}
	b.ReportMetric(float64(npix*cin*cout)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	reportFLOPs(b, cpu, 2*float64(npix*cin*cout))
}

// BenchmarkPointwise is the 1×1 convolution with its fused bias, residual
// and PReLU epilogue on whole layers (npix = H·W).
func BenchmarkPointwise(b *testing.B) {
	cases := []struct {
		name            string
		npix, cin, cout int
		res             bool
	}{
		{"96x96_16to16", 96 * 96, 16, 16, true},
		{"48x48_16to32", 48 * 48, 16, 32, true},
		{"24x24_64to64", 24 * 24, 64, 64, true},
		{"12x12_128to128", 12 * 12, 128, 128, true},
		{"3x3_128to32", 9, 128, 32, false},
	}
	for _, c := range cases {
		for _, mode := range kernelModes() {
			b.Run(c.name+"/"+mode.name, func(b *testing.B) { benchPointwise(b, mode.simd, c.npix, c.cin, c.cout, c.res) })
		}
	}
}

// reportFLOPs adds GFLOP per second of process CPU time (steadier than wall
// time on a shared machine) for flop floating-point operations per op.
func reportFLOPs(b *testing.B, start time.Duration, flop float64) {
	if d := processCPU() - start; d > 0 {
		b.ReportMetric(flop*float64(b.N)/d.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkFMAPeak measures the one-core float32 FMA peak of the machine
// (independent 8-wide FMAs, no memory traffic), the ceiling the kernels'
// GFLOP/s are compared with in docs/performance.md.
func BenchmarkFMAPeak(b *testing.B) {
	const n = 1 << 16
	if !nn.FMAPeak(1) {
		b.Skip("no FMA peak loop in this build")
	}
	cpu := processCPU()
	for b.Loop() {
		nn.FMAPeak(n)
	}
	b.ReportMetric(float64(n*192)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if d := processCPU() - cpu; d > 0 {
		b.ReportMetric(float64(n*192)*float64(b.N)/d.Seconds()/1e9, "GFLOP/cpu-s")
	}
}
