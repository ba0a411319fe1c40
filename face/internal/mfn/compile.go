package mfn

import (
	"fmt"
	"slices"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// This file turns the graph into a fixed list of layers. The converter
// wrote every PReLU as Relu(x) + (x − |x|)·m, with m half the slope; the
// compiler recognises that pattern and folds it into the epilogue of the
// layer producing x (slope 2m). When x comes from a depthwise convolution
// whose fused ops already end in Relu, x − |x| is zero and the pattern is
// the identity: the network as converted (and as TensorFlow.js runs it)
// applies ReLU, not PReLU, after its depthwise layers. A residual Add is
// folded into the epilogue of the linear 1×1 projection it follows.

type layerKind uint8

const (
	layerConv layerKind = iota // k×k convolution, bias, PReLU slope, optional residual
	layerDW                    // 3×3 depthwise, bias, optional ReLU
	layerGDC                   // depthwise over the whole map (VALID), bias
)

// tensor is an activation of batch 1, NHWC, with a one-pixel zero border.
type tensor struct {
	h, w, c int
	off     int // arena offset
	last    int // index of the last layer that reads it
}

func (t *tensor) rowStride() int { return (t.w + 2) * t.c }
func (t *tensor) size() int      { return (t.h + 2) * t.rowStride() }

// interior is the arena offset of pixel (0, 0).
func (t *tensor) interior() int { return t.off + t.rowStride() + t.c }

type layer struct {
	kind            layerKind
	name            string
	in, out, res    int // tensor ids; in = -1 is the network input; res = -1 without residual
	k, stride       int
	padTop, padLeft int
	cin, cout       int
	w               []float32 // conv: BlockFilter of [cout][k·k·cin]; DW/GDC: [k·k][c]
	bias            []float32
	slope           []float32 // conv: PReLU slopes (ones when linear)
	relu            bool      // DW: ReLU after bias
}

type program struct {
	tensors []*tensor
	layers  []*layer
	out     int // tensor holding the un-normalised embedding
	eps     float32
	arena   int
	col     int // im2col scratch floats
	byName  map[string]int
}

// value is what a graph node computes, as far as the compiler tracks it.
type value struct {
	kind   valueKind
	t      int // tensor id (valueTensor) or the x of a PReLU part
	slope  []float32
	nonneg bool // the tensor is ≥ 0 (its producer ends in ReLU)
}

type valueKind uint8

const (
	valueTensor    valueKind = iota
	valueRelu                // Relu(x)
	valueAbs                 // Abs(x)
	valueNeg                 // x − |x|
	valueNegScaled           // (x − |x|)·m
	valueSumSq               // Σ x² over channels (keep_dims)
	valueMaxSumSq            // max(Σ x², eps)
	valueRsqrt               // 1/√max(Σ x², eps)
	valueNorm                // x·rsqrt: the output
)

type compiler struct {
	g      *graph
	p      *program
	vals   map[string]value
	prod   map[int]*layer // producing layer of a tensor
	output bool
}

func compile(g *graph) (*program, error) {
	c := &compiler{g: g, p: &program{byName: map[string]int{}}, vals: map[string]value{}, prod: map[int]*layer{}}
	for _, n := range g.Nodes() {
		if err := c.node(n); err != nil {
			return nil, err
		}
	}
	if !c.output {
		return nil, fmt.Errorf("%w: no L2-normalised embeddings output", ErrModel)
	}
	if t := c.p.tensors[c.p.out]; t.h != 1 || t.w != 1 || t.c != Dim {
		return nil, fmt.Errorf("%w: embedding is %d×%d×%d, want 1×1×%d", ErrModel, t.h, t.w, t.c, Dim)
	}
	c.allocate()
	return c.p, nil
}

func (c *compiler) newTensor(name string, h, w, ch int) int {
	c.p.tensors = append(c.p.tensors, &tensor{h: h, w: w, c: ch, last: -1})
	id := len(c.p.tensors) - 1
	c.p.byName[name] = id
	return id
}

// tensorIn returns the tensor id at input k of n (-1 for the network input).
func (c *compiler) tensorIn(n *nn.Node, k int) (int, error) {
	p := c.g.Input(n, k)
	if p == nil {
		return 0, fmt.Errorf("%w: %q lacks input %d", ErrModel, n.Name, k)
	}
	if p.Op == "Placeholder" {
		return -1, nil
	}
	v, ok := c.vals[p.Name]
	if !ok || v.kind != valueTensor {
		return 0, fmt.Errorf("%w: input %d of %q is not an activation", ErrModel, k, n.Name)
	}
	return v.t, nil
}

func (c *compiler) shape(id int) (h, w, ch int) {
	if id < 0 {
		return InputSize, InputSize, 3
	}
	t := c.p.tensors[id]
	return t.h, t.w, t.c
}

func (c *compiler) val(n *nn.Node, k int) (value, bool) {
	p := c.g.Input(n, k)
	if p == nil {
		return value{}, false
	}
	v, ok := c.vals[p.Name]
	return v, ok
}

func (c *compiler) node(n *nn.Node) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s %q: %s", ErrModel, n.Op, n.Name, why) }
	switch n.Op {
	case "Const":
		return nil
	case "Placeholder":
		if n.Name != inputName0 {
			return bad("unexpected input")
		}
		return nil
	case "_FusedConv2D":
		return c.conv(n)
	case "FusedDepthwiseConv2dNative":
		return c.depthwise(n)
	case "Relu", "Abs":
		x, err := c.tensorIn(n, 0)
		if err != nil || x < 0 {
			return bad("input is not an activation")
		}
		kind := valueRelu
		if n.Op == "Abs" {
			kind = valueAbs
		}
		c.vals[n.Name] = value{kind: kind, t: x}
		return nil
	case "Sub":
		x, err := c.tensorIn(n, 0)
		a, ok := c.val(n, 1)
		if err != nil || !ok || a.kind != valueAbs || a.t != x {
			return bad("not x − |x|")
		}
		c.vals[n.Name] = value{kind: valueNeg, t: x}
		return nil
	case "Mul":
		a, ok := c.val(n, 0)
		if !ok {
			return bad("unknown input")
		}
		switch a.kind {
		case valueNeg:
			m, _, err := c.g.FloatConst(n, 1)
			if err != nil {
				return err
			}
			if _, _, ch := c.shape(a.t); len(m) != ch {
				return bad("slope size")
			}
			slope := make([]float32, len(m))
			for i, v := range m {
				slope[i] = 2 * v // exact: (x − |x|)·m = 2x·m for x < 0
			}
			c.vals[n.Name] = value{kind: valueNegScaled, t: a.t, slope: slope}
			return nil
		case valueTensor:
			r, ok := c.val(n, 1)
			if !ok || r.kind != valueRsqrt || r.t != a.t {
				return bad("not the L2 normalisation")
			}
			c.vals[n.Name] = value{kind: valueNorm, t: a.t}
			if n.Name == outputName {
				c.output = true
				c.p.out = a.t
			}
			return nil
		}
		return bad("unexpected operands")
	case "Add":
		return c.add(n)
	case "Squeeze":
		x, err := c.tensorIn(n, 0)
		if err != nil {
			return err
		}
		if h, w, _ := c.shape(x); h != 1 || w != 1 {
			return bad("squeezes a map larger than 1×1")
		}
		c.vals[n.Name] = value{kind: valueTensor, t: x}
		return nil
	case "Square":
		x, err := c.tensorIn(n, 0)
		if err != nil {
			return err
		}
		c.vals[n.Name] = value{kind: valueSumSq, t: x} // completed by Sum
		return nil
	case "Sum":
		a, ok := c.val(n, 0)
		ax, _, _ := c.g.FloatConst(n, 1)
		if !ok || a.kind != valueSumSq || ax != nil {
			return bad("not a sum of squares")
		}
		if p := c.g.Input(n, 1); p == nil || p.Op != "Const" {
			return bad("axis is not constant")
		}
		c.vals[n.Name] = value{kind: valueSumSq, t: a.t}
		return nil
	case "Maximum":
		a, ok := c.val(n, 0)
		eps, _, err := c.g.FloatConst(n, 1)
		if !ok || a.kind != valueSumSq || err != nil || len(eps) != 1 {
			return bad("not max(Σx², ε)")
		}
		c.p.eps = eps[0]
		c.vals[n.Name] = value{kind: valueMaxSumSq, t: a.t}
		return nil
	case "Rsqrt":
		a, ok := c.val(n, 0)
		if !ok || a.kind != valueMaxSumSq {
			return bad("not 1/√max(Σx², ε)")
		}
		c.vals[n.Name] = value{kind: valueRsqrt, t: a.t}
		return nil
	}
	return bad("unsupported op")
}

// Names of the model's input and output nodes.
const (
	inputName0 = "img_inputs"
	outputName = "embeddings"
)

func (c *compiler) add(n *nn.Node) error {
	bad := func(why string) error { return fmt.Errorf("%w: Add %q: %s", ErrModel, n.Name, why) }
	a, okA := c.val(n, 0)
	b, okB := c.val(n, 1)
	if !okA || !okB {
		return bad("unknown inputs")
	}
	if a.kind == valueNegScaled {
		a, b = b, a
	}
	switch {
	case a.kind == valueTensor && a.nonneg && b.kind == valueNegScaled && a.t == b.t:
		// The converter fused the Relu of Relu(x) + (x − |x|)·m into the
		// depthwise layer producing x, so x ≥ 0 and the sum is x.
		if len(c.g.Consumers(c.nameOf(a.t))) != 3 {
			return bad("ReLU input is shared")
		}
		c.vals[n.Name] = value{kind: valueTensor, t: a.t, nonneg: true}
		return nil
	case a.kind == valueRelu && b.kind == valueNegScaled && a.t == b.t:
		// PReLU(x) = Relu(x) + (x − |x|)·m; x must feed nothing else.
		x := a.t
		L := c.prod[x]
		if L == nil || len(c.g.Consumers(c.nameOf(x))) != 3 {
			return bad("PReLU input is shared")
		}
		if L.kind != layerConv || L.res >= 0 || !allOnes(L.slope) {
			return bad("PReLU after an unsupported layer")
		}
		L.slope = nn.PadVector(b.slope, len(L.bias), 1)
		c.vals[n.Name] = value{kind: valueTensor, t: x}
		return nil
	case a.kind == valueTensor && b.kind == valueTensor:
		for range 2 {
			L := c.prod[a.t]
			if L != nil && L.kind == layerConv && L.res < 0 && allOnes(L.slope) && len(c.g.Consumers(c.nameOf(a.t))) == 1 {
				ha, wa, ca := c.shape(a.t)
				hb, wb, cb := c.shape(b.t)
				if ha != hb || wa != wb || ca != cb || ca%nn.BlockWidth != 0 {
					return bad("residual shapes differ")
				}
				L.res = b.t
				c.vals[n.Name] = value{kind: valueTensor, t: a.t}
				return nil
			}
			a, b = b, a
		}
		return bad("residual not after a linear convolution")
	}
	return bad("unexpected operands")
}

func (c *compiler) nameOf(id int) string {
	for name, v := range c.p.byName {
		if v == id {
			return name
		}
	}
	return ""
}

// samePad applies TensorFlow's SAME rule: the output is ceil(in/s) and any
// odd padding goes after.
func samePad(in, k, s int) (out, before int) {
	out = (in + s - 1) / s
	total := max((out-1)*s+k-in, 0)
	return out, total / 2
}

func (c *compiler) conv(n *nn.Node) error {
	bad := func(why string) error { return fmt.Errorf("%w: _FusedConv2D %q: %s", ErrModel, n.Name, why) }
	if ops := n.AttrStrings("fused_ops"); !slices.Equal(ops, []string{"BiasAdd"}) {
		return bad(fmt.Sprintf("fused ops %q", ops))
	}
	if d := n.AttrInts("dilations"); d != nil && !slices.Equal(d, []int{1, 1, 1, 1}) {
		return bad("dilated")
	}
	st := n.AttrInts("strides")
	if len(st) != 4 || st[1] != st[2] || st[1] < 1 {
		return bad("strides")
	}
	in, err := c.tensorIn(n, 0)
	if err != nil {
		return err
	}
	w, ws, err := c.g.FloatConst(n, 1)
	if err != nil {
		return err
	}
	bias, _, err := c.g.FloatConst(n, 2)
	if err != nil {
		return err
	}
	h, wd, cin := c.shape(in)
	if len(ws) != 4 || ws[0] != ws[1] || ws[2] != cin || len(bias) != ws[3] || ws[3]%nn.BlockWidth != 0 {
		return bad(fmt.Sprintf("filter %v on %d channels", ws, cin))
	}
	k, cout, s := ws[0], ws[3], st[1]
	L := &layer{kind: layerConv, name: n.Name, in: in, res: -1, k: k, stride: s, cin: cin, cout: cout,
		w: nn.BlockFilter(nn.TransposeHWIO(w, k, k, cin, cout), cout, k*k*cin), bias: bias, slope: nn.PadVector(nil, cout, 1)}
	var oh, ow int
	switch n.AttrString("padding") {
	case "SAME":
		oh, L.padTop = samePad(h, k, s)
		ow, L.padLeft = samePad(wd, k, s)
	case "VALID":
		if h < k || wd < k {
			return bad("filter larger than input")
		}
		oh, ow = (h-k)/s+1, (wd-k)/s+1
	default:
		return bad("padding")
	}
	if k != 1 && in >= 0 || k == 1 && (s != 1 || L.padTop != 0) {
		return bad("only the stem may have a spatial filter")
	}
	L.out = c.newTensor(n.Name, oh, ow, cout)
	if k != 1 {
		c.p.col = max(c.p.col, ow*k*k*cin)
	}
	c.addLayer(L)
	return nil
}

func (c *compiler) depthwise(n *nn.Node) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: FusedDepthwiseConv2dNative %q: %s", ErrModel, n.Name, why)
	}
	ops := n.AttrStrings("fused_ops")
	relu := slices.Equal(ops, []string{"BiasAdd", "Relu"})
	if !relu && !slices.Equal(ops, []string{"BiasAdd"}) {
		return bad(fmt.Sprintf("fused ops %q", ops))
	}
	st := n.AttrInts("strides")
	if len(st) != 4 || st[1] != st[2] || (st[1] != 1 && st[1] != 2) {
		return bad("strides")
	}
	in, err := c.tensorIn(n, 0)
	if err != nil || in < 0 {
		return bad("input")
	}
	w, ws, err := c.g.FloatConst(n, 1)
	if err != nil {
		return err
	}
	bias, _, err := c.g.FloatConst(n, 2)
	if err != nil {
		return err
	}
	h, wd, ch := c.shape(in)
	if len(ws) != 4 || ws[0] != ws[1] || ws[2] != ch || ws[3] != 1 || len(bias) != ch || ch%8 != 0 {
		return bad(fmt.Sprintf("filter %v on %d channels", ws, ch))
	}
	k := ws[0]
	L := &layer{name: n.Name, in: in, res: -1, k: k, stride: st[1], cin: ch, cout: ch, w: w, bias: bias, relu: relu}
	var oh, ow int
	switch pad := n.AttrString("padding"); {
	case pad == "SAME" && k == 3:
		L.kind = layerDW
		oh, L.padTop = samePad(h, 3, L.stride)
		ow, L.padLeft = samePad(wd, 3, L.stride)
	case pad == "VALID" && k == h && k == wd && L.stride == 1 && !relu:
		L.kind = layerGDC
		oh, ow = 1, 1
	default:
		return bad("unsupported kernel or padding")
	}
	L.out = c.newTensor(n.Name, oh, ow, ch)
	c.addLayer(L)
	c.vals[n.Name] = value{kind: valueTensor, t: L.out, nonneg: relu}
	return nil
}

func (c *compiler) addLayer(L *layer) {
	c.p.layers = append(c.p.layers, L)
	c.prod[L.out] = L
	c.vals[L.name] = value{kind: valueTensor, t: L.out}
}

// allocate places the tensors in one arena, reusing a buffer once the
// last layer reading its tensor has run.
func (c *compiler) allocate() {
	p := c.p
	for i, L := range p.layers {
		for _, id := range []int{L.in, L.res} {
			if id >= 0 {
				p.tensors[id].last = i
			}
		}
	}
	type buf struct{ off, size int }
	var free []buf
	owner := map[int]buf{}
	for i, L := range p.layers {
		t := p.tensors[L.out]
		need := t.size()
		best := -1
		for j, b := range free {
			if b.size >= need && (best < 0 || b.size < free[best].size) {
				best = j
			}
		}
		var b buf
		if best >= 0 {
			b = free[best]
			free = slices.Delete(free, best, best+1)
		} else {
			b = buf{p.arena, need}
			p.arena += need
		}
		t.off = b.off
		owner[L.out] = b
		for id, t := range p.tensors {
			if t.last == i && id != p.out {
				if b, ok := owner[id]; ok {
					free = append(free, b)
					delete(owner, id)
				}
			}
		}
	}
}

func allOnes(v []float32) bool {
	for _, x := range v {
		if x != 1 {
			return false
		}
	}
	return true
}
