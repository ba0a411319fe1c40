//go:build eval

package liveness_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestEvalEngineBlinkVideo replays blink_selfie.mjpeg into a BLINK session
// as 10-frame bursts taken every 120 ms (every 3rd frame of the 25 fps
// video), as the hosted page does while BLINK is current.
func TestEvalEngineBlinkVideo(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e, err := liveness.New(liveness.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Blink}, ChallengeCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out *liveness.Outcome
	var burst []liveness.Frame
	// The recording from 1.6 s before its first eye closure (frames
	// 139–194): a person who closes the eyes when asked, within the
	// response window.
	for k := 99; k < len(frames); k += 3 {
		burst = append(burst, liveness.Frame{Data: frames[k]})
		if len(burst) < 10 {
			continue
		}
		clk.Advance(1200 * time.Millisecond)
		out, err = e.Submit(ctx, c.Session.ID, burst, &liveness.SubmitOptions{Interval: 120 * time.Millisecond})
		burst = burst[:0]
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("frame %d: status %s passed %v hint %s spoof score %.3f signals %+v", k+1, out.Session.Status, out.ChallengePassed, out.Step.Hint, out.Spoof.Score, out.Spoof.Signals)
		if out.Session.Status != liveness.StatusPending {
			break
		}
	}
	s := out.Session
	t.Logf("final: status %s verdict %s score %.3f reason %q frames %d spoof cause %q", s.Status, s.Verdict, s.Score, s.Reason, s.Frames, out.Spoof.Cause)
	require.Equal(t, liveness.StatusPassed, s.Status, "blink video: reason %q", s.Reason)
	assert.Equal(t, liveness.VerdictPass, s.Verdict, "blink video")
}
