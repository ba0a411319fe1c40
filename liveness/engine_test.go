package liveness_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/draw"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Notifier that keeps events.
type recorder struct {
	mu     sync.Mutex
	events []liveness.Event
}

func (r *recorder) Notify(_ context.Context, ev liveness.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	return nil
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t []string
	for _, e := range r.events {
		t = append(t, e.Type)
	}
	return t
}

var (
	sharedAnalyzer     *face.Analyzer
	sharedAnalyzerOnce sync.Once
)

func analyzer(t testing.TB) *face.Analyzer {
	sharedAnalyzerOnce.Do(func() {
		a, err := face.NewAnalyzer()
		if err != nil {
			t.Fatal(err)
		}
		sharedAnalyzer = a
	})
	return sharedAnalyzer
}

func newEngine(t testing.TB, clk *clock, opts ...liveness.Option) *liveness.Engine {
	t.Helper()
	seed := rand.NewChaCha8([32]byte{1})
	all := append([]liveness.Option{liveness.WithClock(clk.Now), liveness.WithRand(seed), liveness.WithAnalyzer(analyzer(t))}, opts...)
	e, err := liveness.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// relayed waits until the engine has relayed the intents of what it
// committed (Engine.Flush), before a test looks at its notifier or
// audit log.
func relayed(t testing.TB, e *liveness.Engine) {
	t.Helper()
	require.NoError(t, e.Flush(context.Background()))
}

// stillFrame is the bundled portrait in a 640×480 frame, JPEG-encoded.
func stillFrame(t testing.TB) []byte {
	fail := func(err error) {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	b, err := os.ReadFile("../testdata/face.jpg")
	if err != nil {
		fail(err)
	}
	src, err := face.Decode(b, nil)
	if err != nil {
		fail(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.RGBA{90, 100, 110, 255}), image.Point{}, draw.Src)
	draw.BiLinear.Scale(dst, image.Rect(128, 0, 512, 480), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		fail(err)
	}
	return buf.Bytes()
}

func TestCreateValidation(t *testing.T) {
	clk := newClock()
	e := newEngine(t, clk)
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Session
	if len(s.Challenges) != 5 || s.Status != liveness.StatusPending || s.Version != 1 || len(s.ID) != 36 || s.ID[14] != '4' {
		t.Errorf("default session: %+v", s)
	}
	if !s.ExpiresAt.Equal(clk.Now().Add(5*time.Minute)) || s.ModelVersion == "" {
		t.Errorf("expiry %v model %q", s.ExpiresAt, s.ModelVersion)
	}
	if !e.CheckClientToken(s, c.ClientToken) || e.CheckClientToken(s, c.ClientToken+"x") || e.CheckClientToken(s, "") {
		t.Error("client token check")
	}
	bad := []liveness.CreateOptions{
		{ChallengeCount: 9},
		{ChallengeCount: -1},
		{TTL: time.Second},
		{TTL: 2 * time.Hour},
		{Challenges: []challenge.ID{challenge.Blink}, ChallengeCount: 3},
		{Challenges: []challenge.ID{99}},
	}
	for _, o := range bad {
		if _, err := e.Create(ctx, o); !errors.Is(err, liveness.ErrBadRequest) {
			t.Errorf("Create(%+v) = %v, want ErrBadRequest", o, err)
		}
	}
	c2, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 3, Challenges: challenge.Except(challenge.Smile, challenge.TurnLeft, challenge.TurnRight)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range c2.Session.Challenges {
		if id == challenge.Smile || id == challenge.TurnLeft || id == challenge.TurnRight {
			t.Errorf("allow-list ignored: %v", c2.Session.Challenges)
		}
	}
	if _, err := e.Get(ctx, "nope"); !errors.Is(err, liveness.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
}

func TestStillPhotoNeverPasses(t *testing.T) {
	clk := newClock()
	rec := &recorder{}
	e := newEngine(t, clk, liveness.WithNotifier(rec))
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Blink}, ChallengeCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	frame := stillFrame(t)
	var out *liveness.Outcome
	n := 0
	for n < 20 {
		clk.Advance(120 * time.Millisecond)
		out, err = e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: frame}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !out.FaceDetected {
			t.Fatalf("frame %d: no face", n)
		}
		if out.Session.Status != liveness.StatusPending {
			break
		}
	}
	s := out.Session
	if s.Status != liveness.StatusFailed || s.Reason != liveness.ReasonSpoof || s.Verdict != liveness.VerdictFail {
		t.Fatalf("still photo after %d frames: %s %s %s", n, s.Status, s.Reason, s.Verdict)
	}
	if n >= 10 {
		t.Errorf("still photo flagged after %d frames, want < 10", n)
	}
	// A spoof failure reports a low confidence and the evidence.
	assert.LessOrEqual(t, s.Score, spoof.FailedScoreMax)
	assert.Equal(t, []string{"frozen_frame"}, s.AttackSignals[:1])
	relayed(t, e)
	if got := rec.types(); len(got) != 3 || got[0] != liveness.EventCreated || got[1] != liveness.EventStarted || got[2] != liveness.EventFailed {
		t.Errorf("events %v", got)
	}
	// An ended session refuses frames with its status.
	_, err = e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: frame}}, nil)
	var se *liveness.StateError
	if !errors.As(err, &se) || !errors.Is(err, liveness.ErrNotPending) || se.Status != liveness.StatusFailed || liveness.CodeOf(err) != liveness.CodeNotPending {
		t.Errorf("frame after the end: %v", err)
	}
}

func TestSubmitErrors(t *testing.T) {
	clk := newClock()
	e := newEngine(t, clk)
	ctx := context.Background()
	c, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 2})
	id := c.Session.ID
	if _, err := e.Submit(ctx, id, nil, nil); !errors.Is(err, liveness.ErrNoFrames) {
		t.Errorf("no frames: %v", err)
	}
	if _, err := e.Submit(ctx, id, []liveness.Frame{{Data: []byte("GIF89a")}}, nil); !errors.Is(err, liveness.ErrBadFrame) || !errors.Is(err, face.ErrUnsupportedFormat) {
		t.Errorf("bad frame: %v", err)
	}
	frame := stillFrame(t)
	if _, err := e.Submit(ctx, id, []liveness.Frame{{Data: frame}, {Data: frame[:100]}}, nil); !errors.Is(err, liveness.ErrBadFrame) {
		t.Errorf("burst with a truncated frame: %v", err)
	}
	s, _ := e.Get(ctx, id)
	if s.Frames != 0 || s.Version != 1 {
		t.Errorf("a rejected request changed the session: %+v", s)
	}
	if _, err := e.Submit(ctx, id, make([]liveness.Frame, 21), nil); !errors.Is(err, liveness.ErrBadRequest) {
		t.Errorf("oversized burst: %v", err)
	}
	if _, err := e.Submit(ctx, "missing", []liveness.Frame{{Data: frame}}, nil); !errors.Is(err, liveness.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
	// A blank frame is analysed: no face.
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 320, 240)), nil)
	out, err := e.Submit(ctx, id, []liveness.Frame{{Data: buf.Bytes()}}, nil)
	if err != nil || out.FaceDetected || out.Step.Hint != challenge.HintNoFace || out.Session.Frames != 1 {
		t.Errorf("blank frame: %v %+v", err, out)
	}
}

func TestExpiryAndCancel(t *testing.T) {
	clk := newClock()
	rec := &recorder{}
	e := newEngine(t, clk, liveness.WithNotifier(rec))
	ctx := context.Background()
	a, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, TTL: time.Minute})
	b, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, TTL: time.Minute})
	c, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, TTL: 10 * time.Minute})

	s, err := e.Cancel(ctx, c.Session.ID)
	if err != nil || s.Status != liveness.StatusCancelled || s.Verdict != liveness.VerdictFail {
		t.Fatalf("cancel: %v %+v", err, s)
	}
	if _, err := e.Cancel(ctx, c.Session.ID); liveness.CodeOf(err) != liveness.CodeNotPending {
		t.Errorf("second cancel: %v", err)
	}

	clk.Advance(time.Minute)
	if _, err := e.Submit(ctx, a.Session.ID, []liveness.Frame{{Data: stillFrame(t)}}, nil); !errors.Is(err, liveness.ErrExpired) {
		t.Errorf("frame after expiry: %v", err)
	}
	if s, _ := e.Get(ctx, a.Session.ID); s.Status != liveness.StatusExpired || s.Reason != liveness.ReasonExpired {
		t.Errorf("expired session: %+v", s)
	}
	// The sweeper ends the other one without any request.
	n, err := e.ExpireDue(ctx)
	if err != nil || n != 1 {
		t.Errorf("ExpireDue = %d, %v; want 1", n, err)
	}
	if s, _ := e.Get(ctx, b.Session.ID); s.Status != liveness.StatusExpired {
		t.Errorf("swept session: %s", s.Status)
	}
	relayed(t, e)
	got := rec.types()
	want := []string{"session.created", "session.created", "session.created", "session.cancelled", "session.expired", "session.expired"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

// Two engines (two replicas) share one store and receive alternating frames
// of one session: no update is lost.
func TestReplicasShareStore(t *testing.T) {
	clk := newClock()
	store := liveness.NewMemoryStore()
	e1 := newEngine(t, clk, liveness.WithStore(store))
	e2 := newEngine(t, clk, liveness.WithStore(store))
	ctx := context.Background()
	c, _ := e1.Create(ctx, liveness.CreateOptions{ChallengeCount: 3, Challenges: []challenge.ID{challenge.Smile, challenge.OpenMouth, challenge.RaiseEyebrows}})
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48)), nil)
	frame := buf.Bytes()
	var wg sync.WaitGroup
	for i, e := range []*liveness.Engine{e1, e2, e1, e2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				clk.Advance(time.Duration(i+1) * time.Millisecond)
				if _, err := e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: frame}}, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	s, _ := e1.Get(ctx, c.Session.ID)
	log, err := store.Frames(ctx, c.Session.ID, 0)
	require.NoError(t, err)
	if s.Frames != 20 || len(log) != 20 || s.Version != 21 {
		t.Errorf("frames %d frame log %d version %d, want 20, 20, 21", s.Frames, len(log), s.Version)
	}
}

func TestMemoryStoreOptimistic(t *testing.T) {
	m := liveness.NewMemoryStore()
	ctx := context.Background()
	s := &liveness.Session{ID: "a", Status: liveness.StatusPending}
	require.NoError(t, m.Commit(ctx, &liveness.Change{Session: s, Create: true}))
	require.EqualValues(t, 1, s.Version)
	require.ErrorIs(t, m.Commit(ctx, &liveness.Change{Session: s, Create: true}), liveness.ErrExists)
	r1, _ := m.Get(ctx, "a")
	r2, _ := m.Get(ctx, "a")
	r1.Frames = 1
	require.NoError(t, m.Commit(ctx, &liveness.Change{Session: r1}))
	require.EqualValues(t, 2, r1.Version)
	r2.Frames = 7
	require.ErrorIs(t, m.Commit(ctx, &liveness.Change{Session: r2}), liveness.ErrConflict)
	got, _ := m.Get(ctx, "a")
	require.Equal(t, 1, got.Frames)
	r1.Frames = 99 // the caller's copy is not the stored one
	got, _ = m.Get(ctx, "a")
	require.Equal(t, 1, got.Frames, "store shares memory with the caller")
}

// exampleFrame is the still portrait used by the examples.
func exampleFrame() []byte { return stillFrame(nil) }
