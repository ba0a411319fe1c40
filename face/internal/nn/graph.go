package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file reads the TensorFlow.js graph-model format: the topology from
// model.json and the weights from the .bin shard, the plain concatenation
// of the manifest entries (float32, float16-quantised float32 and int32,
// little-endian, no padding).

// ErrGraph reports model files that are not a well-formed TensorFlow.js
// graph model, or a node input that is not what the caller asked for.
var ErrGraph = errors.New("nn: invalid graph model")

type graphFile struct {
	Format        string `json:"format"`
	ModelTopology struct {
		Node []Node `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string      `json:"paths"`
		Weights []weightEntry `json:"weights"`
	} `json:"weightsManifest"`
}

// Node is one node of the graph as stored in model.json.
type Node struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	Input []string        `json:"input"`
	Attr  map[string]Attr `json:"attr"`
}

// Attr is TensorFlow's AttrValue in JSON form; bytes fields are base64,
// which encoding/json decodes into []byte.
type Attr struct {
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

// Graph is a parsed model: nodes in file order, by name, their consumers
// and the decoded constants. A Graph is not modified after ParseGraph and
// is safe for concurrent reads.
type Graph struct {
	nodes     []*Node
	byName    map[string]*Node
	consumers map[string][]*Node
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

// ParseGraph parses model.json and the weights shard. Errors wrap ErrGraph.
func ParseGraph(jsonData, bin []byte) (*Graph, error) {
	var f graphFile
	if err := json.Unmarshal(jsonData, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGraph, err)
	}
	if f.Format != "graph-model" {
		return nil, fmt.Errorf("%w: format %q, want graph-model", ErrGraph, f.Format)
	}
	consts, err := decodeWeights(&f, bin)
	if err != nil {
		return nil, err
	}
	g := &Graph{
		byName:    make(map[string]*Node, len(f.ModelTopology.Node)),
		consumers: make(map[string][]*Node),
		consts:    consts,
	}
	for i := range f.ModelTopology.Node {
		n := &f.ModelTopology.Node[i]
		if _, dup := g.byName[n.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate node %q", ErrGraph, n.Name)
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
				return nil, fmt.Errorf("%w: node %q reads unknown %q", ErrGraph, n.Name, name)
			}
			g.consumers[name] = append(g.consumers[name], n)
		}
		if n.Op == "Const" {
			if _, ok := consts[n.Name]; !ok {
				return nil, fmt.Errorf("%w: constant %q has no weights", ErrGraph, n.Name)
			}
		}
	}
	return g, nil
}

// decodeWeights splits the .bin shard by the manifest. Each entry is stored
// back to back without alignment.
func decodeWeights(f *graphFile, bin []byte) (map[string]*constant, error) {
	consts := make(map[string]*constant)
	off := 0
	for _, grp := range f.WeightsManifest {
		for _, e := range grp.Weights {
			// n stays at most the bytes left, so n*d and 4*n cannot
			// overflow for any shape a hostile manifest declares.
			n := 1
			for _, d := range e.Shape {
				if d < 0 {
					return nil, fmt.Errorf("%w: weight %q has shape %v", ErrGraph, e.Name, e.Shape)
				}
				if d != 0 && n > (len(bin)-off)/d {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrGraph, e.Name)
				}
				n *= d
			}
			c := &constant{shape: e.Shape}
			switch {
			case e.Quantization != nil:
				if e.Quantization.Dtype != "float16" {
					return nil, fmt.Errorf("%w: weight %q quantised as %q", ErrGraph, e.Name, e.Quantization.Dtype)
				}
				if off+2*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrGraph, e.Name)
				}
				c.f = make([]float32, n)
				for i := range c.f {
					c.f[i] = Float16to32(binary.LittleEndian.Uint16(bin[off+2*i:]))
				}
				off += 2 * n
			case e.Dtype == "float32":
				if off+4*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrGraph, e.Name)
				}
				c.f = make([]float32, n)
				for i := range c.f {
					c.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[off+4*i:]))
				}
				off += 4 * n
			case e.Dtype == "int32":
				if off+4*n > len(bin) {
					return nil, fmt.Errorf("%w: weights file too short at %q", ErrGraph, e.Name)
				}
				c.i = make([]int32, n)
				for i := range c.i {
					c.i[i] = int32(binary.LittleEndian.Uint32(bin[off+4*i:]))
				}
				off += 4 * n
			default:
				return nil, fmt.Errorf("%w: weight %q has dtype %q", ErrGraph, e.Name, e.Dtype)
			}
			consts[e.Name] = c
		}
	}
	if off != len(bin) {
		return nil, fmt.Errorf("%w: manifest covers %d bytes, weights file has %d", ErrGraph, off, len(bin))
	}
	return consts, nil
}

// Nodes returns the nodes in file order (a topological order for the
// converter's output). The slice must not be modified.
func (g *Graph) Nodes() []*Node { return g.nodes }

// Node returns the node called name, or nil.
func (g *Graph) Node(name string) *Node { return g.byName[name] }

// Consumers returns the nodes that read name as a data input (once per
// input that reads it). The slice must not be modified.
func (g *Graph) Consumers(name string) []*Node { return g.consumers[name] }

// Input returns the producer of the k-th data input of n, or nil.
func (g *Graph) Input(n *Node, k int) *Node {
	if k >= len(n.Input) {
		return nil
	}
	return g.byName[inputName(n.Input[k])]
}

// FloatConst returns the float constant feeding input k of n and its shape.
func (g *Graph) FloatConst(n *Node, k int) ([]float32, []int, error) {
	p := g.Input(n, k)
	if p == nil || p.Op != "Const" {
		return nil, nil, fmt.Errorf("%w: input %d of %q is not a constant", ErrGraph, k, n.Name)
	}
	c := g.consts[p.Name]
	if c.f == nil {
		return nil, nil, fmt.Errorf("%w: constant %q is not float", ErrGraph, p.Name)
	}
	return c.f, c.shape, nil
}

// IntConst returns the int32 constant feeding input k of n.
func (g *Graph) IntConst(n *Node, k int) ([]int32, error) {
	p := g.Input(n, k)
	if p == nil || p.Op != "Const" {
		return nil, fmt.Errorf("%w: input %d of %q is not a constant", ErrGraph, k, n.Name)
	}
	c := g.consts[p.Name]
	if c.i == nil {
		return nil, fmt.Errorf("%w: constant %q is not int32", ErrGraph, p.Name)
	}
	return c.i, nil
}

// AttrString returns the string attribute key, or "".
func (n *Node) AttrString(key string) string {
	return string(n.Attr[key].S)
}

// AttrInts returns the integer-list attribute key, or nil when it is
// missing or malformed.
func (n *Node) AttrInts(key string) []int {
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

// AttrStrings returns the string-list attribute key, or nil.
func (n *Node) AttrStrings(key string) []string {
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

// Ancestors walks the graph backwards from start (inclusive) and calls
// visit for every node reached; visit returns false to stop the walk at
// that node.
func (g *Graph) Ancestors(start *Node, visit func(*Node) bool) {
	seen := map[*Node]bool{}
	stack := []*Node{start}
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
