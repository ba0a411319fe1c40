package liveness

import (
	"math"

	"github.com/openliveness/openliveness/spoof"
)

// ScoreFeatures are the session-level measurements the score of a session
// that completed its challenges is computed from (docs/engine.md,
// "Session score"). The zero value is a session without per-frame spoof
// scores. A ScoreFeatures is a plain value: safe to copy and to use from
// several goroutines.
type ScoreFeatures struct {
	// MeanLogit is the mean per-frame log-odds of live
	// (spoof.SessionSignals.MeanLogit).
	MeanLogit float64 `json:"mean_logit"`
	// MaxEvidence is the largest accumulated attack evidence of the
	// session (spoof.SessionSignals.MaxEvidence).
	MaxEvidence float64 `json:"max_evidence"`
	// AttackFraction is the share of scored frames below the per-frame
	// operating point (AttackFrames / Scored).
	AttackFraction float64 `json:"attack_fraction"`
	// Scored counts the frames with a per-frame spoof score.
	Scored int `json:"scored"`
}

// ScoreFeaturesOf returns the score features of a session's spoof state.
func ScoreFeaturesOf(sr spoof.SessionResult) ScoreFeatures {
	f := ScoreFeatures{
		MeanLogit:   sr.Signals.MeanLogit,
		MaxEvidence: sr.Signals.MaxEvidence,
		Scored:      sr.Signals.Scored,
	}
	if sr.Signals.Scored > 0 {
		f.AttackFraction = float64(sr.Signals.AttackFrames) / float64(sr.Signals.Scored)
	}
	return f
}

// The session score model: a logistic regression on the mean per-frame
// log-odds, fitted on session-level data of ../shared/facedata by
// TestEvalSessionScore (examples/analyze), which refits it, grades it
// leave one person out and fails when these coefficients drift from the
// fit. MaxEvidence and AttackFraction did not improve the held-out
// calibration and are not used.
const (
	scoreBias      = -4.19
	scoreMeanLogit = 3.79
)

// Vector returns the model inputs, in the order of ScoreCoefficients'
// weights.
func (f ScoreFeatures) Vector() []float64 {
	return []float64{f.MeanLogit}
}

// ScoreCoefficients returns the bias and the weights of Vector.
func ScoreCoefficients() []float64 {
	return []float64{scoreBias, scoreMeanLogit}
}

// LiveProbability returns the calibrated probability, 0 to 1, that a live
// person completed a session with these features, given that it
// completed its challenges without a presentation-attack failure, at even
// prior odds of live and attack sessions. A session without per-frame
// spoof scores (Scored 0: no spoof detector) has no evidence either way
// and gets 1, leaving the score to the challenges.
func (f ScoreFeatures) LiveProbability() float64 {
	if f.Scored == 0 {
		return 1
	}
	w := ScoreCoefficients()
	z := w[0]
	for i, x := range f.Vector() {
		z += w[i+1] * x
	}
	return 1 / (1 + math.Exp(-z))
}
