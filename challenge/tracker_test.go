package challenge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// performance is a synthetic session: rest for the baseline, then every
// challenge in canonical order, each followed by a rest.
func performance(cadence time.Duration, nz noise, seed uint64) []challenge.Observation {
	sec := time.Second
	return synth(cadence, nz, seed,
		rest(3*sec),
		act(2000*time.Millisecond, eyesClosed), rest(sec),
		act(1600*time.Millisecond, smiling), rest(sec),
		act(1600*time.Millisecond, yaw(30)), rest(sec),
		act(1600*time.Millisecond, yaw(-30)), rest(sec),
		act(1600*time.Millisecond, mouthOpen), rest(sec),
		act(1600*time.Millisecond, lookingDown), rest(sec),
		act(1600*time.Millisecond, browsUp), rest(sec),
	)
}

func TestTrackerFullSequence(t *testing.T) {
	for _, cad := range []time.Duration{slow, fps12} {
		for seed := range uint64(10) {
			obs := performance(cad, jitty, seed)
			steps, fin, err := challenge.Replay(challenge.IDs(), obs)
			if err != nil {
				t.Fatal(err)
			}
			if !fin.Passed || fin.PassedChallenges != 7 || fin.TotalChallenges != 7 || fin.Reason != challenge.ReasonPassed || fin.FailedChallenge != 0 {
				t.Fatalf("cadence %v seed %d: %+v", cad, seed, fin)
			}
			// Each challenge passes exactly once, in order.
			var passed []challenge.ID
			for i, s := range steps {
				if s.Frame != i+1 {
					t.Fatalf("step %d has frame %d", i, s.Frame)
				}
				if s.Passed {
					passed = append(passed, s.Challenge)
				}
			}
			if len(passed) != 7 || !steps[len(steps)-1].Done {
				t.Fatalf("cadence %v seed %d: passed %v", cad, seed, passed)
			}
			for i, id := range passed {
				if id != challenge.IDs()[i] {
					t.Fatalf("passed %v out of order", passed)
				}
			}
		}
	}
}

// TestTrackerWrongOrder: performing the actions out of order passes only the
// challenges whose turn it was.
func TestTrackerWrongOrder(t *testing.T) {
	obs := performance(fps12, jitty, 1) // BLINK, SMILE, TURN_LEFT, ...
	seq := []challenge.ID{challenge.TurnRight, challenge.Smile}
	_, fin, err := challenge.Replay(seq, obs)
	if err != nil {
		t.Fatal(err)
	}
	// TURN_RIGHT is the 4th action, long after its response window
	// closed; the blink, smile and left turn done meanwhile were not asked.
	assert.Equal(t, challenge.Final{Final: true, TotalChallenges: 2, Reason: challenge.ReasonTimeout, FailedChallenge: challenge.TurnRight}, fin)
	// With a window long enough, the left turn is a wrong action (a strike)
	// and TURN_RIGHT passes; SMILE came earlier, and the wide-open mouth
	// during SMILE is the second strike, which fails the sequence.
	steps, fin, err := challenge.Replay(seq, obs, challenge.WithThresholds(challenge.Thresholds{ResponseWindow: time.Minute}))
	require.NoError(t, err)
	var strikes []challenge.ID
	for _, s := range steps {
		if s.Strike != 0 {
			strikes = append(strikes, s.Strike)
		}
	}
	if fin.Passed || fin.PassedChallenges != 1 || fin.FailedChallenge != challenge.Smile || fin.Reason != challenge.ReasonUnexpected ||
		!slices.Equal(strikes, []challenge.ID{challenge.TurnLeft, challenge.OpenMouth}) {
		t.Errorf("long window: final %+v, strikes %v", fin, strikes)
	}
}

func TestTrackerBaseline(t *testing.T) {
	tr, err := challenge.NewTracker([]challenge.ID{challenge.Smile})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Baseline(); ok {
		t.Fatal("baseline before any frame")
	}
	closed, turned, open := neutral, neutral, neutral
	eyesClosed(&closed)
	turned.Yaw = 30
	open.MAR = 0.5
	steps := []struct {
		o    challenge.Observation
		hint challenge.Hint
	}{
		{challenge.Observation{}, challenge.HintNoFace},
		{closed, challenge.HintOpenEyes},
		{turned, challenge.HintFaceCamera},
		{open, challenge.HintCloseMouth},
		{neutral, challenge.HintBaseline},
		{neutral, challenge.HintBaseline},
		{neutral, challenge.HintBaseline}, // third qualifying frame: baseline taken
		{neutral, challenge.HintStart},
	}
	for i, s := range steps {
		s.o.Time = time.Duration(i) * slow
		st := tr.Observe(s.o)
		if st.Hint != s.hint || st.Challenge != challenge.Smile || st.Index != 0 || st.Message == "" {
			t.Fatalf("step %d: %+v, want hint %q", i, st, s.hint)
		}
	}
	b, ok := tr.Baseline()
	if !ok || b.Frames != 3 || b.Smile != neutral.Smile {
		t.Errorf("baseline %+v %v", b, ok)
	}
	if id, idx, ok := tr.Current(); id != challenge.Smile || idx != 0 || !ok {
		t.Errorf("Current = %v %d %v", id, idx, ok)
	}
}

func TestTrackerFinalReasons(t *testing.T) {
	seq := []challenge.ID{challenge.Blink}
	_, fin, _ := challenge.Replay(seq, nil)
	if fin.Reason != challenge.ReasonNoFrames || fin.Passed || !fin.Final || fin.FailedChallenge != challenge.Blink {
		t.Errorf("no frames: %+v", fin)
	}
	_, fin, _ = challenge.Replay(seq, []challenge.Observation{{FaceCount: 0}})
	if fin.Reason != challenge.ReasonNoBaseline {
		t.Errorf("no face: %+v", fin)
	}
	_, fin, _ = challenge.Replay(seq, synth(slow, clean, 0, rest(5*time.Second)))
	if fin.Reason != challenge.ReasonIncomplete || fin.PassedChallenges != 0 || fin.TotalChallenges != 1 {
		t.Errorf("incomplete: %+v", fin)
	}
}

func TestTrackerDone(t *testing.T) {
	tr, _ := challenge.NewTracker([]challenge.ID{challenge.TurnLeft}, challenge.WithBaseline(baseline()))
	for _, o := range synth(slow, clean, 0, rest(time.Second), act(2*time.Second, yaw(30))) {
		tr.Observe(o)
	}
	if !tr.Done() {
		t.Fatal("not done")
	}
	st := tr.Observe(neutral)
	if !st.Done || st.Hint != challenge.HintDone || st.Challenge != 0 || st.Index != 1 || st.Passed {
		t.Errorf("after done: %+v", st)
	}
	if _, _, ok := tr.Current(); ok {
		t.Error("Current after done")
	}
}

func TestNewTrackerErrors(t *testing.T) {
	tests := []struct {
		seq  []challenge.ID
		opts []challenge.TrackerOption
		want error
	}{
		{nil, nil, challenge.ErrLength},
		{[]challenge.ID{challenge.Blink, 0}, nil, challenge.ErrUnknownID},
		{[]challenge.ID{challenge.Blink}, []challenge.TrackerOption{challenge.WithThresholds(challenge.Thresholds{HoldRelease: 2})}, challenge.ErrThresholds},
		{[]challenge.ID{challenge.Blink}, []challenge.TrackerOption{challenge.WithBaseline(challenge.Baseline{EAR: 0.3})}, challenge.ErrNoBaseline},
	}
	for i, tc := range tests {
		if _, err := challenge.NewTracker(tc.seq, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%d: error %v, want %v", i, err, tc.want)
		}
	}
	// The tracker keeps its own copy of the sequence.
	seq := []challenge.ID{challenge.Blink}
	tr, _ := challenge.NewTracker(seq)
	seq[0] = challenge.Smile
	if tr.Sequence()[0] != challenge.Blink {
		t.Error("tracker shares the caller's slice")
	}
}

// TestReplayGolden pins the JSON lines of a replay (the replay tool's
// output format) for a noisy synthetic BLINK + TURN_LEFT session at 12 fps.
// Run with -update to rewrite testdata/replay.golden.jsonl.
func TestReplayGolden(t *testing.T) {
	obs := synth(fps12, jitty, 42,
		rest(time.Second),
		act(900*time.Millisecond, eyesClosed), rest(500*time.Millisecond),
		act(300*time.Millisecond, yaw(-25)), // wrong way first
		act(200*time.Millisecond, yaw(10)),
		act(time.Second, yaw(28)), rest(time.Second))
	steps, fin, err := challenge.Replay([]challenge.ID{challenge.Blink, challenge.TurnLeft}, obs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, s := range steps {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Encode(fin); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "replay.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("replay output differs from %s (run with -update after checking):\n%s", golden, buf.Bytes())
	}
	if !fin.Passed {
		t.Errorf("final %+v", fin)
	}
}

func BenchmarkTrackerObserve(b *testing.B) {
	obs := performance(fps12, jitty, 3)
	b.ReportAllocs()
	for b.Loop() {
		tr, _ := challenge.NewTracker(challenge.IDs())
		for _, o := range obs {
			tr.Observe(o)
		}
	}
}
