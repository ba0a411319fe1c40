//go:build eval

package challenge_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/testenv"
)

// sharedData returns ../shared/facedata next to the module root, or skips.
func sharedData(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			testenv.Missing(t, "go.mod not found above the package directory")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "facedata")
	if _, err := os.Stat(data); err != nil {
		testenv.Missing(t, "evaluation data not found at %s (the shared face data sits beside the module root)", data)
	}
	return data
}

// dlibTrack reads a video's dlib pseudo-label CSV as image-convention
// frames, one per source frame. dlib gives eye and mouth ratios only: the
// pose is set frontal and Smile/Brow constant, so only BLINK and OPEN_MOUTH
// are meaningful on these tracks.
func dlibTrack(t *testing.T, path string) []challenge.ImageFrame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	num := func(row []string, name string) float64 {
		v, err := strconv.ParseFloat(row[col[name]], 64)
		if err != nil {
			t.Fatalf("%s: column %s: %v", path, name, err)
		}
		return v
	}
	var frames []challenge.ImageFrame
	for _, row := range rows[1:] {
		frames = append(frames, challenge.ImageFrame{
			FaceCount:     int(num(row, "faces")),
			EARImageLeft:  num(row, "ear_img_left"),
			EARImageRight: num(row, "ear_img_right"),
			MAR:           num(row, "mar"),
			Smile:         0.4,
			Brow:          0.1,
		})
	}
	return frames
}

// sample takes every step-th frame, timed as if sent every interval.
func sample(frames []challenge.ImageFrame, step int, interval time.Duration) []challenge.Observation {
	var obs []challenge.Observation
	for i := 0; i < len(frames); i += step {
		f := frames[i]
		f.Time = time.Duration(len(obs)) * interval
		obs = append(obs, f.Observation(false))
	}
	return obs
}

// events runs a detector for id over obs against a baseline from the
// first frames, restarting it after each pass, and returns the 1-based
// source frame numbers of the passes.
func events(t *testing.T, id challenge.ID, obs []challenge.Observation, step int) []int {
	t.Helper()
	b, err := challenge.NewBaseline(obs, challenge.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := challenge.NewDetector(id, b, challenge.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	var at []int
	for i, o := range obs {
		if d.Observe(o).Passed {
			at = append(at, i*step+1)
			d.Reset()
		}
	}
	return at
}

// TestEvalDlibBlinkCadence replays the dlib eye-ratio track of
// blink_selfie (8 closures: 6 blinks, 2 long ones) at several client
// cadences. It tests recognition over a recording, not a session, so the
// response window is opened to the whole clip. BLINK (a closure held on
// cue) must pass at 40 ms and 120 ms, on the long closures; OPEN_MOUTH
// must never fire. The counts of detected closures are logged.
func TestEvalDlibBlinkCadence(t *testing.T) {
	frames := dlibTrack(t, filepath.Join(sharedData(t), "video", "blink_selfie.dlib.csv"))
	for _, c := range []struct {
		step     int
		interval time.Duration
		mustPass bool
	}{{1, 40 * time.Millisecond, true}, {2, 80 * time.Millisecond, false}, {3, 120 * time.Millisecond, true}, {20, 800 * time.Millisecond, false}} {
		obs := sample(frames, c.step, c.interval)
		_, fin, err := challenge.Replay([]challenge.ID{challenge.Blink}, obs, challenge.WithThresholds(challenge.Thresholds{ResponseWindow: time.Hour, MaxStrikes: 1 << 20}))
		if err != nil {
			t.Fatal(err)
		}
		blinks := events(t, challenge.Blink, obs, c.step)
		t.Logf("interval %v: BLINK passed=%v; closures detected at source frames %v (%d of 8 labelled)", c.interval, fin.Passed, blinks, len(blinks))
		if c.mustPass && !fin.Passed {
			t.Errorf("interval %v: BLINK did not pass: %+v", c.interval, fin)
		}
		if got := events(t, challenge.OpenMouth, obs, c.step); len(got) != 0 {
			t.Errorf("interval %v: OPEN_MOUTH fired at %v on a blink video", c.interval, got)
		}
	}
}

// TestEvalDlibOtherVideos logs the BLINK and OPEN_MOUTH events found on the
// other videos' dlib tracks at 120 ms (dlib EAR also drops when looking
// down, and the pose is unknown here, so these are indications only).
func TestEvalDlibOtherVideos(t *testing.T) {
	dir := filepath.Join(sharedData(t), "video")
	for _, name := range []string{"expressions_d3", "expressions_d6", "selfie_talk_d13", "webcam_headmove_cap12"} {
		obs := sample(dlibTrack(t, filepath.Join(dir, name+".dlib.csv")), 3, 120*time.Millisecond)
		t.Logf("%s: BLINK at %v; OPEN_MOUTH at %v", name, events(t, challenge.Blink, obs, 3), events(t, challenge.OpenMouth, obs, 3))
	}
}
