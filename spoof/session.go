package spoof

import (
	"image"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// ReasonSpoofDetected is the reason a session fails with, whatever the
// signal; SessionResult.Cause names the signal.
const ReasonSpoofDetected = "spoof_detected"

// Session causes, in SessionResult.Cause.
const (
	CauseFrozen        = "frozen_frames"      // the same frame repeated
	CauseLooped        = "looped_frames"      // a moving clip played again
	CausePlanar        = "planar_motion"      // the face moves as one flat plane
	CauseDiscontinuity = "face_discontinuity" // the face jumped: another subject
	CauseFrameAttack   = "frame_attack"       // a confident per-frame attack
	CauseFrameScore    = "frame_score"        // most frames below the operating point
	CauseFrameEvidence = "frame_evidence"     // per-frame attack evidence accumulated
)

// FailedScoreMax bounds SessionResult.Score once a session failed: a
// failed session never reports a live confidence above it.
const FailedScoreMax = 0.05

// FrameInfo is what a Session needs of one frame. Fields may be left zero
// when unknown: a frame without Points does not enter the motion test, a
// frame without Thumb not the repetition and texture tests, a frame
// without Frame not the score.
type FrameInfo struct {
	// Time is the frame's capture time since the session started.
	Time time.Duration
	// Box is the face box in pixels; empty when no face was found.
	Box image.Rectangle
	// Points are face landmarks in pixels, in the same order on every
	// frame (for example the 478 points of a face mesh).
	Points [][2]float64
	// Thumb is the 64×64 grey view of Box (Result.Thumb).
	Thumb *Thumb
	// Frame is the per-frame result of this face, if computed.
	Frame *Result
}

// SessionSignals are the running measurements of a Session.
type SessionSignals struct {
	// Frames counts observed frames, Faces those with a face.
	Frames int `json:"frames"`
	Faces  int `json:"faces"`
	// FrozenRun is the current number of consecutive repeats of an
	// identical face view (same box, same pixels).
	FrozenRun int `json:"frozen_run"`
	// LoopFrames counts frames that continue a replay: the face moves,
	// yet this frame and the ones before it repeat, almost pixel for
	// pixel, frames the same number of frames back.
	LoopFrames int `json:"loop_frames"`
	// PlanarFrames counts frames that changed shape beyond a similarity
	// (out-of-plane motion) while one homography still explains their
	// motion, each in a new pose (SessionThresholds.PlanarStep);
	// DepthFrames those where it does not (a head, or a face that changes
	// expression).
	PlanarFrames int `json:"planar_frames"`
	DepthFrames  int `json:"depth_frames"`
	// ShapeChange is the last frame's out-of-plane shape change: how far
	// the homography that best maps the reference landmarks onto the
	// frame's departs from a similarity, over the landmarks' RMS spread.
	// LandmarkRatio is that homography's residual over the landmarks'
	// whole change beyond a similarity.
	ShapeChange   float64 `json:"shape_change"`
	LandmarkRatio float64 `json:"landmark_ratio"`
	// TextureResidual is the last frame's texture motion left unexplained
	// by one homography, in pixels of the 64×64 view (−1 when not
	// measured).
	TextureResidual float64 `json:"texture_residual"`
	// Jumps counts face discontinuities between consecutive frames.
	Jumps int `json:"jumps"`
	// Scored counts frames with a per-frame result; MeanScore is their
	// mean score, AttackFrames those below the operating point,
	// ConfidentFrames those below the confident-attack threshold.
	Scored          int     `json:"scored"`
	MeanScore       float64 `json:"mean_score"`
	AttackFrames    int     `json:"attack_frames"`
	ConfidentFrames int     `json:"confident_frames"`
	// MeanLogit is the mean per-frame log-odds of live, each frame's
	// clamped to ±SessionThresholds.EvidenceCap.
	MeanLogit float64 `json:"mean_logit"`
	// Evidence is the accumulated attack evidence (a CUSUM of the
	// frames' log-odds, see SessionThresholds.EvidenceFail); MaxEvidence
	// its largest value so far.
	Evidence    float64 `json:"evidence"`
	MaxEvidence float64 `json:"max_evidence"`
}

// SessionResult is the state of a Session after a frame.
type SessionResult struct {
	// Failed is true once a presentation attack is detected; it stays
	// true for the rest of the session.
	Failed bool `json:"failed"`
	// Reason is ReasonSpoofDetected when Failed; Cause names the signal
	// (the Cause… constants) and FailedAt the frame (1-based) it failed on.
	Reason   string `json:"reason,omitempty"`
	Cause    string `json:"cause,omitempty"`
	FailedAt int    `json:"failed_at,omitempty"`
	// Score is the session's liveness confidence, 0 to 1: the logistic
	// of the mean calibrated per-frame log-odds of live (MeanLogit; 1
	// before any frame is scored), at most FailedScoreMax once Failed.
	Score float64 `json:"score"`
	// AttackSignals names the evidence behind a failure, for review:
	// "frozen_frame", "looped_clip", "planar_motion", "face_swap", or the
	// per-frame signal groups that lowered the attack frames' scores most
	// ("screen_moire", "display_color", "specular_glare", "frame_edges",
	// "screen_light", "texture", "blur"). Empty while not failed.
	AttackSignals []string       `json:"attack_signals,omitempty"`
	Signals       SessionSignals `json:"signals"`
}

// SessionThresholds are the decision rules of a Session. Box moves are
// relative to the box size, landmark residuals to the landmarks' RMS
// spread, view differences in grey levels (mean absolute difference of
// 32×32 reductions of the thumbs).
type SessionThresholds struct {
	// FrozenRun identical consecutive views fail the session (default 5)
	// once they span FrozenSpan: a still at 25 frames per second is
	// caught on frame 21. Sensor noise keeps a live face from giving
	// bit-identical views; a compressed stream may repeat a frame now and
	// then.
	FrozenRun int
	// FrozenSpan is the shortest time the identical views must span
	// (default 800 ms): a camera or a low-rate stream stalls for a few
	// frames now and then, an injected still does not move at all.
	FrozenSpan time.Duration
	// A loop frame moves (view difference to the previous frame at least
	// LoopMove, default 1.0), repeats a frame at least LoopLag frames back
	// (default 3) within LoopMatch (default 0.3), and is the LoopRun-th
	// consecutive frame (default 3) to repeat at that same lag, once the
	// box moved at least LoopBoxMove (default 0.05) over the run.
	// LoopFrames loop frames fail the session (default 2). LoopHistory
	// frames are kept (default 150, six seconds at 25 frames per second).
	LoopMove, LoopMatch, LoopBoxMove float64
	LoopLag, LoopRun, LoopFrames     int
	LoopHistory                      int
	// ShapeMin is the out-of-plane shape change (ShapeChange) above which
	// a frame is judged for planarity (default 0.02).
	//
	// With thumbs, a frame is planar when its TextureResidual is at most
	// TexturePlanar pixels (default 0.35) and shows depth when it is at
	// least TextureDepth (default 0.6). Without thumbs, the landmarks
	// alone decide: planar when LandmarkRatio ≤ PlanarRatio (default
	// 0.55), depth when ≥ DepthRatio (default 0.65). A face-mesh model's
	// 3-D prior keeps the landmarks of a moving photograph from fitting
	// one homography exactly, which makes the landmark test much weaker
	// than the texture test.
	ShapeMin                    float64
	TexturePlanar, TextureDepth float64
	PlanarRatio, DepthRatio     float64
	// PlanarFrames planar frames fail the session (default 5) unless
	// depth frames are at least half as many.
	PlanarFrames int
	// PlanarStep is the out-of-plane shape change a planar frame must
	// show against the last frame counted as planar before it counts too
	// (default 0.01; 0 counts every planar frame). A head held still in
	// a pose a little off the reference one gives the same measurement
	// frame after frame, with too little parallax for the texture test
	// to see depth: repeating it is no new evidence of a plane. A moving
	// photograph shows a new pose on every frame it moves.
	PlanarStep float64
	// JumpMove (default 0.5 box sizes), JumpScale (default 1.5×),
	// JumpShape (default 0.15) and JumpAppearance (default 25 grey levels)
	// define a discontinuity between consecutive face frames less than
	// JumpGap apart (default 500 ms): a box jump (move or scale) together
	// with a landmark-shape or appearance jump. JumpFrames discontinuities
	// fail the session (default 1).
	JumpMove, JumpScale, JumpShape, JumpAppearance float64
	JumpGap                                        time.Duration
	JumpFrames                                     int
	// ScoreFrames: once this many frames are scored, the session fails
	// when more than half are below the operating point (default 0: off,
	// the evidence rule below replaces it).
	ScoreFrames int
	// ConfidentFrames confident per-frame attacks fail the session
	// (default 0: off; one frame never ends a session by default).
	ConfidentFrames int
	// The evidence rule accumulates the frames' log-odds above the
	// operating point m (Result.Margin, clamped to ±EvidenceCap, default
	// 3) as a CUSUM: E = max(0, E − m − EvidenceDrift), EvidenceDrift
	// default 0.5, and fails the session when E reaches EvidenceFail
	// (default 12). With the cap, no fewer than
	// EvidenceFail/(EvidenceCap−EvidenceDrift) frames (5 by default) can
	// fail a session, and frames above the operating point pull the sum
	// back down.
	EvidenceCap, EvidenceDrift, EvidenceFail float64
}

// DefaultSessionThresholds returns the documented defaults.
func DefaultSessionThresholds() SessionThresholds {
	return SessionThresholds{
		FrozenRun:      5,
		FrozenSpan:     800 * time.Millisecond,
		LoopMove:       1.0,
		LoopMatch:      0.3,
		LoopBoxMove:    0.05,
		LoopLag:        3,
		LoopRun:        3,
		LoopFrames:     2,
		LoopHistory:    150,
		ShapeMin:       0.02,
		TexturePlanar:  0.2,
		TextureDepth:   0.3,
		PlanarRatio:    0.55,
		DepthRatio:     0.65,
		PlanarFrames:   5,
		PlanarStep:     0.01,
		JumpMove:       0.5,
		JumpScale:      1.5,
		JumpShape:      0.15,
		JumpAppearance: 25,
		JumpGap:        500 * time.Millisecond,
		JumpFrames:     1,
		EvidenceCap:    3,
		EvidenceDrift:  0.5,
		EvidenceFail:   12,
	}
}

// SessionOption configures a Session.
type SessionOption func(*Session)

// WithSessionThresholds replaces the default thresholds.
func WithSessionThresholds(t SessionThresholds) SessionOption {
	return func(s *Session) { s.th = t }
}

// small is a 32×32 reduction of a Thumb, kept for the repetition tests.
type small [smallSize * smallSize]uint8

const smallSize = ThumbSize / 2

// Session accumulates the per-session signals of one liveness session,
// fed frame by frame in capture order. It is not safe for concurrent use:
// one goroutine (the one handling the session's frames) owns it.
type Session struct {
	th  SessionThresholds
	res SessionResult

	prev *faceState // last frame with a face
	// Ring of recent views for the loop test.
	ring     []small
	hashes   []uint64
	boxes    []image.Rectangle
	runs     []int // runs[k]: consecutive frames repeating at lag k
	ringNext int
	ringLen  int

	ref     *faceState // reference frame of the motion test
	refSprd float64
	// planarPoses are the landmarks of the frames counted as planar
	// (at most maxPlanarPoses, the latest).
	planarPoses [][][2]float64
	proj        [][2]float64
	tex         textureWork
	scoreSum    float64
	logitSum    float64
	// frozenSince is the time of the first view of the current run of
	// identical views.
	frozenSince time.Duration
	causes      map[string]int // per-frame causes of attack frames
}

type faceState struct {
	t      time.Duration
	box    image.Rectangle
	points [][2]float64
	thumb  Thumb
	small  small
	has    bool // thumb present
}

// NewSession returns an empty Session.
func NewSession(opts ...SessionOption) *Session {
	s := &Session{th: DefaultSessionThresholds()}
	for _, o := range opts {
		o(s)
	}
	n := max(1, s.th.LoopHistory)
	s.ring = make([]small, n)
	s.hashes = make([]uint64, n)
	s.boxes = make([]image.Rectangle, n)
	s.runs = make([]int, n+1)
	s.res.Score = 1
	s.res.Signals.TextureResidual = -1
	return s
}

// Result returns the current state without observing a frame.
func (s *Session) Result() SessionResult { return s.res }

// Observe adds one frame and returns the session state after it. Once
// failed, a session stays failed; later frames still update Signals.
func (s *Session) Observe(f FrameInfo) SessionResult {
	s.observe(f)
	s.finishScore()
	return s.res
}

func (s *Session) observe(f FrameInfo) {
	r := &s.res
	r.Signals.Frames++
	frame := r.Signals.Frames
	fail := func(cause string) {
		if !r.Failed {
			r.Failed, r.Reason, r.Cause, r.FailedAt = true, ReasonSpoofDetected, cause, frame
			r.AttackSignals = s.attackSignals(cause)
		}
	}
	if f.Frame != nil {
		sg := &r.Signals
		sg.Scored++
		s.scoreSum += f.Frame.Score
		sg.MeanScore = s.scoreSum / float64(sg.Scored)
		z, e := logit(f.Frame.Score), f.Frame.Margin
		if c := s.th.EvidenceCap; c > 0 {
			z, e = max(-c, min(c, z)), max(-c, min(c, e))
		}
		s.logitSum += z
		sg.MeanLogit = s.logitSum / float64(sg.Scored)
		sg.Evidence = max(0, sg.Evidence-e-s.th.EvidenceDrift)
		sg.MaxEvidence = max(sg.MaxEvidence, sg.Evidence)
		if f.Frame.Attack {
			sg.AttackFrames++
			if f.Frame.Cause != "" {
				if s.causes == nil {
					s.causes = map[string]int{}
				}
				s.causes[f.Frame.Cause]++
			}
		}
		if f.Frame.Confident {
			sg.ConfidentFrames++
			if s.th.ConfidentFrames > 0 && sg.ConfidentFrames >= s.th.ConfidentFrames {
				fail(CauseFrameAttack)
			}
		}
		if s.th.ScoreFrames > 0 && sg.Scored >= s.th.ScoreFrames && 2*sg.AttackFrames > sg.Scored {
			fail(CauseFrameScore)
		}
		if s.th.EvidenceFail > 0 && sg.Evidence >= s.th.EvidenceFail {
			fail(CauseFrameEvidence)
		}
	}
	if f.Box.Empty() {
		return
	}
	r.Signals.Faces++
	cur := &faceState{t: f.Time, box: f.Box}
	if f.Thumb != nil {
		cur.thumb, cur.has = *f.Thumb, true
		reduce(&cur.thumb, &cur.small)
	}
	if len(f.Points) > 0 {
		cur.points = append([][2]float64(nil), f.Points...)
	}
	if cur.has {
		s.repetition(cur)
		if r.Signals.FrozenRun >= s.th.FrozenRun && f.Time-s.frozenSince >= s.th.FrozenSpan {
			fail(CauseFrozen)
		}
		if r.Signals.LoopFrames >= s.th.LoopFrames {
			fail(CauseLooped)
		}
	}
	if s.planar(cur) {
		fail(CausePlanar)
	}
	if s.prev != nil && s.jump(s.prev, cur) {
		r.Signals.Jumps++
		if r.Signals.Jumps >= s.th.JumpFrames {
			fail(CauseDiscontinuity)
		}
	}
	s.prev = cur
}

// finishScore sets Score from the mean log-odds, bounded once failed.
func (s *Session) finishScore() {
	r := &s.res
	if r.Signals.Scored > 0 {
		r.Score = sigmoid(r.Signals.MeanLogit)
	}
	if r.Failed {
		r.Score = min(r.Score, FailedScoreMax)
	}
}

// causeSignals names the session causes in SessionResult.AttackSignals.
var causeSignals = map[string]string{
	CauseFrozen:        "frozen_frame",
	CauseLooped:        "looped_clip",
	CausePlanar:        "planar_motion",
	CauseDiscontinuity: "face_swap",
}

// groupSignals names the per-frame signal groups (Result.Cause) in
// SessionResult.AttackSignals.
var groupSignals = map[string]string{
	"blur":      "blur",
	"texture":   "texture",
	"frequency": "screen_moire",
	"color":     "display_color",
	"specular":  "specular_glare",
	"border":    "frame_edges",
	"light":     "screen_light",
}

// attackSignals lists the evidence of a failure: the session signal that
// failed it, then the per-frame groups that lowered at least a quarter of
// the attack frames most, most frequent first.
func (s *Session) attackSignals(cause string) []string {
	var out []string
	if n, ok := causeSignals[cause]; ok {
		out = append(out, n)
	}
	total := 0
	for _, c := range s.causes {
		total += c
	}
	type gc struct {
		name string
		n    int
	}
	var gs []gc
	for g, c := range s.causes {
		if 4*c >= total {
			gs = append(gs, gc{g, c})
		}
	}
	slices.SortFunc(gs, func(a, b gc) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.name, b.name)
	})
	for _, g := range gs {
		if n, ok := groupSignals[g.name]; ok {
			out = append(out, n)
		} else {
			out = append(out, g.name)
		}
	}
	return out
}

// logit is the inverse of sigmoid, finite for scores of 0 and 1.
func logit(p float64) float64 {
	p = max(1e-9, min(1-1e-9, p))
	return math.Log(p / (1 - p))
}

// centroid is the mean of the points.
func centroid(p [][2]float64) [2]float64 {
	var c [2]float64
	for _, q := range p {
		c[0] += q[0]
		c[1] += q[1]
	}
	n := float64(len(p))
	return [2]float64{c[0] / n, c[1] / n}
}

// reduce writes the 2×2 means of t into out.
func reduce(t *Thumb, out *small) {
	halve(t[:], out[:], ThumbSize)
}

// repetition updates the frozen and loop signals. A repeat of an earlier
// view is first found by its perceptual hash (DHash), then confirmed on
// the pixels.
func (s *Session) repetition(cur *faceState) {
	sg := &s.res.Signals
	h := DHash(&cur.thumb)
	moving := true
	if p := s.prev; p != nil && p.has {
		if p.box == cur.box && p.thumb == cur.thumb {
			sg.FrozenRun++
			if sg.FrozenRun == 1 {
				s.frozenSince = p.t
			}
		} else {
			sg.FrozenRun = 0
		}
		moving = viewMAD(p.small[:], cur.small[:], math.Inf(1)) >= s.th.LoopMove
	} else {
		sg.FrozenRun = 0
	}
	// runs[k] becomes the number of consecutive frames, up to this one,
	// that repeat the frame k back. Lags shift by one each frame, so the
	// previous run at lag k continues here at lag k as well (both frames
	// move forward together).
	loop := false
	for k := s.ringLen; k >= 1; k-- {
		repeat := false
		if moving && k >= s.th.LoopLag {
			i := (s.ringNext - k + 2*len(s.ring)) % len(s.ring)
			if bits.OnesCount64(s.hashes[i]^h) <= loopHashBits &&
				viewMAD(s.ring[i][:], cur.small[:], s.th.LoopMatch) < s.th.LoopMatch {
				repeat = true
			}
		}
		if !repeat {
			s.runs[k] = 0
			continue
		}
		s.runs[k]++
		if r := s.runs[k]; r >= s.th.LoopRun && !loop {
			// The face must have moved over the run: a still face with a
			// jittering box repeats itself without being a replay.
			j := (s.ringNext - min(r-1, s.ringLen) + 2*len(s.ring)) % len(s.ring)
			if boxMove(s.boxes[j], cur.box) >= s.th.LoopBoxMove {
				loop = true
			}
		}
	}
	if loop {
		sg.LoopFrames++
	}
	s.ring[s.ringNext] = cur.small
	s.hashes[s.ringNext] = h
	s.boxes[s.ringNext] = cur.box
	s.ringNext = (s.ringNext + 1) % len(s.ring)
	s.ringLen = min(s.ringLen+1, len(s.ring))
}

// boxMove is the distance between the centres of two boxes over the size
// of the first.
func boxMove(a, b image.Rectangle) float64 {
	size := math.Sqrt(float64(a.Dx() * a.Dy()))
	if size <= 0 {
		return 0
	}
	dx := float64(b.Min.X+b.Max.X-a.Min.X-a.Max.X) / 2
	dy := float64(b.Min.Y+b.Max.Y-a.Min.Y-a.Max.Y) / 2
	return math.Hypot(dx, dy) / size
}

// loopHashBits is the largest DHash distance between two views that may
// still be a repeat: views within LoopMatch grey levels of each other
// differ in a few bits at most.
const loopHashBits = 10

// DHash is the 64-bit difference hash of a thumb: the thumb is reduced
// to 9×8 cell means and bit 8y+x is set when cell (x, y) is brighter than
// its right neighbour. Near-identical views have hashes a few bits apart.
func DHash(t *Thumb) uint64 {
	var cell [8][9]int
	for y := 0; y < ThumbSize; y++ {
		cy := y * 8 / ThumbSize
		row := t[y*ThumbSize : (y+1)*ThumbSize]
		for x, v := range row {
			cell[cy][x*9/ThumbSize] += int(v)
		}
	}
	var h uint64
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			// Cells differ in width by at most one column: compare means.
			if cell[y][x]*cellWidth(x+1) > cell[y][x+1]*cellWidth(x) {
				h |= 1 << (y*8 + x)
			}
		}
	}
	return h
}

// cellWidth is the number of thumb columns in DHash cell x (of 9).
func cellWidth(x int) int {
	return (x+1)*ThumbSize/9 + boolInt((x+1)*ThumbSize%9 != 0) - (x*ThumbSize/9 + boolInt(x*ThumbSize%9 != 0))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// viewMAD is the mean absolute difference of two equal-length views; it
// stops early once the result is sure to reach limit.
func viewMAD(a, b []uint8, limit float64) float64 {
	budget := int(math.Min(limit*float64(len(a)), math.MaxInt32))
	sum := 0
	for r := 0; r < len(a); r += smallSize {
		for i := r; i < r+smallSize && i < len(a); i++ {
			d := int(a[i]) - int(b[i])
			sum += max(d, -d)
		}
		if sum > budget {
			break
		}
	}
	return float64(sum) / float64(len(a))
}

// planar updates the motion signals with one frame and reports whether
// the planar rule now fails the session.
func (s *Session) planar(cur *faceState) bool {
	sg := &s.res.Signals
	pts := cur.points
	if len(pts) < 8 {
		return false
	}
	if s.ref == nil || len(s.ref.points) != len(pts) {
		s.ref = cur
		s.refSprd = rmsSpread(pts)
		return false
	}
	ref := s.ref
	if s.refSprd <= 0 {
		return false
	}
	sg.TextureResidual = -1
	h, ok := FitHomography(ref.points, pts)
	if !ok {
		return false
	}
	shape := s.shapeChange(&h, ref.points, s.refSprd)
	sg.ShapeChange = shape
	if shape < s.th.ShapeMin {
		return false // no out-of-plane change: uninformative
	}
	ratio := homographyResidual(&h, ref.points, pts) / s.refSprd / (similarityResidual(ref.points, pts) / s.refSprd)
	sg.LandmarkRatio = ratio
	planar, depth := ratio <= s.th.PlanarRatio, ratio >= s.th.DepthRatio
	if ref.has && cur.has {
		planar, depth = false, false
		if hl, ok := thumbHomography(ref, cur); ok {
			if res, ok := s.tex.textureResidual(&ref.thumb, &cur.thumb, &hl); ok {
				sg.TextureResidual = res
				planar, depth = res <= s.th.TexturePlanar, res >= s.th.TextureDepth
			}
		}
	}
	switch {
	case planar:
		if s.newPlanarPose(pts) {
			sg.PlanarFrames++
			if len(s.planarPoses) == maxPlanarPoses {
				s.planarPoses = slices.Delete(s.planarPoses, 0, 1)
			}
			s.planarPoses = append(s.planarPoses, slices.Clone(pts))
		}
	case depth:
		sg.DepthFrames++
	}
	return sg.PlanarFrames >= s.th.PlanarFrames && 2*sg.DepthFrames < sg.PlanarFrames
}

// shapeChange is the out-of-plane shape change that the homography h
// from the landmarks src carries: how far it departs from a similarity
// on src, over spread (src's RMS spread). Expressions change the landmarks
// without it; a turning head or a tilting photo changes it.
func (s *Session) shapeChange(h *Homography, src [][2]float64, spread float64) float64 {
	if cap(s.proj) < len(src) {
		s.proj = make([][2]float64, len(src))
	}
	proj := s.proj[:len(src)]
	for i, p := range src {
		proj[i] = h.Apply(p)
	}
	return similarityResidual(src, proj) / spread
}

// maxPlanarPoses bounds the planar poses a Session remembers.
const maxPlanarPoses = 32

// newPlanarPose reports whether a frame judged planar, with landmarks
// pts, shows a pose at least PlanarStep of shape change away from every
// frame counted as planar before.
func (s *Session) newPlanarPose(pts [][2]float64) bool {
	if s.th.PlanarStep <= 0 {
		return true
	}
	for _, pose := range s.planarPoses {
		if len(pose) != len(pts) {
			continue
		}
		sp := rmsSpread(pose)
		if sp <= 0 {
			continue
		}
		if h, ok := FitHomography(pose, pts); ok && s.shapeChange(&h, pose, sp) < s.th.PlanarStep {
			return false
		}
	}
	return true
}

// thumbHomography is the landmarks' homography from the reference thumb
// to the current one (thumb pixel coordinates).
func thumbHomography(ref, cur *faceState) (Homography, bool) {
	toThumb := func(p [][2]float64, box image.Rectangle) [][2]float64 {
		sx := float64(ThumbSize) / float64(box.Dx())
		sy := float64(ThumbSize) / float64(box.Dy())
		out := make([][2]float64, len(p))
		for i, q := range p {
			out[i] = [2]float64{(q[0] - float64(box.Min.X)) * sx, (q[1] - float64(box.Min.Y)) * sy}
		}
		return out
	}
	return FitHomography(toThumb(ref.points, ref.box), toThumb(cur.points, cur.box))
}

// jump reports a discontinuity between two consecutive face frames.
func (s *Session) jump(a, b *faceState) bool {
	if b.t-a.t > s.th.JumpGap || b.t < a.t {
		return false
	}
	size := math.Sqrt(float64(a.box.Dx() * a.box.Dy()))
	if size <= 0 {
		return false
	}
	move := boxMove(a.box, b.box)
	scale := math.Sqrt(float64(b.box.Dx()*b.box.Dy())) / size
	if scale < 1 {
		scale = 1 / scale
	}
	if len(a.points) > 0 && len(a.points) == len(b.points) {
		// With landmarks, the face itself must jump: a box that changes
		// from the detector's to the landmarks' bounds is the same face.
		sa, sb := rmsSpread(a.points), rmsSpread(b.points)
		if sa > 0 && sb > 0 {
			ca, cb := centroid(a.points), centroid(b.points)
			move = math.Hypot(cb[0]-ca[0], cb[1]-ca[1]) / size
			scale = max(sb/sa, sa/sb)
		}
	}
	if move < s.th.JumpMove && scale < s.th.JumpScale {
		return false
	}
	if len(a.points) > 0 && len(a.points) == len(b.points) {
		if sp := rmsSpread(a.points); sp > 0 && similarityResidual(a.points, b.points)/sp >= s.th.JumpShape {
			return true
		}
	}
	if a.has && b.has && viewMAD(a.small[:], b.small[:], math.Inf(1)) >= s.th.JumpAppearance {
		return true
	}
	return false
}
