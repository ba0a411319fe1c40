package nn

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

const tinyModel = `{"format":"graph-model","modelTopology":{"node":[
 {"name":"x","op":"Placeholder"},
 {"name":"w","op":"Const"},
 {"name":"k","op":"Const"},
 {"name":"y","op":"Conv2D","input":["x","w:0","^k"],"attr":{"padding":{"s":"U0FNRQ=="},"strides":{"list":{"i":["1","2","2","1"]}}}},
 {"name":"z","op":"Relu","input":["y"]}]},
 "weightsManifest":[{"paths":["m.bin"],"weights":[
 {"name":"w","shape":[2],"dtype":"float32"},
 {"name":"k","shape":[1],"dtype":"int32"}]}]}`

func tinyWeights() []byte {
	b := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(-2))
	return binary.LittleEndian.AppendUint32(b, 7)
}

func TestParseGraph(t *testing.T) {
	g, err := ParseGraph([]byte(tinyModel), tinyWeights())
	require.NoError(t, err)
	require.Len(t, g.Nodes(), 5)
	y := g.Node("y")
	require.NotNil(t, y)
	require.Equal(t, "SAME", y.AttrString("padding"))
	require.Equal(t, []int{1, 2, 2, 1}, y.AttrInts("strides"))
	require.Same(t, g.Node("x"), g.Input(y, 0))
	w, shape, err := g.FloatConst(y, 1)
	require.NoError(t, err)
	require.Equal(t, []float32{1.5, -2}, w)
	require.Equal(t, []int{2}, shape)
	_, err = g.IntConst(y, 1)
	require.ErrorIs(t, err, ErrGraph)
	_, _, err = g.FloatConst(y, 0)
	require.ErrorIs(t, err, ErrGraph)
	require.Len(t, g.Consumers("y"), 1)
	require.Empty(t, g.Consumers("k"), "control inputs are not data inputs")
	var seen []string
	g.Ancestors(g.Node("z"), func(n *Node) bool {
		seen = append(seen, n.Name)
		return n.Op != "Conv2D"
	})
	require.ElementsMatch(t, []string{"z", "y"}, seen)
}

func TestParseGraphErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		json string
		bin  []byte
	}{
		"not JSON":      {"{", nil},
		"wrong format":  {`{"format":"layers-model"}`, nil},
		"short weights": {tinyModel, tinyWeights()[:8]},
		"long weights":  {tinyModel, append(tinyWeights(), 0, 0, 0, 0)},
		"unknown input": {`{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Relu","input":["b"]}]}}`, nil},
		"duplicate":     {`{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Placeholder"},{"name":"a","op":"Placeholder"}]}}`, nil},
		"no weights":    {`{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]}}`, nil},
	} {
		_, err := ParseGraph([]byte(tc.json), tc.bin)
		require.ErrorIs(t, err, ErrGraph, name)
	}
}

// FuzzParseGraph feeds damaged model descriptions and weight files to the
// parser: it must fail with ErrGraph or return a graph whose accessors
// work, never panic.
func FuzzParseGraph(f *testing.F) {
	f.Add([]byte(tinyModel), tinyWeights())
	f.Add([]byte(tinyModel), tinyWeights()[:6])
	f.Add([]byte(`{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Relu","input":["^a:1"]}]}}`), []byte(nil))
	// A shape whose element count overflows int.
	f.Add([]byte(`{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"w","shape":[2147483648,2147483648],"dtype":"float32"}]}]}`), []byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, js, bin []byte) {
		g, err := ParseGraph(js, bin)
		if err != nil {
			require.ErrorIs(t, err, ErrGraph)
			return
		}
		for _, n := range g.Nodes() {
			for k := range n.Input {
				_ = g.Input(n, k)
				_, _, _ = g.FloatConst(n, k)
				_, _ = g.IntConst(n, k)
			}
			_ = n.AttrInts("strides")
			_ = n.AttrStrings("fused_ops")
			_ = g.Consumers(n.Name)
			g.Ancestors(n, func(*Node) bool { return true })
		}
	})
}
