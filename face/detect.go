package face

import (
	_ "embed"
	"fmt"
	"image"
	"math"
	"sort"

	pigo "github.com/esimov/pigo/core"
)

//go:embed cascade/facefinder
var facefinderCascade []byte

// Detection is one face found by a Detector.
type Detection struct {
	// Box is the square face region in image coordinates. pigo's box spans
	// roughly brows to chin and cheek to cheek.
	Box image.Rectangle
	// Score is the cascade's summed confidence over the clustered windows;
	// larger is more certain. Detections below the detector's MinScore are
	// not returned.
	Score float64

	// weak marks a detection of the thorough second search, made with a
	// lower score threshold; the Analyzer keeps it only when the landmark
	// model confirms a face.
	weak bool
}

// detectorConfig holds a Detector's tuning; see the DetectorOption functions.
type detectorConfig struct {
	minFrac      float64 // smallest face side as a fraction of the image's shorter side
	maxFrac      float64 // largest face side as a fraction of the image's shorter side
	shift        float64 // window step as a fraction of the window
	scale        float64 // scale step between window sizes
	iou          float64 // clustering overlap
	minScore     float64
	maxDetectDim int // images larger than this are searched at a reduced scale
	thorough     bool
}

// DetectorOption configures a Detector.
type DetectorOption func(*detectorConfig)

// WithMinFaceFraction sets the smallest face searched for, as a fraction of the
// image's shorter side (default 0.2: 96 px in a 640×480 frame, a face about
// an arm's length and a half from a webcam). The search time grows roughly
// with the inverse of this fraction; lower it for group photos.
func WithMinFaceFraction(f float64) DetectorOption {
	return func(c *detectorConfig) { c.minFrac = f }
}

// WithMinScore sets the minimum cascade score of a returned face (default 5;
// pigo's own examples use 5; its false positives on background score below).
func WithMinScore(s float64) DetectorOption {
	return func(c *detectorConfig) { c.minScore = s }
}

// WithSearchStep sets the window step as a fraction of the window side
// (default 0.1) and the scale step between window sizes (default 1.15).
// Larger steps are faster and miss more faces.
func WithSearchStep(shift, scale float64) DetectorOption {
	return func(c *detectorConfig) { c.shift, c.scale = shift, scale }
}

// WithThoroughSearch turns the second search on or off (default on). When
// the normal search finds no face, a second one runs with a finer window
// step (0.05, scale step 1.05) and a minimum score of 2. It finds faces
// turned far to the side or partly hidden, at about ten times the cost, paid
// only on frames where the first search found nothing. Detect returns its
// low-score detections like any other; Analyzer keeps them only when the
// landmark model confirms a face.
func WithThoroughSearch(on bool) DetectorOption {
	return func(c *detectorConfig) { c.thorough = on }
}

// WithMaxDetectDimension bounds the size at which the image is searched: a
// frame whose longer side exceeds n pixels is searched on a downscaled copy
// (default 640, so a 640×480 webcam frame is searched at full resolution and
// a 12-megapixel photo stays fast). Boxes are returned in original pixels.
func WithMaxDetectDimension(n int) DetectorOption {
	return func(c *detectorConfig) { c.maxDetectDim = n }
}

// Detector finds faces with the pigo cascade (pixel intensity comparisons in
// decision trees, no cgo). Its cascade is embedded and parsed once. A
// Detector is immutable and safe for concurrent use.
type Detector struct {
	cascade *pigo.Pigo
	cfg     detectorConfig
}

// NewDetector returns a Detector with the embedded pigo facefinder cascade.
func NewDetector(opts ...DetectorOption) (*Detector, error) {
	cfg := detectorConfig{
		minFrac:      0.2,
		maxFrac:      1.0,
		shift:        0.1,
		scale:        1.15,
		iou:          0.2,
		minScore:     5,
		maxDetectDim: 640,
		thorough:     true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.minFrac <= 0 || cfg.minFrac > 1 || cfg.shift <= 0 || cfg.shift > 1 || cfg.scale <= 1 || cfg.maxDetectDim < 64 {
		return nil, fmt.Errorf("face: invalid detector options %+v", cfg)
	}
	p, err := pigo.NewPigo().Unpack(facefinderCascade)
	if err != nil {
		return nil, fmt.Errorf("face: loading cascade: %w", err)
	}
	return &Detector{cascade: p, cfg: cfg}, nil
}

// Detect returns every face found in img, largest first. No face and several
// faces are ordinary results, not errors.
func (d *Detector) Detect(img image.Image) []Detection {
	return d.DetectGray(Luma(img))
}

// DetectGray is Detect on an already grey image.
func (d *Detector) DetectGray(g *image.Gray) []Detection {
	out, _ := d.detectGray(g, nil)
	return out
}

// detectGray is DetectGray with pause (if not nil) called between its
// stages (after the downscaling, before the thorough second search); an
// error of pause ends it.
func (d *Detector) detectGray(g *image.Gray, pause func() error) ([]Detection, error) {
	b := g.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return nil, nil
	}
	// Search a downscaled copy of large frames.
	factor := 1
	for max(b.Dx(), b.Dy())/factor > d.cfg.maxDetectDim {
		factor++
	}
	pix, w, h, stride := g.Pix[g.PixOffset(b.Min.X, b.Min.Y):], b.Dx(), b.Dy(), g.Stride
	if factor > 1 {
		pix, w, h = downscaleGray(pix, w, h, stride, factor)
		stride = w
		if pause != nil {
			if err := pause(); err != nil {
				return nil, err
			}
		}
	}
	short := min(w, h)
	minSize := max(int(d.cfg.minFrac*float64(short)), 20)
	maxSize := max(int(d.cfg.maxFrac*float64(short)), minSize)
	params := pigo.CascadeParams{
		MinSize:     minSize,
		MaxSize:     maxSize,
		ShiftFactor: d.cfg.shift,
		ScaleFactor: d.cfg.scale,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: stride},
	}
	out := d.search(params, d.cfg.minScore, factor, b.Min, false)
	if len(out) == 0 && d.cfg.thorough {
		if pause != nil {
			if err := pause(); err != nil {
				return nil, err
			}
		}
		params.ShiftFactor = min(d.cfg.shift, 0.05)
		params.ScaleFactor = min(d.cfg.scale, 1.05)
		out = d.search(params, min(d.cfg.minScore, 2), factor, b.Min, true)
	}
	sortDetections(out)
	return out, nil
}

// DetectAround searches for faces near a face already known, as when a face
// is tracked from frame to frame: windows of 0.6 to 1.6 times around's side,
// centred up to 0.75 sides from around's centre,
// with the same scale ladder, score thresholds and thorough second search as
// DetectGray. It costs a fraction of a whole-frame search and does not see
// faces elsewhere in the frame; images searched at a reduced scale (see
// WithMaxDetectDimension) get a whole-frame search.
func (d *Detector) DetectAround(g *image.Gray, around image.Rectangle) []Detection {
	b := g.Bounds()
	side := max(around.Dx(), around.Dy())
	if b.Dx() < 16 || b.Dy() < 16 || side <= 0 || max(b.Dx(), b.Dy()) > d.cfg.maxDetectDim {
		return d.DetectGray(g)
	}
	c := image.Pt((around.Min.X+around.Max.X)/2, (around.Min.Y+around.Max.Y)/2).Sub(b.Min)
	out := d.searchAround(g, c, side, d.cfg.shift, d.cfg.scale, d.cfg.minScore, false)
	if len(out) == 0 && d.cfg.thorough {
		out = d.searchAround(g, c, side, min(d.cfg.shift, 0.05), min(d.cfg.scale, 1.05), min(d.cfg.minScore, 2), true)
	}
	sortDetections(out)
	return out
}

// searchAround runs the cascade on the windows of a whole-frame search with
// the given steps whose size is within the local scale range and whose
// centre lies near c (relative to g's origin). Each window size is searched
// on its own region, aligned to that size's step, so the windows are exactly
// a subset of the whole-frame search's: the same face in the same image
// gets the same box as in a whole-frame search, whatever the box it was
// searched around.
func (d *Detector) searchAround(g *image.Gray, c image.Point, side int, shift, scaleF, minScore float64, weak bool) []Detection {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	short := min(w, h)
	minSize := max(int(d.cfg.minFrac*float64(short)), 20)
	maxSize := max(int(d.cfg.maxFrac*float64(short)), minSize)
	lo := int(localMinScale * float64(side))
	hi := min(int(math.Ceil(localMaxScale*float64(side))), maxSize)
	reach := int(localReach * float64(side))
	var raw []pigo.Detection
	for scale := minSize; scale <= hi; scale = int(float64(scale) + math.Max(2, float64(scale)*scaleF-float64(scale))) {
		if scale < lo {
			continue
		}
		step := int(math.Max(shift*float64(scale), 1))
		offset := scale/2 + 1
		// Window centres offset + k·step, as pigo places them on the
		// whole frame; the region starts on a multiple of step.
		x0 := max(0, (c.X-reach-offset)/step*step)
		y0 := max(0, (c.Y-reach-offset)/step*step)
		x1 := min(w, c.X+reach+offset+1)
		y1 := min(h, c.Y+reach+offset+1)
		if x1-x0 < scale+2 || y1-y0 < scale+2 {
			continue
		}
		params := pigo.CascadeParams{
			MinSize:     scale,
			MaxSize:     scale,
			ShiftFactor: shift,
			ScaleFactor: scaleF,
			ImageParams: pigo.ImageParams{Pixels: g.Pix[g.PixOffset(b.Min.X+x0, b.Min.Y+y0):], Rows: y1 - y0, Cols: x1 - x0, Dim: g.Stride},
		}
		for _, r := range d.cascade.RunCascade(params, 0) {
			r.Row += y0
			r.Col += x0
			raw = append(raw, r)
		}
	}
	return d.cluster(raw, minScore, 1, b.Min, weak)
}

// The extent of DetectAround's search, relative to the side of the known
// face: window sides from localMinScale to localMaxScale times it, window
// centres up to localReach times it from the known centre (a head moving
// fast across a webcam frame moves about a third of its width between
// frames sent 200 ms apart).
const (
	localMinScale = 0.6
	localMaxScale = 1.6
	localReach    = 0.75
)

func sortDetections(out []Detection) {
	sort.SliceStable(out, func(i, j int) bool {
		ai, aj := out[i].Box.Dx()*out[i].Box.Dy(), out[j].Box.Dx()*out[j].Box.Dy()
		if ai != aj {
			return ai > aj
		}
		return out[i].Score > out[j].Score
	})
}

func (d *Detector) search(params pigo.CascadeParams, minScore float64, factor int, origin image.Point, weak bool) []Detection {
	return d.cluster(d.cascade.RunCascade(params, 0), minScore, factor, origin, weak)
}

// cluster merges the cascade's raw window detections and converts them to
// boxes in image coordinates.
func (d *Detector) cluster(raw []pigo.Detection, minScore float64, factor int, origin image.Point, weak bool) []Detection {
	raw = d.cascade.ClusterDetections(raw, d.cfg.iou)
	out := make([]Detection, 0, len(raw))
	for _, r := range raw {
		if float64(r.Q) < minScore {
			continue
		}
		s := float64(r.Scale * factor)
		cx, cy := float64(r.Col*factor)+float64(factor-1)/2, float64(r.Row*factor)+float64(factor-1)/2
		box := image.Rect(int(math.Round(cx-s/2)), int(math.Round(cy-s/2)), int(math.Round(cx+s/2)), int(math.Round(cy+s/2))).Add(origin)
		out = append(out, Detection{Box: box, Score: float64(r.Q), weak: weak})
	}
	return suppressNested(out)
}

// suppressNested drops weaker detections whose box lies mostly inside a
// stronger one (pigo's IoU clustering keeps a small box on a facial feature
// next to the whole face).
func suppressNested(ds []Detection) []Detection {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Score > ds[j].Score })
	keep := ds[:0]
	for _, d := range ds {
		nested := false
		for _, k := range keep {
			in := d.Box.Intersect(k.Box)
			if a := d.Box.Dx() * d.Box.Dy(); a > 0 && float64(in.Dx()*in.Dy()) > 0.2*float64(a) {
				nested = true
				break
			}
		}
		if !nested {
			keep = append(keep, d)
		}
	}
	return keep
}

// downscaleGray averages factor×factor blocks.
func downscaleGray(pix []uint8, w, h, stride, f int) ([]uint8, int, int) {
	dw, dh := w/f, h/f
	out := make([]uint8, dw*dh)
	n := uint32(f * f)
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var s uint32
			for yy := 0; yy < f; yy++ {
				row := pix[(y*f+yy)*stride+x*f:][:f]
				for _, v := range row {
					s += uint32(v)
				}
			}
			out[y*dw+x] = uint8((s + n/2) / n)
		}
	}
	return out, dw, dh
}
