package cputime

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProcessAdvances(t *testing.T) {
	start := Process()
	x := 0
	for i := range 20_000_000 {
		x += i ^ x>>3
	}
	_ = x
	assert.GreaterOrEqual(t, Process(), start)
}
