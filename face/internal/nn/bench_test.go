package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// reportFLOPs adds GFLOP per second of wall time and of process CPU time.
func reportFLOPs(b *testing.B, start time.Duration, flop float64) {
	b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if d := processCPU() - start; d > 0 {
		b.ReportMetric(flop*float64(b.N)/d.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkPointwise runs the 1×1 convolution on the shapes of the face
// embedding network's rows (pixels × cin → cout) with each kernel form:
//
//	go test -run '^$' -bench Pointwise -cpu 1 ./face/internal/nn/
func BenchmarkPointwise(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ npix, cin, cout int }{
		{56, 64, 128}, {28, 128, 64}, {14, 128, 256}, {14, 256, 128}, {7, 512, 128}, {196, 128, 256},
	} {
		w := BlockFilter(randVec(r, s.cin*s.cout), s.cout, s.cin)
		in, bias, slope := randVec(r, s.npix*s.cin), randVec(r, s.cout), randVec(r, s.cout)
		out := make([]float32, s.npix*s.cout)
		require.Len(b, w, RoundUp16(s.cout)*s.cin)
		for _, simd := range modes() {
			b.Run(fmt.Sprintf("%s/%dx%d-%d", modeName(simd), s.npix, s.cin, s.cout), func(b *testing.B) {
				cpu := processCPU()
				for b.Loop() {
					Pointwise(simd, out, in, s.npix, s.cin, s.cout, w, bias, slope, nil, 0)
				}
				reportFLOPs(b, cpu, 2*float64(s.npix*s.cin*s.cout))
			})
		}
	}
}

// BenchmarkFMAPeak measures the one-core float32 FMA peak (independent
// 8-wide FMAs, no memory traffic), the ceiling for the kernels' GFLOP/s.
func BenchmarkFMAPeak(b *testing.B) {
	const n = 1 << 16
	if !FMAPeak(1) {
		b.Skip("no FMA peak loop in this build")
	}
	cpu := processCPU()
	for b.Loop() {
		FMAPeak(n)
	}
	reportFLOPs(b, cpu, n*192)
}

// BenchmarkDepthwise runs one 3×3 depthwise row on the shapes of the face
// embedding network (output width × channels, stride) with each kernel
// form.
func BenchmarkDepthwise(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ ow, c, stride int }{
		{56, 64, 1}, {28, 128, 1}, {28, 128, 2}, {14, 256, 1}, {7, 256, 1}, {7, 512, 2}, {96, 16, 1}, {48, 32, 1},
	} {
		cols := (s.ow-1)*s.stride + 3
		r0, r1, r2 := randVec(r, cols*s.c), randVec(r, cols*s.c), randVec(r, cols*s.c)
		k, out := randVec(r, 9*s.c), make([]float32, s.ow*s.c)
		for _, simd := range modes() {
			b.Run(fmt.Sprintf("%s/%dx%d-s%d", modeName(simd), s.ow, s.c, s.stride), func(b *testing.B) {
				cpu := processCPU()
				for b.Loop() {
					DepthwiseRow(simd, out, r0, r1, r2, k, s.ow, s.c, s.stride, 0)
				}
				reportFLOPs(b, cpu, 18*float64(s.ow*s.c))
			})
			b.Run(fmt.Sprintf("%s-bias/%dx%d-s%d", modeName(simd), s.ow, s.c, s.stride), func(b *testing.B) {
				bias := randVec(r, s.c)
				cpu := processCPU()
				for b.Loop() {
					DepthwiseRowBias(simd, out, r0, r1, r2, k, bias, true, s.ow, s.c, s.stride, 0)
				}
				reportFLOPs(b, cpu, 18*float64(s.ow*s.c))
			})
		}
	}
}
