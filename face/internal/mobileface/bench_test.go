package mobileface

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkRun measures one forward pass on one goroutine:
//
//	go test -run '^$' -bench Run -cpu 1 ./face/internal/mobileface/
//
// It reports wall time and cpu-ms/op, the process's CPU time per pass,
// which is the better figure when other jobs share the cores.
func BenchmarkRun(b *testing.B) {
	m, err := Load()
	require.NoError(b, err)
	in, out := syntheticInput(), make([]float32, Dim)
	require.NoError(b, m.Run(in, out)) // warm the workspace pool
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if err := m.Run(in, out); err != nil {
			b.Fatal(err)
		}
	}
	if d := processCPU() - cpu; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
	}
}
