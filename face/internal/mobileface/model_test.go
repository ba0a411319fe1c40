package mobileface

import (
	"encoding/binary"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func syntheticInput() []float32 {
	in := make([]float32, InputSize*InputSize*3)
	for i := range in {
		in[i] = float32((i * 7919) % 256)
	}
	return in
}

// TestReference compares the forward pass with the outputs TensorFlow.js
// 4.22 (CPU backend) wrote with testdata/tfjs/reference.mjs.
func TestReference(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		in   []float32
		want string
	}{
		{"synthetic", syntheticInput(), "testdata/synthetic_output_256.f32"},
		{"face", readF32(t, "testdata/face_input_1x112x112x3.f32"), "testdata/face_output_256.f32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readF32(t, tc.want)
			require.Len(t, want, Dim)
			got := make([]float32, Dim)
			require.NoError(t, m.Run(tc.in, got))
			var maxAbs, maxDiff float64
			for i := range want {
				maxAbs = max(maxAbs, math.Abs(float64(want[i])))
				maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("max |tfjs| %.3g, max |Go − tfjs| %.3g", maxAbs, maxDiff)
			assert.Less(t, maxDiff, 1e-4*maxAbs, "output differs from TensorFlow.js")
			// Run again: workspaces are reused without leftovers.
			again := make([]float32, Dim)
			require.NoError(t, m.Run(tc.in, again))
			assert.Equal(t, got, again)
		})
	}
}

func TestRunErrors(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		in, out int
	}{
		{"short input", InputSize*InputSize*3 - 1, Dim},
		{"long input", InputSize*InputSize*3 + 1, Dim},
		{"short output", InputSize * InputSize * 3, Dim - 1},
		{"empty", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Run(make([]float32, tc.in), make([]float32, tc.out))
			require.ErrorIs(t, err, ErrInput)
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		json, bin []byte
	}{
		{"not JSON", []byte("{"), modelBin},
		{"wrong format", []byte(`{"format":"layers-model"}`), modelBin},
		{"short weights", modelJSON, modelBin[:len(modelBin)-4]},
		{"long weights", modelJSON, append(append([]byte{}, modelBin...), 0, 0, 0, 0)},
		{"no graph", []byte(`{"format":"graph-model"}`), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.json, tc.bin)
			require.ErrorIs(t, err, ErrModel)
		})
	}
}

func TestRunAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m, err := Load()
	require.NoError(t, err)
	in, out := syntheticInput(), make([]float32, Dim)
	require.NoError(t, m.Run(in, out))
	allocs := testing.AllocsPerRun(20, func() { _ = m.Run(in, out) })
	assert.LessOrEqual(t, allocs, 1.0)
}
