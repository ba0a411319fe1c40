package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	img   image.Image
	res   *face.Result
	rec   FrameRecord
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
	if len(frames) > e.cfg.maxBurstFrames {
		return nil, fmt.Errorf("%w: at most %d frames per request", ErrBadRequest, e.cfg.maxBurstFrames)
	}
	var interval time.Duration
	if opts != nil {
		interval = opts.Interval
	}
	if interval < 0 || interval > 2*time.Second {
		return nil, fmt.Errorf("%w: interval_ms must be 0–2000", ErrBadRequest)
	}
	// Decode everything first: a bad frame rejects the request and changes
	// nothing.
	imgs := make([]image.Image, len(frames))
	for i, f := range frames {
		img, err := face.Decode(f.Data, &e.cfg.decode)
		if err != nil {
			return nil, fmt.Errorf("%w: frame %d: %w", ErrBadFrame, i+1, err)
		}
		imgs[i] = img
	}
	arrival := e.cfg.clock()

	rt := e.runtimeEntry(id)
	rt.mu.Lock()
	defer rt.mu.Unlock()

	var results []analysed
	for attempt := 0; attempt < 4; attempt++ {
		s, err := e.cfg.store.Get(ctx, id)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				e.dropRuntime(id) // no cache entries for unknown ids
			}
			return nil, err
		}
		if s.Status.Final() {
			e.dropRuntime(id)
			return nil, &StateError{s.Status}
		}
		if !arrival.Before(s.ExpiresAt) {
			if _, err := e.expire(ctx, id); err != nil {
				return nil, err
			}
			return nil, ErrExpired
		}
		if rt.version != s.Version || rt.tracker == nil {
			if err := e.rebuild(rt, s); err != nil {
				return nil, err
			}
		}
		if results == nil {
			// Analyse once; a retry after a conflict re-applies the same
			// analyses to the fresh state.
			results = make([]analysed, len(imgs))
			for i, img := range imgs {
				a, err := e.analyse(ctx, img, rt.prev)
				if err != nil {
					return nil, err
				}
				a.data, a.img = frames[i].Data, img
				results[i] = a
				if a.res != nil && len(a.res.Faces) > 0 && a.res.Faces[0].Landmarks != nil {
					f := a.res.Faces[0]
					rt.prev = &f
				}
			}
		}
		passedBefore := len(s.Passed)
		var puts []pendingPut
		out := e.apply(rt, s, results, arrival, interval, &puts)
		if err := e.putEvidence(ctx, s.ID, puts); err != nil {
			rt.tracker = nil
			return nil, err
		}
		err = e.cfg.store.Update(ctx, s)
		if errors.Is(err, ErrConflict) {
			rt.tracker = nil // rebuild from the stored history
			continue
		}
		if err != nil {
			rt.tracker = nil
			return nil, err
		}
		rt.version = s.Version
		if s.Frames == len(results) {
			e.notify(ctx, EventStarted, s)
		}
		for _, p := range s.Passed[passedBefore:] {
			pb, _ := json.Marshal(p)
			e.audit(ctx, audit.Record{SessionID: s.ID, Type: audit.ChallengePassed, Payload: pb}, "")
		}
		if s.Status.Final() {
			e.dropRuntime(id)
			e.ended(ctx, s)
		}
		out.Session = s.clone()
		out.Session.History = nil
		return out, nil
	}
	return nil, errRetryConflict
}

// analyse runs the face and per-frame spoof analysis of one frame.
func (e *Engine) analyse(ctx context.Context, img image.Image, prev *face.Face) (analysed, error) {
	start := time.Now()
	var opts *face.AnalyzeOptions
	if prev != nil {
		opts = &face.AnalyzeOptions{Previous: prev}
	}
	res, err := e.analyzer.Analyze(ctx, img, opts)
	if err != nil {
		if ctx.Err() != nil {
			return analysed{}, ctx.Err()
		}
		return analysed{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	a := analysed{res: res, faces: len(res.Faces)}
	if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
		f := res.Faces[0]
		a.rec.Box = f.Box
		if sr, err := e.spoofDet.Check(img, f.Box); err == nil {
			thumb := sr.Thumb
			a.rec.Thumb = thumb[:]
			sr.Signals = spoof.Signals{} // recomputable; keep records small
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

// apply feeds analysed frames to the session's detectors and updates s.
func (e *Engine) apply(rt *runtime, s *Session, results []analysed, arrival time.Time, interval time.Duration, puts *[]pendingPut) *Outcome {
	defer func() {
		if s.Status.Final() {
			e.sealEvidence(s, puts)
		}
	}()
	out := &Outcome{}
	n := len(results)
	for i, a := range results {
		if s.Status.Final() {
			break
		}
		if s.Frames >= e.cfg.maxFrames {
			e.finish(s, StatusFailed, ReasonFrameLimit, min(rt.spoof.Result().Score, spoof.FailedScoreMax)) // not completed
			break
		}
		at := arrival.Sub(s.CreatedAt) - time.Duration(n-1-i)*interval
		if k := len(s.History); k > 0 && at <= s.History[k-1].Obs.Time {
			at = s.History[k-1].Obs.Time + time.Millisecond
		}
		rec := a.rec
		rec.Obs = e.observation(a.res, at, s.Mirrored)
		s.History = append(s.History, rec)
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
		e.captureEvidence(s, a, rec, step, puts)
		switch {
		case sr.Failed:
			s.AttackSignals = sr.AttackSignals
			e.finish(s, StatusFailed, ReasonSpoof, sr.Score) // sr.Score ≤ spoof.FailedScoreMax
		case rt.tracker.Done() && s.Frames < e.cfg.minFrames:
			out.Step.Hint, out.Step.Message = challenge.HintHold, "Hold still"
		case rt.tracker.Done():
			score := e.score(s, sr)
			if score < e.cfg.reviewScore {
				e.finish(s, StatusFailed, ReasonLowScore, score)
			} else {
				e.finish(s, StatusPassed, "", score)
			}
		}
	}
	return out
}

// feed applies one record to the runtime detectors.
func (e *Engine) feed(rt *runtime, rec FrameRecord) (challenge.Step, spoof.SessionResult) {
	step := rt.tracker.Observe(rec.Obs)
	fi := spoof.FrameInfo{Time: rec.Obs.Time, Box: rec.Box, Frame: rec.Spoof}
	if len(rec.Thumb) == spoof.ThumbSize*spoof.ThumbSize {
		var t spoof.Thumb
		copy(t[:], rec.Thumb)
		fi.Thumb = &t
	}
	if len(rec.Pts) > 0 {
		fi.Points = make([][2]float64, len(rec.Pts))
		for i, p := range rec.Pts {
			fi.Points[i] = [2]float64{float64(p[0]), float64(p[1])}
		}
	}
	return step, rt.spoof.Observe(fi)
}

// rebuild recreates the detectors of a session from its stored history.
func (e *Engine) rebuild(rt *runtime, s *Session) error {
	tr, err := challenge.NewTracker(s.Challenges, challenge.WithThresholds(e.cfg.thresholds))
	if err != nil {
		return err
	}
	rt.tracker = tr
	var sopts []spoof.SessionOption
	if e.cfg.spoofTh != nil {
		sopts = append(sopts, spoof.WithSessionThresholds(*e.cfg.spoofTh))
	}
	rt.spoof = spoof.NewSession(sopts...)
	rt.prev = nil
	for _, rec := range s.History {
		e.feed(rt, rec)
	}
	rt.version = s.Version
	return nil
}

// observation converts an analysis to the challenge detectors' input.
func (e *Engine) observation(res *face.Result, at time.Duration, mirrored bool) challenge.Observation {
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

// score combines the challenges and the spoof signals into 0..1 for a
// session that passed its challenges: the session's calibrated spoof
// confidence (the logistic of the mean calibrated per-frame log-odds of
// live, spoof.SessionResult.Score) weighted by the mean confidence of the
// passed challenges, score = spoof × (0.5 + 0.5 × challenges). A session
// failed on spoof is scored by spoof.Session alone (at most
// spoof.FailedScoreMax); see docs/spoof.md.
func (e *Engine) score(s *Session, sr spoof.SessionResult) float64 {
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
