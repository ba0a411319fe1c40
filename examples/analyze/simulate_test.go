package main

import (
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
}

func TestSimActionFrames(t *testing.T) {
	a := &simAction{seg: span{from: 11, to: 30, holdFrom: 16, holdTo: 20}, start: time.Second, release: maxDuration}
	fps := 25.0
	assert.Equal(t, 10, a.frame(time.Second, fps), "first frame of the movement (0-based)")
	held := a.held(fps)
	assert.Equal(t, time.Second+200*time.Millisecond, held)
	for k := range 40 {
		f := a.frame(held+time.Duration(k)*40*time.Millisecond, fps)
		assert.GreaterOrEqual(t, f, 15)
		assert.LessOrEqual(t, f, 19, "held frames stay in the held part")
	}
	a.release = held + time.Second
	assert.Equal(t, a.release+400*time.Millisecond, a.end(fps))
	assert.Equal(t, 28, a.frame(a.end(fps)-time.Millisecond, fps), "on the way back at the end")
	assert.Equal(t, 4, pingPong(5, 5, 7), "one frame (0-based)")
	assert.Equal(t, []int{0, 1, 2, 1, 0, 1}, []int{pingPong(1, 3, 0), pingPong(1, 3, 1), pingPong(1, 3, 2), pingPong(1, 3, 3), pingPong(1, 3, 4), pingPong(1, 3, 5)})
}
