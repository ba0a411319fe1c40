//go:build unix

package mobileface

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the process. The benchmark
// reports it next to wall time because other jobs share the cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
