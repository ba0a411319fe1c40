//go:build !unix

package mobileface

import "time"

func processCPU() time.Duration { return 0 }
