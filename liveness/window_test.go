package liveness_test

import (
	"context"
	"image"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
)

// synthAnalyzer answers every frame with the face state named by the
// frame's bytes (see states), so that engine tests can script what a
// camera shows without images.
type synthAnalyzer struct{}

// states are image-convention measures of one face (unmirrored frames).
var states = map[string]face.Measures{
	"rest":  {EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1},
	"smile": {EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.06, Smile: 0.5, Brow: 0.1},
	"mouth": {EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.6, Smile: 0.36, Brow: 0.1},
}

// yaws are the image-convention yaws of the states (turn: the user's own left).
var yaws = map[string]float64{"turn": 35}

func (synthAnalyzer) AnalyzeFrame(_ context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	name, seq, _ := cut(string(data))
	m, ok := states[name]
	if !ok {
		m = states["rest"]
	}
	// Landmarks vary a little per frame, like a live face.
	var lm face.Landmarks
	for i := range lm.Points {
		lm.Points[i] = face.Point{X: 200 + float64(i%20)*3 + float64(seq%3), Y: 150 + float64(i/20)*3}
	}
	f := face.Face{Box: rect(), Score: 10, FaceFlag: 1, Landmarks: &lm, Measures: m, Pose: face.Pose{Yaw: yaws[name]}}
	return &liveness.FrameAnalysis{Result: &face.Result{Width: 640, Height: 480, Faces: []face.Face{f}}}, nil
}

func cut(s string) (string, int, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '#' {
			n, _ := strconv.Atoi(s[i+1:])
			return s[:i], n, true
		}
	}
	return s, 0, false
}

// engineWithSynth returns an engine on a settable clock and a shared store.
func engineWithSynth(t *testing.T, clk *stepClock, store liveness.Store) *liveness.Engine {
	t.Helper()
	e, err := liveness.New(liveness.WithClock(clk.Now), liveness.WithFrameAnalyzer(synthAnalyzer{}), liveness.WithStore(store), liveness.WithMinFrames(1))
	require.NoError(t, err)
	return e
}

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// play sends one frame per step, dt apart, and returns the last outcome.
func play(t *testing.T, e *liveness.Engine, clk *stepClock, id string, dt time.Duration, script ...string) *liveness.Outcome {
	t.Helper()
	var out *liveness.Outcome
	for i, name := range script {
		clk.Advance(dt)
		var err error
		out, err = e.Submit(context.Background(), id, []liveness.Frame{{Data: []byte(name + "#" + strconv.Itoa(i))}}, nil)
		require.NoError(t, err, "frame %d (%s)", i, name)
		if out.Session.Status.Final() {
			break
		}
	}
	return out
}

func repeat(name string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = name
	}
	return s
}

func TestEngineResponseWindow(t *testing.T) {
	ctx := context.Background()
	newSession := func(t *testing.T, seq ...challenge.ID) (*liveness.Engine, *stepClock, string) {
		clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		e := engineWithSynth(t, clk, liveness.NewMemoryStore())
		c, err := e.Create(ctx, liveness.CreateOptions{Challenges: seq, ChallengeCount: len(seq)})
		require.NoError(t, err)
		return e, clk, c.Session.ID
	}
	dt := 400 * time.Millisecond

	t.Run("timed from the first answer after the baseline", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		out := play(t, e, clk, id, dt, "rest", "rest")
		_, timed := out.Session.TimeLeft(clk.Now())
		assert.False(t, timed, "baseline: nothing timed")
		out = play(t, e, clk, id, dt, "rest") // third baseline frame: SMILE announced
		left, timed := out.Session.TimeLeft(clk.Now())
		require.True(t, timed)
		assert.Equal(t, 5*time.Second, left)
		assert.Equal(t, 5*time.Second, out.Session.ChallengeWindow)
		require.Len(t, out.Session.AnnouncedAt, 1)
		out = play(t, e, clk, id, dt, "rest")
		left, _ = out.Session.TimeLeft(clk.Now())
		assert.Equal(t, 5*time.Second-dt, left)
	})
	t.Run("passes in time", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		out := play(t, e, clk, id, dt, "rest", "rest", "rest", "rest", "smile", "smile", "smile")
		assert.Equal(t, liveness.StatusPassed, out.Session.Status, out.Session.Reason)
	})
	t.Run("held over from before the prompt", func(t *testing.T) {
		// The baseline ends on the burst's rest frame; its smile frame was
		// captured before the answer that announced SMILE, and the smile
		// is held from there on.
		e, clk, id := newSession(t, challenge.Smile)
		play(t, e, clk, id, dt, "rest", "rest")
		clk.Advance(dt)
		_, err := e.Submit(ctx, id, []liveness.Frame{{Data: []byte("rest#9")}, {Data: []byte("smile#10")}}, &liveness.SubmitOptions{Interval: 100 * time.Millisecond})
		require.NoError(t, err)
		out := play(t, e, clk, id, dt, repeat("smile", 20)...)
		assert.Equal(t, liveness.StatusFailed, out.Session.Status)
		assert.Equal(t, liveness.ReasonChallengeTimeout, out.Session.Reason)
		assert.Equal(t, liveness.VerdictFail, out.Session.Verdict)
		assert.Equal(t, challenge.HintTimeout, out.Step.Hint)
	})
	t.Run("too slow", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		out := play(t, e, clk, id, dt, append(repeat("rest", 16), "smile", "smile", "smile")...)
		assert.Equal(t, liveness.ReasonChallengeTimeout, out.Session.Reason)
	})
	t.Run("a request long after the window", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		play(t, e, clk, id, dt, "rest", "rest", "rest")
		clk.Advance(20 * time.Second)
		// A backdated burst claiming to be captured in time does not count.
		out, err := e.Submit(ctx, id, []liveness.Frame{{Data: []byte("smile#1")}, {Data: []byte("smile#2")}}, &liveness.SubmitOptions{Interval: 2 * time.Second})
		require.NoError(t, err)
		assert.Equal(t, liveness.ReasonChallengeTimeout, out.Session.Reason)
	})
	t.Run("polling ends an overdue session", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		play(t, e, clk, id, dt, "rest", "rest", "rest")
		clk.Advance(6 * time.Second)
		s, err := e.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, liveness.StatusPending, s.Status, "within the late-request grace")
		clk.Advance(2 * time.Second)
		s, err = e.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, liveness.ReasonChallengeTimeout, s.Reason)
	})
	t.Run("wrong actions", func(t *testing.T) {
		e, clk, id := newSession(t, challenge.Smile)
		out := play(t, e, clk, id, dt, "rest", "rest", "rest", "turn", "turn", "turn", "rest", "rest")
		assert.Equal(t, 1, out.Session.Strikes)
		assert.Equal(t, liveness.StatusPending, out.Session.Status)
		out = play(t, e, clk, id, dt, "mouth", "mouth", "mouth")
		assert.Equal(t, 2, out.Session.Strikes)
		assert.Equal(t, liveness.ReasonUnexpectedAction, out.Session.Reason)
	})
}

// TestEngineWindowAcrossReplicas: a second engine on the same store
// rebuilds the session from its history and announcements and decides as
// the first would.
func TestEngineWindowAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	for _, script := range [][]string{
		{"rest", "rest", "rest", "rest", "turn", "turn", "turn", "rest", "rest", "smile", "smile", "smile"},
		{"rest", "rest", "rest", "turn", "turn", "turn", "rest", "rest", "mouth", "mouth", "mouth", "rest"},
		append([]string{"rest", "rest", "rest", "rest"}, repeat("turn", 20)...),
	} {
		var verdicts []string
		for _, switchAt := range []int{0, 2, 4, 5, 8, 10} {
			clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			store := liveness.NewMemoryStore()
			a, b := engineWithSynth(t, clk, store), engineWithSynth(t, clk, store)
			c, err := a.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Smile}, ChallengeCount: 1})
			require.NoError(t, err)
			out := play(t, a, clk, c.Session.ID, 400*time.Millisecond, script[:switchAt]...)
			if len(script) > switchAt && (out == nil || !out.Session.Status.Final()) {
				out = play(t, b, clk, c.Session.ID, 400*time.Millisecond, script[switchAt:]...)
			}
			verdicts = append(verdicts, string(out.Session.Status)+"/"+out.Session.Reason)
		}
		for _, v := range verdicts[1:] {
			assert.Equal(t, verdicts[0], v, "script %v", script)
		}
		t.Logf("%v: %s", script, verdicts[0])
	}
}

func rect() (r image.Rectangle) { return image.Rect(180, 120, 420, 400) }
