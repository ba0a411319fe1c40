package face

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"sync"

	"github.com/openliveness/openliveness/face/internal/mesh"
)

// ModelVersion identifies the models behind Analyze results; record it with
// results so that a change of model is visible in stored evidence.
const ModelVersion = "pigo-facefinder-1.4.6+mediapipe-facemesh-attention-hm3.0.4"

// ErrNilImage is returned by Analyze for a nil image.
var ErrNilImage = errors.New("face: nil image")

// Face is one analysed face.
type Face struct {
	// Box is the face box in image pixels: the detector's box, or the
	// landmarks' bounds for a tracked face the detector did not find.
	Box image.Rectangle
	// Score is the detector's confidence (0 when tracked without detection).
	Score float64
	// FaceFlag is the landmark model's probability that its crop holds a
	// face; below 0.5 the landmarks are unreliable.
	FaceFlag float64
	// Landmarks, Pose and Measures are set for the faces that received
	// landmarks (the largest MaxFaces faces); Landmarks is nil otherwise.
	Landmarks *Landmarks
	Pose      Pose
	Measures  Measures
	// EyeBand is the luma of the band across the eyes (see [EyeBand]),
	// for comparing how the eye region looks between frames of a session.
	EyeBand []uint8
	// Tracked reports that the landmark crop came from the previous frame's
	// landmarks (AnalyzeOptions.Previous).
	Tracked bool

	// sinceFull counts the frames since the detector last searched the
	// whole frame, for a face tracked from frame to frame.
	sinceFull int
}

// Result is the analysis of one frame.
type Result struct {
	Width, Height int
	// Faces are all faces found, largest first.
	Faces []Face
}

// AnalyzeOptions are per-call knobs for Analyze. A nil pointer means the
// defaults.
type AnalyzeOptions struct {
	// Previous is the same person's face in the previous frame of a
	// session. Its landmarks place the landmark crop (tracking), which
	// follows the face more precisely than the detector's box. The detector
	// then searches only around Previous's box (Detector.DetectAround),
	// except on every n-th tracked frame (WithFullSearchEvery, default 8)
	// and on a frame where tracking loses the face, where it searches the
	// whole frame: a second face entering the frame is counted at most n
	// frames later, and a face that replaces the tracked one elsewhere in
	// the frame at once.
	Previous *Face

	// Pause, when set, is called between the stages of the analysis
	// (inside the detection of a large frame, after the detection, before
	// the landmarks of each face); it may
	// block, so that a scheduler lets cheaper work run first, and an error
	// it returns stops the analysis and is returned as is.
	Pause func() error
}

type analyzerConfig struct {
	detector  *Detector
	logger    *slog.Logger
	maxFaces  int
	refine    bool
	minFlag   float64
	rollAlign float64
	fullEvery int
}

// Option configures an Analyzer.
type Option func(*analyzerConfig)

// WithDetector makes the Analyzer use d instead of a default Detector.
func WithDetector(d *Detector) Option { return func(c *analyzerConfig) { c.detector = d } }

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *analyzerConfig) { c.logger = l } }

// WithMaxFaces sets how many faces, largest first, receive landmarks
// (default 1: a liveness check follows one person; other faces are still
// detected and returned without landmarks).
func WithMaxFaces(n int) Option { return func(c *analyzerConfig) { c.maxFaces = n } }

// WithRefinement turns the second landmark pass on or off. With it on
// (default), a face found by the detector (not tracked) is analysed twice:
// once in a crop derived from the detector's box and once in a crop centred
// on the first pass's landmarks, which is how the landmark model was
// trained. Tracked faces always take a single pass.
func WithRefinement(on bool) Option { return func(c *analyzerConfig) { c.refine = on } }

// WithFullSearchEvery sets how often a tracked frame gets a whole-frame
// detector search (default 8: every 8th frame of a tracked face; 1 searches
// every frame whole). See AnalyzeOptions.Previous.
func WithFullSearchEvery(n int) Option { return func(c *analyzerConfig) { c.fullEvery = n } }

// DefaultFullSearchEvery is the default of WithFullSearchEvery.
const DefaultFullSearchEvery = 8

// Analyzer finds faces and computes their landmarks, pose and measures. Its
// models are loaded once by NewAnalyzer; an Analyzer is safe for concurrent
// use by any number of goroutines.
type Analyzer struct {
	cfg   analyzerConfig
	det   *Detector
	model *mesh.Model
	pool  sync.Pool // *workspace
}

type workspace struct {
	in  []float32
	reg rgbRegion
	res mesh.Result
}

// NewAnalyzer loads the embedded models.
func NewAnalyzer(opts ...Option) (*Analyzer, error) {
	cfg := analyzerConfig{maxFaces: 1, refine: true, minFlag: 0.5, rollAlign: 12, fullEvery: DefaultFullSearchEvery}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.maxFaces < 0 {
		return nil, fmt.Errorf("face: negative max faces %d", cfg.maxFaces)
	}
	if cfg.fullEvery < 1 {
		return nil, fmt.Errorf("face: full search period %d, want >= 1", cfg.fullEvery)
	}
	det := cfg.detector
	if det == nil {
		var err error
		if det, err = NewDetector(); err != nil {
			return nil, err
		}
	}
	m, err := mesh.Load()
	if err != nil {
		return nil, fmt.Errorf("face: loading landmark model: %w", err)
	}
	a := &Analyzer{cfg: cfg, det: det, model: m}
	a.pool.New = func() any {
		return &workspace{in: make([]float32, mesh.InputSize*mesh.InputSize*3)}
	}
	return a, nil
}

// Detector returns the Analyzer's face detector.
func (a *Analyzer) Detector() *Detector { return a.det }

// Analyze finds the faces in img and computes landmarks, pose and measures
// for the largest ones. Zero faces is a normal result.
func (a *Analyzer) Analyze(ctx context.Context, img image.Image, opts *AnalyzeOptions) (*Result, error) {
	if img == nil {
		return nil, ErrNilImage
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := img.Bounds()
	res := &Result{Width: b.Dx(), Height: b.Dy()}
	ws := a.pool.Get().(*workspace)
	defer a.pool.Put(ws)

	var prev *Face
	if opts != nil && opts.Previous != nil && opts.Previous.Landmarks != nil {
		prev = opts.Previous
	}
	// A tracked face is searched for around its last box, and the whole
	// frame every fullEvery-th frame.
	full := prev == nil || prev.sinceFull+1 >= a.cfg.fullEvery || prev.Box.Empty()
	var pause func() error
	if opts != nil {
		pause = opts.Pause
	}
	var dets []Detection
	if full {
		var err error
		if dets, err = a.detect(img, pause); err != nil { // pad.go: tight crops
			return nil, err
		}
	} else {
		dets = a.det.DetectAround(Luma(img), prev.Box)
	}
	if opts != nil && opts.Pause != nil {
		if err := opts.Pause(); err != nil {
			return nil, err
		}
	}
	if prev != nil {
		// Track: the previous landmarks place the crop. The tracked face
		// replaces the detection it overlaps, if any.
		f, ok := a.landmarksIn(img, cropFromLandmarks(prev.Landmarks, a.cfg.rollAlign), ws)
		if !ok && !full {
			// The face was lost: look for faces everywhere.
			var err error
			if dets, err = a.detect(img, pause); err != nil {
				return nil, err
			}
			full = true
		}
		if ok {
			f.Tracked = true
			if !full {
				f.sinceFull = prev.sinceFull + 1
			}
			minX, minY, maxX, maxY := f.Landmarks.Bounds()
			f.Box = image.Rect(int(minX), int(minY), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
			best, bestIoU := -1, 0.0
			for i, d := range dets {
				if v := iou(d.Box, f.Box); v > bestIoU {
					best, bestIoU = i, v
				}
			}
			if best >= 0 && bestIoU > 0.3 {
				// Keep the detector's box: the same for the same image,
				// whatever the crop history.
				f.Box, f.Score = dets[best].Box, dets[best].Score
				dets = append(dets[:best:best], dets[best+1:]...)
			}
			res.Faces = append(res.Faces, f)
		}
	}
	for _, d := range dets {
		f := Face{Box: d.Box, Score: d.Score}
		if d.weak && len(res.Faces) >= a.cfg.maxFaces {
			continue // unconfirmed low-score detection
		}
		if len(res.Faces) < a.cfg.maxFaces {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if opts != nil && opts.Pause != nil {
				if err := opts.Pause(); err != nil {
					return nil, err
				}
			}
			// The detector's box can sit on part of a face or be loose
			// around a turned one: when the model sees no face in the
			// calibrated crop, tighter and wider crops are tried.
			var (
				lf Face
				ok bool
			)
			for _, k := range cropRetries {
				crop := cropFromDetection(d.Box)
				crop.Side *= k
				if lf, ok = a.landmarksIn(img, crop, ws); ok {
					break
				}
			}
			if ok && a.cfg.refine {
				lf = a.refine(img, lf, ws)
			}
			if ok {
				lf.Box, lf.Score = d.Box, d.Score
				f = lf
			} else if d.weak {
				continue
			}
		}
		res.Faces = append(res.Faces, f)
	}
	sortFaces(res.Faces)
	for i := range res.Faces {
		if l := res.Faces[i].Landmarks; l != nil {
			res.Faces[i].EyeBand = eyeBand(img, l, &ws.reg)
		}
	}
	return res, nil
}

// refine re-runs the landmark model in crops centred on the previous
// pass's landmarks until the crop settles (at most maxRefine passes).
func (a *Analyzer) refine(img image.Image, f Face, ws *workspace) Face {
	last := cropFromLandmarks(f.Landmarks, a.cfg.rollAlign)
	for range maxRefine {
		f2, ok := a.landmarksIn(img, last, ws)
		if !ok {
			return f
		}
		f = f2
		next := cropFromLandmarks(f.Landmarks, a.cfg.rollAlign)
		if math.Hypot(next.CX-last.CX, next.CY-last.CY) < 0.04*last.Side && math.Abs(next.Side-last.Side) < 0.08*last.Side {
			break
		}
		last = next
	}
	return f
}

// maxRefine bounds the landmark passes spent re-centring one crop.
const maxRefine = 3

// landmarksIn runs the landmark model on one crop. ok is false when the
// model does not see a face there.
func (a *Analyzer) landmarksIn(img image.Image, c cropBox, ws *workspace) (Face, bool) {
	sampleCrop(img, c, mesh.InputSize, ws.in, &ws.reg)
	if err := a.model.Run(ws.in, &ws.res); err != nil {
		a.cfg.logger.Error("face: landmark model failed", "err", err)
		return Face{}, false
	}
	f := Face{FaceFlag: float64(ws.res.FaceFlag)}
	if f.FaceFlag < a.cfg.minFlag {
		return f, false
	}
	l := &Landmarks{Texture: ws.res.Texture}
	for i, p := range ws.res.Points {
		x, y := c.toImage(float64(p[0]), float64(p[1]), mesh.InputSize)
		l.Points[i] = Point{x, y, float64(p[2]) * c.Side / mesh.InputSize}
	}
	f.Landmarks = l
	f.Pose = EstimatePose(l)
	f.Measures = ComputeMeasures(l)
	return f, true
}

// Crop calibration. The landmark model expects a square crop about 1.46
// times the height of the face mesh, centred on the mesh; pigo's box is
// smaller and sits slightly higher. The constants were fitted on the shared
// evaluation data (see docs/face.md): the crop centre is the box centre moved by
// (detCX, detCY) box sides and the side is detSide box sides.
const (
	detCX        = 0.0
	detCY        = 0.11
	detSide      = 1.38
	meshCropSide = 1.46 // crop side over the larger side of the mesh's bounds
)

// cropRetries are the crop sizes, relative to the calibrated one, tried in
// turn until the landmark model sees a face.
var cropRetries = [...]float64{1, 0.75, 1.8, 2.6}

func cropFromDetection(b image.Rectangle) cropBox {
	s := float64(b.Dx())
	cx := float64(b.Min.X+b.Max.X)/2 + detCX*s
	cy := float64(b.Min.Y+b.Max.Y)/2 + detCY*s
	return cropBox{CX: cx, CY: cy, Side: detSide * s}
}

// cropFromLandmarks centres the crop on the landmarks' bounds; when the head
// is rolled by more than rollAlign degrees, the crop is rotated to level the
// eyes, as the model was trained on upright faces.
func cropFromLandmarks(l *Landmarks, rollAlign float64) cropBox {
	minX, minY, maxX, maxY := l.Bounds()
	c := cropBox{CX: (minX + maxX) / 2, CY: (minY + maxY) / 2}
	// Level the eyes, as MediaPipe does: the angle of the line between the
	// eye corners in the image.
	p := &l.Points
	eye := p[idxEyeROuter].sub(p[idxEyeLOuter]).add(p[idxEyeRInner].sub(p[idxEyeLInner]))
	roll := math.Atan2(eye.Y, eye.X) * 180 / math.Pi
	if math.Abs(roll) > rollAlign {
		c.Angle = roll * math.Pi / 180
		// Extent of the mesh in the rotated frame.
		sin, cos := math.Sincos(-c.Angle)
		var mnU, mnV, mxU, mxV = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range l.Points[:468] {
			u := cos*(p.X-c.CX) - sin*(p.Y-c.CY)
			v := sin*(p.X-c.CX) + cos*(p.Y-c.CY)
			mnU, mxU = math.Min(mnU, u), math.Max(mxU, u)
			mnV, mxV = math.Min(mnV, v), math.Max(mxV, v)
		}
		// Re-centre in the rotated frame.
		du, dv := (mnU+mxU)/2, (mnV+mxV)/2
		s2, c2 := math.Sincos(c.Angle)
		c.CX += c2*du - s2*dv
		c.CY += s2*du + c2*dv
		c.Side = meshCropSide * math.Max(mxU-mnU, mxV-mnV)
		return c
	}
	c.Side = meshCropSide * math.Max(maxX-minX, maxY-minY)
	return c
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ia := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia
	if u <= 0 {
		return 0
	}
	return ia / u
}

func sortFaces(fs []Face) {
	// Insertion sort: a handful of faces, stable, largest box first.
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && area(fs[j].Box) > area(fs[j-1].Box); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }
