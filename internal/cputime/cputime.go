// Package cputime reads the CPU time of the process, for benchmarks that
// report CPU per operation next to wall time: on a machine shared with other
// jobs, CPU time is the steadier measure of work done.
//
// Its functions are safe for concurrent use.
package cputime

import (
	"testing"
	"time"
)

// Process returns the user+system CPU time of the process so far (all
// threads, so garbage collection counts), or 0 where it cannot be read.
func Process() time.Duration { return process() }

// Report adds "cpu-ms/op" to b: the process CPU time since start divided by
// the n operations timed (b.N when n is 0).
func Report(b *testing.B, start time.Duration, n int) {
	if n == 0 {
		n = b.N
	}
	if d := Process() - start; d > 0 && n > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(n)/1e6, "cpu-ms/op")
	}
}
