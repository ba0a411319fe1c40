// Command analyze runs the face analysis on images and Motion-JPEG videos,
// for tuning thresholds and for scripts.
//
// Usage:
//
//	analyze [-json] [-draw DIR] FILE...
//
// FILE is a JPEG, a PNG or a .mjpeg video (concatenated JPEGs, each frame
// analysed in order; frames are numbered from 1, so frame k is the k-th
// JPEG of the file). With -json, one JSON object per line per frame:
//
//	{"file":..., "frame":N, "faces":[{"box":[x,y,w,h], "score":S, "yaw":deg,
//	 "pitch":deg, "roll":deg, "measures":{"ear_left":..., "ear_right":...,
//	 "ear":..., "mar":..., "smile":..., "brow":...}, "spoof":{"score":...,
//	 "laplacian_var":..., "attack":bool}}], "ms":...}
//
// Faces are sorted by size, largest first. -draw DIR writes a PNG per frame
// with the box, the landmarks and the measures drawn.
//
// Replay mode runs liveness sessions over a video as if its frames had
// been sent one per request at an interval (every n-th frame of the 25 fps
// file, from the first), through the same engine as the server
// (liveness.Engine: baseline, response windows, wrong-action strikes and
// the per-session spoof checks) with an in-memory store and a clock that
// advances by the interval per frame. The video is analysed once, every
// frame tracked from the previous one, and the engine reads the cached
// analyses (liveness.WithFrameAnalyzer), so only its decisions run again
// per session. The first challenge is announced with the answer to the
// frame that completes the baseline (the video's first qualifying frames).
//
//	analyze -replay -challenges BLINK,SMILE -interval 120ms FILE.mjpeg
//
// prints one JSON line per submitted frame ({"frame":N, "challenge":...,
// "challenge_passed":bool, "confidence":..., "message":...}) and a last line
// {"final":true, "passed":bool, "passed_challenges":N, "total_challenges":N,
// "reason":...}; reason is "passed", a session failure reason
// (challenge_timeout, unexpected_action, spoof_detected, ...), or
// "incomplete"/"no_baseline" when the video ended first.
//
//	analyze -replay -sequences 1000 -length 3 [-seed 1] [-interval 120ms] FILE...
//
// replays N random sequences of L challenges (challenge.NewSequence drawn
// from a generator seeded with -seed, the same for every file) over each
// file, each from its first frame, printing one line per sequence
// {"file":..., "sequence":[...], "passed":bool, "reason":...} and one per
// file {"file":..., "summary":true, "sequences":N, "length":L, "passed":K,
// "pass_rate":...}. The output is deterministic for a given seed. The exit
// status is 0 whatever the verdicts.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/spoof"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	json     bool
	draw     string
	maxFaces int
	minFace  float64
	track    bool
	progress bool
	replay   bool
	ro       replayOptions
	spoof    *spoof.Detector
	embed    bool // -embed: print face embeddings (verify.go)
	compare  bool // -compare: compare two faces (verify.go)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.json, "json", false, "print one JSON object per frame")
	fs.StringVar(&o.draw, "draw", "", "write an annotated PNG per frame into this directory")
	fs.IntVar(&o.maxFaces, "faces", 5, "compute landmarks for up to this many faces per frame")
	fs.Float64Var(&o.minFace, "min-face", 0.2, "smallest face searched, as a fraction of the image's shorter side")
	fs.BoolVar(&o.track, "track", true, "in videos, place the landmark crop from the previous frame's landmarks")
	fs.BoolVar(&o.progress, "progress", isTerminal(stderr), "show a progress bar on stderr for videos")
	fs.BoolVar(&o.replay, "replay", false, "run a challenge sequence over each video (see -challenges, -interval)")
	fs.StringVar(&o.ro.challenges, "challenges", "BLINK", "replay: comma-separated challenge sequence")
	fs.DurationVar(&o.ro.interval, "interval", 800*time.Millisecond, "replay: time between submitted frames")
	fs.Float64Var(&o.ro.fps, "fps", 25, "replay: frame rate of the video file")
	fs.BoolVar(&o.ro.mirrored, "mirrored", false, "replay: the video is mirrored (selfie preview), so left and right swap")
	fs.IntVar(&o.ro.sequences, "sequences", 0, "replay: replay this many random sequences per file instead of -challenges")
	fs.IntVar(&o.ro.length, "length", 5, "replay -sequences: challenges per sequence")
	fs.Uint64Var(&o.ro.seed, "seed", 1, "replay -sequences: seed of the sequence draw")
	fs.BoolVar(&o.embed, "embed", false, "print the face embedding of each image (one face per image)")
	fs.BoolVar(&o.compare, "compare", false, "compare the faces of two images A B: print the similarity and the decision")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: analyze [-json] [-draw DIR] FILE...")
		fmt.Fprintln(stderr, "       analyze -replay [-challenges BLINK,SMILE] [-interval 120ms] FILE.mjpeg")
		fmt.Fprintln(stderr, "       analyze -replay -sequences N -length L [-seed S] [-interval 120ms] FILE.mjpeg...")
		fmt.Fprintln(stderr, "       analyze -embed FILE...  |  analyze -compare [-json] A B")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if o.draw != "" {
		if err := os.MkdirAll(o.draw, 0o755); err != nil {
			fmt.Fprintln(stderr, "analyze:", err)
			return 1
		}
	}
	det, err := face.NewDetector(face.WithMinFaceFraction(o.minFace), face.WithMaxDetectDimension(1280))
	if err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 2
	}
	an, err := face.NewAnalyzer(face.WithDetector(det), face.WithMaxFaces(o.maxFaces))
	if err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 1
	}
	if o.embed || o.compare {
		return runVerify(ctx, an, fs.Args(), o, stdout, stderr)
	}
	sp, err := spoof.NewDetector()
	if err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 1
	}
	o.spoof = sp
	var rp *replayer
	if o.replay {
		if rp, err = newReplayer(an, sp, o.ro.seed); err != nil {
			fmt.Fprintln(stderr, "analyze:", err)
			return 1
		}
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	status := 0
	for _, file := range fs.Args() {
		var err error
		switch {
		case o.replay && o.ro.sequences > 0:
			err = sequencesFile(ctx, rp, an, sp, file, o.ro, out)
		case o.replay:
			err = replayFile(ctx, rp, an, sp, file, o.ro, out)
		default:
			err = analyzeFile(ctx, an, file, o, out, stderr)
		}
		out.Flush()
		if err != nil {
			fmt.Fprintf(stderr, "analyze: %s: %v\n", file, err)
			status = 1
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	return status
}

// frameSource yields the frames of an image or video file.
type frameSource struct {
	frames func() ([]byte, error)
	total  int // known number of frames, 0 when unknown
}

func openFrames(file string) (*frameSource, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(file), ".mjpeg") || strings.EqualFold(filepath.Ext(file), ".mjpg") {
		total := bytes.Count(data, []byte{0xFF, 0xD8, 0xFF}) // an estimate for the progress bar
		r := face.NewMJPEGReader(bytes.NewReader(data), 0)
		return &frameSource{frames: r.Next, total: total}, nil
	}
	done := false
	return &frameSource{total: 1, frames: func() ([]byte, error) {
		if done {
			return nil, io.EOF
		}
		done = true
		return data, nil
	}}, nil
}

// jsonFace is one face of the -json output (the contract scripts rely on).
type jsonFace struct {
	Box      [4]int         `json:"box"`
	Score    float64        `json:"score"`
	Yaw      float64        `json:"yaw"`
	Pitch    float64        `json:"pitch"`
	Roll     float64        `json:"roll"`
	Measures *face.Measures `json:"measures,omitempty"`
	Spoof    *jsonSpoof     `json:"spoof,omitempty"`
}

// jsonSpoof is the per-frame presentation-attack result of a face.
type jsonSpoof struct {
	Score        float64 `json:"score"`
	LaplacianVar float64 `json:"laplacian_var"`
	Attack       bool    `json:"attack"`
}

type jsonFrame struct {
	File  string     `json:"file"`
	Frame int        `json:"frame"`
	Faces []jsonFace `json:"faces"`
	MS    float64    `json:"ms"`
}

func analyzeFile(ctx context.Context, an *face.Analyzer, file string, o options, out *bufio.Writer, stderr io.Writer) error {
	src, err := openFrames(file)
	if err != nil {
		return err
	}
	bar := newProgress(stderr, filepath.Base(file), src.total, o.progress && src.total > 20)
	defer bar.done()
	var prev *face.Face
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := src.frames()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		start := time.Now()
		img, err := face.Decode(data, nil)
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		var aopts *face.AnalyzeOptions
		if o.track && prev != nil {
			aopts = &face.AnalyzeOptions{Previous: prev}
		}
		res, err := an.Analyze(ctx, img, aopts)
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		prev = nil
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			prev = &res.Faces[0]
		}
		spoofs := make([]*spoof.Result, len(res.Faces))
		for i, f := range res.Faces {
			if f.Landmarks == nil {
				continue
			}
			var r spoof.Result
			if err := o.spoof.CheckWith(img, f.Box, &spoof.CheckOptions{Mesh: &f.Landmarks.Texture}, &r); err == nil {
				spoofs[i] = &r
			}
		}
		ms = float64(time.Since(start).Microseconds()) / 1000
		if o.json {
			if err := writeJSON(out, file, n, res, spoofs, ms); err != nil {
				return err
			}
		} else {
			writeText(out, file, n, res, spoofs, ms)
		}
		if o.draw != "" {
			name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			path := filepath.Join(o.draw, fmt.Sprintf("%s_%05d.png", name, n))
			if err := drawFrame(path, img, res); err != nil {
				return err
			}
		}
		bar.step(n)
	}
}

func faceBox(r image.Rectangle) [4]int { return [4]int{r.Min.X, r.Min.Y, r.Dx(), r.Dy()} }

func writeJSON(out *bufio.Writer, file string, n int, res *face.Result, spoofs []*spoof.Result, ms float64) error {
	fr := jsonFrame{File: file, Frame: n, Faces: []jsonFace{}, MS: ms}
	for i, f := range res.Faces {
		jf := jsonFace{Box: faceBox(f.Box), Score: round(f.Score, 2)}
		if f.Landmarks != nil {
			m := f.Measures
			jf.Yaw, jf.Pitch, jf.Roll = round(f.Pose.Yaw, 2), round(f.Pose.Pitch, 2), round(f.Pose.Roll, 2)
			jf.Measures = &m
		}
		if sr := spoofs[i]; sr != nil {
			jf.Spoof = &jsonSpoof{Score: round(sr.Score, 4), LaplacianVar: round(sr.LaplacianVar, 2), Attack: sr.Attack}
		}
		fr.Faces = append(fr.Faces, jf)
	}
	b, err := json.Marshal(fr)
	if err != nil {
		return err
	}
	out.Write(b)
	out.WriteByte('\n')
	return nil
}

func writeText(out *bufio.Writer, file string, n int, res *face.Result, spoofs []*spoof.Result, ms float64) {
	fmt.Fprintf(out, "%s frame %d: %d face(s) in %.1f ms\n", file, n, len(res.Faces), ms)
	for i, f := range res.Faces {
		fmt.Fprintf(out, "  #%d box %v score %.1f", i+1, f.Box, f.Score)
		if f.Landmarks != nil {
			m := f.Measures
			fmt.Fprintf(out, " yaw %+.1f pitch %+.1f roll %+.1f  EAR %.3f (%.3f/%.3f) MAR %.3f smile %.3f brow %.3f",
				f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll, m.EAR, m.EARLeft, m.EARRight, m.MAR, m.Smile, m.Brow)
		}
		if sr := spoofs[i]; sr != nil {
			fmt.Fprintf(out, " spoof %.3f (laplacian var %.1f, attack %v)", sr.Score, sr.LaplacianVar, sr.Attack)
		}
		fmt.Fprintln(out)
	}
}

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}
