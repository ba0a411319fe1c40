package face_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/cputime"
	"github.com/openliveness/openliveness/internal/facedata"
)

// BenchmarkVideoStages times the stages of the per-frame face analysis on
// the frames of the shared 640×480 webcam video, one frame per op, in
// order: decode (face.Decode), whole-frame detection, and Analyze on a
// tracked frame (detection or local search, landmark crop, landmark model,
// pose, measures; the previous frame's face as AnalyzeOptions.Previous).
//
//	go test -run '^$' -bench VideoStages -benchmem -cpu 1 ./face/
func BenchmarkVideoStages(b *testing.B) {
	frames, err := facedata.Frames(facedata.Path(b, "video/webcam_headmove_cap12.mjpeg"))
	require.NoError(b, err)
	a, err := face.NewAnalyzer()
	require.NoError(b, err)
	ctx := context.Background()
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		cpu, k := cputime.Process(), 0
		for b.Loop() {
			_, err := face.Decode(frames[k%len(frames)], nil)
			require.NoError(b, err)
			k++
		}
		cputime.Report(b, cpu, 0)
	})
	b.Run("detect-full", func(b *testing.B) {
		b.ReportAllocs()
		var cpu int64
		k := 0
		for b.Loop() {
			b.StopTimer()
			img, err := face.Decode(frames[k%len(frames)], nil)
			require.NoError(b, err)
			k++
			b.StartTimer()
			start := cputime.Process()
			a.Detector().Detect(img)
			cpu += int64(cputime.Process() - start)
		}
		b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	})
	b.Run("analyze-tracked", func(b *testing.B) {
		b.ReportAllocs()
		var (
			prev *face.Face
			cpu  int64
			k    int
		)
		for b.Loop() {
			b.StopTimer()
			img, err := face.Decode(frames[k%len(frames)], nil)
			require.NoError(b, err)
			if k%len(frames) == 0 {
				prev = nil
			}
			k++
			b.StartTimer()
			start := cputime.Process()
			var opts *face.AnalyzeOptions
			if prev != nil {
				opts = &face.AnalyzeOptions{Previous: prev}
			}
			res, err := a.Analyze(ctx, img, opts)
			cpu += int64(cputime.Process() - start)
			require.NoError(b, err)
			prev = nil
			if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
				prev = &res.Faces[0]
			}
		}
		b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	})
}
