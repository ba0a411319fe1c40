package mfn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/nn"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// naivePointwise is the float64 reference of pointwise on a [cout][cin]
// filter.
func naivePointwise(out, in []float32, npix, cin, ostride int, w [][]float32, bias, slope, res []float32, cres int) {
	for p := range npix {
		for o := range bias {
			s := float64(bias[o])
			for i := range cin {
				s += float64(in[p*cin+i]) * float64(w[o][i])
			}
			if o < cres {
				s += float64(res[p*cres+o])
			}
			if s < 0 {
				s *= float64(slope[o])
			}
			out[p*ostride+o] = float32(s)
		}
	}
}

// kernelModes are the kernel selections this CPU runs, portable first.
func kernelModes() map[string]kernels {
	modes := map[string]kernels{"go": {}}
	if nn.HaveSIMD() {
		modes["simd"] = kernels{simd: true}
	}
	if nn.HaveAVX512() {
		modes["avx512"] = kernels{simd: true, wide: true}
	}
	return modes
}

func TestPointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ npix, cin, cout, extra, cres int }{
		{7, 64, 64, 0, 0},
		{56, 27, 64, 0, 0},
		{28, 128, 64, 0, 64},
		{14, 256, 128, 32, 128},
		{7, 512, 192, 0, 0},
		{1, 512, 192, 0, 0},    // falls back to the mesh kernel
		{5, 48, 48, 16, 16},    // falls back
		{21, 64, 96, 0, 32},    // residual on part of the channels
		{14, 3, 32, 0, 0},      // tiny cin
		{63, 16, 32, 0, 32},    // nine groups
		{7, 128, 256, 64, 256}, // wide output stride
	} {
		ostride := tc.cout + tc.extra
		wm := make([][]float32, tc.cout)
		flat := make([]float32, 0, tc.cout*tc.cin)
		for o := range wm {
			wm[o] = randVec(r, tc.cin)
			flat = append(flat, wm[o]...)
		}
		w := nn.BlockFilter(flat, tc.cout, tc.cin)
		in := randVec(r, tc.npix*tc.cin)
		bias, slope := randVec(r, tc.cout), randVec(r, tc.cout)
		var res []float32
		if tc.cres > 0 {
			res = randVec(r, tc.npix*tc.cres)
		}
		got := make([]float32, (tc.npix-1)*ostride+tc.cout)
		want := make([]float32, len(got))
		naivePointwise(want, in, tc.npix, tc.cin, ostride, wm, bias, slope, res, tc.cres)
		for name, k := range kernelModes() {
			clear(got)
			k.pointwise(got, in, tc.npix, tc.cin, ostride, w, bias, slope, res, tc.cres)
			for i := range got {
				tol := 1e-4 * (1 + math.Abs(float64(want[i])))
				require.InDelta(t, want[i], got[i], tol, "%s: shape %+v, value %d", name, tc, i)
			}
		}
	}
}
