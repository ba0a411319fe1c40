package mobileface

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// InputSize is the side of the square face crop Run reads.
const InputSize = 112

// Dim is the number of values Run writes.
const Dim = 256

// ErrModel reports a model file that does not have the expected graph or
// weights.
var ErrModel = errors.New("mobileface: unexpected model file")

// ErrInput reports an input or output slice of the wrong length.
var ErrInput = errors.New("mobileface: wrong input or output length")

//go:embed model/mobileface.json
var modelJSON []byte

//go:embed model/mobileface.bin
var modelBin []byte

const (
	stemC    = 32    // stem output channels
	stemK    = 3 * 9 // stem taps × input channels
	flatSize = 4 * 4 * 128
)

// stage is a 1×1 convolution (no bias, no activation), a 3×3 stride-2
// depthwise convolution with PReLU, then two 3×3 stride-1 depthwise
// convolutions with PReLU whose result is added to the first one's.
type stage struct {
	cin, cout int
	in        int // input side (pixels)
	pw        []float32
	dw        [3][]float32 // [9][cout], tap-major
	slope     [3][]float32
}

// Model is the loaded network.
//
// A Model is immutable after Load and safe for concurrent use; each Run
// takes a workspace from a pool inside the Model.
type Model struct {
	simd        bool    // run the assembly kernels
	mean, scale float32 // input normalisation (v − mean)·scale
	stem        []float32
	stemSlope   []float32
	stages      [4]stage
	dense       []float32 // BlockFilter layout, batch-norm scale folded in
	denseBias   []float32
	zero, ones  []float32 // 128 zeros and ones
	pool        sync.Pool
}

type workspace struct {
	pad  []float32 // padded input, (InputSize+2)² × 3
	col  []float32 // one stem row of im2col, 56 × stemK
	bufs [4][]float32
	flat []float32
}

// Load parses the embedded model files.
func Load() (*Model, error) { return parse(modelJSON, modelBin) }

func parse(jsonData, bin []byte) (*Model, error) {
	g, err := nn.ParseGraph(jsonData, bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	// The graph must be the one this package computes: its non-constant
	// nodes, in order, are checked against the expected operation list.
	var ops []string
	for _, n := range g.Nodes() {
		if n.Op != "Const" {
			ops = append(ops, n.Op)
		}
	}
	if !slices.Equal(ops, expectedOps()) {
		return nil, fmt.Errorf("%w: graph operations differ from MobileFace's", ErrModel)
	}
	// constant returns the value and shape of the constant called name,
	// read through the first node that consumes it.
	constant := func(name string) ([]float32, []int, error) {
		for _, c := range g.Consumers(name) {
			for k := range c.Input {
				if in := g.Input(c, k); in != nil && in.Name == name {
					if v, shape, err := g.FloatConst(c, k); err == nil {
						return v, shape, nil
					}
					iv, err := g.IntConst(c, k)
					if err != nil {
						return nil, nil, err
					}
					v := make([]float32, len(iv))
					for i, x := range iv {
						v[i] = float32(x)
					}
					return v, []int{len(iv) / 2, 2}, nil
				}
			}
		}
		return nil, nil, fmt.Errorf("%w: no constant %q", ErrModel, name)
	}
	get := func(name string, shape ...int) ([]float32, error) {
		v, got, err := constant(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrModel, err)
		}
		if !slices.Equal(got, shape) {
			return nil, fmt.Errorf("%w: %s: shape %v, want %v", ErrModel, name, got, shape)
		}
		return v, nil
	}
	var errs []error
	must := func(name string, shape ...int) []float32 {
		v, err := get(name, shape...)
		errs = append(errs, err)
		return v
	}
	m := &Model{simd: nn.HaveSIMD(), zero: make([]float32, 128), ones: make([]float32, 256)}
	for i := range m.ones {
		m.ones[i] = 1
	}
	mean := must("minusscalar0_second", 1)
	scale := must("mulscalar0_second", 1)
	for _, name := range []string{"Pad/paddings", "Pad_1/paddings"} {
		p := must(name, 4, 2)
		if p != nil && !slices.Equal(p, []float32{0, 0, 1, 1, 1, 1, 0, 0}) {
			errs = append(errs, fmt.Errorf("%w: %s is not a one-pixel border", ErrModel, name))
		}
	}
	stem := must("conv1_weight", 3, 3, 3, stemC)
	m.stemSlope = must("prelu1_gamma", stemC)
	chans := [4][2]int{{32, 32}, {32, 32}, {32, 64}, {64, 128}}
	side := 56
	for s, c := range chans {
		st := &m.stages[s]
		st.cin, st.cout, st.in = c[0], c[1], side
		pre := fmt.Sprintf("stage%d_unit1_", s+1)
		pw := must(pre+"conv0_0_weight", 1, 1, c[0], c[1])
		if pw != nil {
			st.pw = nn.BlockFilter(transpose(pw, c[0], c[1]), c[1], c[0])
		}
		for k, name := range []string{"conv0_1_df", "conv1_df", "conv2_df"} {
			st.dw[k] = must(pre+name, 3, 3, c[1], 1)
			st.slope[k] = must(fmt.Sprintf("%sprelu%d_gamma", pre, k), c[1])
		}
		side = (side + 1) / 2
	}
	dense := must("dense/kernel", flatSize, Dim)
	bnMul := must("batchnorm0/mul", Dim)
	m.denseBias = must("batchnorm0/sub", Dim)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.mean, m.scale = mean[0], scale[0]
	m.stem = nn.BlockFilter(transpose(stem, stemK, stemC), stemC, stemK)
	// dense·diag(bnMul): the batch-norm scale folded into the matrix.
	d := transpose(dense, flatSize, Dim)
	for o := range Dim {
		for i := range flatSize {
			d[o*flatSize+i] *= bnMul[o]
		}
	}
	m.dense = nn.BlockFilter(d, Dim, flatSize)
	m.pool.New = func() any {
		w := &workspace{
			pad:  make([]float32, (InputSize+2)*(InputSize+2)*3),
			col:  make([]float32, 56*stemK),
			flat: make([]float32, flatSize),
		}
		// Two padded maps per size are enough: bufs[0] and bufs[1] hold
		// the 56×56 maps, bufs[2] and bufs[3] are reused below.
		for i := range w.bufs {
			w.bufs[i] = make([]float32, (56+2)*(56+2)*32)
		}
		return w
	}
	return m, nil
}

// transpose turns a row-major [rows][cols] matrix into [cols][rows].
func transpose(w []float32, rows, cols int) []float32 {
	out := make([]float32, len(w))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = w[r*cols+c]
		}
	}
	return out
}

// expectedOps is the sequence of non-constant operations of MobileFace's
// graph: the input scaling, the stem with PReLU, four stages and the dense
// layer with its batch normalisation.
func expectedOps() []string {
	prelu := []string{"Maximum", "Minimum", "Mul", "AddV2"}
	ops := []string{"Placeholder", "Sub", "Mul", "Pad", "Conv2D"}
	ops = append(ops, prelu...)
	for range 4 {
		ops = append(ops, "Conv2D")
		for range 3 {
			ops = append(ops, "Pad", "DepthwiseConv2dNative")
			ops = append(ops, prelu...)
		}
		ops = append(ops, "AddV2")
	}
	return append(ops, "Reshape", "MatMul", "Mul", "AddV2")
}

// Run computes the network's output for one face crop: in holds
// InputSize·InputSize·3 RGB values in NHWC order on the 0–255 scale (the
// network normalises them itself), out receives Dim values (not
// normalised). Run does not allocate after the first calls.
func (m *Model) Run(in, out []float32) error {
	if len(in) != InputSize*InputSize*3 || len(out) != Dim {
		return ErrInput
	}
	w := m.pool.Get().(*workspace)
	defer m.pool.Put(w)

	// Normalised input with a one-pixel zero border.
	const pw = InputSize + 2
	for y := range InputSize {
		dst := w.pad[3*((y+1)*pw+1) : 3*((y+1)*pw+1+InputSize)]
		src := in[3*y*InputSize : 3*(y+1)*InputSize]
		for i, v := range src {
			dst[i] = (v - m.mean) * m.scale
		}
	}
	// Stem: 3×3 stride-2 convolution as im2col rows and a pointwise
	// kernel with the PReLU fused, into a padded 56×56×32 map.
	const ss = 56
	stemOut := w.bufs[0][:(ss+2)*(ss+2)*stemC]
	clear(stemOut)
	for oy := range ss {
		for ox := range ss {
			col := w.col[ox*stemK : (ox+1)*stemK]
			for ky := range 3 {
				o := 3 * ((2*oy+ky)*pw + 2*ox)
				copy(col[9*ky:9*ky+9], w.pad[o:o+9])
			}
		}
		nn.Pointwise(m.simd, stemOut[((oy+1)*(ss+2)+1)*stemC:], w.col, ss, stemK, stemC, m.stem, m.zero[:stemC], m.stemSlope, nil, 0)
	}
	x := stemOut
	for s := range m.stages {
		x = m.stage(&m.stages[s], x, w)
	}
	// x is the padded 4×4×128 map: flatten its interior (HWC order, as
	// TensorFlow's Reshape of NHWC).
	const fs = 4
	for y := range fs {
		copy(w.flat[y*fs*128:(y+1)*fs*128], x[((y+1)*(fs+2)+1)*128:((y+1)*(fs+2)+1+fs)*128])
	}
	nn.Pointwise(m.simd, out, w.flat, 1, flatSize, Dim, m.dense, m.denseBias, m.ones, nil, 0)
	return nil
}

// stage runs one stage on the padded map x (st.in² pixels of st.cin
// channels plus a zero border) and returns its padded output.
func (m *Model) stage(st *stage, x []float32, w *workspace) []float32 {
	n, c := st.in, st.cout
	p := n + 2
	// Pick two buffers different from x.
	var free [3][]float32
	k := 0
	for i := range w.bufs {
		if &w.bufs[i][0] != &x[0] && k < len(free) {
			free[k] = w.bufs[i]
			k++
		}
	}
	// 1×1 convolution into a padded map.
	y := free[0][:p*p*c]
	clear(y)
	for r := range n {
		in := x[((r+1)*p+1)*st.cin : ((r+1)*p+1+n)*st.cin]
		nn.Pointwise(m.simd, y[((r+1)*p+1)*c:], in, n, st.cin, c, st.pw, m.zero[:c], m.ones[:c], nil, 0)
	}
	// Stride-2 depthwise convolution with PReLU.
	h := (n + 1) / 2
	q := h + 2
	a := free[1][:q*q*c]
	clear(a)
	m.depthwise(a, y, p, h, c, 2, st.dw[0], st.slope[0])
	b := free[2][:q*q*c]
	clear(b)
	m.depthwise(b, a, q, h, c, 1, st.dw[1], st.slope[1])
	clear(y[:q*q*c])
	d := y[:q*q*c]
	m.depthwise(d, b, q, h, c, 1, st.dw[2], st.slope[2])
	for i := range d {
		d[i] += a[i]
	}
	return d
}

// depthwise writes the interior rows of the padded h×h output map out from
// the padded map in (side ip), with PReLU.
func (m *Model) depthwise(out, in []float32, ip, h, c, stride int, k, slope []float32) {
	q := h + 2
	for oy := range h {
		r := oy * stride
		o := out[((oy+1)*q+1)*c : ((oy+1)*q+1+h)*c]
		nn.DepthwiseRow(m.simd, o, in[r*ip*c:(r+1)*ip*c], in[(r+1)*ip*c:(r+2)*ip*c], in[(r+2)*ip*c:(r+3)*ip*c], k, h, c, stride, 0)
		for i := range o {
			if v := o[i]; v < 0 {
				o[i] = v * slope[i%c]
			}
		}
	}
}
