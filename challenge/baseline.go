package challenge

import (
	"fmt"
	"math"
	"slices"
)

// Baseline is the person's resting face for one session: every detector
// decision is relative to it, because resting eye and mouth shapes differ
// between people. Each field is the median of that measure over the
// qualifying observations (see Thresholds.BaselineFrames), which makes it
// robust to a stray blink or a jittery frame.
//
// Baseline is a plain value, safe to copy and share; copies share EyeBand,
// which must not be modified.
type Baseline struct {
	EAR, EARLeft, EARRight float64 // mean and per-eye (user's own left/right) eye aspect ratios
	MAR, Smile, Brow       float64
	Yaw, Pitch, Roll       float64 // resting pose, user's point of view, degrees
	FaceWidthFrac          float64
	Frames                 int // number of observations the medians were taken over
	// EyeBand is the per-cell median of the observations' eye bands, nil
	// unless every one of them had a band of the same size.
	EyeBand []uint8 `json:",omitempty"`
}

// Qualifies reports whether o can serve as a baseline frame under th: one
// face, finite measures, frontal (absolute |Yaw| and |Pitch| within
// BaselineMaxYaw/BaselineMaxPitch), both eyes open (EAR >= BaselineMinEAR),
// mouth closed (MAR <= BaselineMaxMAR), positive Smile and Brow, and a face
// big enough when FaceWidthFrac is known. When it does not, the returned
// [Hint] and message tell the user what to change.
func Qualifies(o Observation, th Thresholds) (ok bool, hint Hint, message string) {
	th = th.withDefaults()
	if h, msg, ok := gateFace(o, th); !ok {
		return false, h, msg
	}
	switch {
	case math.Abs(o.Yaw) > th.BaselineMaxYaw || math.Abs(o.Pitch) > th.BaselineMaxPitch:
		return false, HintFaceCamera, msgLookStraight
	case o.EARLeft < th.BaselineMinEAR || o.EARRight < th.BaselineMinEAR:
		return false, HintOpenEyes, msgOpenEyes
	case o.MAR > th.BaselineMaxMAR:
		return false, HintCloseMouth, msgCloseMouth
	case !(o.Smile > 0) || !(o.Brow > 0):
		return false, HintFaceCamera, msgLookStraight
	}
	return true, HintBaseline, msgLookStraight
}

// NewBaseline computes a baseline from the first th.BaselineFrames
// observations in obs that qualify (see [Qualifies]); fewer are enough, down
// to one (a single neutral photograph). It returns an error wrapping
// [ErrNoBaseline] when none qualifies.
func NewBaseline(obs []Observation, th Thresholds) (Baseline, error) {
	th = th.withDefaults()
	var use []Observation
	for _, o := range obs {
		if ok, _, _ := Qualifies(o, th); ok {
			use = append(use, o)
			if len(use) == th.BaselineFrames {
				break
			}
		}
	}
	if len(use) == 0 {
		return Baseline{}, fmt.Errorf("%w: none of %d observations shows one frontal neutral face with open eyes", ErrNoBaseline, len(obs))
	}
	return baselineOf(use), nil
}

// baselineOf returns the per-measure medians of obs (non-empty).
func baselineOf(obs []Observation) Baseline {
	med := func(f func(Observation) float64) float64 {
		v := make([]float64, len(obs))
		for i, o := range obs {
			v[i] = f(o)
		}
		slices.Sort(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	return Baseline{
		EAR:           med(Observation.EAR),
		EARLeft:       med(func(o Observation) float64 { return o.EARLeft }),
		EARRight:      med(func(o Observation) float64 { return o.EARRight }),
		MAR:           med(func(o Observation) float64 { return o.MAR }),
		Smile:         med(func(o Observation) float64 { return o.Smile }),
		Brow:          med(func(o Observation) float64 { return o.Brow }),
		Yaw:           med(func(o Observation) float64 { return o.Yaw }),
		Pitch:         med(func(o Observation) float64 { return o.Pitch }),
		Roll:          med(func(o Observation) float64 { return o.Roll }),
		FaceWidthFrac: med(func(o Observation) float64 { return o.FaceWidthFrac }),
		Frames:        len(obs),
		EyeBand:       medianBand(obs),
	}
}

// medianBand returns the per-cell median of the observations' eye bands, or
// nil unless all have one of the same size.
func medianBand(obs []Observation) []uint8 {
	n := len(obs[0].EyeBand)
	for _, o := range obs {
		if n == 0 || len(o.EyeBand) != n {
			return nil
		}
	}
	out := make([]uint8, n)
	col := make([]uint8, len(obs))
	for i := range out {
		for k, o := range obs {
			col[k] = o.EyeBand[i]
		}
		slices.Sort(col)
		// Lower median for an even count: a value that was observed.
		out[i] = col[(len(col)-1)/2]
	}
	return out
}

// EyeBandMatch returns the normalised correlation (-1..1) between o's eye
// band and the baseline's: near 1 when the eye region looks as it did at
// baseline, lower with other lighting, glasses put on or taken off, or the
// eyes shut. ok is false when either band is missing, their sizes differ,
// or one is uniform.
func (b Baseline) EyeBandMatch(o Observation) (match float64, ok bool) {
	return correlate(b.EyeBand, o.EyeBand)
}

// correlate is the Pearson correlation of two equal-length byte vectors.
func correlate(a, c []uint8) (float64, bool) {
	if len(a) == 0 || len(a) != len(c) {
		return 0, false
	}
	var sa, sc float64
	for i := range a {
		sa += float64(a[i])
		sc += float64(c[i])
	}
	ma, mc := sa/float64(len(a)), sc/float64(len(a))
	var sac, saa, scc float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(c[i])-mc
		sac += x * y
		saa += x * x
		scc += y * y
	}
	if saa == 0 || scc == 0 {
		return 0, false
	}
	return sac / math.Sqrt(saa*scc), true
}

// validate reports whether b can anchor the detectors: finite values and
// positive EAR (both eyes), Smile and Brow, non-negative MAR.
func (b Baseline) validate() error {
	for _, v := range [...]float64{b.EAR, b.EARLeft, b.EARRight, b.MAR, b.Smile, b.Brow, b.Yaw, b.Pitch, b.Roll, b.FaceWidthFrac} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: non-finite value in %+v", ErrNoBaseline, b)
		}
	}
	if !(b.EAR > 0 && b.EARLeft > 0 && b.EARRight > 0 && b.Smile > 0 && b.Brow > 0) || b.MAR < 0 {
		return fmt.Errorf("%w: EAR, Smile and Brow must be positive and MAR non-negative in %+v", ErrNoBaseline, b)
	}
	return nil
}

// EyeOpenness returns o's mean eye aspect ratio relative to the baseline
// (1 = as open as at rest, 0 = fully closed).
func (b Baseline) EyeOpenness(o Observation) float64 { return o.EAR() / b.EAR }

// EyesClosed reports whether o shows both eyes closed relative to b under
// th: mean EAR below EyesClosedRatio × b.EAR and each eye below
// EyeClosedMaxRatio × its own baseline (a wink does not count). It does not
// check the face count or the pose; the BLINK detector does.
func (b Baseline) EyesClosed(o Observation, th Thresholds) bool {
	th = th.withDefaults()
	return o.EAR() < th.EyesClosedRatio*b.EAR &&
		o.EARLeft < th.EyeClosedMaxRatio*b.EARLeft &&
		o.EARRight < th.EyeClosedMaxRatio*b.EARRight
}
