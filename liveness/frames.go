package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/spoof"
)

// Frame is one camera frame submitted to a session.
type Frame struct {
	// Data is the encoded image: JPEG (or PNG).
	Data []byte
}

// SubmitOptions are per-call knobs of Submit.
type SubmitOptions struct {
	// Interval is the capture interval of a burst (frames taken Interval
	// apart, the last one now). Zero for frames sent one at a time, which
	// are timed by their arrival.
	Interval time.Duration
	// Slots, when set, admits the CPU-bound work: Submit holds one slot
	// while it decodes and analyses one frame, and none while it reads or
	// writes the store, the evidence or the notifier.
	Slots Slots
}

// Slots bounds concurrent frame analysis (a semaphore, possibly fair
// between tenants). Acquire blocks until a slot is free or ctx is done.
type Slots interface {
	Acquire(ctx context.Context) error
	Release()
}

// Pauser is implemented by Slots that can hold back a frame already in a
// slot so that cheaper work runs first. Submit calls Pause, while it
// holds a slot, at points inside the decoding (each row of blocks of each
// scan: face.DecodeOptions.Pause) and between the stages of the analysis,
// with the work the frame's headers declare (width × height × scans; 0
// when unknown). Pause returns at once when the frame may go on, blocks
// while it should give way, and returns ctx's error when ctx ends (the
// frame is then abandoned).
type Pauser interface {
	Pause(ctx context.Context, work int64) error
}

// Outcome is the result of submitting frames.
type Outcome struct {
	// Session is the session after the frames.
	Session *Session
	// ChallengePassed reports that a challenge passed with these frames.
	ChallengePassed bool
	// FaceDetected reports that the last frame showed a face.
	FaceDetected bool
	// Step is the challenge tracker's verdict on the last frame.
	Step challenge.Step
	// Spoof is the presentation-attack state after the frames.
	Spoof spoof.SessionResult
}

// FrameAnalyzer analyses one submitted frame: face detection, landmarks
// and measures, and the per-frame presentation-attack check of the main
// face. The engine's default decodes the frame (face.Decode with
// WithDecodeOptions), runs the face analyzer (WithAnalyzer) and the spoof
// detector (WithSpoofDetector). Tools that replay a recording many times
// inject one that returns cached analyses, so that only the engine's
// decisions run again. prev is the main face of the session's previous
// frame (nil for the first), for landmark tracking. An error wrapping
// ErrBadFrame rejects the request; any other error fails it as
// ErrUnavailable. Implementations must be safe for concurrent use.
type FrameAnalyzer interface {
	AnalyzeFrame(ctx context.Context, data []byte, prev *face.Face) (*FrameAnalysis, error)
}

// FrameAnalysis is the analysis of one frame.
type FrameAnalysis struct {
	// Image is the decoded frame, used for evidence crops; may be nil.
	Image image.Image
	// Result holds the faces found, largest first.
	Result *face.Result
	// Spoof is the per-frame check of Result.Faces[0], nil when there is
	// no face with landmarks or the check could not run.
	Spoof *spoof.Result
}

// WithFrameAnalyzer replaces the engine's frame analysis (see
// FrameAnalyzer); frames then reach it undecoded.
func WithFrameAnalyzer(a FrameAnalyzer) Option { return func(c *config) { c.frameAnalyzer = a } }

// landmark subset kept per frame for the session-level motion test: eye
// corners, brows, nose, mouth, jaw and face sides, spread in depth.
var historyPoints = [...]int{
	162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
	71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
	168, 197, 5, 4, 75, 97, 2, 326, 305,
	33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
	61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
	78, 82, 13, 312, 308, 317, 14, 87,
}

// analysed is one frame's analysis, before it is applied to a session.
type analysed struct {
	data  []byte
	img   image.Image // only while the frame is analysed
	match *float64    // similarity with the session's reference (verify.go), nil if not compared
	res   *face.Result
	rec   frameRec
	took  time.Duration
	faces int
}

// Submit analyses frames of a pending session and advances it: each frame
// goes through face analysis, the challenge detectors and the spoof
// signals; the session passes when its last challenge passes and fails at
// once on a confident presentation attack. A burst (several frames) is
// applied in order.
//
// Errors: ErrNotFound, ErrExpired (the session is then stored as expired),
// *StateError (already ended), ErrBadFrame (undecodable frame, nothing is
// applied), ErrNoFrames.
func (e *Engine) Submit(ctx context.Context, id string, frames []Frame, opts *SubmitOptions) (*Outcome, error) {
	if len(frames) == 0 {
		return nil, ErrNoFrames
	}
	lim := e.Limits()
	if len(frames) > lim.MaxBurstFrames {
		return nil, outOfRange("frames", 1, int64(lim.MaxBurstFrames))
	}
	var interval time.Duration
	var slots Slots
	if opts != nil {
		interval, slots = opts.Interval, opts.Slots
	}
	if interval < time.Duration(lim.MinIntervalMS)*time.Millisecond || interval > time.Duration(lim.MaxIntervalMS)*time.Millisecond {
		return nil, outOfRange("interval_ms", int64(lim.MinIntervalMS), int64(lim.MaxIntervalMS))
	}
	arrival := e.cfg.clock()

	rt := e.runtimeEntry(id)
	rt.mu.Lock()
	defer rt.mu.Unlock()

	var (
		results []analysed
		out     *Outcome
		gone    error // the session is unknown or ended: drop the runtime
	)
	s, err := e.update(ctx, id, func(s *Session, c *change) error {
		if s.Status.Final() {
			gone = &StateError{s.Status}
			return gone
		}
		if !arrival.Before(s.ExpiresAt) {
			return ErrExpired
		}
		if consentPending(s) {
			return ErrConsentRequired // consent.go
		}
		if rt.dirty || rt.version != s.Version || rt.tracker == nil {
			if err := e.rebuild(ctx, rt, s); err != nil {
				return err
			}
		}
		if results == nil {
			// Analyse once; a retry after a conflict re-applies the same
			// analyses to the fresh state. Frames are decoded and analysed
			// one at a time, so a burst never holds more than one decoded
			// image; a bad frame rejects the request and changes nothing.
			var err error
			if results, err = e.analyseFrames(ctx, rt, s, frames, slots); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err // the client went away: record nothing
		}
		rt.dirty = true // until the commit succeeds
		framesBefore := s.Frames
		passedBefore := len(s.Passed)
		var puts []pendingPut
		out = e.apply(rt, s, c, results, arrival, interval, &puts)
		if err := e.putEvidence(ctx, s.ID, puts); err != nil {
			return err
		}
		if framesBefore == 0 && s.Frames > 0 {
			c.event(EventStarted)
		}
		for _, p := range s.Passed[passedBefore:] {
			pb, _ := json.Marshal(p)
			c.audit(audit.Record{SessionID: s.ID, Type: audit.ChallengePassed, Payload: pb})
		}
		return e.ending(ctx, s, c, nil)
	})
	switch {
	case errors.Is(err, ErrNotFound) || gone != nil:
		e.dropRuntime(id) // no cache entries for unknown or ended ids
		return nil, err
	case errors.Is(err, ErrExpired):
		if _, err := e.expire(ctx, id); err != nil {
			return nil, err
		}
		return nil, ErrExpired
	case err != nil:
		return nil, err
	}
	rt.version, rt.dirty = s.Version, false
	if s.Status.Final() {
		e.dropRuntime(id)
		e.endedLocal(ctx, s)
	}
	out.Session = s.clone()
	return out, nil
}

// analyseFrames decodes and analyses frames in order, one at a time, each
// under a slot. It keeps no decoded image: the session photo is cropped
// once, when the session ends, from the stored best frontal frame.
func (e *Engine) analyseFrames(ctx context.Context, rt *runtime, s *Session, frames []Frame, slots Slots) ([]analysed, error) {
	results := make([]analysed, len(frames))
	for i, f := range frames {
		if slots != nil {
			if err := slots.Acquire(ctx); err != nil {
				return nil, err
			}
		}
		a, err := e.decodeAnalyse(ctx, f.Data, i, rt.prev, pauser(slots))
		if err == nil {
			a.match = e.matchScore(s, a.img, a.res) // verify.go
		}
		a.img = nil
		if slots != nil {
			slots.Release()
		}
		if err != nil {
			return nil, err
		}
		a.data = f.Data
		results[i] = a
		if a.res != nil && len(a.res.Faces) > 0 && a.res.Faces[0].Landmarks != nil {
			f := a.res.Faces[0]
			rt.prev = &f
		}
	}
	return results, nil
}

// pauser returns the pause points of slots: its Pause if it has one, else
// only the checks of ctx.
func pauser(slots Slots) func(ctx context.Context, work int64) error {
	if p, ok := slots.(Pauser); ok {
		return p.Pause
	}
	return func(ctx context.Context, _ int64) error { return ctx.Err() }
}

// decodeAnalyse decodes frame i and analyses it; an injected FrameAnalyzer
// decodes by itself. pause is called inside decoding and between the
// stages of the analysis: the work stops when ctx ends and gives way when
// the slots ask it to.
func (e *Engine) decodeAnalyse(ctx context.Context, data []byte, i int, prev *face.Face, pause func(context.Context, int64) error) (analysed, error) {
	if err := ctx.Err(); err != nil {
		return analysed{}, err
	}
	if e.cfg.frameAnalyzer != nil {
		a, err := e.analyse(ctx, data, nil, prev, nil)
		if errors.Is(err, ErrBadFrame) {
			err = &Error{Code: CodeBadFrame, Frame: i + 1, Err: err}
		}
		return a, err
	}
	opts := e.cfg.decode
	var work int64
	opts.Pause = func(w int64) error {
		work = w
		return pause(ctx, w)
	}
	img, err := face.Decode(data, &opts)
	if err != nil {
		if ctx.Err() != nil {
			return analysed{}, ctx.Err()
		}
		return analysed{}, &Error{Code: CodeBadFrame, Frame: i + 1, Err: err}
	}
	a, err := e.analyse(ctx, data, img, prev, func() error { return pause(ctx, work) })
	a.img = img
	return a, err
}

// analyse runs the face and per-frame spoof analysis of one frame: the
// injected FrameAnalyzer's on data, or the built-in one on img, which
// calls pause (if not nil) between its stages.
func (e *Engine) analyse(ctx context.Context, data []byte, img image.Image, prev *face.Face, pause func() error) (analysed, error) {
	start := time.Now()
	var (
		fa  *FrameAnalysis
		err error
	)
	if e.cfg.frameAnalyzer != nil {
		fa, err = e.cfg.frameAnalyzer.AnalyzeFrame(ctx, data, prev)
		if errors.Is(err, ErrBadFrame) {
			return analysed{}, err
		}
	} else {
		fa, err = e.analyseBuiltin(ctx, img, prev, pause)
	}
	if err != nil {
		if ctx.Err() != nil {
			return analysed{}, ctx.Err()
		}
		return analysed{}, unavailable(err)
	}
	res := fa.Result
	if res == nil {
		res = &face.Result{}
	}
	a := analysed{res: res, img: fa.Image, faces: len(res.Faces)}
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		f := res.Faces[0]
		a.rec.Box = f.Box
		if fa.Spoof != nil {
			sr := *fa.Spoof
			thumb := sr.Thumb
			a.rec.Thumb = thumb[:]
			// Keep in the live record only what the persisted FrameRecord
			// keeps, so live and replayed detectors see the same frame:
			// the signals are recomputable, the thumbnail is rec.Thumb.
			sr.Signals, sr.Thumb = spoof.Signals{}, spoof.Thumb{}
			a.rec.Spoof = &sr
		}
		a.rec.Pts = make([][2]float32, len(historyPoints))
		for i, k := range historyPoints {
			p := f.Landmarks.Points[k]
			a.rec.Pts[i] = [2]float32{float32(p.X), float32(p.Y)}
		}
	}
	a.took = time.Since(start)
	if e.cfg.observer != nil {
		e.cfg.observer.FrameAnalysed(a.took, a.faces)
	}
	return a, nil
}

// analyseBuiltin is the default frame analysis of a decoded frame.
func (e *Engine) analyseBuiltin(ctx context.Context, img image.Image, prev *face.Face, pause func() error) (*FrameAnalysis, error) {
	opts := &face.AnalyzeOptions{Previous: prev, Pause: pause}
	res, err := e.analyzer.Analyze(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	if pause != nil {
		if err := pause(); err != nil {
			return nil, err
		}
	}
	fa := &FrameAnalysis{Image: img, Result: res}
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		f := &res.Faces[0]
		var sr spoof.Result
		if err := e.spoofDet.CheckWith(img, f.Box, &spoof.CheckOptions{Mesh: &f.Landmarks.Texture}, &sr); err == nil {
			fa.Spoof = &sr
		}
	}
	return fa, nil
}

// apply feeds analysed frames to the session's detectors, updates s and
// appends the frames' records to c.
func (e *Engine) apply(rt *runtime, s *Session, c *change, results []analysed, arrival time.Time, interval time.Duration, puts *[]pendingPut) *Outcome {
	out := &Outcome{}
	n := len(results)
	if dl, ok := rt.tracker.Deadline(); ok && arrival.Sub(s.CreatedAt) > dl+e.cfg.lateGrace {
		// Arrived too late for any frame of it to count, whatever their
		// capture times claim.
		e.finish(s, StatusFailed, ReasonChallengeTimeout, min(rt.spoof.Result().Score, spoof.FailedScoreMax)) // not completed
		out.Step = challenge.Step{Challenge: s.Current(), Index: s.Index, Failed: ReasonChallengeTimeout}
		return out
	}
	for i, a := range results {
		if s.Status.Final() {
			break
		}
		if s.Frames >= e.cfg.maxFrames {
			e.finish(s, StatusFailed, ReasonFrameLimit, min(rt.spoof.Result().Score, spoof.FailedScoreMax)) // not completed
			break
		}
		at := arrival.Sub(s.CreatedAt) - time.Duration(n-1-i)*interval
		if rt.hasLast && at <= rt.last {
			at = rt.last + time.Millisecond
		}
		rec := a.rec
		rec.Obs = e.observation(a.res, at, s.Mirrored)
		c.Frames = append(c.Frames, rec.record())
		rt.last, rt.hasLast = at, true
		s.Frames++
		if rec.Obs.FaceCount == 1 {
			s.FacesSeen++
		}
		out.FaceDetected = rec.Obs.FaceCount > 0
		step, sr := e.feed(rt, rec)
		out.Step, out.Spoof = step, sr
		if step.Passed {
			out.ChallengePassed = true
			s.Passed = append(s.Passed, PassedChallenge{Challenge: step.Challenge, Confidence: step.Confidence, Frame: s.Frames, At: arrival.UTC()})
			s.Index = len(s.Passed)
		}
		s.Strikes = rt.tracker.Strikes()
		e.captureEvidence(s, a, rec, step, puts)
		e.observeMatch(s, a, rec)
		switch {
		case sr.Failed:
			s.AttackSignals = sr.AttackSignals
			e.finish(s, StatusFailed, ReasonSpoof, sr.Score) // sr.Score ≤ spoof.FailedScoreMax
		case step.Failed != "":
			e.finish(s, StatusFailed, step.Failed, min(sr.Score, spoof.FailedScoreMax)) // not completed
		case rt.tracker.Done() && s.Frames < e.cfg.minFrames:
			out.Step.Hint, out.Step.Message = challenge.HintHold, "Hold still"
		case rt.tracker.Done():
			score := e.score(s, sr)
			if score < e.cfg.reviewScore {
				e.finish(s, StatusFailed, ReasonLowScore, score)
			} else {
				e.finish(s, StatusPassed, "", score)
				e.applyMatch(s)
			}
		}
	}
	e.announce(rt, s, arrival)
	return out
}

// announce records that the response to this request shows the current
// challenge: its response window starts at arrival (or at the last
// frame's capture time, if later).
func (e *Engine) announce(rt *runtime, s *Session, arrival time.Time) {
	s.ChallengeDeadline = time.Time{}
	if s.Status.Final() {
		return
	}
	at := arrival.Sub(s.CreatedAt)
	if rt.hasLast {
		at = max(at, rt.last)
	}
	rt.tracker.Announce(at)
	got, ok := rt.tracker.Announced()
	if !ok {
		return
	}
	if len(s.AnnouncedAt) == s.Index {
		s.AnnouncedAt = append(s.AnnouncedAt, s.CreatedAt.Add(got))
	}
	dl, _ := rt.tracker.Deadline()
	s.ChallengeDeadline = s.CreatedAt.Add(dl)
}

// trackerThresholds returns the challenge thresholds for s: the engine's,
// with the response window s was created with.
func (e *Engine) trackerThresholds(s *Session) challenge.Thresholds {
	th := e.cfg.thresholds
	if s.ChallengeWindow > 0 {
		th.ResponseWindow = s.ChallengeWindow
	}
	return th
}

// feed applies one record to the runtime detectors.
func (e *Engine) feed(rt *runtime, rec frameRec) (challenge.Step, spoof.SessionResult) {
	step := rt.tracker.Observe(rec.Obs)
	return step, rt.spoof.Observe(rec.spoofFrame())
}

// rebuild recreates the detectors of a session from its frame log: the
// only place a frame goes on reading it (a conflict, a restart, another
// replica's frames, an evicted runtime).
func (e *Engine) rebuild(ctx context.Context, rt *runtime, s *Session) error {
	var log []FrameRecord
	if s.Frames > 0 {
		var err error
		if log, err = e.cfg.store.Frames(ctx, s.ID, 0); err != nil {
			return err
		}
	}
	tr, err := challenge.NewTracker(s.Challenges, challenge.WithThresholds(e.trackerThresholds(s)), challenge.WithManualAnnounce())
	if err != nil {
		return err
	}
	rt.tracker = tr
	var sopts []spoof.SessionOption
	if e.cfg.spoofTh != nil {
		sopts = append(sopts, spoof.WithSessionThresholds(*e.cfg.spoofTh))
	}
	if e.cfg.spoofSessions != nil {
		rt.spoof = e.cfg.spoofSessions()
	} else {
		rt.spoof = spoof.NewSession(sopts...)
	}
	rt.prev, rt.hasLast, rt.last = nil, false, 0
	for i := range log {
		rec := log[i].frame()
		rt.last, rt.hasLast = rec.Obs.Time, true
		// Announcements are replayed before the frames that followed them.
		if _, k, ok := tr.Current(); ok && k < len(s.AnnouncedAt) {
			tr.Announce(s.AnnouncedAt[k].Sub(s.CreatedAt))
		}
		e.feed(rt, rec)
	}
	if _, k, ok := tr.Current(); ok && k < len(s.AnnouncedAt) {
		tr.Announce(s.AnnouncedAt[k].Sub(s.CreatedAt))
	}
	rt.version, rt.dirty = s.Version, false
	return nil
}

// observation converts an analysis to the challenge detectors' input.
func (e *Engine) observation(res *face.Result, at time.Duration, mirrored bool) challenge.Observation {
	return ObservationOf(res, at, mirrored)
}

// ObservationOf converts a face analysis to the challenge detectors' input
// as the engine does: the largest face's pose, eye, mouth and brow
// measures, eye band and width share, at time at (since the session
// started); mirrored declares a mirrored frame. The replay and evaluation
// tools use it so that their detectors see exactly what the engine's see.
func ObservationOf(res *face.Result, at time.Duration, mirrored bool) challenge.Observation {
	f := challenge.ImageFrame{Time: at}
	if res != nil && len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		top := res.Faces[0]
		f.FaceCount = len(res.Faces)
		f.Yaw, f.Pitch, f.Roll = top.Pose.Yaw, top.Pose.Pitch, top.Pose.Roll
		f.EARImageLeft, f.EARImageRight = top.Measures.EARLeft, top.Measures.EARRight
		f.MAR, f.Smile, f.Brow = top.Measures.MAR, top.Measures.Smile, top.Measures.Brow
		f.EyeBand = top.EyeBand
		if res.Width > 0 {
			f.FaceWidthFrac = float64(top.Box.Dx()) / float64(res.Width)
		}
	}
	return f.Observation(mirrored)
}

// score is the score of a session that passed its challenges: the
// calibrated probability that a live person completed it
// (ScoreFeatures.LiveProbability, score.go, from the session's per-frame
// spoof scores). Without per-frame spoof scores it is the documented rule
// spoof × (0.5 + 0.5 × mean challenge confidence). A session failed on
// spoof is scored by spoof.Session alone, and one that did not complete
// (challenge_timeout, unexpected_action, frame_limit) is capped the same
// way: both at most spoof.FailedScoreMax; see docs/engine.md.
func (e *Engine) score(s *Session, sr spoof.SessionResult) float64 {
	if f := ScoreFeaturesOf(sr); f.Scored > 0 {
		return f.LiveProbability()
	}
	c := 1.0
	if len(s.Passed) > 0 {
		c = 0
		for _, p := range s.Passed {
			c += p.Confidence
		}
		c /= float64(len(s.Passed))
	}
	return sr.Score * (0.5 + 0.5*c)
}

// runtimeEntry returns the process-local state holder of a session.
func (e *Engine) runtimeEntry(id string) *runtime {
	e.mu.Lock()
	defer e.mu.Unlock()
	rt, ok := e.cache[id]
	if !ok {
		if len(e.cache) >= e.cfg.cacheSize {
			for k := range e.cache { // evict an arbitrary entry
				delete(e.cache, k)
				break
			}
		}
		rt = &runtime{}
		e.cache[id] = rt
	}
	return rt
}
