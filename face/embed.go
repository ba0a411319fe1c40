package face

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/openliveness/openliveness/face/internal/mobileface"
)

// EmbeddingModelVersion identifies the face embedding model and its input
// alignment; record it with stored embeddings, since embeddings of
// different versions cannot be compared.
const EmbeddingModelVersion = "mobileface-256-hm3.0.4+mesh-5pt-112"

// EmbeddingDim is the number of values in an Embedding.
const EmbeddingDim = mobileface.Dim

// AlignSize is the side of the aligned face crop the embedding model reads.
const AlignSize = mobileface.InputSize

// MatchThreshold is the similarity at or above which two embeddings are
// taken to show the same person: the threshold for a false-match rate of
// 0.1 % over the 176,958 impostor pairs of the shared evaluation data
// (their 0.1 % point 0.424, rounded up; 0.076 % measured at 0.43). At it,
// 97 % of same-person frontal Yale pairs match, 75 % of pairs from
// different recordings. Checked on held-out people: a 0.1 % threshold
// fitted on one half of the people reaches 0.05–0.16 % on the other half.
// Grey-scale photos of different people score higher (1.4 % of Yale
// impostor pairs reach 0.43). See docs/verify.md and docs/evaluation.md
// ("Face verification").
const MatchThreshold = 0.43

var (
	// ErrNoFace is returned when an image holds no face with landmarks.
	ErrNoFace = errors.New("face: no face found")
	// ErrManyFaces is returned when an image must hold one face and holds
	// several of similar size.
	ErrManyFaces = errors.New("face: more than one face found")
	// ErrNoLandmarks is returned by Embed for a nil Landmarks.
	ErrNoLandmarks = errors.New("face: embedding needs landmarks")
)

// Embedding is the descriptor of one face: the MobileFace network's output,
// L2-normalised. Two embeddings of the same
// person have a higher Similarity than embeddings of different people.
type Embedding [EmbeddingDim]float32

// Similarity returns the cosine similarity of a and b, in [−1, 1]. For
// normalised embeddings it is their dot product; 1 means identical.
func Similarity(a, b *Embedding) float64 {
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Match compares two embeddings: it returns their Similarity and whether it
// reaches MatchThreshold.
func Match(a, b *Embedding) (score float64, same bool) {
	s := Similarity(a, b)
	return s, s >= MatchThreshold
}

// Embedder computes face embeddings with the MobileFace network, run in
// pure Go.
//
// An Embedder is immutable after NewEmbedder and safe for concurrent use.
type Embedder struct {
	model *mobileface.Model
	pool  sync.Pool
}

type embedWorkspace struct {
	in  []float32
	reg rgbRegion
}

// NewEmbedder loads the embedded embedding model (a few tens of
// milliseconds).
func NewEmbedder() (*Embedder, error) {
	m, err := mobileface.Load()
	if err != nil {
		return nil, fmt.Errorf("face: loading the embedding model: %w", err)
	}
	e := &Embedder{model: m}
	e.pool.New = func() any { return &embedWorkspace{in: make([]float32, AlignSize*AlignSize*3)} }
	return e, nil
}

// Embed computes the embedding of the face with landmarks lm in img. The
// face is aligned on its eye centres, nose tip and mouth corners (see
// AlignFace).
func (e *Embedder) Embed(img image.Image, lm *Landmarks) (*Embedding, error) {
	if img == nil {
		return nil, ErrNilImage
	}
	if lm == nil {
		return nil, ErrNoLandmarks
	}
	ws := e.pool.Get().(*embedWorkspace)
	defer e.pool.Put(ws)
	alignFace(img, lm, ws.in, &ws.reg)
	var out Embedding
	if err := e.model.Run(ws.in, out[:]); err != nil {
		return nil, err
	}
	var n float64
	for _, v := range out {
		n += float64(v) * float64(v)
	}
	if n > 0 {
		s := 1 / math.Sqrt(n)
		for i := range out {
			out[i] = float32(float64(out[i]) * s)
		}
	}
	return &out, nil
}

// EmbedPhoto finds the one face of a photo (a reference or ID photo) with
// a and returns its embedding. It returns ErrNoFace when no face receives
// landmarks and ErrManyFaces when a second face is at least half as large
// as the largest, so that the photo does not name one person.
func (e *Embedder) EmbedPhoto(ctx context.Context, a *Analyzer, img image.Image) (*Embedding, error) {
	res, err := a.Analyze(ctx, img, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Faces) == 0 || res.Faces[0].Landmarks == nil {
		return nil, ErrNoFace
	}
	if len(res.Faces) > 1 && 2*area(res.Faces[1].Box) >= area(res.Faces[0].Box) {
		return nil, ErrManyFaces
	}
	return e.Embed(img, res.Faces[0].Landmarks)
}

// alignPoints is the number of alignment points.
const alignPoints = 5

// alignTemplate is where the alignment points land in the 112×112 crop:
// the centres of the image-left and image-right eyes, the nose tip and the
// image-left and image-right mouth corners, the five-point template of
// ArcFace/InsightFace crops that the embedding network was trained on.
var alignTemplate = [alignPoints][2]float64{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

// alignSource returns the image positions of the alignment points: eye
// centres as the midpoints of the eye corners (33/133 and 362/263), the
// nose tip (1) and the outer mouth corners (61 and 291).
func alignSource(lm *Landmarks) [alignPoints][2]float64 {
	p := &lm.Points
	mid := func(a, b int) [2]float64 {
		return [2]float64{(p[a].X + p[b].X) / 2, (p[a].Y + p[b].Y) / 2}
	}
	return [alignPoints][2]float64{mid(33, 133), mid(362, 263), {p[1].X, p[1].Y}, {p[61].X, p[61].Y}, {p[291].X, p[291].Y}}
}

// similarity is x' = a·x − b·y + tx, y' = b·x + a·y + ty.
type similarity struct{ a, b, tx, ty float64 }

// fitSimilarity is the least-squares similarity transform taking src to
// dst (Umeyama's solution without reflection).
func fitSimilarity(src, dst [alignPoints][2]float64) similarity {
	var msx, msy, mdx, mdy float64
	for i := range src {
		msx += src[i][0] / alignPoints
		msy += src[i][1] / alignPoints
		mdx += dst[i][0] / alignPoints
		mdy += dst[i][1] / alignPoints
	}
	var sxx, sxy, ss float64
	for i := range src {
		x, y := src[i][0]-msx, src[i][1]-msy
		u, v := dst[i][0]-mdx, dst[i][1]-mdy
		sxx += x*u + y*v
		sxy += x*v - y*u
		ss += x*x + y*y
	}
	if ss == 0 {
		return similarity{a: 1, tx: mdx - msx, ty: mdy - msy}
	}
	a, b := sxx/ss, sxy/ss
	return similarity{a: a, b: b, tx: mdx - (a*msx - b*msy), ty: mdy - (b*msx + a*msy)}
}

// inverse returns the transform mapping crop pixels back to the image.
func (t similarity) inverse() similarity {
	d := t.a*t.a + t.b*t.b
	a, b := t.a/d, -t.b/d
	return similarity{a: a, b: b, tx: -(a*t.tx - b*t.ty), ty: -(b*t.tx + a*t.ty)}
}

func (t similarity) apply(x, y float64) (float64, float64) {
	return t.a*x - t.b*y + t.tx, t.b*x + t.a*y + t.ty
}

// AlignFace returns the aligned AlignSize×AlignSize RGB crop that Embed
// feeds to the network: the similarity transform that best maps the eye
// centres, nose tip and mouth corners of lm onto the network's template,
// sampled bilinearly (outside the image is black). It is exported for inspection
// and tests; Embed does not need it.
func AlignFace(img image.Image, lm *Landmarks) *image.RGBA {
	in := make([]float32, AlignSize*AlignSize*3)
	var reg rgbRegion
	alignFace(img, lm, in, &reg)
	out := image.NewRGBA(image.Rect(0, 0, AlignSize, AlignSize))
	for i := range AlignSize * AlignSize {
		for k := range 3 {
			v := math.Round(float64(in[3*i+k]))
			out.Pix[4*i+k] = uint8(max(0, min(255, v)))
		}
		out.Pix[4*i+3] = 255
	}
	return out
}

// alignFace writes the aligned crop to dst as NHWC RGB on the 0–255 scale
// (the network normalises its input itself).
func alignFace(img image.Image, lm *Landmarks, dst []float32, reg *rgbRegion) {
	b := img.Bounds()
	inv := fitSimilarity(alignSource(lm), alignTemplate).inverse()
	// Image rectangle covering the sampling grid.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{0, 0}, {AlignSize - 1, 0}, {0, AlignSize - 1}, {AlignSize - 1, AlignSize - 1}} {
		x, y := inv.apply(c[0], c[1])
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	r := image.Rect(int(math.Floor(minX))-1, int(math.Floor(minY))-1, int(math.Ceil(maxX))+2, int(math.Ceil(maxY))+2).Add(b.Min)
	reg.load(img, r)
	rr := reg.rect.Sub(b.Min)
	rw, rh := rr.Dx(), rr.Dy()
	pix := reg.pix
	const black = 0
	for i := range AlignSize {
		row := dst[i*AlignSize*3 : (i+1)*AlignSize*3]
		for j := range AlignSize {
			o := row[3*j : 3*j+3 : 3*j+3]
			xs, ys := inv.apply(float64(j), float64(i))
			x0, y0 := math.Floor(xs), math.Floor(ys)
			ix0, iy0 := int(x0)-rr.Min.X, int(y0)-rr.Min.Y
			if ix0 < 0 || iy0 < 0 || ix0+1 >= rw || iy0+1 >= rh {
				o[0], o[1], o[2] = black, black, black
				continue
			}
			fx, fy := float32(xs-x0), float32(ys-y0)
			p00 := pix[3*(iy0*rw+ix0):][:6]
			p10 := pix[3*((iy0+1)*rw+ix0):][:6]
			for k := range 3 {
				top := float32(p00[k]) + (float32(p00[k+3])-float32(p00[k]))*fx
				bot := float32(p10[k]) + (float32(p10[k+3])-float32(p10[k]))*fx
				o[k] = top + (bot-top)*fy
			}
		}
	}
}
