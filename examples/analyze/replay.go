package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

// replayOptions are the -replay flags.
type replayOptions struct {
	challenges string
	interval   time.Duration
	fps        float64
	mirrored   bool
	sequences  int
	length     int
	seed       uint64
}

// cachedFrame is the analysis of one video frame, kept for every replay.
type cachedFrame struct {
	res   *face.Result
	spoof *spoof.Result
}

// analyseVideo analyses every frame of a video once, each tracked from the
// previous frame's main face, with the per-frame spoof check of the main
// face, as the engine's built-in analysis does.
func analyseVideo(ctx context.Context, an *face.Analyzer, sp *spoof.Detector, file string) ([]cachedFrame, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := face.NewMJPEGReader(bytes.NewReader(data), 0)
	var (
		out  []cachedFrame
		prev *face.Face
	)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		jpg, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", n, err)
		}
		img, err := face.Decode(jpg, nil)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", n, err)
		}
		var opts *face.AnalyzeOptions
		if prev != nil {
			opts = &face.AnalyzeOptions{Previous: prev}
		}
		res, err := an.Analyze(ctx, img, opts)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", n, err)
		}
		cf := cachedFrame{res: res}
		prev = nil
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			prev = &res.Faces[0]
			var sr spoof.Result
			if err := sp.CheckWith(img, prev.Box, &spoof.CheckOptions{Mesh: &prev.Landmarks.Texture}, &sr); err == nil {
				cf.spoof = &sr
			}
		}
		out = append(out, cf)
	}
}

// cacheAnalyzer is the engine's FrameAnalyzer in replays: a frame's data
// is its 0-based index in the video, answered from the cached analyses.
// Not safe for concurrent use (the tool replays one session at a time).
type cacheAnalyzer struct{ frames []cachedFrame }

func (c *cacheAnalyzer) AnalyzeFrame(_ context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	i, err := strconv.Atoi(string(data))
	if err != nil || i < 0 || i >= len(c.frames) {
		return nil, fmt.Errorf("%w: no cached frame %q", liveness.ErrBadFrame, data)
	}
	return &liveness.FrameAnalysis{Result: c.frames[i].res, Spoof: c.frames[i].spoof}, nil
}

// replayStore is the in-memory session store of replays: it keeps the
// session in place (no encoding), since one goroutine replays one session
// at a time, and forgets everything on reset. Replays have no notifier or
// audit log, so it drops intents.
type replayStore struct {
	m      map[string]*liveness.Session
	frames map[string][]liveness.FrameRecord
}

func (s *replayStore) Get(_ context.Context, id string) (*liveness.Session, error) {
	x, ok := s.m[id]
	if !ok {
		return nil, liveness.ErrNotFound
	}
	c := *x
	return &c, nil
}

func (s *replayStore) Frames(_ context.Context, id string, from int) ([]liveness.FrameRecord, error) {
	if _, ok := s.m[id]; !ok {
		return nil, liveness.ErrNotFound
	}
	f := s.frames[id]
	return append([]liveness.FrameRecord(nil), f[min(from, len(f)):]...), nil
}

func (s *replayStore) Commit(_ context.Context, c *liveness.Change) error {
	cur, ok := s.m[c.Session.ID]
	switch {
	case c.Create && ok:
		return liveness.ErrExists
	case !c.Create && !ok:
		return liveness.ErrNotFound
	case !c.Create && cur.Version != c.Session.Version:
		return liveness.ErrConflict
	}
	next := *c.Session
	next.Version++
	if c.Create {
		next.Version = 1
	}
	s.m[next.ID] = &next
	s.frames[next.ID] = append(s.frames[next.ID], c.Frames...)
	c.Session.Version = next.Version
	return nil
}

func (s *replayStore) Intents(context.Context, time.Time, int) ([]liveness.Intent, error) {
	return nil, nil
}
func (s *replayStore) DeleteIntents(context.Context, ...string) error { return nil }
func (s *replayStore) ExpiredPending(context.Context, time.Time, int) ([]string, error) {
	return nil, nil
}
func (s *replayStore) Prune(context.Context, time.Time, int) (int, error) { return 0, nil }

func (s *replayStore) reset() {
	s.m, s.frames = map[string]*liveness.Session{}, map[string][]liveness.FrameRecord{}
}

// replayer runs sessions of the real engine over cached video analyses,
// on an injected clock.
type replayer struct {
	engine *liveness.Engine
	cache  *cacheAnalyzer
	store  *replayStore
	now    time.Time
	// spoof holds the shared spoof signals of the current video and
	// interval (see sharedSpoof); nil gives each session its own.
	spoof *sharedSpoof
	// noSpoof replaces the per-session spoof signals by a clean result,
	// to measure the challenge decisions alone.
	noSpoof bool
	trace   tracer
}

// cleanSpoof is the per-session spoof state of replayer.noSpoof.
type cleanSpoof struct{}

func (cleanSpoof) Observe(spoof.FrameInfo) spoof.SessionResult { return spoof.SessionResult{Score: 1} }
func (cleanSpoof) Result() spoof.SessionResult                 { return spoof.SessionResult{Score: 1} }

func newReplayer(an *face.Analyzer, sp *spoof.Detector, seed uint64) (*replayer, error) {
	r := &replayer{cache: &cacheAnalyzer{}, store: &replayStore{}, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r.store.reset()
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	e, err := liveness.New(
		liveness.WithAnalyzer(an),
		liveness.WithSpoofDetector(sp),
		liveness.WithFrameAnalyzer(r.cache),
		liveness.WithStore(r.store),
		liveness.WithClock(func() time.Time { return r.now }),
		liveness.WithRand(rand.NewChaCha8(key)),
		liveness.WithLogger(slog.New(slog.DiscardHandler)),
		liveness.WithSpoofSessions(func() liveness.SpoofSession {
			if r.noSpoof {
				return cleanSpoof{}
			}
			if r.spoof == nil {
				return spoof.NewSession()
			}
			return &spoofView{sh: r.spoof}
		}),
	)
	if err != nil {
		return nil, err
	}
	r.engine = e
	return r, nil
}

// session replays seq over the cached frames, one frame per request every
// interval (every step-th video frame from the first), until the session
// ends or the video does. onStep, if set, sees each frame's step with its
// 1-based video frame number.
func (r *replayer) session(ctx context.Context, seq []challenge.ID, interval time.Duration, step int, mirrored bool, onStep func(challenge.Step) error) (*liveness.Session, error) {
	r.store.reset()
	r.now = r.now.Add(time.Hour)
	c, err := r.engine.Create(ctx, liveness.CreateOptions{Sequence: seq, Mirrored: mirrored})
	if err != nil {
		return nil, err
	}
	s := c.Session
	for i := 0; i < len(r.cache.frames); i += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.now = r.now.Add(interval)
		out, err := r.engine.Submit(ctx, s.ID, []liveness.Frame{{Data: []byte(strconv.Itoa(i))}}, nil)
		if err != nil {
			return nil, err
		}
		s = out.Session
		if onStep != nil {
			st := out.Step
			st.Frame = i + 1
			if err := onStep(st); err != nil {
				return nil, err
			}
		}
		if s.Status.Final() {
			break
		}
	}
	return s, nil
}

// final summarises an ended or abandoned session as the tracker's verdict.
func final(s *liveness.Session) challenge.Final {
	f := challenge.Final{Final: true, PassedChallenges: len(s.Passed), TotalChallenges: len(s.Challenges)}
	switch {
	case s.Status == liveness.StatusPassed:
		f.Passed, f.Reason = true, challenge.ReasonPassed
	case s.Status.Final():
		f.Reason = s.Reason
	case s.Frames == 0:
		f.Reason = challenge.ReasonNoFrames
	case len(s.AnnouncedAt) == 0:
		f.Reason = challenge.ReasonNoBaseline
	default:
		f.Reason = challenge.ReasonIncomplete
	}
	if !f.Passed && f.PassedChallenges < len(s.Challenges) {
		f.FailedChallenge = s.Challenges[f.PassedChallenges]
	}
	return f
}

// frameStep returns how many video frames apart the submitted frames are.
func frameStep(ro replayOptions) (int, error) {
	if ro.interval <= 0 || ro.fps <= 0 {
		return 0, errors.New("-interval and -fps must be positive")
	}
	return max(1, int(math.Round(ro.interval.Seconds()*ro.fps))), nil
}

// replayFile runs the -challenges sequence over a video through the engine,
// printing one JSON line per submitted frame and a final line.
func replayFile(ctx context.Context, rp *replayer, an *face.Analyzer, sp *spoof.Detector, file string, ro replayOptions, out *bufio.Writer) error {
	seq, err := challenge.ParseIDs(ro.challenges)
	if err != nil {
		return err
	}
	if _, err := challenge.NewTracker(seq); err != nil {
		return err
	}
	step, err := frameStep(ro)
	if err != nil {
		return err
	}
	if rp.cache.frames, err = analyseVideo(ctx, an, sp, file); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	s, err := rp.session(ctx, seq, ro.interval, step, ro.mirrored, func(st challenge.Step) error { return enc.Encode(st) })
	if err != nil {
		return err
	}
	return enc.Encode(final(s))
}

// sequenceLine is one replayed random sequence of -sequences.
type sequenceLine struct {
	File     string         `json:"file"`
	Sequence []challenge.ID `json:"sequence"`
	Passed   bool           `json:"passed"`
	Reason   string         `json:"reason"`
}

// summaryLine closes a file's -sequences output.
type summaryLine struct {
	File      string  `json:"file"`
	Summary   bool    `json:"summary"`
	Sequences int     `json:"sequences"`
	Length    int     `json:"length"`
	Passed    int     `json:"passed"`
	PassRate  float64 `json:"pass_rate"`
}

// sequencesFile replays ro.sequences random sequences of ro.length
// challenges over a video analysed once, each from the video's first frame.
// The sequences depend only on ro.seed (the same for every file).
func sequencesFile(ctx context.Context, rp *replayer, an *face.Analyzer, sp *spoof.Detector, file string, ro replayOptions, out *bufio.Writer) error {
	step, err := frameStep(ro)
	if err != nil {
		return err
	}
	if ro.length < challenge.MinLength || ro.length > challenge.MaxLength {
		return fmt.Errorf("-length must be %d–%d", challenge.MinLength, challenge.MaxLength)
	}
	if rp.cache.frames, err = analyseVideo(ctx, an, sp, file); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	passed, err := rp.sequences(ctx, ro, step, func(seq []challenge.ID, s *liveness.Session) error {
		f := final(s)
		return enc.Encode(sequenceLine{File: file, Sequence: seq, Passed: f.Passed, Reason: f.Reason})
	})
	if err != nil {
		return err
	}
	rate := 0.0
	if ro.sequences > 0 {
		rate = math.Round(float64(passed)/float64(ro.sequences)*1e4) / 1e4
	}
	return enc.Encode(summaryLine{File: file, Summary: true, Sequences: ro.sequences, Length: ro.length, Passed: passed, PassRate: rate})
}

// sequences replays ro.sequences random sequences of ro.length challenges
// over the cached video, each from its first frame, calling each for every
// ended or abandoned session, and returns how many passed. The sequences
// depend only on ro.seed.
func (rp *replayer) sequences(ctx context.Context, ro replayOptions, step int, each func([]challenge.ID, *liveness.Session) error) (int, error) {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(ro.seed >> (8 * i))
	}
	rng := rand.NewChaCha8(key)
	rp.spoof = newSharedSpoof()
	defer func() { rp.spoof = nil }()
	passed := 0
	for range ro.sequences {
		seq, err := challenge.NewSequence(ro.length, &challenge.SequenceOptions{Rand: rng})
		if err != nil {
			return 0, err
		}
		s, err := rp.session(ctx, seq, ro.interval, step, ro.mirrored, nil)
		if err != nil {
			return 0, err
		}
		if s.Status == liveness.StatusPassed {
			passed++
		}
		if each != nil {
			if err := each(seq, s); err != nil {
				return 0, err
			}
		}
	}
	return passed, nil
}

// sharedSpoof computes the per-session spoof signals of one video replayed
// at one interval once: every replayed session submits the same frames at
// the same session times from the video's start (only the challenge
// sequence differs, which the spoof signals never see), so the results of
// its k-th frame are those of any other session's k-th frame. A session
// whose frames differ from the recorded ones gets its own spoof.Session.
type sharedSpoof struct {
	master *spoof.Session
	in     []spoof.FrameInfo
	out    []spoof.SessionResult
	empty  spoof.SessionResult
}

func newSharedSpoof() *sharedSpoof {
	m := spoof.NewSession()
	return &sharedSpoof{master: m, empty: m.Result()}
}

// spoofView is one session's position in a sharedSpoof.
type spoofView struct {
	sh  *sharedSpoof
	n   int
	own *spoof.Session // after a mismatch
}

func sameInput(a, b spoof.FrameInfo) bool {
	if a.Time != b.Time || a.Box != b.Box || len(a.Points) != len(b.Points) || (a.Frame == nil) != (b.Frame == nil) || (a.Thumb == nil) != (b.Thumb == nil) {
		return false
	}
	for i := range a.Points {
		if a.Points[i] != b.Points[i] {
			return false
		}
	}
	return a.Frame == nil || a.Frame.Score == b.Frame.Score
}

func (v *spoofView) Observe(f spoof.FrameInfo) spoof.SessionResult {
	if v.own != nil {
		return v.own.Observe(f)
	}
	sh := v.sh
	switch {
	case v.n < len(sh.in) && sameInput(sh.in[v.n], f):
	case v.n == len(sh.in):
		sh.in = append(sh.in, f)
		sh.out = append(sh.out, sh.master.Observe(f))
	default:
		v.own = spoof.NewSession()
		for _, g := range sh.in[:v.n] {
			v.own.Observe(g)
		}
		return v.own.Observe(f)
	}
	v.n++
	return sh.out[v.n-1]
}

func (v *spoofView) Result() spoof.SessionResult {
	switch {
	case v.own != nil:
		return v.own.Result()
	case v.n == 0:
		return v.sh.empty
	}
	return v.sh.out[v.n-1]
}
