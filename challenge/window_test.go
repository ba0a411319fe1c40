package challenge_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

// actions maps each challenge to a synthetic action that passes it.
var actions = map[challenge.ID]func(*challenge.Observation){
	challenge.Blink:         eyesClosed,
	challenge.Smile:         smiling,
	challenge.TurnLeft:      yaw(30),
	challenge.TurnRight:     yaw(-30),
	challenge.OpenMouth:     mouthOpen,
	challenge.LookDown:      lookingDown,
	challenge.RaiseEyebrows: browsUp,
}

// announced returns a tracker for seq with the neutral baseline whose
// challenges the test announces itself, as the engine does.
func announced(t *testing.T, seq ...challenge.ID) *challenge.Tracker {
	t.Helper()
	tr, err := challenge.NewTracker(seq, challenge.WithBaseline(baseline()), challenge.WithManualAnnounce())
	require.NoError(t, err)
	return tr
}

// feed observes obs in order, announcing the current challenge at the time
// of the first observation at or after each announcement time in at (one
// per challenge), and returns the steps.
func feed(tr *challenge.Tracker, obs []challenge.Observation, at ...time.Duration) []challenge.Step {
	var steps []challenge.Step
	for _, o := range obs {
		steps = append(steps, tr.Observe(o))
		_, idx, ok := tr.Current()
		if _, done := tr.Announced(); ok && !done && idx < len(at) && o.Time >= at[idx] {
			tr.Announce(o.Time)
		}
	}
	return steps
}

func TestSequenceFamilies(t *testing.T) {
	for n := 3; n <= challenge.MaxLength; n++ {
		for seed := range uint64(300) {
			seq, err := challenge.NewSequence(n, &challenge.SequenceOptions{Rand: seeded(seed)})
			require.NoError(t, err)
			for i := 1; i < len(seq); i++ {
				require.NotEqual(t, seq[i-1].Family(), seq[i].Family(), "n %d seed %d: %v", n, seed, seq)
			}
		}
	}
	// Head and eyes only: alternation is possible at length 3 (head, eyes, head).
	allow := []challenge.ID{challenge.Blink, challenge.TurnLeft, challenge.TurnRight}
	for seed := range uint64(100) {
		seq, err := challenge.NewSequence(3, &challenge.SequenceOptions{Allow: allow, Rand: seeded(seed)})
		require.NoError(t, err)
		assert.Equal(t, challenge.Blink, seq[1], "seed %d: %v", seed, seq)
	}
	// One family only: the rule cannot hold, the draw still succeeds.
	seq, err := challenge.NewSequence(3, &challenge.SequenceOptions{Allow: []challenge.ID{challenge.TurnLeft, challenge.TurnRight, challenge.LookDown}, Rand: seeded(1)})
	require.NoError(t, err)
	assert.Len(t, seq, 3)
	// Length 2 keeps the plain rule (a repeat of one family is allowed).
	same := 0
	for seed := range uint64(300) {
		seq, err := challenge.NewSequence(2, &challenge.SequenceOptions{Rand: seeded(seed)})
		require.NoError(t, err)
		if seq[0].Family() == seq[1].Family() {
			same++
		}
	}
	assert.Positive(t, same)
	assert.Equal(t, challenge.FamilyHead, challenge.LookDown.Family())
	assert.Equal(t, challenge.Family(0), challenge.ID(0).Family())
}

func TestResponseWindow(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name   string
		delay  time.Duration // from 1 s to the start of the action, announced at 0.8 s
		reason string
	}{
		{"prompt", 500 * time.Millisecond, challenge.ReasonPassed},
		{"slow but in time", 2500 * time.Millisecond, challenge.ReasonPassed},
		{"too slow", 5 * sec, challenge.ReasonTimeout},
	}
	for _, tc := range tests {
		for id, set := range actions {
			for _, cad := range []time.Duration{fps12, slow} {
				t.Run(fmt.Sprintf("%s/%v/%v", tc.name, id, cad), func(t *testing.T) {
					tr := announced(t, id)
					obs := synth(cad, clean, 0, rest(sec+tc.delay), act(2*sec, set), rest(2*sec))
					feed(tr, obs, 800*time.Millisecond)
					fin := tr.Final()
					assert.Equal(t, tc.reason, fin.Reason)
					if tc.reason == challenge.ReasonTimeout {
						dl, ok := tr.Deadline()
						assert.False(t, ok, "no deadline once failed (%v)", dl)
						assert.Equal(t, challenge.ReasonTimeout, tr.Failed())
					}
				})
			}
		}
	}
}

func TestDeadlineAndAnnounce(t *testing.T) {
	tr := announced(t, challenge.Smile, challenge.TurnLeft)
	_, ok := tr.Deadline()
	assert.False(t, ok, "not announced yet")
	tr.Announce(2 * time.Second)
	tr.Announce(3 * time.Second) // only the first announcement counts
	at, ok := tr.Announced()
	require.True(t, ok)
	assert.Equal(t, 2*time.Second, at)
	dl, _ := tr.Deadline()
	assert.Equal(t, 2*time.Second+challenge.DefaultThresholds().ResponseWindow, dl)

	// While the baseline is being taken nothing is timed.
	tb, err := challenge.NewTracker([]challenge.ID{challenge.Smile}, challenge.WithManualAnnounce())
	require.NoError(t, err)
	tb.Announce(time.Second)
	_, ok = tb.Announced()
	assert.False(t, ok)
}

func TestActionBeforeAnnouncement(t *testing.T) {
	sec := time.Second
	for id, set := range actions {
		for _, cad := range []time.Duration{fps12, slow} {
			t.Run(fmt.Sprintf("%v/%v", id, cad), func(t *testing.T) {
				// Held from before the announcement at 2 s to long after it.
				tr := announced(t, id)
				feed(tr, synth(cad, clean, 0, rest(sec), act(3*sec, set), rest(sec)), 2*sec)
				assert.False(t, tr.Final().Passed, "held over from before the prompt")

				// The same, then back to neutral and done again: passes.
				tr = announced(t, id)
				feed(tr, synth(cad, clean, 0, rest(sec), act(2*sec, set), rest(sec), act(2*sec, set), rest(sec)), 2*sec)
				assert.True(t, tr.Final().Passed, "done again after a neutral face")
			})
		}
	}
}

func TestNeutralHint(t *testing.T) {
	tr := announced(t, challenge.Smile)
	steps := feed(tr, synth(fps12, clean, 0, rest(500*time.Millisecond), act(2*time.Second, smiling)), 700*time.Millisecond)
	last := steps[len(steps)-1]
	assert.Equal(t, challenge.HintNeutral, last.Hint)
	assert.False(t, tr.Final().Passed)
}

// talking is speech: the mouth opens and closes by up to MAR 0.3 without
// widening, the head moves a few degrees.
func talking(seed uint64) func(*challenge.Observation) {
	rng := rand.New(rand.NewPCG(seed, 7))
	return func(o *challenge.Observation) {
		o.MAR = 0.3 * rng.Float64()
		o.Yaw += 6 * (rng.Float64() - 0.5)
		o.Pitch += 6 * (rng.Float64() - 0.5)
	}
}

func TestStrikes(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name    string
		asked   challenge.ID
		phases  []phase
		strikes int
		reason  string
	}{
		{"talking during SMILE", challenge.Smile, []phase{act(4*sec, talking(1))}, 0, challenge.ReasonTimeout},
		{"blinks during TURN_LEFT", challenge.TurnLeft, []phase{act(200*time.Millisecond, eyesClosed), rest(sec), act(200*time.Millisecond, eyesClosed), rest(sec)}, 0, challenge.ReasonIncomplete},
		{"small nod during OPEN_MOUTH", challenge.OpenMouth, []phase{act(sec, pitch(-8)), rest(sec), act(sec, yaw(10))}, 0, challenge.ReasonIncomplete},
		{"brows with an open mouth", challenge.OpenMouth, []phase{act(2*sec, both(mouthOpen, browsUp))}, 0, challenge.ReasonPassed},
		{"smile while turning", challenge.TurnLeft, []phase{act(2*sec, both(smiling, yaw(30)))}, 0, challenge.ReasonPassed},
		{"one head turn during SMILE", challenge.Smile, []phase{act(2*sec, yaw(35)), rest(sec), act(2*sec, smiling)}, 1, challenge.ReasonPassed},
		{"turn, then open mouth during SMILE", challenge.Smile, []phase{act(2*sec, yaw(35)), rest(sec), act(2*sec, mouthOpen)}, 2, challenge.ReasonUnexpected},
		{"open mouth during TURN_LEFT, twice", challenge.TurnLeft, []phase{act(2*sec, mouthOpen), rest(sec), act(2*sec, mouthOpen)}, 2, challenge.ReasonUnexpected},
		{"look down during RAISE_EYEBROWS, held", challenge.RaiseEyebrows, []phase{act(3*sec, lookingDown)}, 1, challenge.ReasonIncomplete},
	}
	for _, tc := range tests {
		for _, cad := range []time.Duration{fps12, slow} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, cad), func(t *testing.T) {
				tr := announced(t, tc.asked)
				phases := append([]phase{rest(sec)}, tc.phases...)
				steps := feed(tr, synth(cad, clean, 0, phases...), 500*time.Millisecond)
				n := 0
				for _, s := range steps {
					if s.Strike != 0 {
						n++
					}
				}
				assert.Equal(t, tc.strikes, n)
				assert.Equal(t, tc.strikes, tr.Strikes())
				if tc.reason != challenge.ReasonTimeout {
					assert.Equal(t, tc.reason, tr.Final().Reason)
				}
			})
		}
	}
}

// TestPropertyNoPassBeforeAnnouncement: an action that happened before a
// challenge's announcement never passes it, whatever the cadence, jitter,
// timing and what follows as long as no new action starts: the action is
// either held across the announcement (until the track ends or the face
// relaxes) or over before it. As in the engine, the announcement is the
// time of an observed frame (the last one before the response that shows
// the challenge), taken at or after the action's first frame.
func TestPropertyNoPassBeforeAnnouncement(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	cadences := []time.Duration{40 * time.Millisecond, fps15, fps12, fps8, 250 * time.Millisecond, 500 * time.Millisecond, slow, 1500 * time.Millisecond}
	for i := range 3000 {
		id := challenge.ID(1 + rng.IntN(7))
		cad := cadences[rng.IntN(len(cadences))]
		lead := time.Duration(rng.Int64N(int64(3 * time.Second)))
		dur := time.Duration(rng.Int64N(int64(6*time.Second))) + cad
		after := time.Duration(rng.Int64N(int64(4 * time.Second)))
		nz := clean
		if rng.IntN(2) == 0 {
			nz = jitty
		}
		obs := synth(cad, nz, uint64(i), rest(lead), act(dur, actions[id]), rest(after))
		// The announcement falls on any frame from the action's first
		// observed frame on: during it (held across) or after it (over before).
		first := 0
		for first < len(obs) && obs[first].Time < lead {
			first++
		}
		if first == len(obs) {
			continue
		}
		at := obs[first+rng.IntN(len(obs)-first)].Time
		tr := announced(t, id)
		tr.Announce(at)
		for _, o := range obs {
			tr.Observe(o)
		}
		require.False(t, tr.Final().Passed, "case %d: %v at %v, action %v–%v, announced %v", i, id, cad, lead, lead+dur, at)
	}
}
