//go:build !unix

package mfn

import "time"

func processCPU() time.Duration { return 0 }
