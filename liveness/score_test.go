package liveness_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

func TestLiveProbability(t *testing.T) {
	tests := []struct {
		name string
		sr   spoof.SessionResult
		want float64
	}{
		{"no per-frame scores", spoof.SessionResult{Score: 1}, 1},
		{"every frame at the cap", spoof.SessionResult{Signals: spoof.SessionSignals{Scored: 20, MeanLogit: 3}}, 0.9992},
		{"the midpoint", spoof.SessionResult{Signals: spoof.SessionSignals{Scored: 20, MeanLogit: 4.19 / 3.79}}, 0.5},
		{"a mean log-odds of 1", spoof.SessionResult{Signals: spoof.SessionSignals{Scored: 20, MeanLogit: 1}}, 0.401},
		{"attack frames", spoof.SessionResult{Signals: spoof.SessionSignals{Scored: 20, MeanLogit: -3, AttackFrames: 20}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := liveness.ScoreFeaturesOf(tt.sr)
			assert.InDelta(t, tt.want, f.LiveProbability(), 0.0005)
		})
	}
	f := liveness.ScoreFeaturesOf(spoof.SessionResult{Signals: spoof.SessionSignals{Scored: 10, AttackFrames: 4, MeanLogit: 2, MaxEvidence: 5}})
	assert.Equal(t, liveness.ScoreFeatures{MeanLogit: 2, MaxEvidence: 5, AttackFraction: 0.4, Scored: 10}, f)
	assert.Len(t, liveness.ScoreCoefficients(), len(f.Vector())+1)
}
