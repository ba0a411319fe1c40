package mfn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkRun measures one forward pass on one goroutine (run with
// -cpu 1 for the single-core figure).
func BenchmarkRun(b *testing.B) {
	m, err := Load()
	require.NoError(b, err)
	in, out := syntheticInput(), make([]float32, Dim)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Run(in, out); err != nil {
			b.Fatal(err)
		}
	}
}
