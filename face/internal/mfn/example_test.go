package mfn_test

import (
	"fmt"
	"math"

	"github.com/openliveness/openliveness/face/internal/mfn"
)

func Example() {
	m, err := mfn.Load()
	if err != nil {
		panic(err)
	}
	in := make([]float32, mfn.InputSize*mfn.InputSize*3) // a mid-grey crop
	out := make([]float32, mfn.Dim)
	if err := m.Run(in, out); err != nil {
		panic(err)
	}
	var norm float64
	for _, v := range out {
		norm += float64(v) * float64(v)
	}
	fmt.Printf("%d values, norm %.3f\n", len(out), math.Sqrt(norm))
	// Output: 192 values, norm 1.000
}
