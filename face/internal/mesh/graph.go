package mesh

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file reads the tfjs graph-model format (spec §2): the topology from
// model.json and the weights from the concatenated .bin shard.

type graphFile struct {
	Format        string `json:"format"`
	ModelTopology struct {
		Node []graphNode `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string      `json:"paths"`
		Weights []weightEntry `json:"weights"`
	} `json:"weightsManifest"`
}

type graphNode struct {
	Name  string              `json:"name"`
	Op    string              `json:"op"`
	Input []string            `json:"input"`
	Attr  map[string]attrJSON `json:"attr"`
}

// attrJSON is TensorFlow's AttrValue in JSON form; bytes fields are base64,
// which encoding/json decodes into []byte.
type attrJSON struct {
	S    []byte `json:"s"`
	I    string `json:"i"`
	B    bool   `json:"b"`
	List *struct {
		I []string `json:"i"`
		S [][]byte `json:"s"`
	} `json:"list"`
}

type weightEntry struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype         string `json:"dtype"`
		OriginalDtype string `json:"original_dtype"`
	} `json:"quantization"`
}

// constant is a decoded manifest entry.
type constant struct {
	shape []int
	f     []float32 // float16 and float32 entries
	i     []int32   // int32 entries
}

// graph is the parsed model: nodes by name, consumers and constants.
type graph struct {
	nodes     []*graphNode
	byName    map[string]*graphNode
	consumers map[string][]*graphNode
	consts    map[string]*constant
}

// inputName strips the control-dependency marker and output index of a node
// input reference.
func inputName(s string) string {
	s = strings.TrimPrefix(s, "^")
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

func parseGraph(jsonData, bin []byte) (*graph, error) {
	var f graphFile
	if err := json.Unmarshal(jsonData, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if f.Format != "graph-model" {
		return nil, fmt.Errorf("%w: format %q, want graph-model", ErrModel, f.Format)
	}
	consts, err := decodeWeights(&f, bin)
	if err != nil {
		return nil, err
	}
	g := &graph{
		byName:    make(map[string]*graphNode, len(f.ModelTopology.Node)),
		consumers: make(map[string][]*graphNode),
		consts:    consts,
	}
	for i := range f.ModelTopology.Node {
		n := &f.ModelTopology.Node[i]
		if _, dup := g.byName[n.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate node %q", ErrModel, n.Name)
		}
		g.nodes = append(g.nodes, n)
		g.byName[n.Name] = n
	}
	for _, n := range g.nodes {
		for _, in := range n.Input {
			if strings.HasPrefix(in, "^") {
				continue
			}
			name := inputName(in)
			if _, ok := g.byName[name]; !ok {
				return nil, fmt.Errorf("%w: node %q reads unknown %q", ErrModel, n.Name, name)
			}
			g.consumers[name] = append(g.consumers[name], n)
		}
		if n.Op == "Const" {
			if _, ok := consts[n.Name]; !ok {
				return nil, fmt.Errorf("%w: constant %q has no weights", ErrModel, n.Name)
			}
		}
	}
	return g, nil
}

// decodeWeights splits the .bin shard by the manifest. Each entry is stored
// back to back without alignment (spec §2).
func decodeWeights(f *graphFile, bin []byte) (map[string]*constant, error) {
	consts := make(map[string]*constant)
	off := 0
	for _, grp := range f.WeightsManifest {
		for _, e := range grp.Weights {
			n := 1
			for _, d := range e.Shape {
				if d < 0 {
					return nil, fmt.Errorf("%w: weight %q has shape %v", ErrModel, e.Name, e.Shape)
				}
				n *= d
			}
			c := &constant{shape: e.Shape}
			switch {
			case e.Quantization != nil:
				if e.Quantization.Dtype != "float16" {
					return nil, fmt.Errorf("%w: weight %q quantised as %q", ErrModel, e.Name, e.Quantization.Dtype)
				}
				if off+2*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrModel, e.Name)
				}
				c.f = make([]float32, n)
				for i := range c.f {
					c.f[i] = float16to32(binary.LittleEndian.Uint16(bin[off+2*i:]))
				}
				off += 2 * n
			case e.Dtype == "float32":
				if off+4*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrModel, e.Name)
				}
				c.f = make([]float32, n)
				for i := range c.f {
					c.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[off+4*i:]))
				}
				off += 4 * n
			case e.Dtype == "int32":
				if off+4*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrModel, e.Name)
				}
				c.i = make([]int32, n)
				for i := range c.i {
					c.i[i] = int32(binary.LittleEndian.Uint32(bin[off+4*i:]))
				}
				off += 4 * n
			default:
				return nil, fmt.Errorf("%w: weight %q has dtype %q", ErrModel, e.Name, e.Dtype)
			}
			consts[e.Name] = c
		}
	}
	if off != len(bin) {
		return nil, fmt.Errorf("%w: manifest covers %d bytes, weights file has %d", ErrModel, off, len(bin))
	}
	return consts, nil
}

// input returns the producer of the k-th data input of n.
func (g *graph) input(n *graphNode, k int) *graphNode {
	if k >= len(n.Input) {
		return nil
	}
	return g.byName[inputName(n.Input[k])]
}

// floatConst returns the float constant feeding input k of n.
func (g *graph) floatConst(n *graphNode, k int) ([]float32, []int, error) {
	p := g.input(n, k)
	if p == nil || p.Op != "Const" {
		return nil, nil, fmt.Errorf("%w: input %d of %q is not a constant", ErrModel, k, n.Name)
	}
	c := g.consts[p.Name]
	if c.f == nil {
		return nil, nil, fmt.Errorf("%w: constant %q is not float", ErrModel, p.Name)
	}
	return c.f, c.shape, nil
}

// intConst returns the int32 constant feeding input k of n.
func (g *graph) intConst(n *graphNode, k int) ([]int32, error) {
	p := g.input(n, k)
	if p == nil || p.Op != "Const" {
		return nil, fmt.Errorf("%w: input %d of %q is not a constant", ErrModel, k, n.Name)
	}
	c := g.consts[p.Name]
	if c.i == nil {
		return nil, fmt.Errorf("%w: constant %q is not int32", ErrModel, p.Name)
	}
	return c.i, nil
}

func (n *graphNode) attrString(key string) string {
	return string(n.Attr[key].S)
}

func (n *graphNode) attrInts(key string) []int {
	a, ok := n.Attr[key]
	if !ok || a.List == nil {
		return nil
	}
	out := make([]int, len(a.List.I))
	for i, s := range a.List.I {
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		out[i] = v
	}
	return out
}

func (n *graphNode) attrStrings(key string) []string {
	a, ok := n.Attr[key]
	if !ok || a.List == nil {
		return nil
	}
	out := make([]string, len(a.List.S))
	for i, s := range a.List.S {
		out[i] = string(s)
	}
	return out
}

// ancestors walks the graph backwards from start (inclusive) and calls visit
// for every node reached; visit returns false to stop the walk at that node.
func (g *graph) ancestors(start *graphNode, visit func(*graphNode) bool) {
	seen := map[*graphNode]bool{}
	stack := []*graphNode{start}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		if !visit(n) {
			continue
		}
		for _, in := range n.Input {
			if strings.HasPrefix(in, "^") {
				continue
			}
			stack = append(stack, g.byName[inputName(in)])
		}
	}
}
