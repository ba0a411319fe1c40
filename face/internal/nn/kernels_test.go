package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// modes are the kernel forms this build and CPU run, portable first.
func modes() []bool {
	if HaveSIMD() {
		return []bool{false, true}
	}
	return []bool{false}
}

func modeName(simd bool) string {
	if simd {
		return "simd"
	}
	return "go"
}

// requireClose compares got with the float64 reference want.
func requireClose(t *testing.T, want []float64, got []float32, what string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		tol := 1e-4 * (1 + math.Abs(want[i]))
		require.InDelta(t, want[i], float64(got[i]), tol, "%s: value %d", what, i)
	}
}

func TestPointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ npix, cin, cout, extra, cres int }{
		{1, 1, 16, 0, 0},
		{1, 27, 16, 0, 0}, // the landmark model's stem
		{2, 5, 16, 0, 16},
		{3, 16, 32, 0, 16}, // residual on part of the channels
		{4, 32, 48, 16, 0}, // wider output stride
		{5, 64, 16, 0, 16},
		{6, 7, 24, 0, 0}, // cout padded to 32
		{7, 128, 64, 0, 64},
		{13, 16, 16, 0, 0},
		{29, 33, 80, 0, 64},
		{56, 64, 128, 0, 128},
	} {
		t.Run(fmt.Sprintf("%d×%d→%d", tc.npix, tc.cin, tc.cout), func(t *testing.T) {
			coutP := RoundUp16(tc.cout)
			ostride := coutP + tc.extra
			w := randVec(r, tc.cout*tc.cin)
			bias, slope := PadVector(randVec(r, tc.cout), coutP, 0), PadVector(randVec(r, tc.cout), coutP, 1)
			in := randVec(r, tc.npix*tc.cin)
			var res []float32
			if tc.cres > 0 {
				res = randVec(r, tc.npix*tc.cres)
			}
			want := make([]float64, (tc.npix-1)*ostride+coutP)
			for p := range tc.npix {
				for o := range coutP {
					s := float64(bias[o])
					if o < tc.cout {
						for i := range tc.cin {
							s += float64(in[p*tc.cin+i]) * float64(w[o*tc.cin+i])
						}
					}
					if o < tc.cres {
						s += float64(res[p*tc.cres+o])
					}
					if s < 0 {
						s *= float64(slope[o])
					}
					want[p*ostride+o] = s
				}
			}
			bw := BlockFilter(w, tc.cout, tc.cin)
			for _, simd := range modes() {
				got := make([]float32, len(want))
				for p := range tc.npix - 1 {
					for o := coutP; o < ostride; o++ {
						got[p*ostride+o] = 7 // gap between pixels: must stay
						want[p*ostride+o] = 7
					}
				}
				Pointwise(simd, got, in, tc.npix, tc.cin, ostride, bw, bias, slope, res, tc.cres)
				requireClose(t, want, got, modeName(simd))
			}
		})
	}
}

func TestDepthwiseAndPool(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ ow, c, stride, off int }{
		{1, 8, 1, 0},
		{5, 16, 1, 0},
		{4, 16, 1, 1},
		{9, 40, 1, 0},
		{7, 24, 2, 0},
		{6, 32, 2, 1},
		{12, 64, 1, 0},
		{3, 128, 2, 1},
	} {
		t.Run(fmt.Sprintf("%d×%d s%d o%d", tc.ow, tc.c, tc.stride, tc.off), func(t *testing.T) {
			cols := (tc.ow-1)*tc.stride + tc.off + 3
			rows := [3][]float32{randVec(r, cols*tc.c), randVec(r, cols*tc.c), randVec(r, cols*tc.c)}
			k := randVec(r, 9*tc.c)
			want := make([]float64, tc.ow*tc.c)
			for x := range tc.ow {
				for ch := range tc.c {
					var s float64
					for ky := range 3 {
						for kx := range 3 {
							col := x*tc.stride + tc.off + kx
							s += float64(rows[ky][col*tc.c+ch]) * float64(k[(ky*3+kx)*tc.c+ch])
						}
					}
					want[x*tc.c+ch] = s
				}
			}
			wantPool := make([]float64, tc.ow*tc.c)
			p0, p1 := randVec(r, 2*tc.ow*tc.c), randVec(r, 2*tc.ow*tc.c)
			for x := range tc.ow {
				for ch := range tc.c {
					i, j := 2*x*tc.c+ch, (2*x+1)*tc.c+ch
					wantPool[x*tc.c+ch] = float64(max(p0[i], p0[j], p1[i], p1[j]))
				}
			}
			for _, simd := range modes() {
				got := make([]float32, tc.ow*tc.c)
				DepthwiseRow(simd, got, rows[0], rows[1], rows[2], k, tc.ow, tc.c, tc.stride, tc.off)
				requireClose(t, want, got, "depthwise "+modeName(simd))
				bias := randVec(r, tc.c)
				for _, relu := range []bool{false, true} {
					// The fused form is bit-identical to the two passes.
					two := append([]float32(nil), got...)
					for i := range two {
						two[i] += bias[i%tc.c]
						if relu {
							two[i] = max(two[i], 0)
						}
					}
					fused := make([]float32, tc.ow*tc.c)
					DepthwiseRowBias(simd, fused, rows[0], rows[1], rows[2], k, bias, relu, tc.ow, tc.c, tc.stride, tc.off)
					require.Equal(t, two, fused, "depthwise+bias %s relu %v", modeName(simd), relu)
				}
				pooled := make([]float32, tc.ow*tc.c)
				PoolRow(simd, pooled, p0, p1, tc.ow, tc.c)
				for i := range pooled {
					require.Equal(t, float32(wantPool[i]), pooled[i], "pool %s value %d", modeName(simd), i)
				}
			}
		})
	}
}

func TestPointwiseShapePanics(t *testing.T) {
	w := make([]float32, 16*4)
	v := make([]float32, 16)
	require.Panics(t, func() { Pointwise(false, make([]float32, 32), make([]float32, 8), 2, 4, 8, w, v, v, nil, 0) }, "ostride < coutP")
	require.Panics(t, func() { Pointwise(false, make([]float32, 16), make([]float32, 4), 1, 4, 16, w, v[:12], v[:12], nil, 0) }, "coutP not a multiple of 16")
	require.Panics(t, func() { DepthwiseRow(false, make([]float32, 12), v, v, v, make([]float32, 9*12), 1, 12, 1, 0) }, "c not a multiple of 8")
}

func TestConv3(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ npix, step, cout, extra int }{
		{6, 6, 16, 0},  // stride 2
		{12, 3, 16, 0}, // stride 1
		{90, 6, 16, 0}, // the landmark model's stem
		{54, 6, 64, 0}, // the face embedding network's stem
		{5, 6, 32, 16}, // not a multiple of 6: gathered
		{1, 6, 16, 0},
	} {
		t.Run(fmt.Sprintf("%d px step %d → %d", tc.npix, tc.step, tc.cout), func(t *testing.T) {
			n := (tc.npix-1)*tc.step + 9
			rows := [3][]float32{randVec(r, n), randVec(r, n), randVec(r, n)}
			w := randVec(r, tc.cout*27)
			bias, slope := randVec(r, tc.cout), randVec(r, tc.cout)
			ostride := tc.cout + tc.extra
			bw := BlockFilter(w, tc.cout, 27)
			want := make([]float64, (tc.npix-1)*ostride+tc.cout)
			col := make([]float32, tc.npix*27)
			for p := range tc.npix {
				for ky := range 3 {
					copy(col[p*27+ky*9:p*27+ky*9+9], rows[ky][p*tc.step:])
				}
				for o := range tc.cout {
					s := float64(bias[o])
					for i := range 27 {
						s += float64(col[p*27+i]) * float64(w[o*27+i])
					}
					if s < 0 {
						s *= float64(slope[o])
					}
					want[p*ostride+o] = s
				}
			}
			for _, simd := range modes() {
				// The gathered form through Pointwise is the reference
				// the direct form must match exactly.
				viaCol := make([]float32, len(want))
				Pointwise(simd, viaCol, col, tc.npix, 27, ostride, bw, bias, slope, nil, 0)
				got := make([]float32, len(want))
				Conv3(simd, got, rows[0], rows[1], rows[2], make([]float32, tc.npix*27), tc.npix, tc.step, ostride, bw, bias, slope)
				requireClose(t, want, got, "conv3 "+modeName(simd))
				for p := range tc.npix {
					require.Equal(t, viaCol[p*ostride:p*ostride+tc.cout], got[p*ostride:p*ostride+tc.cout], "%s pixel %d", modeName(simd), p)
				}
			}
		})
	}
}
