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
}

// Reasons given in [Final].
const (
	ReasonPassed     = "passed"      // every challenge passed
	ReasonNoFrames   = "no_frames"   // no observation at all
	ReasonNoBaseline = "no_baseline" // no observation qualified for the baseline
	ReasonIncomplete = "incomplete"  // the observations ended before every challenge passed
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
	t := &Tracker{seq: slices.Clone(seq), th: o.th.withDefaults(), base: o.base, haveBase: o.haveBase}
	if t.haveBase {
		t.det = t.detector()
	}
	return t, nil
}

// detector returns a fresh detector for the current challenge. It knows
// the time of the last observation, so that its first frame already tells
// the cadence (and a gap) apart.
func (t *Tracker) detector() *Detector {
	// Arguments were validated by NewTracker.
	return &Detector{id: t.seq[t.idx], base: t.base, th: t.th, seen: t.frames > 0, last: t.last}
}

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
	if !t.haveBase {
		ok, hint, msg := Qualifies(o, t.th)
		st.Message, st.Hint = msg, hint
		if ok {
			t.samples = append(t.samples, o)
			if len(t.samples) == t.th.BaselineFrames {
				t.base, t.haveBase = baselineOf(t.samples), true
				t.samples = nil
				t.det = t.detector()
			}
		}
		return st
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
			t.det = t.detector()
		}
	}
	return st
}

// Final returns the verdict over the observations seen so far.
func (t *Tracker) Final() Final {
	f := Final{Final: true, PassedChallenges: t.idx, TotalChallenges: len(t.seq)}
	switch {
	case t.Done():
		f.Passed, f.Reason = true, ReasonPassed
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
		if t.Done() {
			break
		}
	}
	return steps, t.Final(), nil
}
