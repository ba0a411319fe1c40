package spoof

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A flat face (a photograph's landmarks) that turns to a pose off the
// reference one and stays there, or swings between two such poses, gives
// the same planar measurements again and again: each pose counts once
// (PlanarStep), as for a head held nearly still, whose parallax is too
// small for the texture test. The same flat face kept turning is a
// photograph moved in front of the camera and still fails within 15
// frames.
func TestSessionPlanarStep(t *testing.T) {
	held := func(i int) (float64, float64) { return 15, 5 }
	swing := func(i int) (float64, float64) {
		if i/7%2 == 0 {
			return 15, 5
		}
		return -12, 8
	}
	turn := func(i int) (float64, float64) {
		ph := float64(i) / 25 * math.Pi // a turn every 2 s
		return 30 * math.Sin(ph), 12 * math.Sin(0.7*ph)
	}
	def := DefaultSessionThresholds().PlanarStep
	for _, tc := range []struct {
		name      string
		step      float64
		pose      func(i int) (yaw, pitch float64)
		fail      bool
		maxPlanar int
	}{
		{"held pose", def, held, false, 1},
		{"held pose, every planar frame counted", 0, held, true, 0},
		{"two poses in turn", def, swing, false, 2},
		{"two poses in turn, every planar frame counted", 0, swing, true, 0},
		{"turning photo", def, turn, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(8, 5))
			flat := headPoints(rng, 200)
			for i := range flat {
				flat[i][2] = 0
			}
			th := DefaultSessionThresholds()
			th.PlanarStep = tc.step
			s := NewSession(WithSessionThresholds(th))
			var res SessionResult
			for i := 0; i < 60 && !res.Failed; i++ {
				yaw, pitch := 0.0, 0.0 // the reference frame faces the camera
				if i > 0 {
					yaw, pitch = tc.pose(i)
				}
				pts := project(flat, yaw, pitch, 320, 240, rng, 0.4)
				res = s.Observe(FrameInfo{Time: time.Duration(i) * frameStep, Box: boundsOf(pts), Points: pts})
			}
			if !tc.fail {
				assert.False(t, res.Failed, "%+v", res)
				assert.LessOrEqual(t, res.Signals.PlanarFrames, tc.maxPlanar, "each pose counts once: %+v", res.Signals)
				return
			}
			require.True(t, res.Failed, "%+v", res.Signals)
			assert.Equal(t, CausePlanar, res.Cause)
			assert.Less(t, res.FailedAt, 15)
		})
	}
}
