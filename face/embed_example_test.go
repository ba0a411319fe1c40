package face_test

import (
	"context"
	"fmt"
	"os"

	"github.com/openliveness/openliveness/face"
)

// Compare the face of a reference photo with the face of another picture.
func ExampleEmbedder() {
	a, err := face.NewAnalyzer()
	if err != nil {
		panic(err)
	}
	em, err := face.NewEmbedder()
	if err != nil {
		panic(err)
	}
	data, err := os.ReadFile("../testdata/face.jpg")
	if err != nil {
		panic(err)
	}
	img, err := face.Decode(data, nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ref, err := em.EmbedPhoto(ctx, a, img)
	if err != nil {
		panic(err)
	}
	live, err := em.EmbedPhoto(ctx, a, img) // a live frame in practice
	if err != nil {
		panic(err)
	}
	score, same := face.Match(ref, live)
	fmt.Printf("similarity %.2f, same person: %v\n", score, same)
	// Output: similarity 1.00, same person: true
}
