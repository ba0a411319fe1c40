package face_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"

	"github.com/openliveness/openliveness/face"
)

func ExampleAnalyzer() {
	// One Analyzer per process: it loads the models once and is safe for
	// concurrent use.
	a, err := face.NewAnalyzer()
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile("../testdata/face.jpg")
	if err != nil {
		log.Fatal(err)
	}
	img, err := face.Decode(data, nil) // JPEG or PNG, size-checked, EXIF-oriented
	if err != nil {
		log.Fatal(err)
	}
	res, err := a.Analyze(context.Background(), img, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("faces:", len(res.Faces))
	f := res.Faces[0]
	fmt.Println("landmarks:", len(f.Landmarks.Points))
	fmt.Println("eyes open:", f.Measures.EAR > 0.2)
	fmt.Println("mouth closed:", f.Measures.MAR < 0.1)
	fmt.Println("facing the camera:", math.Abs(f.Pose.Yaw) < 15 && math.Abs(f.Pose.Pitch) < 15)
	// Output:
	// faces: 1
	// landmarks: 478
	// eyes open: true
	// mouth closed: true
	// facing the camera: true
}

func ExampleDecode() {
	_, err := face.Decode([]byte("GIF89a..."), nil)
	fmt.Println(err)
	// Output: face: unsupported image format (want JPEG or PNG)
}
