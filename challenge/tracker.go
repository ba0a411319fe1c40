package challenge

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Step is the tracker's answer for one observation. Its JSON form is one
// line of the replay output:
//
//	{"frame":12,"challenge":"BLINK","challenge_passed":false,"confidence":0.5,"message":"Now open your eyes","hint":"reopen","index":0,"done":false}
type Step struct {
	// Frame is the 1-based number of the observation in the order given to
	// the tracker. Callers that number frames otherwise (for example the
	// frame number in a video) overwrite it.
	Frame int `json:"frame"`
	// Challenge is the challenge this observation was judged against; zero
	// (omitted) once the sequence is done.
	Challenge ID `json:"challenge,omitempty"`
	// Passed reports that Challenge passed on this observation; the next
	// observation goes to the next challenge.
	Passed     bool    `json:"challenge_passed"`
	Confidence float64 `json:"confidence"` // 0..1, rounded to 3 decimals
	Message    string  `json:"message"`
	Hint       Hint    `json:"hint"`
	// Index is Challenge's position in the sequence (0-based); it equals
	// the sequence length once done.
	Index int `json:"index"`
	// Done reports that every challenge of the sequence has passed.
	Done bool `json:"done"`
	// Failed is set when the sequence failed on this observation:
	// ReasonTimeout or ReasonUnexpected. Every later step repeats it.
	Failed string `json:"failed,omitempty"`
	// Strike names a challenge that was not asked but was done
	// deliberately on this observation (a wrong action).
	Strike ID `json:"strike,omitempty"`
}

// Reasons given in [Final].
const (
	ReasonPassed     = "passed"      // every challenge passed
	ReasonNoFrames   = "no_frames"   // no observation at all
	ReasonNoBaseline = "no_baseline" // no observation qualified for the baseline
	ReasonIncomplete = "incomplete"  // the observations ended before every challenge passed
	// ReasonTimeout: a challenge did not pass within Thresholds.ResponseWindow
	// of its announcement.
	ReasonTimeout = "challenge_timeout"
	// ReasonUnexpected: Thresholds.MaxStrikes deliberate actions that were
	// not asked.
	ReasonUnexpected = "unexpected_action"
)

// Final is the verdict over a whole sequence. Its JSON form is the last line
// of the replay output:
//
//	{"final":true,"passed":false,"passed_challenges":1,"total_challenges":2,"reason":"incomplete","failed_challenge":"SMILE"}
type Final struct {
	Final            bool   `json:"final"` // always true: marks the line
	Passed           bool   `json:"passed"`
	PassedChallenges int    `json:"passed_challenges"`
	TotalChallenges  int    `json:"total_challenges"`
	Reason           string `json:"reason"` // one of the Reason constants
	// FailedChallenge is the first challenge not passed (omitted when all passed).
	FailedChallenge ID `json:"failed_challenge,omitempty"`
}

// TrackerOption configures a [Tracker].
type TrackerOption func(*trackerOptions)

type trackerOptions struct {
	th       Thresholds
	base     Baseline
	haveBase bool
	manual   bool
}

// WithManualAnnounce makes the caller announce each challenge with
// [Tracker.Announce] (a server announces a challenge when its response
// first shows it, after the last frame of a request), instead of the
// tracker announcing it at the observation that made it current.
func WithManualAnnounce() TrackerOption {
	return func(o *trackerOptions) { o.manual = true }
}

// WithThresholds sets the thresholds (zero fields take their defaults).
func WithThresholds(th Thresholds) TrackerOption {
	return func(o *trackerOptions) { o.th = th }
}

// WithBaseline gives the baseline instead of taking it from the first
// observations, for example one taken from a reference photograph or from
// an earlier stage of the session.
func WithBaseline(b Baseline) TrackerOption {
	return func(o *trackerOptions) { o.base, o.haveBase = b, true }
}

// Tracker walks a sequence of challenges over a stream of observations:
// first it takes the [Baseline] from the first Thresholds.BaselineFrames
// qualifying observations (unless one was given with [WithBaseline]), then
// it judges each observation against the current challenge's [Detector] and
// moves to the next challenge on the observation after a pass.
//
// Each challenge is announced when it becomes current (at the observation
// that completed the baseline or passed the previous challenge, or when
// the caller says with [Tracker.Announce] under [WithManualAnnounce]). Its
// action must start after the announcement and pass within
// Thresholds.ResponseWindow, or the sequence fails with ReasonTimeout.
// Meanwhile the other challenges' detectors watch every observation at
// their "deliberate" levels (see [Thresholds]): Thresholds.MaxStrikes such
// wrong actions fail the sequence with ReasonUnexpected. A failed tracker
// ignores further observations.
//
// A Tracker is not safe for concurrent use; a session owns one.
type Tracker struct {
	seq      []ID
	th       Thresholds
	base     Baseline
	haveBase bool
	samples  []Observation
	idx      int
	det      *Detector
	frames   int
	last     time.Duration // time of the last observation, when frames > 0

	manual    bool
	announced bool          // the current challenge was announced
	announce  time.Duration // when, on the observations' clock
	monitors  [numIDs + 1]*Detector
	strikes   int
	failed    string
}

// NewTracker returns a tracker for seq (any non-empty list of valid IDs,
// usually from [NewSequence]). It fails with [ErrLength], [ErrUnknownID],
// [ErrThresholds] or [ErrNoBaseline].
func NewTracker(seq []ID, opts ...TrackerOption) (*Tracker, error) {
	var o trackerOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(seq) == 0 {
		return nil, fmt.Errorf("%w: empty sequence", ErrLength)
	}
	for _, id := range seq {
		if !id.Valid() {
			return nil, fmt.Errorf("%w %d", ErrUnknownID, int(id))
		}
	}
	if err := o.th.Validate(); err != nil {
		return nil, err
	}
	if o.haveBase {
		if err := o.base.validate(); err != nil {
			return nil, err
		}
	}
	t := &Tracker{seq: slices.Clone(seq), th: o.th.withDefaults(), base: o.base, haveBase: o.haveBase, manual: o.manual}
	if t.haveBase {
		t.next(nil)
	}
	return t, nil
}

// next sets up the detectors for the current challenge, not yet announced
// (unless announcements are automatic and an observation was seen). The
// new detectors see o, the observation that made the challenge current,
// as one from before the announcement: it tells whether the face was
// neutral when the prompt appeared.
func (t *Tracker) next(o *Observation) {
	t.announced = false
	t.det = t.detector(t.seq[t.idx], t.th)
	for _, id := range IDs() {
		t.monitors[id] = nil
		if id != t.seq[t.idx] && watched(t.seq[t.idx], id) {
			t.monitors[id] = t.detector(id, strikeThresholds(t.th, id))
		}
	}
	if !t.manual && t.frames > 0 {
		t.Announce(t.last)
	}
	if o != nil {
		t.det.Observe(*o)
		for _, m := range t.monitors {
			if m != nil {
				m.Observe(*o)
			}
		}
	}
}

// detector returns a fresh, unannounced detector for id. It knows the time
// of the last observation, so that its first frame already tells the
// cadence (and a gap) apart.
func (t *Tracker) detector(id ID, th Thresholds) *Detector {
	// Arguments were validated by NewTracker.
	// Armed from the start: the observation that made the challenge
	// current, and any before the announcement, disarm it if they show
	// the action under way.
	return &Detector{id: id, base: t.base, th: th, seen: t.frames > 0, last: t.last, announce: notYet, armed: true}
}

// watched reports whether id, done deliberately while asked is current,
// counts as a wrong action. BLINK never does (people blink); raised brows
// go with an open mouth and a smile; while the head turns or looks down,
// the expression measures are unreliable and brows move with the gaze;
// with an open mouth the head tilts back or down with the jaw.
func watched(asked, id ID) bool {
	switch {
	case id == Blink:
		return false
	case id == RaiseEyebrows:
		return asked == Blink || asked == TurnLeft || asked == TurnRight
	}
	switch asked {
	case TurnLeft, TurnRight:
		return id != Smile
	case LookDown:
		return id != Smile
	case OpenMouth:
		return id != LookDown
	case RaiseEyebrows:
		return id != OpenMouth
	}
	return true
}

// Strike returns the thresholds of the wrong-action watch for id: t with
// id's pass level raised to its deliberate level (see Thresholds.StrikeTurn
// and the fields after it). A detector for id with them passes where the
// tracker counts a strike.
func (t Thresholds) Strike(id ID) Thresholds { return strikeThresholds(t.withDefaults(), id) }

// strikeThresholds returns th with id's pass level raised to its
// deliberate level.
func strikeThresholds(th Thresholds, id ID) Thresholds {
	switch id {
	case TurnLeft, TurnRight:
		th.TurnYaw *= th.StrikeTurn
	case LookDown:
		th.LookDownPitch *= th.StrikeLookDown
	case Smile:
		th.SmileRatio = 1 + (th.SmileRatio-1)*th.StrikeSmile
	case OpenMouth:
		th.OpenMouthMARDelta *= th.StrikeOpenMouth
		th.OpenMouthMinMAR *= th.StrikeOpenMouth
	case RaiseEyebrows:
		th.BrowRatio = 1 + (th.BrowRatio-1)*th.StrikeBrow
		th.BrowMatchedRatio = 1 + (th.BrowMatchedRatio-1)*th.StrikeBrow
	}
	return th
}

// Announce records that the current challenge was shown to the user at
// time at (on the observations' clock). Only the first call per challenge
// counts; it does nothing while the baseline is being taken, once done or
// failed. Without [WithManualAnnounce] the tracker announces by itself.
func (t *Tracker) Announce(at time.Duration) {
	if t.announced || !t.haveBase || t.Done() || t.failed != "" {
		return
	}
	t.announced, t.announce = true, at
	t.det.Announce(at)
	for _, m := range t.monitors {
		if m != nil {
			m.Announce(at)
		}
	}
}

// Announced returns when the current challenge was announced, and false
// while none is (baseline, done, failed, or not yet announced).
func (t *Tracker) Announced() (time.Duration, bool) {
	if !t.announced || t.Done() || t.failed != "" {
		return 0, false
	}
	return t.announce, true
}

// Deadline returns the time by which the current challenge must pass, and
// false while no challenge is being timed.
func (t *Tracker) Deadline() (time.Duration, bool) {
	at, ok := t.Announced()
	return at + t.th.ResponseWindow, ok
}

// Strikes returns the number of wrong actions so far.
func (t *Tracker) Strikes() int { return t.strikes }

// Failed returns ReasonTimeout or ReasonUnexpected once the sequence
// failed, "" before.
func (t *Tracker) Failed() string { return t.failed }

// Sequence returns a copy of the challenge sequence.
func (t *Tracker) Sequence() []ID { return slices.Clone(t.seq) }

// Baseline returns the session baseline, and false while it is still being taken.
func (t *Tracker) Baseline() (Baseline, bool) { return t.base, t.haveBase }

// Current returns the current challenge and its index, and false once done.
func (t *Tracker) Current() (ID, int, bool) {
	if t.Done() {
		return 0, len(t.seq), false
	}
	return t.seq[t.idx], t.idx, true
}

// Done reports whether every challenge has passed.
func (t *Tracker) Done() bool { return t.idx >= len(t.seq) }

// Observe judges one observation and returns the step for it.
func (t *Tracker) Observe(o Observation) Step {
	t.frames++
	t.last = o.Time
	st := Step{Frame: t.frames, Index: t.idx}
	if t.Done() {
		st.Message, st.Hint, st.Done = msgAllDone, HintDone, true
		return st
	}
	st.Challenge = t.seq[t.idx]
	if t.failed != "" {
		st.Failed = t.failed
		st.Message, st.Hint = failMessage(t.failed)
		return st
	}
	if !t.haveBase {
		ok, hint, msg := Qualifies(o, t.th)
		st.Message, st.Hint = msg, hint
		if ok {
			t.samples = append(t.samples, o)
			if len(t.samples) == t.th.BaselineFrames {
				t.base, t.haveBase = baselineOf(t.samples), true
				t.samples = nil
				t.next(&o)
			}
		}
		return st
	}
	if !t.manual && !t.announced {
		// A baseline given up front: the first observation shows the prompt.
		t.Announce(o.Time)
	}
	if dl, ok := t.Deadline(); ok && o.Time > dl {
		return t.fail(st, ReasonTimeout)
	}
	for _, id := range IDs() {
		m := t.monitors[id]
		if m == nil || !m.Observe(o).Passed {
			continue
		}
		t.strikes++
		st.Strike = id
		m.Reset() // a new strike needs a return to neutral first
		if t.strikes >= t.th.MaxStrikes {
			return t.fail(st, ReasonUnexpected)
		}
	}
	v := t.det.Observe(o)
	st.Passed = v.Passed
	st.Confidence = math.Round(v.Confidence*1000) / 1000
	st.Message, st.Hint = v.Message, v.Hint
	if v.Passed {
		t.idx++
		if t.Done() {
			st.Done = true
		} else {
			t.next(&o)
		}
	}
	return st
}

// fail ends the sequence with reason and returns st marked failed.
func (t *Tracker) fail(st Step, reason string) Step {
	t.failed = reason
	st.Failed = reason
	st.Message, st.Hint = failMessage(reason)
	return st
}

func failMessage(reason string) (string, Hint) {
	if reason == ReasonTimeout {
		return msgTimeout, HintTimeout
	}
	return msgWrongMove, HintWrongMove
}

// Final returns the verdict over the observations seen so far.
func (t *Tracker) Final() Final {
	f := Final{Final: true, PassedChallenges: t.idx, TotalChallenges: len(t.seq)}
	switch {
	case t.Done():
		f.Passed, f.Reason = true, ReasonPassed
	case t.failed != "":
		f.Reason = t.failed
	case t.frames == 0:
		f.Reason = ReasonNoFrames
	case !t.haveBase:
		f.Reason = ReasonNoBaseline
	default:
		f.Reason = ReasonIncomplete
	}
	if !f.Passed {
		f.FailedChallenge = t.seq[t.idx]
	}
	return f
}

// Replay runs the challenge sequence seq over a recorded track of
// observations, as if they had been sent one by one, and returns one step
// per observation up to and including the one that completes the sequence,
// then the final verdict. Step.Frame is the 1-based position in obs.
func Replay(seq []ID, obs []Observation, opts ...TrackerOption) ([]Step, Final, error) {
	t, err := NewTracker(seq, opts...)
	if err != nil {
		return nil, Final{}, err
	}
	steps := make([]Step, 0, len(obs))
	for _, o := range obs {
		steps = append(steps, t.Observe(o))
		if t.Done() || t.Failed() != "" {
			break
		}
	}
	return steps, t.Final(), nil
}
