package challenge_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

const (
	slow  = 800 * time.Millisecond // the general client cadence
	fps12 = 83 * time.Millisecond  // a BLINK burst
	fps8  = 125 * time.Millisecond
	fps15 = 66 * time.Millisecond
)

// passes runs a fresh detector for every ID over obs and returns the IDs
// that passed, in canonical order.
func passes(t *testing.T, b challenge.Baseline, obs []challenge.Observation) []challenge.ID {
	t.Helper()
	var got []challenge.ID
	for _, id := range challenge.IDs() {
		d, err := challenge.NewDetector(id, b, challenge.Thresholds{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			v := d.Observe(o)
			if v.Confidence < 0 || v.Confidence > 1 || v.Message == "" || v.Hint == "" {
				t.Fatalf("%v at %v: bad verdict %+v", id, o.Time, v)
			}
			if v.Passed {
				got = append(got, id)
				break
			}
		}
	}
	return got
}

func ids(list ...challenge.ID) []challenge.ID { return list }

// TestDetectorsMatrix runs every detector over synthetic tracks of one
// action each and checks which challenges pass: the asked one, and none of
// the others (no leakage between challenges).
func TestDetectorsMatrix(t *testing.T) {
	B := challenge.Blink
	S := challenge.Smile
	L := challenge.TurnLeft
	R := challenge.TurnRight
	O := challenge.OpenMouth
	D := challenge.LookDown
	E := challenge.RaiseEyebrows
	sec := time.Second
	ms := time.Millisecond
	tests := []struct {
		name    string
		cadence []time.Duration
		action  phase
		want    []challenge.ID
	}{
		{"rest", []time.Duration{slow, fps12}, rest(3 * sec), nil},
		// A natural blink is too short for BLINK: it asks for a closure on cue.
		{"blink 200ms", []time.Duration{fps12, fps8, 40 * ms}, act(200*ms, eyesClosed), nil},
		{"blink 350ms", []time.Duration{fps15, fps12, 40 * ms}, act(350*ms, eyesClosed), nil},
		{"eyes closed 0.8s", []time.Duration{fps15, fps12, fps8, 40 * ms}, act(800*ms, eyesClosed), ids(B)},
		{"eyes held closed 2s", []time.Duration{slow, fps12}, act(2000*ms, eyesClosed), ids(B)},
		{"wink", []time.Duration{slow, fps12}, act(1200*ms, wink), nil},
		{"squint", []time.Duration{slow, fps12}, act(1200*ms, func(o *challenge.Observation) { o.EARLeft, o.EARRight = 0.21, 0.21 }), nil},
		{"turn left", []time.Duration{slow, fps12}, act(1600*ms, yaw(30)), ids(L)},
		{"turn right", []time.Duration{slow, fps12}, act(1600*ms, yaw(-30)), ids(R)},
		{"turn left too little", []time.Duration{slow, fps12}, act(1600*ms, yaw(8)), nil},
		{"turn left too short", []time.Duration{fps12}, act(200*ms, yaw(30)), nil},
		{"turn left looking down", []time.Duration{slow, fps12}, act(1600*ms, both(yaw(30), pitch(-30))), nil},
		{"look down", []time.Duration{slow, fps12}, act(1600*ms, lookingDown), ids(D)},
		{"look down too little", []time.Duration{slow, fps12}, act(1600*ms, pitch(-6)), nil},
		{"look down too short", []time.Duration{fps12}, act(200*ms, lookingDown), nil},
		{"look down turned", []time.Duration{slow, fps12}, act(1600*ms, both(lookingDown, yaw(30))), nil},
		{"look up", []time.Duration{slow, fps12}, act(1600*ms, pitch(25)), nil},
		{"smile", []time.Duration{slow, fps12}, act(1600*ms, smiling), ids(S)},
		{"smile with teeth", []time.Duration{slow, fps12}, act(1600*ms, smileTeeth), ids(S)},
		{"smile too short", []time.Duration{fps12}, act(200*ms, smiling), nil},
		{"smile turned", []time.Duration{slow, fps12}, act(1600*ms, both(smiling, yaw(30))), ids(L)},
		{"open mouth", []time.Duration{slow, fps12}, act(1600*ms, mouthOpen), ids(O)},
		{"half open mouth", []time.Duration{slow, fps12}, act(1600*ms, func(o *challenge.Observation) { o.MAR = 0.12 }), nil},
		{"open mouth looking up", []time.Duration{slow, fps12}, act(1600*ms, both(mouthOpen, pitch(25))), nil},
		{"raise eyebrows", []time.Duration{slow, fps12}, act(1600*ms, browsUp), ids(E)},
		{"raise eyebrows a little", []time.Duration{slow, fps12}, act(1600*ms, func(o *challenge.Observation) { o.Brow = 0.104 }), nil},
		{"surprise", []time.Duration{slow, fps12}, act(1600*ms, both(browsUp, mouthOpen)), ids(O, E)},
		// Closing the eyes may move a landmark source's brow points: the brow
		// measure does not count while the eyes are closed, and the pose is
		// untouched, so only BLINK passes.
		{"eyes closed, brow artefact", []time.Duration{slow, fps12}, act(1600*ms, both(eyesClosed, func(o *challenge.Observation) { o.Brow = 0.13 })), ids(B)},
	}
	for _, tc := range tests {
		for _, cad := range tc.cadence {
			for _, nz := range []struct {
				name  string
				n     noise
				seeds int
			}{{"clean", clean, 1}, {"noisy", jitty, 20}} {
				t.Run(fmt.Sprintf("%s/%v/%s", tc.name, cad, nz.name), func(t *testing.T) {
					for seed := range nz.seeds {
						obs := synth(cad, nz.n, uint64(seed), rest(sec), tc.action, rest(sec))
						if got := passes(t, baseline(), obs); !slices.Equal(got, tc.want) {
							t.Fatalf("seed %d: passed %v, want %v", seed, got, tc.want)
						}
					}
				})
			}
		}
	}
}

// TestBlinkBetweenFrames documents why BLINK needs bursts: at the 800 ms
// cadence a natural blink falls between frames.
func TestBlinkBetweenFrames(t *testing.T) {
	obs := synth(slow, clean, 0, rest(time.Second), act(200*time.Millisecond, eyesClosed), rest(2*time.Second))
	if got := passes(t, baseline(), obs); len(got) != 0 {
		t.Fatalf("passed %v from frames that never saw the eyes closed", got)
	}
	d, _ := challenge.NewDetector(challenge.Blink, baseline(), challenge.Thresholds{})
	var last challenge.Verdict
	for _, o := range obs {
		last = d.Observe(o)
	}
	assert.Equal(t, "Close your eyes for two seconds, then open them", last.Message, "slow-cadence message")
	require.Empty(t, passes(t, baseline(), obs))
}

// TestBlinkNeedsOpenFirst: eyes already closed when BLINK starts must open,
// close and open again.
func TestBlinkNeedsOpenFirst(t *testing.T) {
	b := baseline()
	d, _ := challenge.NewDetector(challenge.Blink, b, challenge.Thresholds{})
	closed, open := neutral, neutral
	eyesClosed(&closed)
	steps := []struct {
		o    challenge.Observation
		want challenge.Hint
	}{
		{closed, challenge.HintOpenEyes},
		{open, challenge.HintStart},
		{closed, challenge.HintKeepClosed},
		{closed, challenge.HintReopen},
		{open, challenge.HintPassed},
	}
	for i, s := range steps {
		s.o.Time = time.Duration(i) * slow
		v := d.Observe(s.o)
		if v.Hint != s.want || v.Passed != (s.want == challenge.HintPassed) {
			t.Fatalf("step %d: %+v, want hint %q", i, v, s.want)
		}
	}
}

// TestMessages checks the message and hint given in typical situations.
func TestMessages(t *testing.T) {
	b := baseline()
	mod := func(f func(*challenge.Observation)) challenge.Observation {
		o := neutral
		f(&o)
		return o
	}
	tests := []struct {
		id   challenge.ID
		o    challenge.Observation
		msg  string
		hint challenge.Hint
	}{
		{challenge.TurnLeft, neutral, "Turn your head to your left", challenge.HintStart},
		{challenge.TurnLeft, mod(yaw(8)), "Turn a little more to your left", challenge.HintMore},
		{challenge.TurnLeft, mod(yaw(-20)), "Turn the other way", challenge.HintWrongWay},
		{challenge.TurnLeft, mod(yaw(25)), "Hold it", challenge.HintHold},
		{challenge.TurnLeft, mod(both(yaw(25), pitch(-30))), "Keep your chin level", challenge.HintFaceCamera},
		{challenge.TurnRight, mod(yaw(-8)), "Turn a little more to your right", challenge.HintMore},
		{challenge.TurnRight, mod(yaw(20)), "Turn the other way", challenge.HintWrongWay},
		{challenge.LookDown, mod(pitch(20)), "Look down, not up", challenge.HintWrongWay},
		{challenge.LookDown, mod(pitch(-6)), "Look down a little more", challenge.HintMore},
		{challenge.LookDown, mod(yaw(30)), "Face the camera", challenge.HintFaceCamera},
		{challenge.Smile, neutral, "Smile", challenge.HintStart},
		{challenge.Smile, mod(yaw(30)), "Face the camera", challenge.HintFaceCamera},
		{challenge.OpenMouth, mod(func(o *challenge.Observation) { o.MAR = 0.12 }), "Open your mouth wider", challenge.HintMore},
		{challenge.OpenMouth, mod(smileTeeth), "Open your mouth without smiling", challenge.HintNoSmile},
		{challenge.RaiseEyebrows, mod(eyesClosed), "Keep your eyes open", challenge.HintOpenEyes},
		{challenge.Blink, neutral, "Close your eyes for a second, then open them", challenge.HintStart},
		{challenge.Smile, mod(func(o *challenge.Observation) { o.FaceCount = 0 }), "No face detected", challenge.HintNoFace},
		{challenge.Smile, mod(func(o *challenge.Observation) { o.FaceCount = 2 }), "Only one face please", challenge.HintManyFaces},
		{challenge.Smile, mod(func(o *challenge.Observation) { o.FaceWidthFrac = 0.05 }), "Move closer", challenge.HintMoveCloser},
		{challenge.Smile, mod(func(o *challenge.Observation) { o.MAR = nan() }), "No face detected", challenge.HintNoFace},
	}
	for _, tc := range tests {
		t.Run(tc.id.String()+"/"+tc.msg, func(t *testing.T) {
			d, err := challenge.NewDetector(tc.id, b, challenge.Thresholds{})
			if err != nil {
				t.Fatal(err)
			}
			d.Observe(neutral) // a neutral face first, as after a prompt
			o := tc.o
			o.Time = 100 * time.Millisecond
			v := d.Observe(o)
			if v.Message != tc.msg || v.Hint != tc.hint || v.Passed {
				t.Errorf("got %+v, want %q (%s)", v, tc.msg, tc.hint)
			}
			if tc.hint != challenge.HintStart && tc.hint != challenge.HintMore && tc.hint != challenge.HintHold && v.Confidence != 0 {
				t.Errorf("confidence %v on an unusable frame", v.Confidence)
			}
		})
	}
}

func nan() float64 { z := 0.0; return z / z }

// TestHoldBrokenByGapOrBadFrame: a hold needs continuous evidence.
func TestHoldBrokenByGapOrBadFrame(t *testing.T) {
	b := baseline()
	turned := neutral
	turned.Yaw = 30
	noFace := challenge.Observation{FaceCount: 0}
	tests := []struct {
		name  string
		times []time.Duration
		obs   []challenge.Observation
		pass  bool
	}{
		{"continuous", []time.Duration{0, 200, 400}, []challenge.Observation{turned, turned, turned}, true},
		{"gap longer than MaxFrameGap", []time.Duration{0, 2500}, []challenge.Observation{turned, turned}, false},
		{"time goes backwards", []time.Duration{1000, 400, 600}, []challenge.Observation{turned, turned, turned}, false},
		{"no face in between", []time.Duration{0, 200, 400, 600}, []challenge.Observation{turned, noFace, turned, turned}, false},
		{"relaxed in between", []time.Duration{0, 200, 400, 600}, []challenge.Observation{turned, neutral, turned, turned}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := challenge.NewDetector(challenge.TurnLeft, b, challenge.Thresholds{})
			start := neutral
			start.Time = -100 * time.Millisecond
			d.Observe(start)
			var v challenge.Verdict
			for i, o := range tc.obs {
				o.Time = tc.times[i] * time.Millisecond
				v = d.Observe(o)
			}
			if v.Passed != tc.pass {
				t.Errorf("passed = %v, want %v (%+v)", v.Passed, tc.pass, v)
			}
		})
	}
}

// TestHoldHysteresis: jitter just under the threshold does not restart a hold.
func TestHoldHysteresis(t *testing.T) {
	d, _ := challenge.NewDetector(challenge.TurnLeft, baseline(), challenge.Thresholds{})
	d.Observe(neutral)
	for i, y := range []float64{13, 10, 12.5, 10.5} { // 10 and 10.5 are above HoldRelease × 12
		o := neutral
		o.Yaw, o.Time = y, time.Duration(i+1)*110*time.Millisecond
		v := d.Observe(o)
		if want := i == 3; v.Passed != want {
			t.Fatalf("frame %d: passed %v, want %v", i, v.Passed, want)
		}
	}
}

// TestStillObservationNeverPasses: an identical observation repeated — a
// still photograph — passes no challenge, whatever it shows, at any cadence,
// when the baseline comes from the same picture.
func TestStillObservationNeverPasses(t *testing.T) {
	stills := map[string]func(*challenge.Observation){
		"neutral": func(*challenge.Observation) {},
		"smile":   smileTeeth,
		"open":    mouthOpen,
		"brows":   browsUp,
		"turned":  yaw(10),
		"down":    pitch(-12),
		"squint":  func(o *challenge.Observation) { o.EARLeft, o.EARRight = 0.16, 0.16 },
	}
	for name, f := range stills {
		for _, cad := range []time.Duration{40 * time.Millisecond, fps12, slow} {
			o := neutral
			f(&o)
			obs := make([]challenge.Observation, 200)
			for i := range obs {
				obs[i] = o
				obs[i].Time = time.Duration(i) * cad
			}
			// A still that cannot serve as a baseline (open mouth) only runs
			// through the tracker, which never gets past the baseline.
			if b, err := challenge.NewBaseline(obs, challenge.Thresholds{}); err == nil {
				if got := passes(t, b, obs); len(got) != 0 {
					t.Errorf("%s at %v: still observation passed %v", name, cad, got)
				}
			}
			for _, id := range challenge.IDs() {
				_, fin, err := challenge.Replay([]challenge.ID{id}, obs)
				if err != nil {
					t.Fatal(err)
				}
				if fin.Passed || fin.PassedChallenges != 0 {
					t.Errorf("%s at %v: tracker passed %v on a still observation", name, cad, id)
				}
			}
		}
	}
}

func TestDetectorAfterPassAndReset(t *testing.T) {
	d, _ := challenge.NewDetector(challenge.Smile, baseline(), challenge.Thresholds{})
	if d.ID() != challenge.Smile {
		t.Fatalf("ID %v", d.ID())
	}
	obs := synth(slow, clean, 0, rest(time.Second), act(2*time.Second, smiling))
	for _, o := range obs {
		d.Observe(o)
	}
	if !d.Passed() {
		t.Fatal("smile did not pass")
	}
	if v := d.Observe(challenge.Observation{}); !v.Passed || v.Confidence != 1 {
		t.Errorf("after pass: %+v", v)
	}
	d.Reset()
	if d.Passed() {
		t.Error("Reset kept the pass")
	}
	if v := d.Observe(obs[0]); v.Passed {
		t.Errorf("a single frame after Reset passed: %+v", v)
	}
}

func TestNewDetectorErrors(t *testing.T) {
	b := baseline()
	if _, err := challenge.NewDetector(0, b, challenge.Thresholds{}); !errors.Is(err, challenge.ErrUnknownID) {
		t.Errorf("zero ID: %v", err)
	}
	if _, err := challenge.NewDetector(challenge.Blink, b, challenge.Thresholds{EyesClosedRatio: 0.9}); !errors.Is(err, challenge.ErrThresholds) {
		t.Errorf("bad thresholds: %v", err)
	}
	if _, err := challenge.NewDetector(challenge.Blink, challenge.Baseline{}, challenge.Thresholds{}); !errors.Is(err, challenge.ErrNoBaseline) {
		t.Errorf("zero baseline: %v", err)
	}
}

// TestConfidenceRises: confidence grows as the user gets closer to the goal.
func TestConfidenceRises(t *testing.T) {
	d, _ := challenge.NewDetector(challenge.TurnRight, baseline(), challenge.Thresholds{})
	prev := -1.0
	for i, y := range []float64{0, -3, -6, -9, -12, -13, -14} {
		o := neutral
		o.Yaw, o.Time = y, time.Duration(i)*fps12
		v := d.Observe(o)
		if v.Confidence <= prev && !v.Passed {
			t.Fatalf("yaw %v: confidence %v not above %v", y, v.Confidence, prev)
		}
		prev = v.Confidence
	}
}
