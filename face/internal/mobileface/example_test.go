package mobileface_test

import (
	"fmt"

	"github.com/openliveness/openliveness/face/internal/mobileface"
)

func Example() {
	m, err := mobileface.Load()
	if err != nil {
		panic(err)
	}
	in := make([]float32, mobileface.InputSize*mobileface.InputSize*3)
	for i := range in {
		in[i] = 128 // a mid-grey crop, 0–255 scale
	}
	out := make([]float32, mobileface.Dim)
	if err := m.Run(in, out); err != nil {
		panic(err)
	}
	fmt.Println(len(out), "values")
	// Output: 256 values
}
