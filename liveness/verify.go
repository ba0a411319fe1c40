package liveness

import (
	"context"
	"errors"
	"image"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/openliveness/openliveness/face"
)

// Face verification: a session created with a reference photo compares the
// live face with it (docs/verify.md).

// Match decisions (Match.Decision).
const (
	// MatchSame: the score reaches face.MatchThreshold.
	MatchSame = "match"
	// MatchReview: the score lies in the review band below the threshold;
	// the verdict becomes REQUIRES_MANUAL_REVIEW.
	MatchReview = "review"
	// MatchDifferent: the score is below the review band; the session fails
	// with ReasonFaceMismatch.
	MatchDifferent = "no_match"
	// MatchNoFace: no frame was frontal enough to compare; the verdict
	// becomes REQUIRES_MANUAL_REVIEW.
	MatchNoFace = "no_frontal_face"
)

// Reasons set by the face comparison.
const (
	ReasonFaceMismatch = "face_mismatch"
	ReasonFaceReview   = "face_match_review"
)

// MatchReviewThreshold is the lower end of the review band: a score in
// [MatchReviewThreshold, face.MatchThreshold) asks for manual review, a
// lower score fails. It is the 1 % false-match point of the evaluation
// data (0.342, rounded down): 99 % of the impostor pairs score below it,
// and 99 % of same-person frontal Yale pairs above it (docs/evaluation.md,
// "Face verification").
const MatchReviewThreshold = 0.34

// matchFrames is how many of the most frontal live frames are compared
// with the reference; their mean similarity is the match score.
const matchFrames = 3

// maxMatchDeg bounds |yaw| + |pitch| of a frame used for the comparison.
const maxMatchDeg = 30

// Reference is the reference face of a session: the SHA-256 of the image
// it came from and its embedding. The image itself is not kept. It is
// never sent to the browser.
type Reference struct {
	// ID is set for a registered reference (AddReference).
	ID        string    `json:"id,omitempty"`
	SHA256    string    `json:"sha256"`
	Model     string    `json:"model"`
	Embedding []float32 `json:"embedding"`
	// Owner is the tenant a registered reference belongs to (empty: none
	// recorded; AddReference does not set it yet); CreatedAt is when it
	// was registered. Both are kept by the ReferenceStore.
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Match is the comparison of the live face with the reference, set when a
// session with a reference passes its challenges.
type Match struct {
	// Score is the mean similarity of the most frontal live frames with
	// the reference (−1…1).
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	// ReviewThreshold is the lower end of the manual-review band.
	ReviewThreshold float64 `json:"review_threshold"`
	Decision        string  `json:"decision"`
	// Frames are the live frames compared (1-based).
	Frames []int `json:"frames,omitempty"`
	// ReferenceSHA256 is the SHA-256 of the reference image.
	ReferenceSHA256 string `json:"reference_sha256"`
}

// MatchFrame is one live frame compared with the reference.
type MatchFrame struct {
	Frame int     `json:"frame"`
	Deg   float64 `json:"deg"` // |yaw| + |pitch|
	Score float64 `json:"score"`
}

// WithEmbedder makes the Engine use em for face verification instead of
// loading its own embedder the first time a session has a reference.
func WithEmbedder(em *face.Embedder) Option { return func(c *config) { c.embedder = em } }

// verifier holds the embedder, loaded on first use.
type verifier struct {
	once sync.Once
	em   *face.Embedder
	err  error

	storeOnce sync.Once
	store     ReferenceStore // references.go
}

func (e *Engine) embedder() (*face.Embedder, error) {
	e.verify.once.Do(func() {
		e.verify.em = e.cfg.embedder
		if e.verify.em == nil {
			e.verify.em, e.verify.err = face.NewEmbedder()
		}
	})
	return e.verify.em, e.verify.err
}

// reference embeds a reference photo (JPEG or PNG holding one face).
func (e *Engine) reference(ctx context.Context, data []byte) (*Reference, error) {
	img, err := face.Decode(data, &e.cfg.decode)
	if err != nil {
		return nil, badRequest("reference_image", err)
	}
	em, err := e.embedder()
	if err != nil {
		return nil, unavailable(err)
	}
	emb, err := em.EmbedPhoto(ctx, e.analyzer, img)
	switch {
	case errors.Is(err, face.ErrNoFace):
		return nil, badRequest("reference_image", err)
	case errors.Is(err, face.ErrManyFaces):
		return nil, badRequest("reference_image", err)
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable(err)
	}
	return &Reference{SHA256: sha256Hex(data), Model: face.EmbeddingModelVersion, Embedding: emb[:]}, nil
}

// observeMatch compares a frame with the reference when it is among the
// matchFrames most frontal frames so far.
func (e *Engine) observeMatch(s *Session, a analysed, rec frameRec) {
	if s.Reference == nil || a.match == nil || rec.Obs.FaceCount != 1 {
		return
	}
	deg := math.Abs(rec.Obs.Yaw) + math.Abs(rec.Obs.Pitch)
	if len(s.MatchFrames) >= matchFrames && round3(deg) >= s.MatchFrames[len(s.MatchFrames)-1].Deg {
		return
	}
	mf := MatchFrame{Frame: s.Frames, Deg: round3(deg), Score: round3(*a.match)}
	i, _ := slices.BinarySearchFunc(s.MatchFrames, mf, func(x, y MatchFrame) int {
		switch {
		case x.Deg < y.Deg:
			return -1
		case x.Deg > y.Deg:
			return 1
		}
		return 0
	})
	s.MatchFrames = slices.Insert(s.MatchFrames, i, mf)
	if len(s.MatchFrames) > matchFrames {
		s.MatchFrames = s.MatchFrames[:matchFrames]
	}
}

// matchScore compares the main face of a frame being analysed with the
// session's reference, while the decoded image is still at hand (the
// engine keeps no decoded image past analysis). It returns nil when the
// session has no reference or the frame cannot enter the session's most
// frontal frames (one face, |yaw| + |pitch| within maxMatchDeg, eyes open,
// more frontal than the current third): each comparison costs one
// embedding.
func (e *Engine) matchScore(s *Session, img image.Image, res *face.Result) *float64 {
	if s.Reference == nil || img == nil || res == nil || len(res.Faces) != 1 || res.Faces[0].Landmarks == nil {
		return nil
	}
	f := res.Faces[0]
	deg := math.Abs(f.Pose.Yaw) + math.Abs(f.Pose.Pitch)
	if deg > maxMatchDeg || f.Measures.EARLeft < 0.15 || f.Measures.EARRight < 0.15 {
		return nil
	}
	if len(s.MatchFrames) >= matchFrames && round3(deg) >= s.MatchFrames[len(s.MatchFrames)-1].Deg {
		return nil
	}
	em, err := e.embedder()
	if err != nil || len(s.Reference.Embedding) != face.EmbeddingDim {
		return nil
	}
	if s.Reference.Model != "" && s.Reference.Model != face.EmbeddingModelVersion {
		return nil // a reference embedded by another model cannot be compared
	}
	live, err := em.Embed(img, f.Landmarks)
	if err != nil {
		return nil
	}
	var ref face.Embedding
	copy(ref[:], s.Reference.Embedding)
	v := face.Similarity(&ref, live)
	return &v
}

// applyMatch decides the face comparison of a session that passed its
// challenges: a mismatch fails it, the review band and a missing frontal
// frame turn a PASS into REQUIRES_MANUAL_REVIEW.
func (e *Engine) applyMatch(s *Session) {
	if s.Reference == nil || s.Status != StatusPassed {
		return
	}
	m := &Match{Threshold: face.MatchThreshold, ReviewThreshold: MatchReviewThreshold, ReferenceSHA256: s.Reference.SHA256}
	for _, f := range s.MatchFrames {
		m.Score += f.Score / float64(len(s.MatchFrames))
		m.Frames = append(m.Frames, f.Frame)
	}
	m.Score = round3(m.Score)
	switch {
	case len(s.MatchFrames) == 0:
		m.Decision = MatchNoFace
	case m.Score >= face.MatchThreshold:
		m.Decision = MatchSame
	case m.Score >= MatchReviewThreshold:
		m.Decision = MatchReview
	default:
		m.Decision = MatchDifferent
	}
	s.Match = m
	switch m.Decision {
	case MatchDifferent:
		s.Status, s.Verdict, s.Reason = StatusFailed, VerdictFail, ReasonFaceMismatch
	case MatchReview, MatchNoFace:
		if s.Verdict == VerdictPass {
			s.Verdict, s.Reason = VerdictReview, ReasonFaceReview
		}
	}
}
