package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/cputime"
)

// webcamFrames are the first 100 frames of the shared webcam video (640×480
// Motion-JPEG); the benchmark skips when the shared data is absent. (The
// internal/facedata helpers import package face, which imports this
// package, so the file is found here.)
func webcamFrames(b *testing.B) [][]byte {
	dir := os.Getenv("OPENLIVENESS_FACEDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "facedata")
	}
	data, err := os.ReadFile(filepath.Join(dir, "video", "webcam_headmove_cap12.mjpeg"))
	if err != nil {
		b.Skipf("skipping: shared evaluation data absent: %v", err)
	}
	var frames [][]byte
	for len(data) > 0 && len(frames) < 100 {
		next := bytes.Index(data[3:], []byte("\xff\xd8\xff"))
		if next < 0 {
			frames = append(frames, data)
			break
		}
		frames = append(frames, data[:next+3])
		data = data[next+3:]
	}
	require.NotEmpty(b, frames)
	return frames
}

// BenchmarkDecode decodes real 640×480 webcam frames, one per op, with
// image/jpeg and with this package's variants.
// go test -run '^$' -bench Decode -benchmem -cpu 1 ./face/internal/jpeg/
func BenchmarkDecode(b *testing.B) {
	frames := webcamFrames(b)
	ours := func(o Options) func([]byte) error {
		return func(d []byte) error { _, err := Decode(bytes.NewReader(d), &o); return err }
	}
	for _, tc := range []struct {
		name string
		dec  func([]byte) error
	}{
		{"stdlib", func(d []byte) error { _, err := stdjpeg.Decode(bytes.NewReader(d)); return err }},
		{"fork-portable", ours(Options{noSIMD: true})},
		{"fork", ours(Options{})},
		{"fork-chroma-face", ours(Options{Chroma: image.Rect(200, 100, 440, 380)})},
		{"fork-luma", ours(Options{LumaOnly: true})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			cpu := cputime.Process()
			for b.Loop() {
				if err := tc.dec(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			cputime.Report(b, cpu, 0)
		})
	}
}
