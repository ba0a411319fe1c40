package mesh_test

import (
	"fmt"
	"log"

	"github.com/openliveness/openliveness/face/internal/mesh"
)

func ExampleModel_Run() {
	m, err := mesh.Load() // once per process; the Model is shared
	if err != nil {
		log.Fatal(err)
	}
	// A 192×192 RGB crop in [0, 1], NHWC. A flat grey crop has no face.
	in := make([]float32, mesh.InputSize*mesh.InputSize*3)
	for i := range in {
		in[i] = 0.5
	}
	var res mesh.Result
	if err := m.Run(in, &res); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d landmarks, face: %t\n", len(res.Points), res.FaceFlag >= 0.5)
	// Output: 478 landmarks, face: false
}
