package integration_test

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkReplicas measures the frames per second that one and two
// replicas on this machine analyse through the HTTP API, sessions in Redis:
// each operation is one request with a burst of 5 frames of
// blink_selfie.mjpeg, requests spread round-robin over the replicas by 4
// concurrent clients per core, each with its own BLINK session (a new one
// when the previous ends). The clients share the machine with the servers.
//
//	go test -run '^$' -bench Replicas -benchtime 100x ./integration
func BenchmarkReplicas(b *testing.B) {
	bursts := blinkBursts(b, 5)
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			c := newCluster(b, 0, "-rate-limit", "1000000", "-log-level", "error")
			var rs []*replica
			for i := range n {
				rs = append(rs, c.start(b, fmt.Sprint("r", i)))
			}
			var next, failures, frames atomic.Int64
			b.SetParallelism(2)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var session string
				k := 0
				for pb.Next() {
					r := rs[int(next.Add(1))%len(rs)]
					if session == "" {
						var s created
						if _, err := c.call(r, "POST", "/v1/sessions", map[string]any{"challenges": []string{"BLINK"}, "ttl_seconds": 3600}, &s); err != nil {
							b.Error(err)
							return
						}
						session, k = s.SessionID, 0
					}
					var out verifyAnswer
					if _, err := c.call(r, "POST", "/v1/sessions/"+session+"/verify", map[string]any{"frames_b64": bursts[k%len(bursts)], "interval_ms": 120}, &out); err != nil {
						failures.Add(1)
						session = ""
						continue
					}
					k++
					frames.Add(5)
					if out.SessionStatus != "pending" {
						session = ""
					}
				}
			})
			b.StopTimer()
			if f := failures.Load(); f > int64(b.N)/10 {
				b.Fatalf("%d of %d requests failed", f, b.N)
			}
			b.ReportMetric(float64(frames.Load())/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
