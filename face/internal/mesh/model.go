package mesh

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// InputSize is the side of the square RGB input crop, in pixels.
const InputSize = 192

// NumPoints is the number of landmarks in a Result.
const NumPoints = 478

// TextureChannels is the number of channels of the network's first block,
// whose mean responses a Result reports as Texture.
const TextureChannels = 16

var (
	// ErrModel reports embedded model files that do not have the expected
	// structure.
	ErrModel = errors.New("mesh: invalid model")
	// ErrInputSize reports an input slice whose length is not
	// InputSize·InputSize·3.
	ErrInputSize = errors.New("mesh: input must hold 192×192×3 values")
)

//go:embed model/facemesh-attention.json
var modelJSON []byte

//go:embed model/facemesh-attention.bin
var modelBin []byte

// Model is the compiled Face Mesh network with attention.
//
// A Model is immutable after Load and safe for concurrent use: each Run
// takes a private workspace from an internal pool.
type Model struct {
	p       *program
	simd    bool // use the assembly kernels
	texture int  // the step whose output Texture pools
	pool    sync.Pool
}

// Result is the output of one forward pass. It is plain data: Run overwrites
// every field, and concurrent Runs need separate Results.
type Result struct {
	// Points are the 478 landmarks in MediaPipe's canonical order. x and y
	// are in pixels of the 192×192 input crop; z is the mesh depth in the
	// same pixel scale (negative towards the camera). Points 468–472 are
	// the iris of the eye around landmarks 33/133 (centre, +x, −y, −x, +y)
	// and 473–477 the iris of the eye around 263/362; their z is the mean z
	// of that eye's 16 inner-contour points.
	Points [NumPoints][3]float32
	// FaceFlag is the probability (0…1) that the crop contains a face.
	FaceFlag float32
	// Texture is the mean of each channel of the network's first block
	// (its 96×96 output, after the stem convolution and two residual
	// blocks) over the centre of the face: rows 30–80 % and columns
	// 25–75 % of the map, the eyes, nose, cheeks and mouth of a centred
	// crop. These low-level colour and texture responses are an input
	// to presentation-attack detection.
	Texture [TextureChannels]float32
}

// workspace holds everything one Run writes.
type workspace struct {
	arena []float32
	dw    []float32
	res   []float32
	col   []float32
	aff   [numRegions]affine
}

// Load parses and compiles the embedded model. The result can be shared by
// any number of goroutines; Load itself takes a few tens of milliseconds.
func Load() (*Model, error) {
	return load(modelJSON, modelBin)
}

func load(jsonData, bin []byte, keep ...string) (*Model, error) {
	g, err := parseGraph(jsonData, bin)
	if err != nil {
		return nil, err
	}
	p, err := compile(g, keep...)
	if err != nil {
		if !errors.Is(err, ErrModel) {
			err = fmt.Errorf("%w: %w", ErrModel, err)
		}
		return nil, err
	}
	if f := p.tensors[p.feature]; f.h != 48 || f.w != 48 {
		return nil, fmt.Errorf("%w: ROI feature map is %d×%d, want 48×48", ErrModel, f.h, f.w)
	}
	m := &Model{p: p, simd: nn.HaveSIMD(), texture: -1}
	// The first block is the last step at half the input size.
	for i, st := range p.steps {
		if t := p.tensors[st.out]; t.h == InputSize/2 && t.w == InputSize/2 {
			m.texture = i
		} else if m.texture >= 0 {
			break
		}
	}
	if m.texture < 0 || p.tensors[p.steps[m.texture].out].c != TextureChannels {
		return nil, fmt.Errorf("%w: no %d-channel first block at %d×%d", ErrModel, TextureChannels, InputSize/2, InputSize/2)
	}
	m.pool.New = func() any { return m.newWorkspace() }
	return m, nil
}

func (m *Model) newWorkspace() *workspace {
	p := m.p
	return &workspace{
		arena: make([]float32, p.arena),
		dw:    make([]float32, p.dwScratch),
		res:   make([]float32, p.resScratch),
		col:   make([]float32, p.colScratch),
	}
}

// Run runs the network on in, InputSize·InputSize·3 float32 values in NHWC
// order, RGB, scaled to [0, 1], and writes the landmarks and face flag to
// res. It does not allocate in steady state.
func (m *Model) Run(in []float32, res *Result) error {
	if len(in) != InputSize*InputSize*3 {
		return fmt.Errorf("%w, got %d", ErrInputSize, len(in))
	}
	ws := m.pool.Get().(*workspace)
	m.forward(ws, in, res)
	m.merge(ws, res)
	m.pool.Put(ws)
	return nil
}

// forward executes the compiled program and fills res.Texture.
func (m *Model) forward(ws *workspace, in []float32, res *Result) {
	for i := range m.p.steps {
		m.forwardStep(ws, &m.p.steps[i], in)
		if i == m.texture {
			m.pool16(ws, m.p.steps[i].out, &res.Texture)
		}
	}
}

// pool16 writes the mean of each channel of tensor id over the face centre
// (rows 30–80 %, columns 25–75 %) to out. The tensor is still live: later
// steps may overwrite its memory.
func (m *Model) pool16(ws *workspace, id int, out *[TextureChannels]float32) {
	t := m.p.tensors[id]
	v := m.viewOf(ws, id, nil)
	y0, y1 := t.h*3/10, t.h*8/10
	x0, x1 := t.w/4, t.w*3/4
	var sum [TextureChannels]float32
	for y := y0; y < y1; y++ {
		row := v.data[y*v.stride+x0*t.c : y*v.stride+x1*t.c]
		for len(row) >= TextureChannels {
			px := (*[TextureChannels]float32)(row)
			for c := range sum {
				sum[c] += px[c]
			}
			row = row[TextureChannels:]
		}
	}
	n := float32((y1 - y0) * (x1 - x0))
	for c := range out {
		out[c] = sum[c] / n
	}
}

func (m *Model) forwardStep(ws *workspace, st *step, in []float32) {
	switch st.kind {
	case stepBlock:
		m.execBlock(ws, st)
	case stepConv:
		m.execConv(ws, st, in)
	case stepSample:
		m.execSample(ws, st)
	}
}

// viewOf returns the interior of tensor id; the network input is in.
func (m *Model) viewOf(ws *workspace, id int, in []float32) view {
	t := m.p.tensors[id]
	if id == m.p.input {
		return view{data: in, h: t.h, w: t.w, c: t.c, stride: t.w * t.c}
	}
	return view{data: ws.arena[t.interior() : t.off+t.size()-t.extra], h: t.h, w: t.w, c: t.c, stride: t.rowStride()}
}

func (m *Model) execBlock(ws *workspace, st *step) {
	L := st.block
	a := ws.arena
	in, out := m.p.tensors[st.in], m.p.tensors[st.out]
	irs, ors := in.rowStride(), out.rowStride()
	dw := ws.dw[:L.outW*L.cin]
	off := 1 - L.padLeft
	for y := range L.outH {
		// Bordered input row of tap dy is y·stride − padTop + 1 + dy.
		r := in.off + (y*L.stride-L.padTop+1)*irs
		nn.DepthwiseRow(m.simd, dw, a[r:r+irs], a[r+irs:r+2*irs], a[r+2*irs:r+3*irs], L.dw, L.outW, L.cin, L.stride, off)
		var res []float32
		if L.pool {
			r0 := in.interior() + 2*y*irs
			res = ws.res[:L.outW*L.cin]
			nn.PoolRow(m.simd, res, a[r0:r0+in.w*in.c], a[r0+irs:r0+irs+in.w*in.c], L.outW, L.cin)
		} else {
			r0 := in.interior() + y*irs
			res = a[r0 : r0+in.w*in.c]
		}
		o := out.interior() + y*ors
		nn.Pointwise(m.simd, a[o:o+L.outW*L.cout], dw, L.outW, L.cin, L.cout, L.pw, L.bias, L.slope, res, L.cres)
	}
	zeroBorder(a, out)
}

func (m *Model) execConv(ws *workspace, st *step, in []float32) {
	L := st.conv
	a := ws.arena
	out := m.p.tensors[st.out]
	src := m.viewOf(ws, st.in, in)
	ors := out.rowStride()
	for y := range L.outH {
		o := out.interior() + y*ors
		// Heads write their zero-padded channels into the tensor's spare
		// room; other layers have a multiple of 16 channels.
		dst := a[o : o+(L.outW-1)*L.cout+len(L.bias)]
		if L.k == 1 && L.stride == 1 {
			row := src.data[y*src.stride : y*src.stride+src.w*src.c]
			nn.Pointwise(m.simd, dst, row, L.outW, L.cin, L.cout, L.w, L.bias, L.slope, nil, 0)
			continue
		}
		kk := L.k * L.k * L.cin
		// The first layer (3×3, 3 channels) reads the rows directly where
		// whole groups of patches lie inside the input (nn.Conv3, the same
		// sums); the rest goes through the im2col gather.
		n := 0
		if iy := y*L.stride - L.padTop; L.k == 3 && L.cin == 3 && L.padLeft == 0 && iy >= 0 && iy+3 <= src.h {
			n = min((src.w-3)/L.stride+1, L.outW) / 6 * 6
			r := src.data[iy*src.stride:]
			w3 := src.w * 3
			nn.Conv3(m.simd, dst, r[:w3], r[src.stride:src.stride+w3], r[2*src.stride:2*src.stride+w3], ws.col, n, L.stride*3, L.cout, L.w, L.bias, L.slope)
		}
		if n == L.outW {
			continue
		}
		col := ws.col[:(L.outW-n)*kk]
		im2colRow(col, &src, L, y, n)
		nn.Pointwise(m.simd, dst[n*L.cout:], col, L.outW-n, kk, L.cout, L.w, L.bias, L.slope, nil, 0)
	}
	if out.padded {
		zeroBorder(a, out)
	}
}

// tensorData returns the values of tensor id without border, for tests.
func (m *Model) tensorData(ws *workspace, id int) []float32 {
	t := m.p.tensors[id]
	v := m.viewOf(ws, id, nil)
	out := make([]float32, 0, t.h*t.w*t.c)
	for y := range t.h {
		out = append(out, v.data[y*v.stride:y*v.stride+t.w*t.c]...)
	}
	return out
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}
