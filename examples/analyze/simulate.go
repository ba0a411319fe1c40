package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
// frames until the next prompt. A session shows every video frame at most
// once (a camera filming a person never repeats itself, and the
// per-session spoof checks fail sessions that do). The session runs
// through the engine like any replay.

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

// step returns the session time per video frame while the person keeps
// still (neutral face, or an action held): one video frame per captured
// frame, and never faster than the video.
func (o simOptions) step() time.Duration {
	return max(o.cadence, frameTime(1, o.fps))
}

func frameTime(n int, fps float64) time.Duration {
	return time.Duration(float64(n) / fps * float64(time.Second))
}

// footage is what one simulated session has shown of the person's video:
// every video frame at most once, so that the session sees what a camera
// filming a real person sees (footage that never repeats).
type footage struct {
	used  map[int]bool // 0-based video frames shown
	reuse bool         // a frame had to be shown again
}

// free reports whether none of s's frames was shown.
func (f *footage) free(s span) bool {
	for i := s.from - 1; i < s.to; i++ {
		if f.used[i] {
			return false
		}
	}
	return true
}

// show marks frame i (0-based) as shown and returns it.
func (f *footage) show(i int) int {
	if f.used[i] {
		f.reuse = true
	}
	f.used[i] = true
	return i
}

// simAction is a scheduled performance of one challenge: the movement
// from start at the video's speed, the held part one video frame per
// captured frame until release (when the person saw the challenge pass),
// until it runs out or for at most maxHold, then the way back at the
// video's speed.
type simAction struct {
	index   int // challenge index it answers
	id      challenge.ID
	seg     span
	start   time.Duration
	release time.Duration // maxDuration until known
}

// maxHold is how long a simulated person holds an action without being
// told it passed before relaxing (and trying again while still asked);
// maxHoldBlink how long the eyes stay closed for BLINK, which passes only
// once they open again ("Close your eyes for a second / for two seconds").
const (
	maxHold      = 3 * time.Second
	maxHoldBlink = 2 * time.Second
)

// phases returns when the held part starts and when the way back starts.
func (a *simAction) phases(o simOptions) (held, back time.Duration) {
	held = a.start + frameTime(a.seg.holdFrom-a.seg.from, o.fps)
	hold := maxHold
	if a.id == challenge.Blink {
		hold = maxHoldBlink
	}
	back = held + min(hold, time.Duration(a.seg.holdTo-a.seg.holdFrom+1)*o.step())
	if a.release < back {
		back = max(held, a.release)
	}
	return held, back
}

// end returns when the face is back at rest.
func (a *simAction) end(o simOptions) time.Duration {
	_, back := a.phases(o)
	return back + frameTime(a.seg.to-a.seg.holdTo, o.fps)
}

// frame returns the 0-based video frame of the action at t, which lies
// between start and end.
func (a *simAction) frame(t time.Duration, o simOptions) int {
	held, back := a.phases(o)
	switch {
	case t < held:
		return min(a.seg.holdFrom-1, a.seg.from-1+int((t-a.start).Seconds()*o.fps))
	case t < back:
		return min(a.seg.holdTo-1, a.seg.holdFrom-1+int((t-held)/o.step()))
	}
	// The way back starts after the held part (what was not held is
	// skipped: the person relaxes).
	return min(a.seg.to-1, a.seg.holdTo+int((t-back).Seconds()*o.fps))
}

// neutralPlay plays the person's neutral footage forward, one video frame
// per captured frame, moving to another neutral stretch when one is used
// up.
type neutralPlay struct {
	p    *simPerson
	ft   *footage
	rng  *rand.Rand
	cur  int // 0-based video frame shown last; -1 before the first
	seg  span
	last time.Duration
}

func (n *neutralPlay) at(t time.Duration, o simOptions) int {
	if n.cur >= 0 && t-n.last < o.step() {
		return n.cur // between two captures of a still face (bursts faster than the video)
	}
	next := n.cur + 1
	if n.cur < 0 || next >= n.seg.to || n.ft.used[next] {
		n.seg, next = n.fresh()
	}
	n.cur, n.last = n.ft.show(next), t
	return n.cur
}

// fresh picks a neutral stretch with unshown frames and returns it with
// its first unshown frame; when every neutral frame was shown, a random
// stretch from its start (the footage then repeats).
func (n *neutralPlay) fresh() (span, int) {
	var open []span
	for _, s := range n.p.neutral {
		for i := s.from - 1; i < s.to; i++ {
			if !n.ft.used[i] {
				open = append(open, span{from: i + 1, to: s.to, holdFrom: i + 1, holdTo: s.to})
				break
			}
		}
	}
	if len(open) == 0 {
		s := pick(n.p.neutral, n.rng)
		return s, s.from - 1
	}
	s := pick(open, n.rng)
	return s, s.from - 1
}

// cooperate runs one session of seq with p acting as asked, and returns
// the ended (or abandoned) session, the time it took and whether the
// person's footage ran out (a video frame shown twice). The caller has
// loaded p's video into rp.cache.
func (rp *replayer) cooperate(ctx context.Context, p *simPerson, seq []challenge.ID, o simOptions, rng *rand.Rand) (*liveness.Session, time.Duration, bool, error) {
	rp.store.reset()
	rp.now = rp.now.Add(time.Hour)
	start := rp.now
	c, err := rp.engine.Create(ctx, liveness.CreateOptions{Sequence: seq})
	if err != nil {
		return nil, 0, false, err
	}
	s := c.Session
	ft := &footage{used: map[int]bool{}}
	neutral := &neutralPlay{p: p, ft: ft, rng: rng, cur: -1}
	// act is the action answering the current challenge; prev the one
	// before, whose way back may still be under way when the next
	// challenge is announced.
	var act, prev *simAction
	lastAction := -1
	// frameAt is the video frame (0-based) the person shows at session
	// time t (called with increasing t).
	frameAt := func(t time.Duration) int {
		for _, a := range []*simAction{prev, act} {
			if a != nil && t >= a.start && t < a.end(o) {
				if f := a.frame(t, o); f != lastAction {
					lastAction = f
					return ft.show(f)
				}
				return lastAction
			}
		}
		return neutral.at(t, o)
	}
	reaction := func() time.Duration {
		return 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
	}
	newAction := func(k int, begin time.Duration) *simAction {
		return &simAction{index: k, id: seq[k], seg: pickSegment(p.actions[seq[k]], ft, rng), start: begin, release: maxDuration}
	}
	var t time.Duration
	for t < o.limit {
		if err := ctx.Err(); err != nil {
			return nil, 0, false, err
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
			return nil, 0, false, err
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
			act.release = t // seen passed: relax
		}
		announced := k < len(s.Challenges) && len(s.AnnouncedAt) > k
		switch {
		case !announced:
		case act == nil || act.index != k:
			// A new prompt: react to it (after finishing the last action).
			begin := t + reaction()
			if act != nil {
				begin = max(begin, act.end(o))
			}
			prev, act = act, newAction(k, begin)
		case t > act.end(o):
			// Done but not passed: try again, as a user still asked to
			// would.
			act = newAction(k, t+reaction())
		case out.Step.Hint == challenge.HintNeutral && t >= act.start && act.release == maxDuration:
			// "Relax your face first, then do it": the action was seen
			// under way before the prompt (at a slow cadence the face
			// may not have been captured at rest in between). Relax now;
			// the next answer after the way back starts a new try.
			act.release = t
		}
	}
	return s, rp.now.Sub(start), ft.reuse, nil
}

// tracer sees every answer of a simulated session (for debugging).
type tracer func(t time.Duration, frames []liveness.Frame, out *liveness.Outcome)

const maxDuration = time.Duration(1<<63 - 1)

func pick(spans []span, rng *rand.Rand) span { return spans[rng.IntN(len(spans))] }

// pickSegment picks a random segment none of whose frames the session
// has shown, or any segment when there is none.
func pickSegment(spans []span, ft *footage, rng *rand.Rand) span {
	var open []span
	for _, s := range spans {
		if ft.free(s) {
			open = append(open, s)
		}
	}
	if len(open) == 0 {
		return pick(spans, rng)
	}
	return pick(open, rng)
}

// performable reports whether p has distinct segments for seq: one per
// challenge of seq, no two sharing a video frame.
func (p *simPerson) performable(seq []challenge.ID) bool {
	var chosen []span
	var try func(k int) bool
	try = func(k int) bool {
		if k == len(seq) {
			return true
		}
		for _, s := range p.actions[seq[k]] {
			if slices.ContainsFunc(chosen, s.overlaps) {
				continue
			}
			chosen = append(chosen, s)
			if try(k + 1) {
				return true
			}
			chosen = chosen[:len(chosen)-1]
		}
		return false
	}
	return try(0)
}

// overlaps reports whether s and o share a video frame.
func (s span) overlaps(o span) bool { return s.from <= o.to && o.from <= s.to }

// neutralFrames returns how many video frames p's neutral stretches hold.
func (p *simPerson) neutralFrames() int {
	n := 0
	for _, s := range p.neutral {
		n += s.frames()
	}
	return n
}

// maxLength returns the longest session (at most 5 challenges) p's
// footage allows without showing a video frame twice: distinct segments
// for every challenge (drawPerformable), and neutral frames for the first
// burst of 8 frames and, before each challenge, the slowest reaction
// (1.5 s, 13 frames at 120 ms) and 3 more (a late answer). 0 means none.
func (p *simPerson) maxLength() int {
	var key [32]byte
	for l := min(5, (p.neutralFrames()-8)/16); l >= 1; l-- {
		if _, ok, err := drawPerformable(p, l, rand.NewChaCha8(key)); err == nil && ok {
			return l
		}
	}
	return 0
}

// sequenceTries bounds the redraws of cooperativeRuns.
const sequenceTries = 1000

// drawPerformable draws a sequence of length challenges from p's
// challenges (challenge.NewSequence) that p has enough distinct segments
// for, redrawing up to sequenceTries times; ok is false when none came.
func drawPerformable(p *simPerson, length int, r io.Reader) (seq []challenge.ID, ok bool, err error) {
	allow := p.challenges()
	for range sequenceTries {
		seq, err = challenge.NewSequence(length, &challenge.SequenceOptions{Allow: slices.Clone(allow), Rand: r})
		if err != nil {
			return nil, false, err
		}
		if p.performable(seq) {
			return seq, true, nil
		}
	}
	return nil, false, nil
}

// simRun is one simulated session's outcome.
type simRun struct {
	seq     []challenge.ID
	session *liveness.Session
	took    time.Duration
	reused  bool // the person's footage ran out: a video frame shown twice
}

// cooperativeRuns simulates n sessions of length challenges for p, drawn
// from the sequences of p's challenges that p has distinct segments for
// (drawPerformable), and calls each for every session. It returns
// errNotPerformable when p has none.
func (rp *replayer) cooperativeRuns(ctx context.Context, p *simPerson, n, length int, o simOptions, seed uint64, each func(simRun)) error {
	rng := rand.New(rand.NewPCG(seed, 0x51))
	var key [32]byte
	key[0] = byte(seed)
	seqRand := rand.NewChaCha8(key)
	rp.spoof = nil // frames differ between sessions: each gets its own spoof state
	for range n {
		seq, ok, err := drawPerformable(p, length, seqRand)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: %w", p.name, errNotPerformable)
		}
		s, took, reused, err := rp.cooperate(ctx, p, seq, o, rng)
		if err != nil {
			return err
		}
		each(simRun{seq: seq, session: s, took: took, reused: reused})
	}
	return nil
}

// errNotPerformable: the person has too few distinct segments for
// sessions of the asked length.
var errNotPerformable = errors.New("too few distinct segments for this length")
