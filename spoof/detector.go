package spoof

import (
	"errors"
	"image"
	"sync"
)

// ErrNoFace reports a face box that does not overlap the image.
var ErrNoFace = errors.New("spoof: face box outside the image")

// Per-frame reasons, in Result.Reason.
const (
	// ReasonLowConfidence marks a frame scored between the confident
	// attack threshold and the operating point.
	ReasonLowConfidence = "low_confidence"
	// ReasonAttack marks a confident attack. Neither fails a session
	// alone: a Session accumulates the frames' evidence.
	ReasonAttack = "attack"
)

// Result is the per-frame verdict for one face.
type Result struct {
	// Score is the liveness score, 0 (attack) to 1 (live). Its log-odds
	// are calibrated evidence for a bona fide frame relative to the
	// operating point: 0.5 is the operating point (Model.Threshold), and
	// the scale was fitted on out-of-fold scores (docs/spoof.md).
	Score float64 `json:"score"`
	// Margin is the frame's log-odds above the operating point,
	// logit(Score) − logit(threshold): negative for an attack frame.
	// Sessions accumulate it as attack evidence.
	Margin float64 `json:"margin"`
	// LaplacianVar repeats Signals.LaplacianVar, the classic blur measure.
	LaplacianVar float64 `json:"laplacian_var"`
	// Attack is true when Score is below the operating point.
	Attack bool `json:"attack"`
	// Confident is true when Score is below the confident-attack
	// threshold (Model.Confident).
	Confident bool `json:"confident"`
	// Reason is "" for a live frame, ReasonLowConfidence or ReasonAttack;
	// Cause then names the signal group that lowered the score most
	// ("blur", "texture", "frequency", "color", "specular", "border").
	Reason string `json:"reason,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Signals are the measurements behind the score.
	Signals Signals `json:"signals"`
	// Thumb is a 64×64 grey view of the face, for a Session.
	Thumb Thumb `json:"-"`
}

// Thumb is a 64×64 grey view of a face box (row-major, area-averaged),
// the appearance that a Session compares across frames.
type Thumb [ThumbSize * ThumbSize]uint8

// ThumbSize is the side of a Thumb.
const ThumbSize = 64

// Detector computes per-frame presentation-attack signals and scores.
// It is safe for concurrent use; each call reuses pooled buffers and, once
// warm, allocates nothing.
type Detector struct {
	model *Model
	pool  sync.Pool
}

// Option configures a Detector.
type Option func(*Detector) error

// WithModel makes the Detector score with m instead of DefaultModel.
func WithModel(m *Model) Option {
	return func(d *Detector) error {
		if m == nil {
			return errors.New("spoof: nil model")
		}
		if err := m.prepare(); err != nil {
			return err
		}
		d.model = m
		return nil
	}
}

// NewDetector returns a Detector with the default model unless an option
// replaces it.
func NewDetector(opts ...Option) (*Detector, error) {
	d := &Detector{}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.model == nil {
		d.model = DefaultModel()
	}
	d.pool.New = func() any { return newWork() }
	return d, nil
}

// Model returns the model the Detector scores with. It must not be
// modified.
func (d *Detector) Model() *Model { return d.model }

// Check measures and scores the face in box (image coordinates, as a face
// detector returns it; a tight face crop is best passed as img.Bounds()).
// It returns ErrNoFace when box does not overlap img.
func (d *Detector) Check(img image.Image, box image.Rectangle) (Result, error) {
	var r Result
	err := d.CheckInto(img, box, &r)
	return r, err
}

// CheckInto is Check writing into r, for callers that keep Results.
func (d *Detector) CheckInto(img image.Image, box image.Rectangle, r *Result) error {
	return d.CheckWith(img, box, nil, r)
}

// CheckOptions are the inputs of one check that do not come from the
// pixels of the face box.
type CheckOptions struct {
	// Mesh is the face analysis's face.Landmarks.Texture for this face:
	// the landmark network's first-block responses. The shipped model
	// was fitted with them; a check without them scores those features
	// as their training mean and is less accurate (docs/spoof.md).
	Mesh *[MeshChannels]float32
}

// CheckWith is CheckInto with the inputs of o (o may be nil).
func (d *Detector) CheckWith(img image.Image, box image.Rectangle, o *CheckOptions, r *Result) error {
	w := d.pool.Get().(*work)
	defer d.pool.Put(w)
	if !w.normalize(img, box) {
		*r = Result{}
		return ErrNoFace
	}
	w.measure(&r.Signals)
	if o != nil && o.Mesh != nil {
		r.Signals.HasMesh = true
		for i, v := range o.Mesh {
			r.Signals.Mesh[i] = float64(v)
		}
	}
	copy(r.Thumb[:], w.half[:])
	d.model.judge(r)
	return nil
}

// Signals measures the face in box without scoring it (for fitting).
func (d *Detector) Signals(img image.Image, box image.Rectangle) (Signals, error) {
	var r Result
	err := d.CheckInto(img, box, &r)
	return r.Signals, err
}

// judge fills the score and verdict of r from its Signals.
func (m *Model) judge(r *Result) {
	s, g := m.score(&r.Signals)
	r.Score = s
	r.LaplacianVar = r.Signals.LaplacianVar
	r.Attack = s < m.threshold(r.Signals.Color)
	r.Margin = logit(s) - logit(m.threshold(r.Signals.Color))
	r.Confident = s < m.Confident
	r.Reason, r.Cause = "", ""
	switch {
	case r.Confident:
		r.Reason = ReasonAttack
	case r.Attack:
		r.Reason = ReasonLowConfidence
	}
	if r.Reason != "" {
		r.Cause = groupReason[g]
	}
}
