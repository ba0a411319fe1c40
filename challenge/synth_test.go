package challenge_test

import (
	"math/rand/v2"
	"time"

	"github.com/openliveness/openliveness/challenge"
)

// neutral is a resting frontal face with typical face-mesh measures.
var neutral = challenge.Observation{
	FaceCount: 1,
	EARLeft:   0.29, EARRight: 0.30,
	MAR:           0.02,
	Smile:         0.40,
	Brow:          0.10,
	FaceWidthFrac: 0.35,
}

// phase is a span of time during which the face is in one state.
type phase struct {
	dur time.Duration
	set func(*challenge.Observation) // nil: neutral
}

// noise is the standard deviation of the Gaussian jitter added to each measure.
type noise struct {
	pose, ear, mar, smile, brow float64
}

var (
	clean = noise{}
	jitty = noise{pose: 1.5, ear: 0.008, mar: 0.01, smile: 0.006, brow: 0.002}
)

// synth samples phases every cadence from t = 0 to the end of the last
// phase, adding jitter from a PRNG seeded with seed.
func synth(cadence time.Duration, nz noise, seed uint64, phases ...phase) []challenge.Observation {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var total time.Duration
	for _, p := range phases {
		total += p.dur
	}
	var obs []challenge.Observation
	for t := time.Duration(0); t < total; t += cadence {
		o := neutral
		var end time.Duration
		for _, p := range phases {
			end += p.dur
			if t < end {
				if p.set != nil {
					p.set(&o)
				}
				break
			}
		}
		o.Time = t
		g := func(sd float64) float64 { return rng.NormFloat64() * sd }
		o.Yaw += g(nz.pose)
		o.Pitch += g(nz.pose)
		o.Roll += g(nz.pose)
		o.EARLeft += g(nz.ear)
		o.EARRight += g(nz.ear)
		o.MAR = max(0, o.MAR+g(nz.mar))
		o.Smile += g(nz.smile)
		o.Brow += g(nz.brow)
		obs = append(obs, o)
	}
	return obs
}

func rest(d time.Duration) phase { return phase{dur: d} }

func act(d time.Duration, set func(*challenge.Observation)) phase { return phase{dur: d, set: set} }

// Actions on top of neutral.
func eyesClosed(o *challenge.Observation) { o.EARLeft, o.EARRight = 0.07, 0.08 }
func wink(o *challenge.Observation)       { o.EARLeft = 0.06 }
func yaw(deg float64) func(*challenge.Observation) {
	return func(o *challenge.Observation) { o.Yaw = deg }
}
func pitch(deg float64) func(*challenge.Observation) {
	return func(o *challenge.Observation) { o.Pitch = deg }
}
func smiling(o *challenge.Observation) { o.Smile = 0.49; o.MAR = 0.06 }

// smileTeeth is a broad smile showing the teeth: wide mouth, some opening.
func smileTeeth(o *challenge.Observation) { o.Smile = 0.50; o.MAR = 0.25 }
func mouthOpen(o *challenge.Observation)  { o.MAR = 0.55; o.Smile = 0.36 }
func browsUp(o *challenge.Observation)    { o.Brow = 0.125; o.EARLeft, o.EARRight = 0.33, 0.34 }

// lookingDown is a real look-down: the pitch drops and the eyelids lower,
// which lowers the EAR too.
func lookingDown(o *challenge.Observation) {
	o.Pitch = -25
	o.EARLeft, o.EARRight = 0.16, 0.17
}

func both(fs ...func(*challenge.Observation)) func(*challenge.Observation) {
	return func(o *challenge.Observation) {
		for _, f := range fs {
			f(o)
		}
	}
}

// baseline is the baseline of the neutral face.
func baseline() challenge.Baseline {
	b, err := challenge.NewBaseline([]challenge.Observation{neutral}, challenge.Thresholds{})
	if err != nil {
		panic(err)
	}
	return b
}
