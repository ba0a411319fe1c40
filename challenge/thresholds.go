package challenge

import (
	"fmt"
	"time"
)

// Thresholds holds every number the baseline and the detectors decide with.
// Ratios are relative to the session's [Baseline] (the person's own resting
// face), angles are in degrees measured from the baseline pose, durations
// are measured on Observation.Time.
//
// A zero field takes its default (see [DefaultThresholds]), so
// Thresholds{TurnYaw: 25} changes one threshold only. Thresholds is a plain
// value, safe to copy and share.
//
// The defaults suit the measures of this module's face package (MediaPipe
// face-mesh landmarks); they were set on the evaluation data described in
// docs/challenges.md. Other landmark sources scale the ratios differently (a 68-point
// EAR drops less when the eyes close, for example) and should re-calibrate.
type Thresholds struct {
	// Baseline: the first BaselineFrames observations with one face that is
	// frontal (|Yaw| <= BaselineMaxYaw, |Pitch| <= BaselineMaxPitch, absolute
	// angles), with open eyes (both EAR >= BaselineMinEAR) and a closed
	// mouth (MAR <= BaselineMaxMAR); the baseline is their per-measure median.
	BaselineFrames   int     // default 3
	BaselineMaxYaw   float64 // default 15°
	BaselineMaxPitch float64 // default 15°
	BaselineMinEAR   float64 // default 0.15 (absolute EAR)
	BaselineMaxMAR   float64 // default 0.15 (absolute MAR)

	// Gates applied to every challenge.
	MinFaceWidthFrac float64       // default 0.12: smaller faces get "Move closer" (when FaceWidthFrac is known)
	FrontalYaw       float64       // default 15°: non-turn challenges need |Yaw−base| <= FrontalYaw
	FrontalPitch     float64       // default 15°: non-turn, non-look-down challenges need |Pitch−base| <= FrontalPitch
	MaxFrameGap      time.Duration // default 2s: a longer gap between frames restarts holds
	// HoldRelease: a hold starts when a challenge's progress reaches 1 (its
	// threshold) and continues while progress stays >= HoldRelease
	// (hysteresis against jitter). Default 0.8.
	HoldRelease float64

	// BLINK: eyes count as closed when the mean EAR is below
	// EyesClosedRatio × baseline EAR and each eye is below
	// EyeClosedMaxRatio × its baseline (so a wink is not a blink); open when
	// the mean EAR is above EyesOpenRatio × baseline. The challenge passes on
	// open → closed → open, at any frame rate.
	EyesClosedRatio   float64 // default 0.5
	EyeClosedMaxRatio float64 // default 0.75
	EyesOpenRatio     float64 // default 0.85
	// SlowCadence: when frames arrive further apart than this, a natural
	// blink falls between frames, so the BLINK message asks the user to
	// close their eyes for a second instead. Default 250ms.
	SlowCadence time.Duration

	// TURN_LEFT / TURN_RIGHT: Yaw beyond TurnYaw from the baseline, in the
	// asked direction, held for TurnHold, with |Pitch−base| <= TurnMaxPitch.
	TurnYaw      float64       // default 12°
	TurnHold     time.Duration // default 300ms
	TurnMaxPitch float64       // default 20°
	// WrongWay: a turn (or, for LOOK_DOWN, a pitch) this far from the
	// baseline in the direction opposite to the one asked gets "Turn the
	// other way" ("Look down, not up"). Default 10°.
	WrongWay float64

	// LOOK_DOWN: Pitch below the baseline by LookDownPitch, held for
	// LookDownHold, with |Yaw−base| <= LookDownMaxYaw. Only the pose counts,
	// never the eye aspect ratio (which also drops when looking down).
	LookDownPitch  float64       // default 10°
	LookDownHold   time.Duration // default 300ms
	LookDownMaxYaw float64       // default 15°

	// SMILE: Smile >= SmileRatio × baseline Smile, held for SmileHold.
	SmileRatio float64       // default 1.15
	SmileHold  time.Duration // default 300ms

	// OPEN_MOUTH: MAR >= baseline MAR + OpenMouthMARDelta and MAR >=
	// OpenMouthMinMAR, held for OpenMouthHold, while the mouth is not
	// widened into a smile (Smile < OpenMouthMaxSmileRatio × baseline: a
	// wide-open mouth narrows, a broad smile showing the teeth widens and
	// also parts the lips). It rests on the mouth opening (MAR); the mouth
	// width only vetoes.
	OpenMouthMARDelta      float64       // default 0.15
	OpenMouthMinMAR        float64       // default 0.20
	OpenMouthMaxSmileRatio float64       // default 1.12
	OpenMouthHold          time.Duration // default 300ms

	// RAISE_EYEBROWS: Brow >= BrowRatio × baseline Brow, held for BrowHold,
	// counted only while the eyes are open (mean EAR >= BrowMinEyeRatio ×
	// baseline), so closing the eyes never passes.
	//
	// While the eye region still looks as it did at baseline (the
	// observation's and the baseline's eye bands correlate at BrowMatch or
	// more: same lighting, no glasses put on or taken off), the brow
	// landmarks are measured against an unchanged background, and the
	// smaller BrowMatchedRatio applies instead. Without eye bands only
	// BrowRatio applies; BrowMatchedRatio = BrowRatio disables the rule.
	BrowRatio        float64       // default 1.11
	BrowMatchedRatio float64       // default 1.07, or BrowRatio if that is lower
	BrowMatch        float64       // default 0.93
	BrowHold         time.Duration // default 300ms
	BrowMinEyeRatio  float64       // default 0.8

	// Response window: a challenge counts only if its action starts after
	// the challenge was announced (see [Tracker.Announce]) and completes
	// within ResponseWindow of the announcement; a challenge still open
	// later fails the sequence with ReasonTimeout. Default 5s: a prompt
	// read in 0.3–1.5 s, an action with its 300 ms hold, and at an 800 ms
	// cadence two more frames, leave about 1.5 s to spare, while a
	// recording gets as little time as possible to show the action by
	// chance (see docs/challenges.md).
	ResponseWindow time.Duration
	// NeutralProgress: an action seen under way before the announcement
	// (at HoldRelease or more of its threshold) counts only after its
	// signal was seen back near the baseline, at or below this fraction of
	// the way to its threshold (for BLINK: eyes closed before the
	// announcement must open first). An action held over from before the
	// announcement therefore never passes. Default 0.5.
	NeutralProgress float64
	// BlinkClosedHold: BLINK needs the eyes seen closed over at least this
	// span (from the first to the last closed frame of one closure) before
	// they reopen. A natural blink (100–300 ms, closed below
	// EyesClosedRatio for even less) falls short; a closure on cue of about
	// a second passes. At an 800 ms cadence this means two closed frames in
	// a row, so the message asks for two seconds. Default 500ms.
	BlinkClosedHold time.Duration

	// Wrong actions: while a challenge is current, every other challenge's
	// detector watches the frames at a "deliberate" level, a multiple of
	// its own threshold (StrikeTurn × TurnYaw, StrikeLookDown ×
	// LookDownPitch, 1 + StrikeSmile × (SmileRatio−1), StrikeOpenMouth ×
	// the OPEN_MOUTH rise and minimum, 1 + StrikeBrow × (BrowRatio−1)),
	// started after the announcement from a neutral face and held for that
	// challenge's hold time. Each such action is a strike; MaxStrikes
	// strikes fail the sequence with ReasonUnexpected. BLINK is never a
	// strike (people blink), and actions that go with the one asked (brows
	// with an open mouth or a smile, expressions while the head is turned)
	// are not watched; see docs/challenges.md for the levels and how they
	// were chosen (above the highest level each signal reaches, held, in
	// the bona fide recordings of people talking unprompted). Defaults 2.6
	// (31°), 2 (20°), 2.2 (×1.33), 1.5 (MAR +0.225 and 0.30), 5.6 (×1.62:
	// brows move a lot in speech) and MaxStrikes 2.
	StrikeTurn      float64
	StrikeLookDown  float64
	StrikeSmile     float64
	StrikeOpenMouth float64
	StrikeBrow      float64
	MaxStrikes      int
}

// DefaultThresholds returns the default thresholds, with every field set.
func DefaultThresholds() Thresholds {
	return Thresholds{
		BaselineFrames:   3,
		BaselineMaxYaw:   15,
		BaselineMaxPitch: 15,
		BaselineMinEAR:   0.15,
		BaselineMaxMAR:   0.15,

		MinFaceWidthFrac: 0.12,
		FrontalYaw:       15,
		FrontalPitch:     15,
		MaxFrameGap:      2 * time.Second,
		HoldRelease:      0.8,

		EyesClosedRatio:   0.5,
		EyeClosedMaxRatio: 0.75,
		EyesOpenRatio:     0.85,
		SlowCadence:       250 * time.Millisecond,

		TurnYaw:      12,
		TurnHold:     300 * time.Millisecond,
		TurnMaxPitch: 20,
		WrongWay:     10,

		LookDownPitch:  10,
		LookDownHold:   300 * time.Millisecond,
		LookDownMaxYaw: 15,

		SmileRatio: 1.15,
		SmileHold:  300 * time.Millisecond,

		OpenMouthMARDelta:      0.15,
		OpenMouthMinMAR:        0.20,
		OpenMouthMaxSmileRatio: 1.12,
		OpenMouthHold:          300 * time.Millisecond,

		BrowRatio:        1.11,
		BrowMatchedRatio: 1.07,
		BrowMatch:        0.93,
		BrowHold:         300 * time.Millisecond,
		BrowMinEyeRatio:  0.8,

		ResponseWindow:  5 * time.Second,
		NeutralProgress: 0.5,
		BlinkClosedHold: 500 * time.Millisecond,

		StrikeTurn:      2.6,
		StrikeLookDown:  2,
		StrikeSmile:     2.2,
		StrikeOpenMouth: 1.5,
		StrikeBrow:      5.6,
		MaxStrikes:      2,
	}
}

// withDefaults returns t with every zero field replaced by its default.
func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	setI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setI(&t.BaselineFrames, d.BaselineFrames)
	setF(&t.BaselineMaxYaw, d.BaselineMaxYaw)
	setF(&t.BaselineMaxPitch, d.BaselineMaxPitch)
	setF(&t.BaselineMinEAR, d.BaselineMinEAR)
	setF(&t.BaselineMaxMAR, d.BaselineMaxMAR)
	setF(&t.MinFaceWidthFrac, d.MinFaceWidthFrac)
	setF(&t.FrontalYaw, d.FrontalYaw)
	setF(&t.FrontalPitch, d.FrontalPitch)
	setD(&t.MaxFrameGap, d.MaxFrameGap)
	setF(&t.HoldRelease, d.HoldRelease)
	setF(&t.EyesClosedRatio, d.EyesClosedRatio)
	setF(&t.EyeClosedMaxRatio, d.EyeClosedMaxRatio)
	setF(&t.EyesOpenRatio, d.EyesOpenRatio)
	setD(&t.SlowCadence, d.SlowCadence)
	setF(&t.TurnYaw, d.TurnYaw)
	setD(&t.TurnHold, d.TurnHold)
	setF(&t.TurnMaxPitch, d.TurnMaxPitch)
	setF(&t.WrongWay, d.WrongWay)
	setF(&t.LookDownPitch, d.LookDownPitch)
	setD(&t.LookDownHold, d.LookDownHold)
	setF(&t.LookDownMaxYaw, d.LookDownMaxYaw)
	setF(&t.SmileRatio, d.SmileRatio)
	setD(&t.SmileHold, d.SmileHold)
	setF(&t.OpenMouthMARDelta, d.OpenMouthMARDelta)
	setF(&t.OpenMouthMinMAR, d.OpenMouthMinMAR)
	setF(&t.OpenMouthMaxSmileRatio, d.OpenMouthMaxSmileRatio)
	setD(&t.OpenMouthHold, d.OpenMouthHold)
	setF(&t.BrowRatio, d.BrowRatio)
	// A BrowRatio set below the default matched ratio lowers it too.
	setF(&t.BrowMatchedRatio, min(d.BrowMatchedRatio, t.BrowRatio))
	setF(&t.BrowMatch, d.BrowMatch)
	setD(&t.BrowHold, d.BrowHold)
	setF(&t.BrowMinEyeRatio, d.BrowMinEyeRatio)
	setD(&t.ResponseWindow, d.ResponseWindow)
	setF(&t.NeutralProgress, d.NeutralProgress)
	setD(&t.BlinkClosedHold, d.BlinkClosedHold)
	setF(&t.StrikeTurn, d.StrikeTurn)
	setF(&t.StrikeLookDown, d.StrikeLookDown)
	setF(&t.StrikeSmile, d.StrikeSmile)
	setF(&t.StrikeOpenMouth, d.StrikeOpenMouth)
	setF(&t.StrikeBrow, d.StrikeBrow)
	setI(&t.MaxStrikes, d.MaxStrikes)
	return t
}

// Validate reports whether t (after defaults are applied to zero fields) is
// consistent: positive angles, durations and counts, EyesClosedRatio <
// EyesOpenRatio, EyesClosedRatio <= EyeClosedMaxRatio, SmileRatio and
// BrowRatio above 1, BrowMatchedRatio in (1, BrowRatio], BrowMatch and
// HoldRelease in (0, 1]. Errors wrap [ErrThresholds].
func (t Thresholds) Validate() error {
	t = t.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrThresholds}, args...)...)
	}
	for _, c := range []struct {
		name string
		v    float64
	}{
		{"BaselineFrames", float64(t.BaselineFrames)},
		{"BaselineMaxYaw", t.BaselineMaxYaw}, {"BaselineMaxPitch", t.BaselineMaxPitch},
		{"BaselineMinEAR", t.BaselineMinEAR}, {"BaselineMaxMAR", t.BaselineMaxMAR},
		{"MinFaceWidthFrac", t.MinFaceWidthFrac}, {"FrontalYaw", t.FrontalYaw}, {"FrontalPitch", t.FrontalPitch},
		{"MaxFrameGap", float64(t.MaxFrameGap)}, {"HoldRelease", t.HoldRelease},
		{"EyesClosedRatio", t.EyesClosedRatio}, {"EyeClosedMaxRatio", t.EyeClosedMaxRatio},
		{"EyesOpenRatio", t.EyesOpenRatio}, {"SlowCadence", float64(t.SlowCadence)},
		{"TurnYaw", t.TurnYaw}, {"TurnHold", float64(t.TurnHold)}, {"TurnMaxPitch", t.TurnMaxPitch},
		{"WrongWay", t.WrongWay},
		{"LookDownPitch", t.LookDownPitch}, {"LookDownHold", float64(t.LookDownHold)},
		{"LookDownMaxYaw", t.LookDownMaxYaw},
		{"SmileRatio", t.SmileRatio}, {"SmileHold", float64(t.SmileHold)},
		{"OpenMouthMARDelta", t.OpenMouthMARDelta}, {"OpenMouthMinMAR", t.OpenMouthMinMAR},
		{"OpenMouthMaxSmileRatio", t.OpenMouthMaxSmileRatio},
		{"OpenMouthHold", float64(t.OpenMouthHold)},
		{"BrowRatio", t.BrowRatio}, {"BrowMatchedRatio", t.BrowMatchedRatio}, {"BrowMatch", t.BrowMatch},
		{"BrowHold", float64(t.BrowHold)}, {"BrowMinEyeRatio", t.BrowMinEyeRatio},
		{"ResponseWindow", float64(t.ResponseWindow)}, {"NeutralProgress", t.NeutralProgress},
		{"BlinkClosedHold", float64(t.BlinkClosedHold)},
		{"StrikeTurn", t.StrikeTurn}, {"StrikeLookDown", t.StrikeLookDown}, {"StrikeSmile", t.StrikeSmile},
		{"StrikeOpenMouth", t.StrikeOpenMouth}, {"StrikeBrow", t.StrikeBrow}, {"MaxStrikes", float64(t.MaxStrikes)},
	} {
		if !(c.v > 0) {
			return bad("%s must be positive, got %v", c.name, c.v)
		}
	}
	switch {
	case t.HoldRelease > 1:
		return bad("HoldRelease %v above 1", t.HoldRelease)
	case t.EyesClosedRatio >= t.EyesOpenRatio:
		return bad("EyesClosedRatio %v not below EyesOpenRatio %v", t.EyesClosedRatio, t.EyesOpenRatio)
	case t.EyeClosedMaxRatio < t.EyesClosedRatio:
		return bad("EyeClosedMaxRatio %v below EyesClosedRatio %v", t.EyeClosedMaxRatio, t.EyesClosedRatio)
	case t.SmileRatio <= 1:
		return bad("SmileRatio %v not above 1", t.SmileRatio)
	case t.BrowRatio <= 1:
		return bad("BrowRatio %v not above 1", t.BrowRatio)
	case t.BrowMatchedRatio <= 1 || t.BrowMatchedRatio > t.BrowRatio:
		return bad("BrowMatchedRatio %v not in (1, BrowRatio %v]", t.BrowMatchedRatio, t.BrowRatio)
	case t.BrowMatch > 1:
		return bad("BrowMatch %v above 1", t.BrowMatch)
	case t.NeutralProgress >= t.HoldRelease:
		return bad("NeutralProgress %v not below HoldRelease %v", t.NeutralProgress, t.HoldRelease)
	case min(t.StrikeTurn, t.StrikeLookDown, t.StrikeSmile, t.StrikeOpenMouth, t.StrikeBrow) < 1:
		return bad("strike levels must be at least 1 (the pass threshold)")
	}
	return nil
}
