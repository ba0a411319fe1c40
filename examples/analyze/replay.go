package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
)

// replayOptions are the -replay flags.
type replayOptions struct {
	challenges string
	interval   time.Duration
	fps        float64
	mirrored   bool
}

// observation converts one analysed frame to the challenge detectors' input.
func observation(res *face.Result, at time.Duration, mirrored bool) challenge.Observation {
	f := challenge.ImageFrame{Time: at}
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		top := res.Faces[0]
		f.FaceCount = len(res.Faces)
		f.Yaw, f.Pitch, f.Roll = top.Pose.Yaw, top.Pose.Pitch, top.Pose.Roll
		f.EARImageLeft, f.EARImageRight = top.Measures.EARLeft, top.Measures.EARRight
		f.MAR, f.Smile, f.Brow = top.Measures.MAR, top.Measures.Smile, top.Measures.Brow
		f.EyeBand = top.EyeBand
		if res.Width > 0 {
			f.FaceWidthFrac = float64(top.Box.Dx()) / float64(res.Width)
		}
	}
	return f.Observation(mirrored)
}

// replayFile runs a challenge sequence over a video as if every n-th frame
// had been sent at the given interval, printing one JSON line per submitted
// frame and a final line.
func replayFile(ctx context.Context, an *face.Analyzer, file string, ro replayOptions, out *bufio.Writer) error {
	seq, err := challenge.ParseIDs(ro.challenges)
	if err != nil {
		return err
	}
	if ro.interval <= 0 || ro.fps <= 0 {
		return errors.New("-interval and -fps must be positive")
	}
	step := max(1, int(math.Round(ro.interval.Seconds()*ro.fps)))
	tr, err := challenge.NewTracker(seq)
	if err != nil {
		return err
	}
	src, err := openFrames(file)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	var prev *face.Face
	sent := 0
	for n := 1; !tr.Done(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := src.frames()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		if (n-1)%step != 0 {
			continue
		}
		img, err := face.Decode(data, nil)
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		var aopts *face.AnalyzeOptions
		if prev != nil {
			aopts = &face.AnalyzeOptions{Previous: prev}
		}
		res, err := an.Analyze(ctx, img, aopts)
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		prev = nil
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			prev = &res.Faces[0]
		}
		st := tr.Observe(observation(res, time.Duration(sent)*ro.interval, ro.mirrored))
		sent++
		st.Frame = n
		if err := enc.Encode(st); err != nil {
			return err
		}
	}
	return enc.Encode(tr.Final())
}
