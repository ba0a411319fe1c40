package mfn

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The verification vectors in testdata were written by TensorFlow.js 4.22
// (CPU backend) with testdata/tfjs/reference.mjs; see doc.go.

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Zero(t, len(b)%4)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// syntheticInput is the input of reference.mjs: ((i·7919) mod 256)/127.5 − 1.
func syntheticInput() []float32 {
	in := make([]float32, InputSize*InputSize*3)
	for i := range in {
		in[i] = float32(float64((i*7919)%256)/127.5 - 1)
	}
	return in
}

type expectedStats struct {
	Shape  []int     `json:"shape"`
	Sum    float64   `json:"sum"`
	AbsSum float64   `json:"abs_sum"`
	First  []float64 `json:"first"`
}

func TestReferenceVectors(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	var exp struct {
		Tfjs   string                              `json:"tfjs"`
		Inputs map[string]map[string]expectedStats `json:"inputs"`
	}
	b, err := os.ReadFile("testdata/expected.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &exp))
	require.Equal(t, "4.22.0", exp.Tfjs)

	for _, tc := range []struct {
		name, in, out string
	}{
		{"synthetic", "", "testdata/synthetic_embedding_192.f32"},
		{"face", "testdata/face_input_1x112x112x3.f32", "testdata/face_embedding_192.f32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := syntheticInput()
			if tc.in != "" {
				in = readF32(t, tc.in)
			}
			want := readF32(t, tc.out)
			got := make([]float32, Dim)
			require.NoError(t, m.Run(in, got))
			var worst, dot float64
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
				dot += float64(got[i]) * float64(want[i])
			}
			t.Logf("%s: max |Δ| %.2g, cosine %.9f", tc.name, worst, dot)
			require.Less(t, worst, 2e-5, "largest difference from TensorFlow.js")
			require.InDelta(t, 1, dot, 1e-6, "cosine similarity with TensorFlow.js")
		})
	}
}
