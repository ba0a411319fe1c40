package challenge

import (
	"fmt"
	"math"
	"time"
)

// Hint is a stable, machine-readable code for the message of a [Verdict] or
// [Step], for clients that show their own (for example translated) text.
type Hint string

// Hints.
const (
	HintStart      Hint = "start"       // do the challenge ("Blink your eyes", "Turn your head to your left")
	HintMore       Hint = "more"        // on the way, not far enough yet ("Turn a little more to your left")
	HintHold       Hint = "hold"        // far enough, keep it for the hold time ("Hold it")
	HintReopen     Hint = "reopen"      // BLINK: eyes seen closed, now open them
	HintPassed     Hint = "passed"      // the challenge passed ("Done")
	HintWrongWay   Hint = "wrong_way"   // moving in the opposite direction ("Turn the other way")
	HintFaceCamera Hint = "face_camera" // pose outside the allowed range for this challenge
	HintOpenEyes   Hint = "open_eyes"   // eyes closed where they must be open
	HintNoSmile    Hint = "no_smile"    // OPEN_MOUTH: the mouth is widened into a smile
	HintCloseMouth Hint = "close_mouth" // baseline: mouth open
	HintNoFace     Hint = "no_face"     // no face, or unusable measures ("No face detected")
	HintManyFaces  Hint = "many_faces"  // several faces ("Only one face please")
	HintMoveCloser Hint = "move_closer" // face too small in the frame ("Move closer")
	HintBaseline   Hint = "baseline"    // the tracker is taking the baseline ("Look straight at the camera")
	HintDone       Hint = "done"        // the whole sequence passed
)

// Messages shared by several detectors.
const (
	msgNoFace       = "No face detected"
	msgManyFaces    = "Only one face please"
	msgMoveCloser   = "Move closer"
	msgLookStraight = "Look straight at the camera"
	msgOpenEyes     = "Open your eyes"
	msgKeepEyesOpen = "Keep your eyes open"
	msgCloseMouth   = "Close your mouth"
	msgFaceCamera   = "Face the camera"
	msgChinLevel    = "Keep your chin level"
	msgNoSmile      = "Open your mouth without smiling"
	msgHold         = "Hold it"
	msgPassed       = "Done"
	msgAllDone      = "All done"
)

// Presentation constants: they shape Confidence and the choice of message,
// never whether a challenge passes.
const (
	// progressWeight is the share of Confidence given by how far the signal
	// has gone toward its threshold; the rest comes from the hold time.
	progressWeight = 0.7
	// nearProgress is the progress from which the message says "a little
	// more" instead of the plain instruction.
	nearProgress = 0.4
	// blinkStageWeight is the share of BLINK's Confidence earned by closing
	// the eyes; reopening earns the rest.
	blinkStageWeight = 0.5
)

// texts are the per-challenge messages.
type texts struct {
	start, slow, more, wrong string
}

var challengeTexts = [...]texts{
	Blink:         {start: "Blink your eyes", slow: "Close your eyes for a second, then open them", more: "Now open your eyes"},
	Smile:         {start: "Smile", more: "Smile a little more"},
	TurnLeft:      {start: "Turn your head to your left", more: "Turn a little more to your left", wrong: "Turn the other way"},
	TurnRight:     {start: "Turn your head to your right", more: "Turn a little more to your right", wrong: "Turn the other way"},
	OpenMouth:     {start: "Open your mouth wide", more: "Open your mouth wider"},
	LookDown:      {start: "Look down", more: "Look down a little more", wrong: "Look down, not up"},
	RaiseEyebrows: {start: "Raise your eyebrows", more: "Raise your eyebrows higher"},
}

// Verdict is a detector's answer for one observation.
type Verdict struct {
	// Passed reports that the challenge is satisfied. It stays true for
	// every later observation until [Detector.Reset].
	Passed bool
	// Confidence in [0, 1] grows as the user approaches, reaches and holds
	// the required state; it is 1 once passed and 0 when the frame is
	// unusable (no face, several faces, wrong pose).
	Confidence float64
	// Message is a short instruction for the user, for example "Turn a
	// little more to your left".
	Message string
	// Hint is the machine-readable code of Message.
	Hint Hint
}

// blinkStage is the state of the BLINK state machine.
type blinkStage uint8

const (
	blinkWaitOpen blinkStage = iota // eyes not yet seen open
	blinkOpen                       // eyes seen open: waiting for them to close
	blinkClosed                     // eyes seen closed after open: waiting for them to reopen
)

// Detector decides one challenge from a stream of observations against a
// baseline. Each challenge kind is a small state machine driven by
// Observation.Time, not by frame counts, so it works at any cadence:
//
//   - BLINK: eyes seen open, then closed, then open again (see
//     [Baseline.EyesClosed]); the face must stay frontal.
//   - TURN_LEFT / TURN_RIGHT: yaw beyond TurnYaw in the asked direction
//     (user's point of view) held for TurnHold.
//   - LOOK_DOWN: pitch below the baseline by LookDownPitch held for
//     LookDownHold.
//   - SMILE, OPEN_MOUTH, RAISE_EYEBROWS: a change against the baseline held
//     for SmileHold, OpenMouthHold, BrowHold, with a frontal face.
//
// Since every decision needs a change against the baseline, and BLINK a
// change within the challenge itself, an identical observation repeated (a
// still photograph) never passes anything.
//
// A Detector is not safe for concurrent use.
type Detector struct {
	id   ID
	base Baseline
	th   Thresholds

	passed    bool
	seen      bool
	last      time.Duration
	interval  time.Duration // last interval between frames
	holding   bool
	holdStart time.Duration
	blink     blinkStage
}

// NewDetector returns a detector for challenge id against base, with th
// (zero fields take their defaults). It fails with [ErrUnknownID],
// [ErrThresholds] or [ErrNoBaseline].
func NewDetector(id ID, base Baseline, th Thresholds) (*Detector, error) {
	if !id.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownID, int(id))
	}
	if err := th.Validate(); err != nil {
		return nil, err
	}
	if err := base.validate(); err != nil {
		return nil, err
	}
	return &Detector{id: id, base: base, th: th.withDefaults()}, nil
}

// ID returns the challenge the detector decides.
func (d *Detector) ID() ID { return d.id }

// Passed reports whether the challenge has passed.
func (d *Detector) Passed() bool { return d.passed }

// Reset forgets everything observed, including a pass.
func (d *Detector) Reset() {
	*d = Detector{id: d.id, base: d.base, th: d.th}
}

// restart drops any hold or blink in progress.
func (d *Detector) restart() {
	d.holding = false
	d.blink = blinkWaitOpen
}

// Observe feeds one observation and returns the verdict for it.
// Observations must come in time order; a backward step in time or a gap
// longer than MaxFrameGap restarts any hold or blink in progress.
func (d *Detector) Observe(o Observation) Verdict {
	if d.passed {
		return Verdict{Passed: true, Confidence: 1, Message: msgPassed, Hint: HintPassed}
	}
	if d.seen {
		if o.Time < d.last || o.Time-d.last > d.th.MaxFrameGap {
			d.restart()
		}
		if o.Time >= d.last {
			d.interval = o.Time - d.last
		}
	}
	d.seen, d.last = true, o.Time
	if h, msg, ok := gateFace(o, d.th); !ok {
		d.restart()
		return Verdict{Message: msg, Hint: h}
	}
	var v Verdict
	switch d.id {
	case Blink:
		v = d.observeBlink(o)
	case TurnLeft:
		v = d.observeTurn(o, 1)
	case TurnRight:
		v = d.observeTurn(o, -1)
	case LookDown:
		v = d.observeLookDown(o)
	case Smile:
		v = d.observeExpression(o, (o.Smile/d.base.Smile-1)/(d.th.SmileRatio-1), d.th.SmileHold)
	case OpenMouth:
		// Both the rise over the baseline and the absolute opening count;
		// progress reaches 1 only when both are met. A mouth widened into a
		// smile does not count, even with the lips apart.
		if o.Smile >= d.th.OpenMouthMaxSmileRatio*d.base.Smile {
			d.holding = false
			return Verdict{Message: msgNoSmile, Hint: HintNoSmile}
		}
		p := math.Min((o.MAR-d.base.MAR)/d.th.OpenMouthMARDelta, o.MAR/d.th.OpenMouthMinMAR)
		v = d.observeExpression(o, p, d.th.OpenMouthHold)
	case RaiseEyebrows:
		if d.base.EyeOpenness(o) < d.th.BrowMinEyeRatio {
			d.holding = false
			return Verdict{Message: msgKeepEyesOpen, Hint: HintOpenEyes}
		}
		need := d.th.BrowRatio
		if m, ok := d.base.EyeBandMatch(o); ok && m >= d.th.BrowMatch {
			need = d.th.BrowMatchedRatio
		}
		v = d.observeExpression(o, (o.Brow/d.base.Brow-1)/(need-1), d.th.BrowHold)
	}
	d.passed = v.Passed
	return v
}

// gateFace checks what every decision needs: exactly one face, finite
// measures, a face big enough when its size is known.
func gateFace(o Observation, th Thresholds) (Hint, string, bool) {
	switch {
	case o.FaceCount <= 0:
		return HintNoFace, msgNoFace, false
	case o.FaceCount > 1:
		return HintManyFaces, msgManyFaces, false
	case !o.finite():
		return HintNoFace, msgNoFace, false
	case o.FaceWidthFrac > 0 && o.FaceWidthFrac < th.MinFaceWidthFrac:
		return HintMoveCloser, msgMoveCloser, false
	}
	return "", "", true
}

// frontal reports whether o's pose is within FrontalYaw/FrontalPitch of the baseline.
func (d *Detector) frontal(o Observation) bool {
	return math.Abs(o.Yaw-d.base.Yaw) <= d.th.FrontalYaw && math.Abs(o.Pitch-d.base.Pitch) <= d.th.FrontalPitch
}

func (d *Detector) observeBlink(o Observation) Verdict {
	t := challengeTexts[Blink]
	if !d.frontal(o) {
		d.blink = blinkWaitOpen
		return Verdict{Message: msgFaceCamera, Hint: HintFaceCamera}
	}
	r := d.base.EyeOpenness(o)
	open := r > d.th.EyesOpenRatio
	closed := d.base.EyesClosed(o, d.th)
	span := d.th.EyesOpenRatio - d.th.EyesClosedRatio
	start := t.start
	if d.interval > d.th.SlowCadence {
		start = t.slow
	}
	switch d.blink {
	case blinkWaitOpen:
		if !open {
			return Verdict{Message: msgOpenEyes, Hint: HintOpenEyes}
		}
		d.blink = blinkOpen
		return Verdict{Message: start, Hint: HintStart}
	case blinkOpen:
		if closed {
			d.blink = blinkClosed
			return Verdict{Confidence: blinkStageWeight, Message: t.more, Hint: HintReopen}
		}
		c := blinkStageWeight * clamp01((d.th.EyesOpenRatio-r)/span)
		return Verdict{Confidence: c, Message: start, Hint: HintStart}
	default: // blinkClosed
		if open {
			return Verdict{Passed: true, Confidence: 1, Message: msgPassed, Hint: HintPassed}
		}
		c := blinkStageWeight + (1-blinkStageWeight)*clamp01((r-d.th.EyesClosedRatio)/span)
		return Verdict{Confidence: c, Message: t.more, Hint: HintReopen}
	}
}

// observeTurn handles TURN_LEFT (dir = 1) and TURN_RIGHT (dir = −1).
func (d *Detector) observeTurn(o Observation, dir float64) Verdict {
	if math.Abs(o.Pitch-d.base.Pitch) > d.th.TurnMaxPitch {
		d.holding = false
		return Verdict{Message: msgChinLevel, Hint: HintFaceCamera}
	}
	dy := (o.Yaw - d.base.Yaw) * dir
	if dy <= -d.th.WrongWay {
		d.holding = false
		return Verdict{Message: challengeTexts[d.id].wrong, Hint: HintWrongWay}
	}
	return d.holdVerdict(o.Time, dy/d.th.TurnYaw, d.th.TurnHold)
}

func (d *Detector) observeLookDown(o Observation) Verdict {
	if math.Abs(o.Yaw-d.base.Yaw) > d.th.LookDownMaxYaw {
		d.holding = false
		return Verdict{Message: msgFaceCamera, Hint: HintFaceCamera}
	}
	down := d.base.Pitch - o.Pitch
	if down <= -d.th.WrongWay {
		d.holding = false
		return Verdict{Message: challengeTexts[LookDown].wrong, Hint: HintWrongWay}
	}
	return d.holdVerdict(o.Time, down/d.th.LookDownPitch, d.th.LookDownHold)
}

// observeExpression handles the challenges that need a frontal face and a
// sustained change of one measure, given as progress (1 = threshold).
func (d *Detector) observeExpression(o Observation, progress float64, need time.Duration) Verdict {
	if !d.frontal(o) {
		d.holding = false
		return Verdict{Message: msgFaceCamera, Hint: HintFaceCamera}
	}
	return d.holdVerdict(o.Time, progress, need)
}

// holdVerdict advances the hold with this frame's progress (1 = at the
// threshold) and builds the verdict. A hold starts at progress >= 1 and
// continues while progress >= HoldRelease; it passes once it has lasted
// need.
func (d *Detector) holdVerdict(t time.Duration, progress float64, need time.Duration) Verdict {
	on := progress >= 1 || (d.holding && progress >= d.th.HoldRelease)
	if !on {
		d.holding = false
	} else if !d.holding {
		d.holding, d.holdStart = true, t
	}
	txt := challengeTexts[d.id]
	if !on {
		c := progressWeight * clamp01(progress)
		if progress >= nearProgress {
			return Verdict{Confidence: c, Message: txt.more, Hint: HintMore}
		}
		return Verdict{Confidence: c, Message: txt.start, Hint: HintStart}
	}
	held := t - d.holdStart
	if held >= need {
		return Verdict{Passed: true, Confidence: 1, Message: msgPassed, Hint: HintPassed}
	}
	c := progressWeight*clamp01(progress) + (1-progressWeight)*clamp01(float64(held)/float64(need))
	return Verdict{Confidence: c, Message: msgHold, Hint: HintHold}
}

func clamp01(v float64) float64 {
	switch {
	case v > 1:
		return 1
	case v > 0:
		return v
	}
	return 0 // also NaN
}
