package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

// The cooperative-user simulator: from labelled action segments of one
// person (segments.csv), it plays the frames a person would show during a
// session: neutral frames; once an answer announces a challenge, the
// labelled action after a human reaction delay, then back to neutral
// frames until the next prompt. The session runs through the engine like
// any replay.

//go:embed segments.csv
var segmentsCSV string

// span is a 1-based inclusive range of video frames; holdFrom..holdTo is
// the part of an action segment that the person holds.
type span struct{ from, to, holdFrom, holdTo int }

// frames returns the number of frames of s.
func (s span) frames() int { return s.to - s.from + 1 }

// simPerson is one person's labelled segments, all in one video.
type simPerson struct {
	name    string
	video   string // path under the facedata directory, without .mjpeg
	neutral []span
	actions map[challenge.ID][]span
}

// challenges returns the challenges the person has segments for, in
// canonical order.
func (p *simPerson) challenges() []challenge.ID {
	var ids []challenge.ID
	for _, id := range challenge.IDs() {
		if len(p.actions[id]) > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// loadPersons parses segments.csv.
func loadPersons() ([]*simPerson, error) {
	var lines []string
	for _, l := range strings.Split(segmentsCSV, "\n") {
		if !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []*simPerson
	byName := map[string]*simPerson{}
	for i, r := range recs[1:] {
		if len(r) != 7 {
			return nil, fmt.Errorf("segments.csv line %d: %d fields", i+2, len(r))
		}
		var v [4]int
		for j := range v {
			n, err := strconv.Atoi(r[3+j])
			if err != nil {
				return nil, fmt.Errorf("segments.csv line %d: %w", i+2, err)
			}
			v[j] = n
		}
		sp := span{v[0], v[1], v[2], v[3]}
		if sp.from < 1 || sp.to < sp.from || sp.holdFrom < sp.from || sp.holdTo < sp.holdFrom || sp.holdTo > sp.to {
			return nil, fmt.Errorf("segments.csv line %d: bad ranges %v", i+2, r[3:])
		}
		p := byName[r[1]]
		if p == nil {
			p = &simPerson{name: r[1], video: r[0], actions: map[challenge.ID][]span{}}
			byName[r[1]] = p
			out = append(out, p)
		}
		if p.video != r[0] {
			return nil, fmt.Errorf("segments.csv line %d: person %s in two videos", i+2, r[1])
		}
		if r[2] == "NEUTRAL" {
			p.neutral = append(p.neutral, sp)
			continue
		}
		id, err := challenge.ParseID(r[2])
		if err != nil {
			return nil, fmt.Errorf("segments.csv line %d: %w", i+2, err)
		}
		p.actions[id] = append(p.actions[id], sp)
	}
	return out, nil
}

// simOptions are the knobs of one simulated session.
type simOptions struct {
	cadence time.Duration // time between captured frames
	burst   int           // frames per request (1: single frames)
	fps     float64       // frame rate of the video
	limit   time.Duration // give up after this long
}

// simAction is a scheduled performance of one challenge: the movement
// from start, the held part played back and forth until release (when the
// person saw the challenge pass, or gave up holding), then the way back.
type simAction struct {
	index   int // challenge index it answers
	seg     span
	start   time.Duration
	release time.Duration // maxDuration until known
}

// maxHold is how long a simulated person holds an action without being
// told it passed before relaxing and trying again.
const maxHold = 3 * time.Second

func frameTime(n int, fps float64) time.Duration {
	return time.Duration(float64(n) / fps * float64(time.Second))
}

// held returns when the held part starts.
func (a *simAction) held(fps float64) time.Duration {
	return a.start + frameTime(a.seg.holdFrom-a.seg.from, fps)
}

// end returns when the face is back at rest.
func (a *simAction) end(fps float64) time.Duration {
	rel := min(a.release, a.held(fps)+maxHold)
	return rel + frameTime(a.seg.to-a.seg.holdTo, fps)
}

// frame returns the 0-based video frame of the action at t, which lies
// between start and end.
func (a *simAction) frame(t time.Duration, fps float64) int {
	rel := min(a.release, a.held(fps)+maxHold)
	switch {
	case t < a.held(fps):
		return a.seg.from - 1 + int((t-a.start).Seconds()*fps)
	case t < rel:
		return pingPong(a.seg.holdFrom, a.seg.holdTo, int((t-a.held(fps)).Seconds()*fps))
	}
	return min(a.seg.to, a.seg.holdTo+int((t-rel).Seconds()*fps)) - 1
}

// pingPong returns the 0-based frame k steps into playing from..to back
// and forth.
func pingPong(from, to, k int) int {
	n := to - from + 1
	if n > 1 {
		k %= 2 * (n - 1)
		if k >= n {
			k = 2*(n-1) - k
		}
	} else {
		k = 0
	}
	return from - 1 + k
}

// cooperate runs one session of seq with p acting as asked, and returns
// the ended (or abandoned) session and the time it took. The caller has
// loaded p's video into rp.cache.
func (rp *replayer) cooperate(ctx context.Context, p *simPerson, seq []challenge.ID, o simOptions, rng *rand.Rand) (*liveness.Session, time.Duration, error) {
	rp.store.reset()
	rp.now = rp.now.Add(time.Hour)
	start := rp.now
	c, err := rp.engine.Create(ctx, liveness.CreateOptions{Sequence: seq})
	if err != nil {
		return nil, 0, err
	}
	s := c.Session
	neutral := p.neutral[rng.IntN(len(p.neutral))]
	neutralAt := time.Duration(0) // neutral playback restarts here
	var act *simAction
	// frameAt is the video frame (0-based) the person shows at session time t.
	frameAt := func(t time.Duration) int {
		if act != nil && t >= act.start && t < act.end(o.fps) {
			return act.frame(t, o.fps)
		}
		// Neutral frames play back and forth.
		return pingPong(neutral.from, neutral.to, int((t-neutralAt).Seconds()*o.fps))
	}
	reaction := func() time.Duration {
		return 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
	}
	var t time.Duration
	for t < o.limit {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		frames := make([]liveness.Frame, o.burst)
		for i := range frames {
			ct := t + time.Duration(i+1)*o.cadence
			frames[i] = liveness.Frame{Data: []byte(strconv.Itoa(frameAt(ct)))}
		}
		t += time.Duration(o.burst) * o.cadence
		rp.now = start.Add(t)
		var opts *liveness.SubmitOptions
		if o.burst > 1 {
			opts = &liveness.SubmitOptions{Interval: o.cadence}
		}
		out, err := rp.engine.Submit(ctx, s.ID, frames, opts)
		if err != nil {
			return nil, 0, err
		}
		if rp.trace != nil {
			rp.trace(t, frames, out)
		}
		s = out.Session
		if s.Status.Final() {
			break
		}
		k := s.Index
		if act != nil && act.index < k && act.release == maxDuration {
			act.release = max(t, act.held(o.fps)) // seen passed: relax
		}
		announced := k < len(s.Challenges) && len(s.AnnouncedAt) > k
		switch {
		case !announced:
		case act == nil || act.index != k:
			// A new prompt: react to it (after finishing the last action).
			begin := t + reaction()
			if act != nil {
				begin = max(begin, act.end(o.fps))
			}
			act = &simAction{index: k, seg: pick(p.actions[seq[k]], rng), start: begin, release: maxDuration}
		case t > act.end(o.fps):
			// Done but not passed: try again, as a user still asked to
			// would.
			neutralAt = t
			act = &simAction{index: k, seg: pick(p.actions[seq[k]], rng), start: t + reaction(), release: maxDuration}
		}
	}
	return s, rp.now.Sub(start), nil
}

// tracer sees every answer of a simulated session (for debugging).
type tracer func(t time.Duration, frames []liveness.Frame, out *liveness.Outcome)

const maxDuration = time.Duration(1<<63 - 1)

func pick(spans []span, rng *rand.Rand) span { return spans[rng.IntN(len(spans))] }

// cooperativeRuns simulates n sessions of length challenges for p, drawn
// from p's challenges, and calls each for every session.
func (rp *replayer) cooperativeRuns(ctx context.Context, p *simPerson, n, length int, o simOptions, seed uint64, each func(seq []challenge.ID, s *liveness.Session, took time.Duration)) error {
	rng := rand.New(rand.NewPCG(seed, 0x51))
	var key [32]byte
	key[0] = byte(seed)
	seqRand := rand.NewChaCha8(key)
	allow := p.challenges()
	rp.spoof = nil // frames differ between sessions: each gets its own spoof state
	for range n {
		seq, err := challenge.NewSequence(length, &challenge.SequenceOptions{Allow: slices.Clone(allow), Rand: seqRand})
		if err != nil {
			return err
		}
		s, took, err := rp.cooperate(ctx, p, seq, o, rng)
		if err != nil {
			return err
		}
		each(seq, s, took)
	}
	return nil
}
