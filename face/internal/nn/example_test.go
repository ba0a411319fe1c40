package nn_test

import (
	"fmt"

	"github.com/openliveness/openliveness/face/internal/nn"
)

// A 1×1 convolution of two pixels with three input channels to one output
// channel, bias 0.5 and PReLU slope 0.1 (padded to a block of 16 channels).
func ExamplePointwise() {
	const cin, cout = 3, 1
	w := nn.BlockFilter([]float32{1, 2, 3}, cout, cin)
	coutP := nn.RoundUp16(cout)
	bias := nn.PadVector([]float32{0.5}, coutP, 0)
	slope := nn.PadVector([]float32{0.1}, coutP, 1)
	in := []float32{1, 1, 1, -1, -1, -1}
	out := make([]float32, 2*coutP)
	nn.Pointwise(nn.HaveSIMD(), out, in, 2, cin, coutP, w, bias, slope, nil, 0)
	fmt.Printf("%.2f %.2f\n", out[0], out[coutP])
	// Output: 6.50 -0.55
}
