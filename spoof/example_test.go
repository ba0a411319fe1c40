package spoof_test

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"os"
	"time"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/spoof"
)

func ExampleLaplacianVar() {
	// The 3×3 ramp 1…9: its Laplacian with reflect-101 borders is
	// 8 6 4 / 2 0 −2 / −4 −6 −8, as cv2.Laplacian(img, cv2.CV_64F) gives.
	g := &image.Gray{Pix: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}, Stride: 3, Rect: image.Rect(0, 0, 3, 3)}
	fmt.Printf("%.4f\n", spoof.LaplacianVar(g))
	// Output: 26.6667
}

func ExampleDetector_Check() {
	f, err := os.Open("../testdata/face.jpg")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		panic(err)
	}
	d, err := spoof.NewDetector()
	if err != nil {
		panic(err)
	}
	// The box would come from a face detector.
	r, err := d.Check(img, image.Rect(70, 90, 250, 290))
	if err != nil {
		panic(err)
	}
	// 0.5 is the operating point (docs/spoof.md).
	fmt.Println("attack:", r.Attack, "above the operating point:", r.Score > 0.5)
	// Output: attack: false above the operating point: true
}

func ExampleDetector_CheckWith() {
	data, err := os.ReadFile("../testdata/face.jpg")
	if err != nil {
		panic(err)
	}
	img, err := face.Decode(data, nil)
	if err != nil {
		panic(err)
	}
	a, err := face.NewAnalyzer()
	if err != nil {
		panic(err)
	}
	res, err := a.Analyze(context.Background(), img, nil)
	if err != nil || len(res.Faces) == 0 || res.Faces[0].Landmarks == nil {
		panic("no face")
	}
	f := res.Faces[0]
	d, err := spoof.NewDetector()
	if err != nil {
		panic(err)
	}
	// As the engine checks a frame: the face box and the landmark
	// network's responses from the face analysis.
	var r spoof.Result
	if err := d.CheckWith(img, f.Box, &spoof.CheckOptions{Mesh: &f.Landmarks.Texture}, &r); err != nil {
		panic(err)
	}
	fmt.Println("attack:", r.Attack, "with the network's responses:", r.Signals.HasMesh)
	// Output: attack: false with the network's responses: true
}

func ExampleSession() {
	// An injected still: the same face view, frame after frame.
	var thumb spoof.Thumb
	for i := range thumb {
		thumb[i] = uint8(i * 7)
	}
	box := image.Rect(100, 80, 260, 240)
	s := spoof.NewSession()
	for i := 0; i < 40; i++ {
		res := s.Observe(spoof.FrameInfo{Time: time.Duration(i) * 40 * time.Millisecond, Box: box, Thumb: &thumb})
		if res.Failed {
			fmt.Println(res.Reason, res.Cause, "on frame", res.FailedAt)
			break
		}
	}
	// Output: spoof_detected frozen_frames on frame 21
}

func ExampleEvaluate() {
	live := []float64{0.9, 0.8, 0.3}
	attack := []float64{0.1, 0.4, 0.85}
	m := spoof.Evaluate(live, attack, 0.5)
	fmt.Printf("AUC %.3f APCER %.3f BPCER %.3f\n", m.AUC, m.APCER, m.BPCER)
	// Output: AUC 0.667 APCER 0.333 BPCER 0.333
}
