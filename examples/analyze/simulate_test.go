package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

func TestSegmentTable(t *testing.T) {
	persons, err := loadPersons()
	require.NoError(t, err)
	byName := map[string]*simPerson{}
	for _, p := range persons {
		byName[p.name] = p
		assert.NotEmpty(t, p.neutral, "%s has no neutral segment", p.name)
	}
	require.Contains(t, byName, "p04")
	assert.Equal(t, []challenge.ID{challenge.Smile, challenge.TurnLeft, challenge.TurnRight}, byName["p04"].challenges())
	assert.Equal(t, []challenge.ID{challenge.Blink}, byName["blink_selfie"].challenges())
	covered := map[challenge.ID]bool{}
	for _, p := range persons {
		for _, id := range p.challenges() {
			covered[id] = true
		}
	}
	for _, id := range challenge.IDs() {
		assert.True(t, covered[id], "no segment of %v", id)
	}
}

func TestSimActionFrames(t *testing.T) {
	a := &simAction{seg: span{from: 11, to: 30, holdFrom: 16, holdTo: 20}, start: time.Second, release: maxDuration}
	for _, tc := range []struct {
		name string
		o    simOptions
	}{
		{"120 ms", simOptions{cadence: 120 * time.Millisecond, fps: 25}},
		{"800 ms", simOptions{cadence: 800 * time.Millisecond, fps: 25}},
		{"40 ms", simOptions{cadence: 40 * time.Millisecond, fps: 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			assert.Equal(t, 10, a.frame(time.Second, o), "first frame of the movement (0-based)")
			held, back := a.phases(o)
			assert.Equal(t, time.Second+200*time.Millisecond, held)
			assert.Equal(t, held+min(maxHold, 5*o.step()), back, "five held frames, one per captured frame, for at most maxHold")
			prev := -1
			for ct := a.start; ct < a.end(o); ct += o.cadence {
				f := a.frame(ct, o)
				assert.GreaterOrEqual(t, f, prev, "the footage only moves forward")
				if ct >= held && ct < back {
					assert.GreaterOrEqual(t, f, 15)
					assert.LessOrEqual(t, f, 19, "held frames stay in the held part")
					assert.Greater(t, f, prev, "a held frame is never shown twice")
				}
				prev = f
			}
			assert.Equal(t, 29, a.frame(a.end(o)-time.Millisecond, o), "on the way back at the end")
		})
	}
	o := simOptions{cadence: 120 * time.Millisecond, fps: 25}
	b := *a
	held, _ := b.phases(o)
	b.release = held + 240*time.Millisecond
	_, back := b.phases(o)
	assert.Equal(t, b.release, back, "released early: the way back starts at once")
	assert.Equal(t, 20, b.frame(back, o), "the rest of the held part is skipped")
}

func TestNeutralPlayNeverRepeats(t *testing.T) {
	p := &simPerson{name: "x", neutral: []span{{1, 10, 1, 10}, {21, 30, 21, 30}}}
	ft := &footage{used: map[int]bool{}}
	n := &neutralPlay{p: p, ft: ft, rng: rand.New(rand.NewPCG(1, 2)), cur: -1}
	o := simOptions{cadence: 120 * time.Millisecond, fps: 25}
	seen := map[int]bool{}
	for k := range 20 {
		f := n.at(time.Duration(k+1)*o.cadence, o)
		assert.False(t, seen[f], "frame %d shown twice", f)
		seen[f] = true
		assert.True(t, f < 10 || (f >= 20 && f < 30), "frame %d is neutral", f)
	}
	assert.False(t, ft.reuse)
	n.at(21*o.cadence, o)
	assert.True(t, ft.reuse, "footage used up: it repeats, and says so")
}

func TestDrawPerformable(t *testing.T) {
	p := &simPerson{name: "x", actions: map[challenge.ID][]span{
		challenge.Smile: {{1, 5, 2, 4}}, challenge.TurnLeft: {{11, 15, 12, 14}}, challenge.TurnRight: {{21, 25, 22, 24}},
		challenge.OpenMouth: {{3, 8, 4, 7}}, // shares frames with the smile
	}}
	var key [32]byte
	r := rand.NewChaCha8(key)
	_, ok, err := drawPerformable(p, 5, r)
	require.NoError(t, err)
	assert.False(t, ok, "five challenges from one segment each cannot avoid a repeat")
	seq, ok, err := drawPerformable(p, 3, r)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, p.performable(seq))
	assert.Len(t, seq, 3)
	assert.False(t, p.performable([]challenge.ID{challenge.Smile, challenge.TurnLeft, challenge.OpenMouth}), "two challenges from one clip")
}
