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
	HintStart      Hint = "start"       // do the challenge ("Smile", "Turn your head to your left")
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
	HintNeutral    Hint = "neutral"     // the action was already under way: back to a neutral face first
	HintKeepClosed Hint = "keep_closed" // BLINK: eyes closed, keep them closed a moment longer
	HintTimeout    Hint = "timeout"     // the response window closed before the challenge passed
	HintWrongMove  Hint = "unexpected"  // too many deliberate actions that were not asked
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
	msgNeutral      = "Relax your face first, then do it"
	msgStraight     = "Look straight ahead first, then do it"
	msgKeepClosed   = "Keep your eyes closed"
	msgTimeout      = "Too slow: the time for this challenge is over"
	msgWrongMove    = "Something else than what was asked was done"
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
	Blink:         {start: "Close your eyes for a second, then open them", slow: "Close your eyes for two seconds, then open them", more: "Now open your eyes"},
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

// notYet is the announcement time of a detector whose challenge has not
// been announced: every observation is before it.
const notYet = time.Duration(math.MaxInt64)

// Detector decides one challenge from a stream of observations against a
// baseline. Each challenge kind is a small state machine driven by
// Observation.Time, not by frame counts, so it works at any cadence:
//
//   - BLINK: eyes seen open, then closed over at least BlinkClosedHold
//     (see [Baseline.EyesClosed]), then open again; the face must stay
//     frontal. A natural blink is too short.
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
// An action counts only when it starts after the challenge's announcement
// (see [Detector.Announce]): observations up to the announcement only tell
// whether the face was neutral. One that shows the signal at HoldRelease or
// more of its threshold (the action under way) makes the detector wait for
// the signal back near the baseline (at or below NeutralProgress) before
// a hold can start. A detector from [NewDetector] counts as announced
// before any observation and waits for a neutral observation first.
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
	// announce is the announcement time: observations at or before it
	// cannot start the action.
	announce time.Duration
	// armed reports that the signal was seen neutral (or the detector
	// started armed, see Tracker) and has not been seen active before the
	// announcement since.
	armed bool
	// closedFirst and closedLast bound the current BLINK closure.
	closedFirst, closedLast time.Duration
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
	return &Detector{id: id, base: base, th: th.withDefaults(), announce: math.MinInt64}, nil
}

// Announce sets when the challenge was announced to the user, on the
// observations' clock: only an action that starts after it counts.
func (d *Detector) Announce(at time.Duration) { d.announce = at }

// ID returns the challenge the detector decides.
func (d *Detector) ID() ID { return d.id }

// Passed reports whether the challenge has passed.
func (d *Detector) Passed() bool { return d.passed }

// Reset forgets everything observed, including a pass; the announcement
// stays.
func (d *Detector) Reset() {
	*d = Detector{id: d.id, base: d.base, th: d.th, announce: d.announce}
}

// restart drops any hold or blink in progress, and the neutral face seen:
// what happened while nothing was observed is unknown.
func (d *Detector) restart() {
	d.holding = false
	d.blink = blinkWaitOpen
	d.armed = false
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
	pre := o.Time <= d.announce
	var v Verdict
	switch d.id {
	case Blink:
		v = d.observeBlink(o, pre)
	case TurnLeft:
		v = d.observeTurn(o, 1, pre)
	case TurnRight:
		v = d.observeTurn(o, -1, pre)
	case LookDown:
		v = d.observeLookDown(o, pre)
	case Smile:
		v = d.observeExpression(o, (o.Smile/d.base.Smile-1)/(d.th.SmileRatio-1), d.th.SmileHold, pre)
	case OpenMouth:
		// Both the rise over the baseline and the absolute opening count;
		// progress reaches 1 only when both are met. A mouth widened into a
		// smile does not count, even with the lips apart.
		if o.Smile >= d.th.OpenMouthMaxSmileRatio*d.base.Smile {
			d.holding = false
			d.disarmIf(pre)
			return Verdict{Message: msgNoSmile, Hint: HintNoSmile}
		}
		p := math.Min((o.MAR-d.base.MAR)/d.th.OpenMouthMARDelta, o.MAR/d.th.OpenMouthMinMAR)
		v = d.observeExpression(o, p, d.th.OpenMouthHold, pre)
	case RaiseEyebrows:
		if d.base.EyeOpenness(o) < d.th.BrowMinEyeRatio {
			d.holding = false
			return Verdict{Message: msgKeepEyesOpen, Hint: HintOpenEyes}
		}
		need := d.th.BrowRatio
		if m, ok := d.base.EyeBandMatch(o); ok && m >= d.th.BrowMatch {
			need = d.th.BrowMatchedRatio
		}
		v = d.observeExpression(o, (o.Brow/d.base.Brow-1)/(need-1), d.th.BrowHold, pre)
	}
	d.passed = v.Passed
	return v
}

// disarmIf forgets the neutral face when pre: the signal could not be read
// before the announcement, so the action may already be under way.
func (d *Detector) disarmIf(pre bool) {
	if pre {
		d.armed = false
	}
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

func (d *Detector) observeBlink(o Observation, pre bool) Verdict {
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
		if closed && pre {
			// Closed before the announcement: wait for open eyes again.
			d.blink = blinkWaitOpen
			return Verdict{Message: start, Hint: HintStart}
		}
		if closed {
			d.blink, d.closedFirst, d.closedLast = blinkClosed, o.Time, o.Time
			return Verdict{Confidence: blinkStageWeight / 2, Message: msgKeepClosed, Hint: HintKeepClosed}
		}
		c := blinkStageWeight / 2 * clamp01((d.th.EyesOpenRatio-r)/span)
		return Verdict{Confidence: c, Message: start, Hint: HintStart}
	default: // blinkClosed
		long := d.closedLast-d.closedFirst >= d.th.BlinkClosedHold
		switch {
		case closed:
			d.closedLast = o.Time
			long = d.closedLast-d.closedFirst >= d.th.BlinkClosedHold
		case open && long:
			return Verdict{Passed: true, Confidence: 1, Message: msgPassed, Hint: HintPassed}
		case open:
			// Too short, a blink rather than a closure on cue: start over.
			d.blink = blinkOpen
			return Verdict{Message: start, Hint: HintStart}
		}
		held := clamp01(float64(d.closedLast-d.closedFirst) / float64(d.th.BlinkClosedHold))
		if !long {
			return Verdict{Confidence: blinkStageWeight * (0.5 + 0.5*held), Message: msgKeepClosed, Hint: HintKeepClosed}
		}
		c := blinkStageWeight + (1-blinkStageWeight)*clamp01((r-d.th.EyesClosedRatio)/span)
		return Verdict{Confidence: c, Message: t.more, Hint: HintReopen}
	}
}

// observeTurn handles TURN_LEFT (dir = 1) and TURN_RIGHT (dir = −1).
func (d *Detector) observeTurn(o Observation, dir float64, pre bool) Verdict {
	dy := (o.Yaw - d.base.Yaw) * dir
	if math.Abs(o.Pitch-d.base.Pitch) > d.th.TurnMaxPitch {
		d.holding = false
		d.noteNeutral(dy/d.th.TurnYaw, pre)
		return Verdict{Message: msgChinLevel, Hint: HintFaceCamera}
	}
	if dy <= -d.th.WrongWay {
		d.holding = false
		d.noteNeutral(dy/d.th.TurnYaw, pre)
		return Verdict{Message: challengeTexts[d.id].wrong, Hint: HintWrongWay}
	}
	return d.holdVerdict(o.Time, dy/d.th.TurnYaw, d.th.TurnHold, pre)
}

func (d *Detector) observeLookDown(o Observation, pre bool) Verdict {
	down := d.base.Pitch - o.Pitch
	if math.Abs(o.Yaw-d.base.Yaw) > d.th.LookDownMaxYaw {
		d.holding = false
		d.noteNeutral(down/d.th.LookDownPitch, pre)
		return Verdict{Message: msgFaceCamera, Hint: HintFaceCamera}
	}
	if down <= -d.th.WrongWay {
		d.holding = false
		d.noteNeutral(down/d.th.LookDownPitch, pre)
		return Verdict{Message: challengeTexts[LookDown].wrong, Hint: HintWrongWay}
	}
	return d.holdVerdict(o.Time, down/d.th.LookDownPitch, d.th.LookDownHold, pre)
}

// observeExpression handles the challenges that need a frontal face and a
// sustained change of one measure, given as progress (1 = threshold).
func (d *Detector) observeExpression(o Observation, progress float64, need time.Duration, pre bool) Verdict {
	if !d.frontal(o) {
		// A face turned away shows no expression to measure: coming back
		// from it (after a turn challenge, at an 800 ms cadence often
		// without a frontal neutral frame in between) counts as neutral.
		d.holding = false
		d.armed = true
		return Verdict{Message: msgFaceCamera, Hint: HintFaceCamera}
	}
	return d.holdVerdict(o.Time, progress, need, pre)
}

// noteNeutral updates the neutral-face state with a frame's progress: at
// or below NeutralProgress the face is neutral for this signal; at or
// above HoldRelease before the announcement, the action was already under
// way (a hold could have started), so it has to go back to neutral first.
func (d *Detector) noteNeutral(progress float64, pre bool) {
	switch {
	case progress <= d.th.NeutralProgress:
		d.armed = true
	case pre && progress >= d.th.HoldRelease:
		d.armed = false
	}
}

// holdVerdict advances the hold with this frame's progress (1 = at the
// threshold) and builds the verdict. A hold starts at progress >= 1 on an
// observation after the announcement, once the signal was seen neutral
// (see noteNeutral); it continues while progress >= HoldRelease and passes
// once it has lasted need.
func (d *Detector) holdVerdict(t time.Duration, progress float64, need time.Duration, pre bool) Verdict {
	d.noteNeutral(progress, pre)
	on := progress >= 1 || (d.holding && progress >= d.th.HoldRelease)
	txt := challengeTexts[d.id]
	if on && !d.holding && (pre || !d.armed) {
		d.holding = false
		msg := msgNeutral
		if d.id == TurnLeft || d.id == TurnRight || d.id == LookDown {
			msg = msgStraight
		}
		return Verdict{Confidence: 0, Message: msg, Hint: HintNeutral}
	}
	if !on {
		d.holding = false
	} else if !d.holding {
		d.holding, d.holdStart = true, t
	}
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
