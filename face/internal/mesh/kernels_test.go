package mesh

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face/internal/nn"
)

func TestSamePad(t *testing.T) {
	tests := []struct {
		in, k, s           int
		out, before, after int
	}{
		{192, 3, 2, 96, 0, 1}, // stride 2 on an even size: 0 before, 1 after
		{96, 3, 2, 48, 0, 1},
		{6, 3, 2, 3, 0, 1},
		{16, 3, 2, 8, 0, 1},
		{96, 3, 1, 96, 1, 1},
		{3, 3, 1, 3, 1, 1},
		{7, 3, 2, 4, 1, 1}, // odd size: symmetric
		{5, 3, 2, 3, 1, 1},
		{4, 1, 1, 4, 0, 0},
		{2, 2, 2, 1, 0, 0},
		{8, 4, 2, 4, 1, 1},
		{9, 4, 2, 5, 1, 2}, // odd total: the extra pixel goes after
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("in%d_k%d_s%d", tt.in, tt.k, tt.s), func(t *testing.T) {
			out, b, a := samePad(tt.in, tt.k, tt.s)
			if out != tt.out || b != tt.before || a != tt.after {
				t.Errorf("samePad(%d, %d, %d) = %d, %d, %d, want %d, %d, %d",
					tt.in, tt.k, tt.s, out, b, a, tt.out, tt.before, tt.after)
			}
		})
	}
	if got := validOut(3, 3, 3); got != 1 {
		t.Errorf("validOut(3, 3, 3) = %d, want 1", got)
	}
	if got := validOut(2, 3, 1); got != 0 {
		t.Errorf("validOut(2, 3, 1) = %d, want 0", got)
	}
}

// Naive reference operators in float64, NHWC with batch 1, following
// TensorFlow's definitions.

type nhwc struct {
	h, w, c int
	v       []float64
}

func (t nhwc) at(y, x, c int) float64 {
	if y < 0 || y >= t.h || x < 0 || x >= t.w {
		return 0
	}
	return t.v[(y*t.w+x)*t.c+c]
}

func toNHWC(v []float32, h, w, c int) nhwc {
	t := nhwc{h, w, c, make([]float64, len(v))}
	for i, x := range v {
		t.v[i] = float64(x)
	}
	return t
}

// refPad returns the output size and leading padding of TF's padding modes.
func refPad(in, k, s int, padding string) (int, int) {
	if padding == "VALID" {
		return (in-k)/s + 1, 0
	}
	out := (in + s - 1) / s
	total := (out-1)*s + k - in
	if total < 0 {
		total = 0
	}
	return out, total / 2
}

// refConv is Conv2D with an HWIO filter, bias and optional PReLU.
func refConv(x nhwc, w []float32, k, cout, s int, padding string, bias, slope []float32) nhwc {
	oh, pt := refPad(x.h, k, s, padding)
	ow, pl := refPad(x.w, k, s, padding)
	out := nhwc{oh, ow, cout, make([]float64, oh*ow*cout)}
	for y := range oh {
		for xx := range ow {
			for o := range cout {
				v := float64(bias[o])
				for ky := range k {
					for kx := range k {
						for c := range x.c {
							v += x.at(y*s-pt+ky, xx*s-pl+kx, c) * float64(w[((ky*k+kx)*x.c+c)*cout+o])
						}
					}
				}
				if slope != nil && v < 0 {
					v *= float64(slope[o])
				}
				out.v[(y*ow+xx)*cout+o] = v
			}
		}
	}
	return out
}

// refDepthwise is DepthwiseConv2dNative 3×3, SAME, channel multiplier 1.
func refDepthwise(x nhwc, w []float32, s int) nhwc {
	oh, pt := refPad(x.h, 3, s, "SAME")
	ow, pl := refPad(x.w, 3, s, "SAME")
	out := nhwc{oh, ow, x.c, make([]float64, oh*ow*x.c)}
	for y := range oh {
		for xx := range ow {
			for c := range x.c {
				var v float64
				for ky := range 3 {
					for kx := range 3 {
						v += x.at(y*s-pt+ky, xx*s-pl+kx, c) * float64(w[(ky*3+kx)*x.c+c])
					}
				}
				out.v[(y*ow+xx)*x.c+c] = v
			}
		}
	}
	return out
}

// refMaxPoolPad is MaxPool 2×2 stride 2 VALID, then zero channel padding to
// cout channels.
func refMaxPoolPad(x nhwc, cout int) nhwc {
	oh, ow := x.h/2, x.w/2
	out := nhwc{oh, ow, cout, make([]float64, oh*ow*cout)}
	for y := range oh {
		for xx := range ow {
			for c := range x.c {
				out.v[(y*ow+xx)*cout+c] = max(x.at(2*y, 2*xx, c), x.at(2*y, 2*xx+1, c),
					x.at(2*y+1, 2*xx, c), x.at(2*y+1, 2*xx+1, c))
			}
		}
	}
	return out
}

// refBlock is PReLU(skip(x) + Conv1×1(DW3×3(x)) + bias).
func refBlock(x nhwc, dw, pw, bias, slope []float32, cout, stride int) nhwc {
	d := refDepthwise(x, dw, stride)
	y := refConv(d, pw, 1, cout, 1, "VALID", bias, nil)
	skip := x
	if stride == 2 {
		skip = refMaxPoolPad(x, cout)
	}
	for i := range y.v {
		v := y.v[i] + skip.v[i]
		if v < 0 {
			v *= float64(slope[i%cout])
		}
		y.v[i] = v
	}
	return y
}

// compareTol fails when got and want differ by more than tol relative to
// the larger of 1 and the magnitude of want.
func compareTol(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, at := 0.0, 0
	for i := range got {
		d := math.Abs(float64(got[i])-want[i]) / max(1, math.Abs(want[i]))
		if math.IsNaN(float64(got[i])) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		t.Errorf("%s: value %d = %g, want %g (relative error %.2g > %g)", what, at, got[at], want[at], worst, tol)
	}
}

// kernelModes lists the kernel implementations available on this machine.
func kernelModes() []struct {
	name string
	simd bool
} {
	modes := []struct {
		name string
		simd bool
	}{{"go", false}}
	if nn.HaveSIMD() {
		modes = append(modes, struct {
			name string
			simd bool
		}{"asm", true})
	}
	return modes
}

func TestPointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct{ npix, cin, cout, cres int }{
		{1, 16, 16, 0},
		{2, 16, 16, 16},
		{3, 27, 16, 0},
		{4, 16, 32, 16},
		{5, 32, 32, 32},
		{7, 128, 128, 128},
		{96, 16, 16, 16},
		{9, 64, 128, 64},
		{13, 16, 32, 16},  // six, six, one; residual on the first block only
		{8, 64, 128, 64},  // six, two
		{15, 27, 16, 0},   // odd cin through every path
		{1, 288, 1404, 0}, // mesh head: padded to 1408 channels
		{1, 128, 10, 0},
	}
	for _, tt := range tests {
		for _, mode := range kernelModes() {
			t.Run(fmt.Sprintf("%s/%dpx_%d_%d_res%d", mode.name, tt.npix, tt.cin, tt.cout, tt.cres), func(t *testing.T) {
				w := randSlice(r, tt.cin*tt.cout) // [cin][cout], HWIO 1×1
				bias, slope := randSlice(r, tt.cout), randSlice(r, tt.cout)
				in := randSlice(r, tt.npix*tt.cin)
				var res []float32
				if tt.cres > 0 {
					res = randSlice(r, tt.npix*tt.cres)
				}
				L, err := newConvLayer(1, tt.npix, tt.cin, tt.cout, 1, 1, "VALID", w, bias, slope)
				if err != nil && tt.npix == 1 {
					t.Fatal(err)
				}
				coutP := nn.RoundUp16(tt.cout)
				if L == nil { // not a head: use the layout directly
					L = &convLayer{w: nn.BlockFilter(nn.TransposeHWIO(w, 1, 1, tt.cin, tt.cout), tt.cout, tt.cin),
						bias: nn.PadVector(bias, coutP, 0), slope: nn.PadVector(slope, coutP, 1)}
				}
				ostride := coutP + 16 // exercise a stride larger than the channel count
				out := make([]float32, (tt.npix-1)*ostride+coutP)
				for i := range out {
					out[i] = float32(math.NaN())
				}
				nn.Pointwise(mode.simd, out, in, tt.npix, tt.cin, ostride, L.w, L.bias, L.slope, res, tt.cres)
				got := make([]float32, 0, tt.npix*tt.cout)
				want := make([]float64, 0, tt.npix*tt.cout)
				for p := range tt.npix {
					for o := range tt.cout {
						v := float64(bias[o])
						for i := range tt.cin {
							v += float64(in[p*tt.cin+i]) * float64(w[i*tt.cout+o])
						}
						if o < tt.cres {
							v += float64(res[p*tt.cres+o])
						}
						if v < 0 {
							v *= float64(slope[o])
						}
						got = append(got, out[p*ostride+o])
						want = append(want, v)
					}
				}
				compareTol(t, "pointwise", got, want, 1e-5)
			})
		}
	}
}

func TestDwRowAndPoolRow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []int{8, 16, 32, 128} {
		for _, stride := range []int{1, 2} {
			for _, mode := range kernelModes() {
				t.Run(fmt.Sprintf("%s/c%d_s%d", mode.name, c, stride), func(t *testing.T) {
					ow, off := 7, 0 // stride 1: SAME pads one pixel before
					if stride == 2 {
						off = 1 // stride 2 on an even size: none before
					}
					iw := (ow-1)*stride + off + 3 // bordered input width
					rows := [3][]float32{randSlice(r, iw*c), randSlice(r, iw*c), randSlice(r, iw*c)}
					k := randSlice(r, 9*c)
					out := make([]float32, ow*c)
					nn.DepthwiseRow(mode.simd, out, rows[0], rows[1], rows[2], k, ow, c, stride, off)
					want := make([]float64, ow*c)
					for x := range ow {
						for ch := range c {
							var v float64
							for ky := range 3 {
								for kx := range 3 {
									v += float64(rows[ky][(x*stride+off+kx)*c+ch]) * float64(k[(ky*3+kx)*c+ch])
								}
							}
							want[x*c+ch] = v
						}
					}
					compareTol(t, "dwRow", out, want, 1e-5)

					r0, r1 := randSlice(r, 2*ow*c), randSlice(r, 2*ow*c)
					pooled := make([]float32, ow*c)
					nn.PoolRow(mode.simd, pooled, r0, r1, ow, c)
					for x := range ow {
						for ch := range c {
							want[x*c+ch] = float64(max(r0[2*x*c+ch], r0[(2*x+1)*c+ch], r1[2*x*c+ch], r1[(2*x+1)*c+ch]))
						}
					}
					compareTol(t, "poolRow", pooled, want, 0)
				})
			}
		}
	}
}

// layerHarness runs one step of a hand-built program: tensor 0 is the input
// and tensor 1 the output. The output area starts as NaN so that unwritten
// values and border reads show up.
func layerHarness(simd bool, in *tensor, out *tensor, st step, x []float32) []float32 {
	in.off = 0
	out.off = in.size()
	p := &program{
		tensors: []*tensor{in, out},
		arena:   in.size() + out.size(),
		input:   -1,
	}
	if st.block != nil {
		p.dwScratch = st.block.outW * st.block.cin
		p.resScratch = p.dwScratch
	}
	if st.conv != nil {
		p.colScratch = st.conv.outW * st.conv.k * st.conv.k * st.conv.cin
	}
	m := &Model{p: p, simd: simd}
	ws := m.newWorkspace()
	for i := range ws.arena {
		ws.arena[i] = float32(math.NaN())
	}
	if in.padded {
		zeroBorder(ws.arena, in)
	}
	v := m.viewOf(ws, 0, nil)
	for y := range in.h {
		copy(v.data[y*v.stride:y*v.stride+in.w*in.c], x[y*in.w*in.c:(y+1)*in.w*in.c])
	}
	st.in, st.out = 0, 1
	m.forwardStep(ws, &st, nil)
	if out.padded {
		// The border must have been cleared.
		b := ws.arena[out.off : out.off+out.size()]
		rs := out.rowStride()
		for i, val := range b {
			y, x := i/rs, i%rs/out.c
			if (y == 0 || y == out.h+1 || x == 0 || x == out.w+1) && val != 0 {
				return nil
			}
		}
	}
	return m.tensorData(ws, 1)
}

func TestBlockLayer(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct{ h, w, cin, cout, stride int }{
		{7, 5, 16, 16, 1}, // odd sizes
		{3, 3, 32, 32, 1},
		{1, 1, 16, 16, 1},
		{8, 6, 16, 32, 2}, // channel padding 16 → 32
		{4, 4, 32, 64, 2},
		{2, 2, 128, 128, 2}, // pooled skip without padding
		{12, 10, 64, 128, 2},
	}
	for _, tt := range tests {
		dw := randSlice(r, 9*tt.cin)
		pw := randSlice(r, tt.cin*tt.cout)
		bias, slope := randSlice(r, tt.cout), randSlice(r, tt.cout)
		x := randSlice(r, tt.h*tt.w*tt.cin)
		want := refBlock(toNHWC(x, tt.h, tt.w, tt.cin), dw, pw, bias, slope, tt.cout, tt.stride)
		for _, mode := range kernelModes() {
			t.Run(fmt.Sprintf("%s/%dx%dx%d_to_%d_s%d", mode.name, tt.h, tt.w, tt.cin, tt.cout, tt.stride), func(t *testing.T) {
				L, err := newBlockLayer(tt.h, tt.w, tt.cin, tt.cout, tt.stride, dw, pw, bias, slope)
				require.NoError(t, err)
				in := &tensor{h: tt.h, w: tt.w, c: tt.cin, padded: true}
				out := &tensor{h: L.outH, w: L.outW, c: tt.cout, padded: true}
				got := layerHarness(mode.simd, in, out, step{kind: stepBlock, block: L}, x)
				if got == nil {
					t.Fatal("output border not cleared")
				}
				compareTol(t, "block", got, want.v, 1e-5)
			})
		}
	}
	if _, err := newBlockLayer(7, 7, 16, 32, 2, make([]float32, 9*16), make([]float32, 16*32), make([]float32, 32), make([]float32, 32)); err == nil {
		t.Error("newBlockLayer accepted a max-pool over an odd size")
	}
}

func TestConvLayer(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name                       string
		h, w, cin, cout, k, s      int
		padding                    string
		prelu, paddedIn, paddedOut bool
	}{
		{"stem", 12, 10, 3, 16, 3, 2, "SAME", true, false, true},
		{"stem odd", 9, 7, 3, 16, 3, 2, "SAME", true, false, true},
		{"reduction", 3, 3, 128, 32, 1, 1, "VALID", true, true, true},
		{"mesh head", 3, 3, 32, 1404, 3, 3, "VALID", false, true, false},
		{"face flag head", 3, 3, 32, 1, 3, 3, "VALID", false, true, false},
		{"eye head", 2, 2, 32, 142, 2, 2, "VALID", false, true, false},
	}
	for _, tt := range tests {
		w := randSlice(r, tt.k*tt.k*tt.cin*tt.cout)
		bias := randSlice(r, tt.cout)
		var slope []float32
		if tt.prelu {
			slope = randSlice(r, tt.cout)
		}
		x := randSlice(r, tt.h*tt.w*tt.cin)
		want := refConv(toNHWC(x, tt.h, tt.w, tt.cin), w, tt.k, tt.cout, tt.s, tt.padding, bias, slope)
		for _, mode := range kernelModes() {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				L, err := newConvLayer(tt.h, tt.w, tt.cin, tt.cout, tt.k, tt.s, tt.padding, w, bias, slope)
				require.NoError(t, err)
				in := &tensor{h: tt.h, w: tt.w, c: tt.cin, padded: tt.paddedIn}
				out := &tensor{h: L.outH, w: L.outW, c: tt.cout, padded: tt.paddedOut, extra: len(L.bias) - tt.cout}
				got := layerHarness(mode.simd, in, out, step{kind: stepConv, conv: L}, x)
				if got == nil {
					t.Fatal("output border not cleared")
				}
				compareTol(t, "conv", got, want.v, 1e-5)
			})
		}
	}
}
