package mfn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file reads the TensorFlow.js graph-model format: the topology from
// model.json and the weights from the .bin shard, the plain concatenation
// of the manifest entries (float32 and int32, little-endian, no padding).

type graphFile struct {
	Format        string `json:"format"`
	ModelTopology struct {
		Node []node `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Weights []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Dtype string `json:"dtype"`
			// Quantized weights are not used by this model.
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

type node struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	Input []string        `json:"input"`
	Attr  map[string]attr `json:"attr"`
}

// attr is TensorFlow's AttrValue in JSON; bytes are base64, which
// encoding/json decodes into []byte.
type attr struct {
	S    []byte `json:"s"`
	List *struct {
		I []string `json:"i"`
		S [][]byte `json:"s"`
	} `json:"list"`
}

type constant struct {
	shape []int
	f     []float32
}

type graph struct {
	nodes     []*node
	byName    map[string]*node
	consumers map[string]int
	consts    map[string]*constant
}

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
	g := &graph{byName: map[string]*node{}, consumers: map[string]int{}, consts: map[string]*constant{}}
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
			if len(e.Quantization) > 0 && string(e.Quantization) != "null" {
				return nil, fmt.Errorf("%w: weight %q is quantised", ErrModel, e.Name)
			}
			if (e.Dtype != "float32" && e.Dtype != "int32") || off+4*n > len(bin) {
				return nil, fmt.Errorf("%w: weight %q (%s) does not fit the weights file", ErrModel, e.Name, e.Dtype)
			}
			c := &constant{shape: e.Shape}
			if e.Dtype == "float32" {
				c.f = make([]float32, n)
				for i := range c.f {
					c.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[off+4*i:]))
				}
			}
			off += 4 * n
			g.consts[e.Name] = c
		}
	}
	if off != len(bin) {
		return nil, fmt.Errorf("%w: manifest covers %d bytes, weights file has %d", ErrModel, off, len(bin))
	}
	for i := range f.ModelTopology.Node {
		n := &f.ModelTopology.Node[i]
		if _, dup := g.byName[n.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate node %q", ErrModel, n.Name)
		}
		if n.Op == "Const" && g.consts[n.Name] == nil {
			return nil, fmt.Errorf("%w: constant %q has no weights", ErrModel, n.Name)
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
			if g.byName[name] == nil {
				return nil, fmt.Errorf("%w: node %q reads unknown %q", ErrModel, n.Name, name)
			}
			g.consumers[name]++
		}
	}
	return g, nil
}

// input returns the producer of the k-th input of n, or nil.
func (g *graph) input(n *node, k int) *node {
	if k >= len(n.Input) {
		return nil
	}
	return g.byName[inputName(n.Input[k])]
}

// floatConst returns the float constant at input k of n.
func (g *graph) floatConst(n *node, k int) ([]float32, []int, error) {
	p := g.input(n, k)
	if p == nil || p.Op != "Const" || g.consts[p.Name].f == nil {
		return nil, nil, fmt.Errorf("%w: input %d of %q is not a float constant", ErrModel, k, n.Name)
	}
	c := g.consts[p.Name]
	return c.f, c.shape, nil
}

func (n *node) attrString(key string) string { return string(n.Attr[key].S) }

func (n *node) attrInts(key string) []int {
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

func (n *node) attrStrings(key string) []string {
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
