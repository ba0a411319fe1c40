package face

import (
	"image"
	"math"
)

// Eye band size: EyeBand returns EyeBandCols × EyeBandRows luma values, row
// by row from the top.
const (
	EyeBandCols = 40
	EyeBandRows = 8
)

// Eye band geometry, in units of the image distance between the outer eye
// corners, from their midpoint along the face's axes in the image: across
// the face from -0.75 to +0.75 (past both outer corners), and from 0.08
// above the corner line to 0.12 below it. The band holds the eyes, the upper
// lid folds and the nose bridge, but not the brows.
const (
	eyeBandHalfWidth = 0.75
	eyeBandTop       = -0.08
	eyeBandHeight    = 0.20
	// minEyeBandIOD is the smallest outer-corner distance, in pixels, for
	// which a band is sampled: below it a cell is under a pixel wide.
	minEyeBandIOD = 12
)

// EyeBand samples the band of the face across both eyes, aligned on the
// landmarks: EyeBandCols × EyeBandRows cells, each the mean luma (0–255) of
// its area of img. The band stops below the eyebrows, so raising them
// barely changes it, while putting on glasses or a change of lighting does.
// Comparing a frame's band with the band of a reference frame of the same
// session (a normalised correlation) tells whether the eye region still
// looks as it did, and so whether landmark measures there are comparable.
//
// It returns nil for a nil l or a face under 12 pixels between the outer
// eye corners. It is safe for concurrent use.
func EyeBand(img image.Image, l *Landmarks) []uint8 {
	if img == nil || l == nil {
		return nil
	}
	var reg rgbRegion
	return eyeBand(img, l, &reg)
}

// eyeBand is EyeBand with a reusable region buffer.
func eyeBand(img image.Image, l *Landmarks, reg *rgbRegion) []uint8 {
	p := &l.Points
	// The face's horizontal axis in the image plane, from the symmetric
	// pairs, and its perpendicular (pointing down the face).
	var ax, ay float64
	for _, pr := range posePairs {
		dx, dy := p[pr[1]].X-p[pr[0]].X, p[pr[1]].Y-p[pr[0]].Y
		if n := math.Hypot(dx, dy); n > 0 {
			ax, ay = ax+dx/n, ay+dy/n
		}
	}
	n := math.Hypot(ax, ay)
	s := dist2(p[idxEyeLOuter], p[idxEyeROuter])
	if n == 0 || !(s >= minEyeBandIOD) {
		return nil
	}
	ax, ay = ax/n*s, ay/n*s // one unit across, in pixels
	bx, by := -ay, ax       // one unit down the face
	ox := (p[idxEyeLOuter].X + p[idxEyeROuter].X) / 2
	oy := (p[idxEyeLOuter].Y + p[idxEyeROuter].Y) / 2
	at := func(u, v float64) (float64, float64) { return ox + u*ax + v*bx, oy + u*ay + v*by }

	// Load the band's bounding rectangle once.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{-eyeBandHalfWidth, eyeBandTop}, {eyeBandHalfWidth, eyeBandTop}, {-eyeBandHalfWidth, eyeBandTop + eyeBandHeight}, {eyeBandHalfWidth, eyeBandTop + eyeBandHeight}} {
		x, y := at(c[0], c[1])
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	b := img.Bounds()
	r := image.Rect(int(math.Floor(minX))-1, int(math.Floor(minY))-1, int(math.Ceil(maxX))+2, int(math.Ceil(maxY))+2).Add(b.Min)
	reg.load(img, r)
	rr := reg.rect.Sub(b.Min)
	if rr.Empty() {
		return nil
	}
	rw, rh := rr.Dx(), rr.Dy()
	luma := func(x, y int) float64 {
		x, y = clampInt(x-rr.Min.X, 0, rw-1), clampInt(y-rr.Min.Y, 0, rh-1)
		q := reg.pix[3*(y*rw+x):][:3]
		return 0.299*float64(q[0]) + 0.587*float64(q[1]) + 0.114*float64(q[2])
	}
	sample := func(x, y float64) float64 {
		x0, y0 := math.Floor(x), math.Floor(y)
		fx, fy := x-x0, y-y0
		ix, iy := int(x0), int(y0)
		top := luma(ix, iy)*(1-fx) + luma(ix+1, iy)*fx
		bot := luma(ix, iy+1)*(1-fx) + luma(ix+1, iy+1)*fx
		return top*(1-fy) + bot*fy
	}

	cw := 2 * eyeBandHalfWidth / EyeBandCols // cell size in units
	ch := eyeBandHeight / EyeBandRows
	// Sub-samples per cell side, about one per 1.5 pixels, so that a cell
	// is its area's mean whatever the face size.
	k := clampInt(int(math.Ceil(max(cw, ch)*s/1.5)), 1, 6)
	out := make([]uint8, EyeBandCols*EyeBandRows)
	for i := range EyeBandRows {
		for j := range EyeBandCols {
			var sum float64
			for si := range k {
				v := eyeBandTop + (float64(i)+(float64(si)+0.5)/float64(k))*ch
				for sj := range k {
					u := -eyeBandHalfWidth + (float64(j)+(float64(sj)+0.5)/float64(k))*cw
					sum += sample(at(u, v))
				}
			}
			out[i*EyeBandCols+j] = uint8(math.Round(sum / float64(k*k)))
		}
	}
	return out
}
