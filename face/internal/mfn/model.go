package mfn

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// InputSize is the side of the square RGB input, in pixels.
const InputSize = 112

// Dim is the number of values in an embedding.
const Dim = 192

var (
	// ErrModel reports embedded model files that do not have the expected
	// structure.
	ErrModel = errors.New("mfn: invalid model")
	// ErrInputSize reports an input or output slice of the wrong length.
	ErrInputSize = errors.New("mfn: input must hold 112×112×3 values and output 192")
)

//go:embed model/mobilefacenet.json
var modelJSON []byte

//go:embed model/mobilefacenet.bin
var modelBin []byte

// Model is the compiled MobileFaceNet.
//
// A Model is immutable after Load and safe for concurrent use: each Run
// takes a private workspace from an internal pool.
type Model struct {
	p    *program
	k    kernels
	pool sync.Pool
}

type workspace struct {
	arena []float32
	col   []float32
	dw    []float32
}

// Load parses and compiles the embedded model.
func Load() (*Model, error) { return load(modelJSON, modelBin) }

func load(jsonData, bin []byte) (*Model, error) {
	g, err := parseGraph(jsonData, bin)
	if err != nil {
		return nil, err
	}
	p, err := compile(g)
	if err != nil {
		return nil, err
	}
	m := &Model{p: p, k: bestKernels()}
	m.pool.New = func() any {
		return &workspace{arena: make([]float32, p.arena), col: make([]float32, p.col), dw: make([]float32, 512)}
	}
	return m, nil
}

// Run computes the embedding of in, InputSize·InputSize·3 float32 values in
// NHWC order, RGB, and writes the Dim L2-normalised values to out. The input
// scaling is the caller's (package face feeds (v − 127.5)/128). Run does not
// allocate in steady state.
func (m *Model) Run(in, out []float32) error {
	if len(in) != InputSize*InputSize*3 || len(out) != Dim {
		return fmt.Errorf("%w, got %d and %d", ErrInputSize, len(in), len(out))
	}
	ws := m.pool.Get().(*workspace)
	defer m.pool.Put(ws)
	for _, L := range m.p.layers {
		m.exec(ws, L, in)
	}
	t := m.p.tensors[m.p.out]
	e := ws.arena[t.interior() : t.interior()+Dim]
	var ss float64
	for _, v := range e {
		ss += float64(v) * float64(v)
	}
	r := 1 / math.Sqrt(max(ss, float64(m.p.eps)))
	for i, v := range e {
		out[i] = float32(float64(v) * r)
	}
	return nil
}

func (m *Model) exec(ws *workspace, L *layer, in []float32) {
	a := ws.arena
	out := m.p.tensors[L.out]
	ors := out.rowStride()
	switch L.kind {
	case layerConv:
		var res *tensor
		if L.res >= 0 {
			res = m.p.tensors[L.res]
		}
		if L.in < 0 {
			m.stem(ws, L, in)
			break
		}
		src := m.p.tensors[L.in]
		for y := range out.h {
			o := out.interior() + y*ors
			s := src.interior() + y*src.rowStride()
			var r []float32
			if res != nil {
				ro := res.interior() + y*res.rowStride()
				r = a[ro : ro+res.w*res.c]
			}
			m.k.pointwise(a[o:o+out.w*out.c], a[s:s+src.w*src.c], out.w, L.cin, L.cout, L.w, L.bias, L.slope, r, L.cout*boolInt(r != nil))
		}
	case layerDW:
		src := m.p.tensors[L.in]
		irs := src.rowStride()
		off := 1 - L.padLeft
		for y := range out.h {
			r := src.off + (y*L.stride-L.padTop+1)*irs
			o := out.interior() + y*ors
			row := a[o : o+out.w*out.c]
			nn.DepthwiseRowBias(m.k.simd, row, a[r:r+irs], a[r+irs:r+2*irs], a[r+2*irs:r+3*irs], L.w, L.bias, L.relu, out.w, L.cin, L.stride, off)
		}
	case layerGDC:
		src := m.p.tensors[L.in]
		c := L.cin
		acc := ws.dw[:c]
		clear(acc)
		for y := range src.h {
			for x := range src.w {
				p := a[src.interior()+y*src.rowStride()+x*c:][:c]
				k := L.w[(y*L.k+x)*c:][:c]
				for i := range acc {
					acc[i] += p[i] * k[i]
				}
			}
		}
		o := a[out.interior():][:c]
		for i := range o {
			o[i] = acc[i] + L.bias[i]
		}
	}
	zeroBorder(a, out)
}

// stem runs the first k×k strided convolution on the network input through
// an im2col row buffer. Samples outside the input are zero (SAME padding).
func (m *Model) stem(ws *workspace, L *layer, in []float32) {
	a := ws.arena
	out := m.p.tensors[L.out]
	k, c := L.k, L.cin
	kk := k * k * c
	for oy := range out.h {
		o := out.interior() + oy*out.rowStride()
		dst := a[o : o+out.w*out.c]
		// Whole groups of patches inside the input are read straight from
		// the rows (nn.Conv3, the same sums as the gather below).
		n := 0
		if iy := oy*L.stride - L.padTop; k == 3 && c == 3 && L.padLeft == 0 && iy >= 0 && iy+3 <= InputSize {
			n = min((InputSize-3)/L.stride+1, out.w) / 6 * 6
			const w3 = InputSize * 3
			r := in[iy*w3:]
			nn.Conv3(m.k.simd, dst, r[:w3], r[w3:2*w3], r[2*w3:3*w3], ws.col, n, L.stride*3, L.cout, L.w, L.bias, L.slope)
		}
		if n == out.w {
			continue
		}
		col := ws.col[:(out.w-n)*kk]
		for ox := n; ox < out.w; ox++ {
			d := col[(ox-n)*kk : (ox-n)*kk+kk]
			ix0 := ox*L.stride - L.padLeft
			for ky := range k {
				iy := oy*L.stride - L.padTop + ky
				for kx := range k {
					ix := ix0 + kx
					dd := d[(ky*k+kx)*c : (ky*k+kx)*c+c]
					if iy < 0 || iy >= InputSize || ix < 0 || ix >= InputSize {
						clear(dd)
						continue
					}
					copy(dd, in[(iy*InputSize+ix)*c:])
				}
			}
		}
		m.k.pointwise(dst[n*out.c:], col, out.w-n, kk, L.cout, L.w, L.bias, L.slope, nil, 0)
	}
}

// zeroBorder clears the one-pixel border of a tensor.
func zeroBorder(a []float32, t *tensor) {
	rs := t.rowStride()
	base := a[t.off : t.off+t.size()]
	clear(base[:rs])
	clear(base[(t.h+1)*rs:])
	for y := 1; y <= t.h; y++ {
		row := base[y*rs : (y+1)*rs]
		clear(row[:t.c])
		clear(row[rs-t.c:])
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
