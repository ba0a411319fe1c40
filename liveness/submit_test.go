package liveness_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/hostile"
	"github.com/openliveness/openliveness/liveness"
)

// countingSlots is a Slots that records how many are held at once.
type countingSlots struct {
	mu            sync.Mutex
	held, maxHeld int
	acquired      int
}

func (c *countingSlots) Acquire(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held++
	c.acquired++
	c.maxHeld = max(c.maxHeld, c.held)
	return ctx.Err()
}

func (c *countingSlots) Release() { c.mu.Lock(); c.held--; c.mu.Unlock() }

// A burst whose frames end the session before its last frame still sends
// session.started before the final event.
func TestStartedPrecedesFinalInOneBurst(t *testing.T) {
	clk := newClock()
	rec := &recorder{}
	e := newEngine(t, clk, liveness.WithNotifier(rec))
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Blink}, ChallengeCount: 1})
	require.NoError(t, err)
	frame := stillFrame(t)
	burst := make([]liveness.Frame, 20)
	for i := range burst {
		burst[i] = liveness.Frame{Data: frame}
	}
	slots := &countingSlots{}
	clk.Advance(3 * time.Second)
	out, err := e.Submit(ctx, c.Session.ID, burst, &liveness.SubmitOptions{Interval: 120 * time.Millisecond, Slots: slots})
	require.NoError(t, err)
	require.Equal(t, liveness.StatusFailed, out.Session.Status)
	assert.Less(t, out.Session.Frames, len(burst), "the session ended inside the burst")
	relayed(t, e)
	assert.Equal(t, []string{liveness.EventCreated, liveness.EventStarted, liveness.EventFailed}, rec.types())
	// One slot per frame, never two at once.
	assert.Equal(t, len(burst), slots.acquired)
	assert.Equal(t, 1, slots.maxHeld)
	assert.Equal(t, 0, slots.held)
}

// A request whose client went away records nothing.
func TestSubmitObservesContext(t *testing.T) {
	clk := newClock()
	e := newEngine(t, clk)
	c, err := e.Create(context.Background(), liveness.CreateOptions{ChallengeCount: 2})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: stillFrame(t)}}, nil)
	require.ErrorIs(t, err, context.Canceled)
	s, err := e.Get(context.Background(), c.Session.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Frames)
	assert.Equal(t, liveness.StatusPending, s.Status)
}

// A bad frame anywhere in a burst rejects it and changes nothing, and the
// decoder's limits refuse hostile frames.
func TestSubmitHostileFrames(t *testing.T) {
	clk := newClock()
	e := newEngine(t, clk)
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 2})
	require.NoError(t, err)
	good := liveness.Frame{Data: stillFrame(t)}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"scan bomb", hostile.ScanBomb(1024, 1024, 200), face.ErrTooComplex},
		{"rotated 4096²", hostile.Rotated(4096, 4096, 6), face.ErrImageTooLarge},
	} {
		_, err := e.Submit(ctx, c.Session.ID, []liveness.Frame{good, good, {Data: tc.data}}, &liveness.SubmitOptions{Interval: 100 * time.Millisecond})
		require.ErrorIs(t, err, liveness.ErrBadFrame, tc.name)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	s, err := e.Get(ctx, c.Session.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Frames)
}

// pausingSlots is a Slots with pause points: it records the declared works
// and calls stop at the n-th pause.
type pausingSlots struct {
	countingSlots
	works []int64
	n     int
	stop  func()
}

func (p *pausingSlots) Pause(ctx context.Context, work int64) error {
	p.works = append(p.works, work)
	if len(p.works) == p.n {
		p.stop()
	}
	return ctx.Err()
}

// Submit calls Pause inside decoding and between the stages of analysis,
// with the work the headers declare, while it holds the slot; a client
// that goes away in the middle of a progressive frame's decoding stops it
// and records nothing.
func TestSubmitPausePoints(t *testing.T) {
	clk := newClock()
	e := newEngine(t, clk)
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 2})
	require.NoError(t, err)

	slots := &pausingSlots{stop: func() {}}
	_, err = e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: stillFrame(t)}}, &liveness.SubmitOptions{Slots: slots})
	require.NoError(t, err)
	require.Greater(t, len(slots.works), 2, "decoding and analysis")
	for _, w := range slots.works {
		assert.Positive(t, w)
		assert.Equal(t, slots.works[0], w)
	}

	bomb := hostile.ScanBomb(1024, 768, 12) // within the default limits
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots = &pausingSlots{n: 100, stop: cancel}
	_, err = e.Submit(cctx, c.Session.ID, []liveness.Frame{{Data: bomb}}, &liveness.SubmitOptions{Slots: slots})
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, slots.works, 100, "stopped at the pause point where the client went away")
	assert.Equal(t, int64(1024*768*12), slots.works[0])
	assert.Equal(t, 0, slots.held)
	s, err := e.Get(ctx, c.Session.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Frames)
}
