package challenge_test

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

func TestImageFrameObservation(t *testing.T) {
	// A user turned to their own left and tilted toward their own left
	// shoulder, left eye (their own) half closed. Unmirrored camera frame:
	// the nose points to the image's right (image Yaw > 0), the user's left
	// eye is on the image's right.
	f := challenge.ImageFrame{
		Time: time.Second, FaceCount: 1,
		Yaw: 25, Pitch: -5, Roll: 8,
		EARImageLeft: 0.30, EARImageRight: 0.15,
		MAR: 0.1, Smile: 0.4, Brow: 0.1, FaceWidthFrac: 0.3,
		EyeBand: []uint8{1, 2, 3},
	}
	un := f.Observation(false)
	if un.Yaw != 25 || un.Roll != 8 || un.Pitch != -5 || un.EARLeft != 0.15 || un.EARRight != 0.30 {
		t.Errorf("unmirrored: %+v", un)
	}
	// The same user seen in a mirrored frame: everything horizontal flips
	// in the image, and the conversion flips it back.
	mf := f
	mf.Yaw, mf.Roll = -f.Yaw, -f.Roll
	mf.EARImageLeft, mf.EARImageRight = f.EARImageRight, f.EARImageLeft
	if mi := mf.Observation(true); !reflect.DeepEqual(mi, un) {
		t.Errorf("mirrored frame gives %+v, want %+v", mi, un)
	}
	if un.Time != time.Second || un.FaceCount != 1 || un.MAR != 0.1 || un.Smile != 0.4 || un.Brow != 0.1 || un.FaceWidthFrac != 0.3 || len(un.EyeBand) != 3 {
		t.Errorf("symmetric fields changed: %+v", un)
	}
	// The converted observation drives TURN_LEFT, not TURN_RIGHT.
	b := baseline()
	left, _ := challenge.NewDetector(challenge.TurnLeft, b, challenge.Thresholds{})
	right, _ := challenge.NewDetector(challenge.TurnRight, b, challenge.Thresholds{})
	left.Observe(neutral)
	right.Observe(neutral)
	for i := range 3 {
		o := neutral
		o.Yaw, o.Time = un.Yaw, time.Duration(i+1)*200*time.Millisecond
		left.Observe(o)
		right.Observe(o)
	}
	assert.True(t, left.Passed(), "TURN_LEFT")
	require.False(t, right.Passed(), "TURN_RIGHT")
}

func TestNewBaseline(t *testing.T) {
	mk := func(ear, mar, smile, yaw float64) challenge.Observation {
		return challenge.Observation{FaceCount: 1, EARLeft: ear, EARRight: ear, MAR: mar, Smile: smile, Brow: 0.1, Yaw: yaw, FaceWidthFrac: 0.3}
	}
	obs := []challenge.Observation{
		mk(0.05, 0.02, 0.40, 0),  // eyes closed: skipped
		mk(0.30, 0.02, 0.40, 30), // turned: skipped
		mk(0.30, 0.40, 0.40, 0),  // mouth open: skipped
		mk(0.28, 0.02, 0.41, 1),
		mk(0.31, 0.03, 0.39, -2),
		mk(0.29, 0.01, 0.60, 0), // outlier smile: the median ignores it
		mk(0.99, 0.02, 0.40, 0), // beyond BaselineFrames: unused
	}
	b, err := challenge.NewBaseline(obs, challenge.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if b.Frames != 3 || !near(b.EAR, 0.29) || !near(b.Smile, 0.41) || !near(b.MAR, 0.02) || !near(b.Yaw, 0) {
		t.Errorf("baseline %+v", b)
	}
	b2, err := challenge.NewBaseline(obs[3:5], challenge.Thresholds{})
	if err != nil || b2.Frames != 2 || !near(b2.EAR, 0.295) {
		t.Errorf("two frames: %+v %v", b2, err)
	}
	if _, err := challenge.NewBaseline(obs[:3], challenge.Thresholds{}); !errors.Is(err, challenge.ErrNoBaseline) {
		t.Errorf("no qualifying frame: %v", err)
	}
}

func TestEyesClosed(t *testing.T) {
	b := baseline()
	th := challenge.Thresholds{}
	tests := []struct {
		l, r float64
		want bool
	}{
		{0.29, 0.30, false},
		{0.07, 0.08, true},
		{0.13, 0.14, true},  // ratio ≈ 0.46
		{0.17, 0.17, false}, // ratio ≈ 0.58
		{0.02, 0.30, false}, // wink: mean low, one eye open
	}
	for _, tc := range tests {
		o := neutral
		o.EARLeft, o.EARRight = tc.l, tc.r
		if got := b.EyesClosed(o, th); got != tc.want {
			t.Errorf("EAR %v/%v: closed %v, want %v (openness %.2f)", tc.l, tc.r, got, tc.want, b.EyeOpenness(o))
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := challenge.DefaultThresholds().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, th := range []challenge.Thresholds{{}, {BrowRatio: 1.05}, {BrowMatchedRatio: 1.11}} {
		if err := th.Validate(); err != nil {
			t.Errorf("%+v: %v", th, err)
		}
	}
	for i, th := range []challenge.Thresholds{
		{TurnYaw: -5},
		{HoldRelease: 1.5},
		{EyesClosedRatio: 0.9, EyesOpenRatio: 0.8},
		{EyeClosedMaxRatio: 0.4},
		{SmileRatio: 0.9},
		{BrowRatio: 1},
		{BrowMatchedRatio: 1},
		{BrowMatchedRatio: 1.2}, // above BrowRatio
		{BrowMatch: 1.5},
		{BrowMatch: -0.5},
		{TurnHold: -time.Second},
		{BaselineFrames: -1},
		{OpenMouthMinMAR: math.NaN()},
	} {
		if err := th.Validate(); !errors.Is(err, challenge.ErrThresholds) {
			t.Errorf("%d %+v: %v", i, th, err)
		}
	}
}
