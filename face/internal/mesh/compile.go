package mesh

import (
	"fmt"
	"slices"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// This file turns the graph into a fixed program of fused steps (spec §3,
// §5.2). Only the convolutional parts are compiled; the ROI geometry between
// the trunk and the three sub-networks is hand-coded (spec §5.3, approach b).

// Output tensor names (spec §5.1). The Identity nodes are selected by name;
// the runtime order of outputs carries no meaning.
const (
	outFaceFlag = "Identity"
	outEye33    = "Identity_1"
	outIris33   = "Identity_2"
	outLips     = "Identity_3"
	outMesh     = "Identity_4"
	outEye263   = "Identity_5"
	outIris263  = "Identity_6"
)

// Regions of the attention sub-networks, in execution order.
const (
	regionLips = iota
	regionEye33
	regionEye263
	numRegions
)

// patchSize is the side of the sampled ROI patch, in feature cells.
const patchSize = 16

// tensor is an activation in the workspace arena, NHWC with batch 1.
// Padded tensors carry a one-pixel zero border on every side so that 3×3
// depthwise kernels need no bounds tests.
type tensor struct {
	name    string
	h, w, c int
	padded  bool
	off     int // arena offset; -1 for the network input
	extra   int // spare floats after the values (padded head channels)
	pinned  bool
	lastUse int
}

func (t *tensor) size() int {
	if t.padded {
		return (t.h+2)*(t.w+2)*t.c + t.extra
	}
	return t.h*t.w*t.c + t.extra
}

// rowStride is the number of floats between two rows.
func (t *tensor) rowStride() int {
	if t.padded {
		return (t.w + 2) * t.c
	}
	return t.w * t.c
}

// interior returns the offset of pixel (0,0).
func (t *tensor) interior() int {
	if t.padded {
		return t.off + (t.w+2)*t.c + t.c
	}
	return t.off
}

// blockLayer is the residual block of spec §3.1:
// y = PReLU(skip(x) + Conv1×1(DW3×3(x)) + bias), where skip is x itself or a
// 2×2 max-pool of x, zero-padded in channels from cres to cout.
type blockLayer struct {
	inH, inW, cin    int
	outH, outW, cout int
	stride           int
	padTop, padLeft  int       // TF SAME padding before (after is implied)
	dw               []float32 // [9][cin], tap-major
	pw               []float32 // blockFilter layout of the [cout][cin] filter
	bias, slope      []float32 // [cout]
	pool             bool      // skip path is a 2×2 stride-2 max-pool
	cres             int       // channels carried by the skip path
}

// convLayer is a plain convolution with bias and optional PReLU: the stem,
// the 1×1 channel reductions and the output heads.
type convLayer struct {
	inH, inW, cin    int
	outH, outW, cout int
	k, stride        int
	padTop, padLeft  int
	w                []float32 // blockFilter layout of [cout][k·k·cin], im2col order (ky, kx, ci)
	bias             []float32 // [coutP], zero-padded
	slope            []float32 // [coutP]; all ones without activation
}

type stepKind uint8

const (
	stepBlock stepKind = iota
	stepConv
	stepSample
)

type step struct {
	kind   stepKind
	in     int // input tensor (feature map for stepSample)
	out    int
	block  *blockLayer
	conv   *convLayer
	region int
}

// region describes one attention ROI (spec §5.3).
type region struct {
	indices []int // landmark subset S_r, also the overwrite order of §5.4
	a, b    int   // corner pair defining the rotation
	sample  int   // tensor holding the sampled patch
	heads   []regionHead
}

// regionHead is one output of a sub-network, in patch×4 units.
type regionHead struct {
	output string // Identity name
	tensor int
}

type program struct {
	tensors    []*tensor
	steps      []step
	arena      int // floats
	dwScratch  int
	resScratch int
	colScratch int
	input      int
	mesh, flag int
	flagSig    bool
	feature    int
	regions    [numRegions]region
	grid       [patchSize]float32 // float16 base grid of the sampler, −1…1
	byName     map[string]int
}

type compiler struct {
	g       *graph
	p       *program
	done    map[string]int
	heads   map[string]bool
	samples map[string]int // sampler boundary node → region
}

var convOps = map[string]bool{
	"_FusedConv2D": true, "DepthwiseConv2dNative": true, "AddV2": true,
	"Prelu": true, "MaxPool": true, "Pad": true,
}

// compile builds the program; the tensors named in keep are never reused,
// so that tests can read intermediate results after a run.
func compile(g *graph, keep ...string) (*program, error) {
	c := &compiler{
		g:       g,
		p:       &program{byName: map[string]int{}},
		done:    map[string]int{},
		heads:   map[string]bool{},
		samples: map[string]int{},
	}
	if err := c.build(); err != nil {
		return nil, err
	}
	for _, name := range keep {
		id, ok := c.p.byName[name]
		if !ok {
			return nil, fmt.Errorf("%w: no tensor %q", ErrModel, name)
		}
		c.p.tensors[id].pinned = true
	}
	c.allocate()
	return c.p, nil
}

// headConv finds the convolution that produces the named output.
func (c *compiler) headConv(output string, exclude *nn.Node) (*nn.Node, bool, error) {
	id := c.g.Node(output)
	if id == nil {
		return nil, false, fmt.Errorf("%w: no output %q", ErrModel, output)
	}
	var convs []*nn.Node
	sigmoid := false
	c.g.Ancestors(id, func(n *nn.Node) bool {
		if n.Op == "_FusedConv2D" {
			if n != exclude {
				convs = append(convs, n)
			}
			return false
		}
		if n.Op == "Sigmoid" {
			sigmoid = true
		}
		return true
	})
	if len(convs) != 1 {
		return nil, false, fmt.Errorf("%w: output %q comes from %d head convolutions", ErrModel, output, len(convs))
	}
	return convs[0], sigmoid, nil
}

func (c *compiler) build() error {
	g, p := c.g, c.p
	in := g.Node("input_1")
	if in == nil || in.Op != "Placeholder" {
		return fmt.Errorf("%w: no input_1 placeholder", ErrModel)
	}
	p.input = c.newTensor(in.Name, InputSize, InputSize, 3, false)
	p.tensors[p.input].off = -1
	c.done[in.Name] = p.input

	meshConv, _, err := c.headConv(outMesh, nil)
	if err != nil {
		return err
	}
	flagConv, sig, err := c.headConv(outFaceFlag, nil)
	if err != nil {
		return err
	}
	p.flagSig = sig
	type headRef struct {
		output string
		conv   *nn.Node
	}
	var subHeads []headRef
	for _, o := range []string{outLips, outEye33, outIris33, outEye263, outIris263} {
		h, _, err := c.headConv(o, meshConv)
		if err != nil {
			return err
		}
		subHeads = append(subHeads, headRef{o, h})
	}
	for _, h := range append([]headRef{{outMesh, meshConv}, {outFaceFlag, flagConv}}, subHeads...) {
		c.heads[h.conv.Name] = true
	}

	if p.mesh, err = c.tensorOf(meshConv); err != nil {
		return err
	}
	if p.flag, err = c.tensorOf(flagConv); err != nil {
		return err
	}
	if t := p.tensors[p.mesh]; t.h*t.w*t.c != 468*3 {
		return fmt.Errorf("%w: mesh head has %d values", ErrModel, t.h*t.w*t.c)
	}
	if t := p.tensors[p.flag]; t.h*t.w*t.c != 1 {
		return fmt.Errorf("%w: face flag head has %d values", ErrModel, t.h*t.w*t.c)
	}
	p.feature = -1

	// Discover the sampler boundary of each sub-network head and the
	// region it belongs to, then compile the heads region by region.
	headRegion := make([]int, len(subHeads))
	for i, h := range subHeads {
		var bounds []*nn.Node
		g.Ancestors(h.conv, func(n *nn.Node) bool {
			if n.Op == "Const" {
				return false
			}
			if !convOps[n.Op] {
				bounds = append(bounds, n)
				return false
			}
			return true
		})
		if len(bounds) != 1 {
			return fmt.Errorf("%w: sub-network of %q has %d inputs", ErrModel, h.output, len(bounds))
		}
		r, err := c.sampler(bounds[0])
		if err != nil {
			return err
		}
		headRegion[i] = r
	}
	for r := range numRegions {
		if p.regions[r].indices == nil {
			return fmt.Errorf("%w: region %d not found", ErrModel, r)
		}
		for i, h := range subHeads {
			if headRegion[i] != r {
				continue
			}
			t, err := c.tensorOf(h.conv)
			if err != nil {
				return err
			}
			p.regions[r].heads = append(p.regions[r].heads, regionHead{h.output, t})
		}
	}
	return c.checkHeads()
}

// checkHeads verifies that every output has the size of spec §5.1.
func (c *compiler) checkHeads() error {
	want := map[string]struct{ region, n int }{
		outLips:    {regionLips, 160},
		outEye33:   {regionEye33, 142},
		outIris33:  {regionEye33, 10},
		outEye263:  {regionEye263, 142},
		outIris263: {regionEye263, 10},
	}
	seen := 0
	for r := range numRegions {
		for _, h := range c.p.regions[r].heads {
			w, ok := want[h.output]
			t := c.p.tensors[h.tensor]
			if !ok || w.region != r || t.h*t.w*t.c != w.n {
				return fmt.Errorf("%w: output %q does not match region %d with %d values", ErrModel, h.output, r, w.n)
			}
			seen++
		}
	}
	if seen != len(want) {
		return fmt.Errorf("%w: %d sub-network outputs, want %d", ErrModel, seen, len(want))
	}
	return nil
}

// sampler analyses the geometry feeding a sub-network input node: it finds
// the feature map, the landmark subset and the corner pair, and registers the
// region. It returns the region number.
func (c *compiler) sampler(bound *nn.Node) (int, error) {
	if r, ok := c.samples[bound.Name]; ok {
		return r, nil
	}
	g, p := c.g, c.p
	var feats, gathers, atans, tiles []*nn.Node
	g.Ancestors(bound, func(n *nn.Node) bool {
		switch {
		case n.Op == "Prelu":
			feats = append(feats, n)
			return false
		case n.Op == "_FusedConv2D":
			return false
		case n.Op == "GatherV2":
			if ix, err := g.IntConst(n, 1); err == nil && len(ix) > 2 {
				gathers = append(gathers, n)
			}
		case n.Op == "Atan2":
			atans = append(atans, n)
		case n.Op == "Tile":
			tiles = append(tiles, n)
		}
		return true
	})
	if len(feats) != 1 || len(gathers) != 1 || len(atans) != 1 || len(tiles) != 1 {
		return 0, fmt.Errorf("%w: unrecognised ROI geometry before %q", ErrModel, bound.Name)
	}
	ix, _ := g.IntConst(gathers[0], 1)
	indices := make([]int, len(ix))
	for i, v := range ix {
		if v < 0 || v >= 468 {
			return 0, fmt.Errorf("%w: landmark index %d", ErrModel, v)
		}
		indices[i] = int(v)
	}
	var r int
	switch {
	case indices[0] == 61 && len(indices) == 80:
		r = regionLips
	case indices[0] == 33 && len(indices) == 71:
		r = regionEye33
	case indices[0] == 263 && len(indices) == 71:
		r = regionEye263
	default:
		return 0, fmt.Errorf("%w: unknown ROI starting at landmark %d", ErrModel, indices[0])
	}
	if p.regions[r].indices != nil {
		return 0, fmt.Errorf("%w: region %d defined twice", ErrModel, r)
	}
	a, b, err := c.corners(atans[0])
	if err != nil {
		return 0, err
	}
	grid, _, err := g.FloatConst(tiles[0], 0)
	if err != nil {
		return 0, err
	}
	if len(grid) != 3*patchSize*patchSize {
		return 0, fmt.Errorf("%w: sampler grid has %d values", ErrModel, len(grid))
	}
	for i := range patchSize {
		// Row 0 is x (u fastest), row 1 is y (v slowest); both use the
		// same float16 values.
		if grid[i] != grid[patchSize*patchSize+i*patchSize] {
			return 0, fmt.Errorf("%w: sampler grid is not separable", ErrModel)
		}
		p.grid[i] = grid[i]
	}

	ft, err := c.tensorOf(feats[0])
	if err != nil {
		return 0, err
	}
	if p.feature >= 0 && p.feature != ft {
		return 0, fmt.Errorf("%w: sub-networks sample different feature maps", ErrModel)
	}
	p.feature = ft
	f := p.tensors[ft]
	out := c.newTensor(bound.Name, patchSize, patchSize, f.c, true)
	p.steps = append(p.steps, step{kind: stepSample, in: ft, out: out, region: r})
	p.regions[r] = region{indices: indices, a: a, b: b, sample: out}
	c.done[bound.Name] = out
	c.samples[bound.Name] = r
	return r, nil
}

// corners reads the landmark pair of θ = atan2(y_b − y_a, x_b − x_a).
func (c *compiler) corners(atan *nn.Node) (int, int, error) {
	g := c.g
	pair := func(sub *nn.Node, comp int32) (int, int, error) {
		if sub == nil || sub.Op != "Sub" {
			return 0, 0, fmt.Errorf("%w: unexpected ROI angle", ErrModel)
		}
		var idx [2]int
		for k := range 2 {
			ss := g.Input(sub, k)
			if ss == nil || ss.Op != "StridedSlice" {
				return 0, 0, fmt.Errorf("%w: unexpected ROI angle", ErrModel)
			}
			begin, err := g.IntConst(ss, 1)
			if err != nil || len(begin) != 3 || begin[2] != comp {
				return 0, 0, fmt.Errorf("%w: unexpected ROI angle slice", ErrModel)
			}
			idx[k] = int(begin[1])
		}
		return idx[1], idx[0], nil // Sub(b, a)
	}
	ay, by, err := pair(g.Input(atan, 0), 1)
	if err != nil {
		return 0, 0, err
	}
	ax, bx, err := pair(g.Input(atan, 1), 0)
	if err != nil {
		return 0, 0, err
	}
	if ay != ax || by != bx {
		return 0, 0, fmt.Errorf("%w: ROI angle mixes landmarks", ErrModel)
	}
	return ax, bx, nil
}

func (c *compiler) newTensor(name string, h, w, ch int, padded bool) int {
	c.p.tensors = append(c.p.tensors, &tensor{name: name, h: h, w: w, c: ch, padded: padded, lastUse: -1})
	id := len(c.p.tensors) - 1
	if name != "" {
		c.p.byName[name] = id
	}
	return id
}

// tensorOf compiles the producer of n's output and returns its tensor.
func (c *compiler) tensorOf(n *nn.Node) (int, error) {
	if id, ok := c.done[n.Name]; ok {
		return id, nil
	}
	var id int
	var err error
	switch n.Op {
	case "Prelu":
		id, err = c.block(n)
	case "_FusedConv2D":
		id, err = c.conv(n)
	default:
		err = fmt.Errorf("%w: unsupported producer %s (%q)", ErrModel, n.Op, n.Name)
	}
	if err != nil {
		return 0, err
	}
	c.done[n.Name] = id
	return id, nil
}

func (c *compiler) singleConsumer(n, want *nn.Node) bool {
	cs := c.g.Consumers(n.Name)
	return len(cs) == 1 && cs[0] == want
}

// samePad applies TensorFlow's SAME rule (spec §3.1): the output is
// ceil(in/s) and any odd padding goes after.
func samePad(in, k, s int) (out, before, after int) {
	out = (in + s - 1) / s
	total := max((out-1)*s+k-in, 0)
	before = total / 2
	return out, before, total - before
}

// validOut is the output size of a VALID convolution.
func validOut(in, k, s int) int {
	if in < k {
		return 0
	}
	return (in-k)/s + 1
}

// block matches Prelu(AddV2(skip, FusedConv1×1(DepthwiseConv(x)))).
func (c *compiler) block(prelu *nn.Node) (int, error) {
	g := c.g
	bad := func(why string) (int, error) {
		return 0, fmt.Errorf("%w: %q is not a residual block: %s", ErrModel, prelu.Name, why)
	}
	add := g.Input(prelu, 0)
	if add == nil || add.Op != "AddV2" || !c.singleConsumer(add, prelu) {
		return bad("no single-use AddV2")
	}
	slope, _, err := g.FloatConst(prelu, 1)
	if err != nil {
		return 0, err
	}
	var pw, skip *nn.Node
	for k := range 2 {
		a := g.Input(add, k)
		if a != nil && a.Op == "_FusedConv2D" && pw == nil {
			if d := g.Input(a, 0); d != nil && d.Op == "DepthwiseConv2dNative" {
				pw, skip = a, g.Input(add, 1-k)
			}
		}
	}
	if pw == nil || !c.singleConsumer(pw, add) {
		return bad("no pointwise convolution")
	}
	if ops := pw.AttrStrings("fused_ops"); !slices.Equal(ops, []string{"BiasAdd"}) {
		return bad(fmt.Sprintf("pointwise fused ops %q", ops))
	}
	dw := g.Input(pw, 0)
	if !c.singleConsumer(dw, pw) {
		return bad("depthwise output reused")
	}
	x := g.Input(dw, 0)

	dwW, dwShape, err := g.FloatConst(dw, 1)
	if err != nil {
		return 0, err
	}
	pwW, pwShape, err := g.FloatConst(pw, 1)
	if err != nil {
		return 0, err
	}
	bias, _, err := g.FloatConst(pw, 2)
	if err != nil {
		return 0, err
	}
	if !slices.Equal(dwShape[:2], []int{3, 3}) || len(dwShape) != 4 || dwShape[3] != 1 {
		return bad(fmt.Sprintf("depthwise filter %v", dwShape))
	}
	if len(pwShape) != 4 || pwShape[0] != 1 || pwShape[1] != 1 || pwShape[2] != dwShape[2] {
		return bad(fmt.Sprintf("pointwise filter %v", pwShape))
	}
	if s := pw.AttrInts("strides"); !slices.Equal(s, []int{1, 1, 1, 1}) {
		return bad("strided pointwise convolution")
	}
	if dw.AttrString("padding") != "SAME" {
		return bad("depthwise padding is not SAME")
	}
	st := dw.AttrInts("strides")
	if len(st) != 4 || st[1] != st[2] || (st[1] != 1 && st[1] != 2) {
		return bad(fmt.Sprintf("depthwise strides %v", st))
	}
	if d := dw.AttrInts("dilations"); d != nil && !slices.Equal(d, []int{1, 1, 1, 1}) {
		return bad("dilated depthwise convolution")
	}

	xt, err := c.tensorOf(x)
	if err != nil {
		return 0, err
	}
	in := c.p.tensors[xt]
	if !in.padded {
		return bad("input tensor has no border")
	}
	cin, cout := dwShape[2], pwShape[3]
	if in.c != cin || len(bias) != cout || len(slope) != cout {
		return bad("channel counts disagree")
	}
	L, err := newBlockLayer(in.h, in.w, cin, cout, st[1], dwW, pwW, bias, slope)
	if err != nil {
		return bad(err.Error())
	}

	// Skip path: x, MaxPool(x) or Pad(MaxPool(x)) with trailing zero channels.
	cres := cout
	if skip != nil && skip.Op == "Pad" {
		pads, err := g.IntConst(skip, 1)
		if err != nil {
			return 0, err
		}
		if len(pads) != 8 || pads[0]|pads[1]|pads[2]|pads[3]|pads[4]|pads[5]|pads[6] != 0 {
			return bad(fmt.Sprintf("skip padding %v", pads))
		}
		cres = cout - int(pads[7])
		if !c.singleConsumer(skip, add) {
			return bad("padded skip reused")
		}
		skip = g.Input(skip, 0)
	}
	switch {
	case skip == x && L.stride == 1:
	case skip != nil && skip.Op == "MaxPool" && g.Input(skip, 0) == x && L.stride == 2:
		k, s := skip.AttrInts("ksize"), skip.AttrInts("strides")
		if !slices.Equal(k, []int{1, 2, 2, 1}) || !slices.Equal(s, []int{1, 2, 2, 1}) {
			return bad("max-pool is not 2×2 stride 2")
		}
	default:
		return bad("unrecognised skip path")
	}
	if cres != cin {
		return bad(fmt.Sprintf("skip carries %d channels, input has %d", cres, cin))
	}
	out := c.newTensor(prelu.Name, L.outH, L.outW, cout, true)
	c.p.steps = append(c.p.steps, step{kind: stepBlock, in: xt, out: out, block: L})
	return out, nil
}

// conv compiles a stand-alone _FusedConv2D with BiasAdd and optional PReLU.
func (c *compiler) conv(n *nn.Node) (int, error) {
	g := c.g
	bad := func(why string) (int, error) {
		return 0, fmt.Errorf("%w: convolution %q: %s", ErrModel, n.Name, why)
	}
	x := g.Input(n, 0)
	if x == nil {
		return bad("no input")
	}
	if x.Op == "DepthwiseConv2dNative" {
		return bad("depthwise convolution outside a residual block")
	}
	w, shape, err := g.FloatConst(n, 1)
	if err != nil {
		return 0, err
	}
	bias, _, err := g.FloatConst(n, 2)
	if err != nil {
		return 0, err
	}
	var slope []float32
	switch ops := n.AttrStrings("fused_ops"); {
	case slices.Equal(ops, []string{"BiasAdd"}):
	case slices.Equal(ops, []string{"BiasAdd", "Prelu"}):
		if slope, _, err = g.FloatConst(n, 3); err != nil {
			return 0, err
		}
	default:
		return bad(fmt.Sprintf("fused ops %q", ops))
	}
	if len(shape) != 4 || shape[0] != shape[1] {
		return bad(fmt.Sprintf("filter %v", shape))
	}
	st := n.AttrInts("strides")
	if len(st) != 4 || st[1] != st[2] {
		return bad(fmt.Sprintf("strides %v", st))
	}
	if d := n.AttrInts("dilations"); d != nil && !slices.Equal(d, []int{1, 1, 1, 1}) {
		return bad("dilated convolution")
	}
	xt, err := c.tensorOf(x)
	if err != nil {
		return 0, err
	}
	in := c.p.tensors[xt]
	k, cin, cout := shape[0], shape[2], shape[3]
	if in.c != cin || len(bias) != cout || (slope != nil && len(slope) != cout) {
		return bad("channel counts disagree")
	}
	L, err := newConvLayer(in.h, in.w, cin, cout, k, st[1], n.AttrString("padding"), w, bias, slope)
	if err != nil {
		return bad(err.Error())
	}
	out := c.newTensor(n.Name, L.outH, L.outW, cout, !c.heads[n.Name])
	c.p.tensors[out].extra = len(L.bias) - cout
	c.p.steps = append(c.p.steps, step{kind: stepConv, in: xt, out: out, conv: L})
	return out, nil
}

// newBlockLayer builds a residual block from the graph's weights: dw is
// [3][3][cin][1], pw is [1][1][cin][cout] (HWIO), bias and slope are
// [cout]. A stride-2 block has a max-pooled skip path, zero-padded from cin
// to cout channels.
func newBlockLayer(inH, inW, cin, cout, stride int, dw, pw, bias, slope []float32) (*blockLayer, error) {
	switch {
	case cin%8 != 0 || cout%nn.BlockWidth != 0 || cout < cin:
		return nil, fmt.Errorf("channels %d→%d are unsupported", cin, cout)
	case stride != 1 && stride != 2:
		return nil, fmt.Errorf("stride %d", stride)
	case stride == 1 && cin != cout:
		return nil, fmt.Errorf("stride-1 block changes channels %d→%d", cin, cout)
	case len(dw) != 9*cin || len(pw) != cin*cout || len(bias) != cout || len(slope) != cout:
		return nil, fmt.Errorf("weights do not match %d→%d channels", cin, cout)
	}
	L := &blockLayer{
		inH: inH, inW: inW, cin: cin, cout: cout, stride: stride,
		dw: dw, pw: nn.BlockFilter(nn.TransposeHWIO(pw, 1, 1, cin, cout), cout, cin),
		bias: bias, slope: slope, cres: cin, pool: stride == 2,
	}
	var padB, padR int
	L.outH, L.padTop, padB = samePad(inH, 3, stride)
	L.outW, L.padLeft, padR = samePad(inW, 3, stride)
	if L.padTop > 1 || padB > 1 || L.padLeft > 1 || padR > 1 {
		return nil, fmt.Errorf("padding wider than the tensor border")
	}
	if L.pool && (inH%2 != 0 || inW%2 != 0) {
		return nil, fmt.Errorf("max-pool of odd size %d×%d", inH, inW)
	}
	return L, nil
}

// newConvLayer builds a convolution from a [k][k][cin][cout] filter, a
// [cout] bias and an optional [cout] PReLU slope; padding is "SAME" or
// "VALID".
func newConvLayer(inH, inW, cin, cout, k, stride int, padding string, w, bias, slope []float32) (*convLayer, error) {
	if len(w) != k*k*cin*cout || len(bias) != cout || (slope != nil && len(slope) != cout) || stride < 1 {
		return nil, fmt.Errorf("weights do not match a %d×%d×%d→%d filter", k, k, cin, cout)
	}
	coutP := nn.RoundUp16(cout)
	if slope == nil {
		slope = nn.PadVector(nil, cout, 1)
	}
	L := &convLayer{
		inH: inH, inW: inW, cin: cin, cout: cout, k: k, stride: stride,
		w:    nn.BlockFilter(nn.TransposeHWIO(w, k, k, cin, cout), cout, k*k*cin),
		bias: nn.PadVector(bias, coutP, 0), slope: nn.PadVector(slope, coutP, 1),
	}
	switch padding {
	case "SAME":
		L.outH, L.padTop, _ = samePad(inH, k, stride)
		L.outW, L.padLeft, _ = samePad(inW, k, stride)
	case "VALID":
		L.outH, L.outW = validOut(inH, k, stride), validOut(inW, k, stride)
	default:
		return nil, fmt.Errorf("padding %q", padding)
	}
	if L.outH == 0 || L.outW == 0 {
		return nil, fmt.Errorf("empty output")
	}
	if coutP != cout && L.outH*L.outW != 1 {
		return nil, fmt.Errorf("%d output channels on a %d×%d map", cout, L.outH, L.outW)
	}
	return L, nil
}

// allocate assigns arena offsets by liveness so that buffers are reused
// while the working set stays small, and sizes the per-row scratch buffers.
func (c *compiler) allocate() {
	p := c.p
	p.tensors[p.mesh].pinned = true
	p.tensors[p.flag].pinned = true
	for r := range p.regions {
		for _, h := range p.regions[r].heads {
			p.tensors[h.tensor].pinned = true
		}
	}
	for i, st := range p.steps {
		p.tensors[st.in].lastUse = i
		if st.kind == stepSample {
			p.tensors[p.mesh].lastUse = i
		}
	}
	type buf struct{ off, size int }
	var free []buf
	owner := map[int]buf{}
	for i, st := range p.steps {
		t := p.tensors[st.out]
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
		owner[st.out] = b
		for id, t := range p.tensors {
			if t.lastUse == i && !t.pinned && id != p.input {
				if b, ok := owner[id]; ok {
					free = append(free, b)
					delete(owner, id)
				}
			}
		}
		switch st.kind {
		case stepBlock:
			L := st.block
			p.dwScratch = max(p.dwScratch, L.outW*L.cin)
			if L.pool {
				p.resScratch = max(p.resScratch, L.outW*L.cin)
			}
		case stepConv:
			L := st.conv
			if L.k != 1 || L.stride != 1 {
				p.colScratch = max(p.colScratch, L.outW*L.k*L.k*L.cin)
			}
		}
	}
}
