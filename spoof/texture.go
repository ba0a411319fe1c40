package spoof

import (
	"math"
	"slices"
)

// Texture planarity: the pixels of a flat picture move by one homography,
// whatever a landmark model believes about them. Given two face views and
// the homography that the landmarks suggest between them, the reference
// view is warped onto the current one, the remaining motion of textured
// patches is measured by block matching, and a second homography is fit
// to it. Its residual is the part of the texture motion no plane explains:
// near zero for a photograph or a screen, about a pixel or more (at 64×64)
// for a head that turned, because the nose, eyes and cheeks lie at
// different depths.

const (
	texPatch  = 4  // patch half-size: 9×9 patches
	texSearch = 3  // search ±3 pixels around the landmark prediction
	texStep   = 7  // patch centres every 7 pixels
	texFirst  = 10 // first patch centre
	// texMinVar is the least grey variance of a patch worth matching.
	texMinVar = 25.0
	// texMinPatches textured patches are needed for a verdict.
	texMinPatches = 12
)

// textureWork holds the buffers of one texture comparison.
type textureWork struct {
	warped [ThumbSize * ThumbSize]float32
	valid  [ThumbSize * ThumbSize]bool
	src    [][2]float64
	dst    [][2]float64
	res    []float64
	sorted []float64
}

// textureResidual returns the RMS residual, in thumb pixels, of the best
// homography explaining the motion of textured patches from ref to cur,
// after ref is warped by hl (ref thumb coordinates to cur thumb
// coordinates). It reports false when too few patches can be matched.
func (tw *textureWork) textureResidual(ref, cur *Thumb, hl *Homography) (float64, bool) {
	inv, ok := invertHomography(hl)
	if !ok {
		return 0, false
	}
	const n = ThumbSize
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			p := inv.Apply([2]float64{float64(x) + 0.5, float64(y) + 0.5})
			sx, sy := p[0]-0.5, p[1]-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			i := y*n + x
			if x0 < 0 || y0 < 0 || x0+1 >= n || y0+1 >= n || math.IsNaN(sx) {
				tw.valid[i] = false
				continue
			}
			fx, fy := float32(sx-float64(x0)), float32(sy-float64(y0))
			j := y0*n + x0
			a, b := float32(ref[j]), float32(ref[j+1])
			c, d := float32(ref[j+n]), float32(ref[j+n+1])
			tw.warped[i] = (1-fy)*((1-fx)*a+fx*b) + fy*((1-fx)*c+fx*d)
			tw.valid[i] = true
		}
	}
	tw.src, tw.dst = tw.src[:0], tw.dst[:0]
	const reach = texPatch + texSearch
	for cy := texFirst; cy+reach < n; cy += texStep {
		for cx := texFirst; cx+reach < n; cx += texStep {
			if d, ok := tw.match(cur, cx, cy); ok {
				tw.src = append(tw.src, [2]float64{float64(cx), float64(cy)})
				tw.dst = append(tw.dst, [2]float64{float64(cx) + d[0], float64(cy) + d[1]})
			}
		}
	}
	if len(tw.src) < texMinPatches {
		return 0, false
	}
	g, ok := FitHomography(tw.src, tw.dst)
	if !ok {
		return 0, false
	}
	// Refit without the worst fifth of the matches (mismatched patches),
	// then report the RMS residual of the rest.
	tw.res = tw.res[:0]
	for i := range tw.src {
		p := g.Apply(tw.src[i])
		tw.res = append(tw.res, math.Hypot(p[0]-tw.dst[i][0], p[1]-tw.dst[i][1]))
	}
	sorted := append(tw.sorted[:0], tw.res...)
	slices.Sort(sorted)
	tw.sorted = sorted
	cut := sorted[len(sorted)*4/5]
	keep := 0
	for i := range tw.src {
		if tw.res[i] <= cut {
			tw.src[keep], tw.dst[keep] = tw.src[i], tw.dst[i]
			keep++
		}
	}
	tw.src, tw.dst = tw.src[:keep], tw.dst[:keep]
	if g, ok = FitHomography(tw.src, tw.dst); !ok {
		return 0, false
	}
	return homographyResidual(&g, tw.src, tw.dst), true
}

// match finds the displacement d (sub-pixel) minimising the squared
// difference between the cur patch at (cx, cy) and the warped reference
// patch at (cx, cy) + d. It reports false for flat patches, patches that
// leave the warped view, and minima on the edge of the search.
func (tw *textureWork) match(cur *Thumb, cx, cy int) ([2]float64, bool) {
	const n = ThumbSize
	var mean, sq float64
	for y := cy - texPatch; y <= cy+texPatch; y++ {
		for x := cx - texPatch; x <= cx+texPatch; x++ {
			v := float64(cur[y*n+x])
			mean += v
			sq += v * v
		}
	}
	const area = (2*texPatch + 1) * (2*texPatch + 1)
	mean /= area
	if sq/area-mean*mean < texMinVar {
		return [2]float64{}, false
	}
	for y := cy - texPatch - texSearch; y <= cy+texPatch+texSearch; y++ {
		for x := cx - texPatch - texSearch; x <= cx+texPatch+texSearch; x++ {
			if !tw.valid[y*n+x] {
				return [2]float64{}, false
			}
		}
	}
	const side = 2*texSearch + 1
	var ssd [side * side]float64
	best := 0
	for dy := -texSearch; dy <= texSearch; dy++ {
		for dx := -texSearch; dx <= texSearch; dx++ {
			var s float64
			for y := cy - texPatch; y <= cy+texPatch; y++ {
				row := cur[y*n : (y+1)*n]
				wrow := tw.warped[(y+dy)*n : (y+dy+1)*n]
				for x := cx - texPatch; x <= cx+texPatch; x++ {
					e := float64(row[x]) - float64(wrow[x+dx])
					s += e * e
				}
			}
			k := (dy+texSearch)*side + dx + texSearch
			ssd[k] = s
			if s < ssd[best] {
				best = k
			}
		}
	}
	bx, by := best%side, best/side
	if bx == 0 || by == 0 || bx == side-1 || by == side-1 {
		return [2]float64{}, false
	}
	// Parabolic refinement along each axis.
	sub := func(a, b, c float64) float64 {
		den := a - 2*b + c
		if den <= 0 {
			return 0
		}
		return 0.5 * (a - c) / den
	}
	k := by*side + bx
	dx := float64(bx-texSearch) + sub(ssd[k-1], ssd[k], ssd[k+1])
	dy := float64(by-texSearch) + sub(ssd[k-side], ssd[k], ssd[k+side])
	// Lucas–Kanade steps on the translation, for sub-pixel accuracy
	// without the parabola's bias toward whole pixels.
	for it := 0; it < 4; it++ {
		var gxx, gxy, gyy, bx, by float64
		for y := cy - texPatch; y <= cy+texPatch; y++ {
			for x := cx - texPatch; x <= cx+texPatch; x++ {
				v, gx, gy, ok := tw.sample(float64(x)+dx, float64(y)+dy)
				if !ok {
					return [2]float64{}, false
				}
				e := float64(cur[y*n+x]) - v
				gxx += gx * gx
				gxy += gx * gy
				gyy += gy * gy
				bx += gx * e
				by += gy * e
			}
		}
		det := gxx*gyy - gxy*gxy
		if det <= 1e-9 {
			break
		}
		sx := (gyy*bx - gxy*by) / det
		sy := (gxx*by - gxy*bx) / det
		dx += sx
		dy += sy
		if math.Abs(dx) > texSearch || math.Abs(dy) > texSearch {
			return [2]float64{}, false
		}
		if sx*sx+sy*sy < 1e-4 {
			break
		}
	}
	return [2]float64{dx, dy}, true
}

// sample returns the warped view and its gradient at (x, y), bilinear.
func (tw *textureWork) sample(x, y float64) (v, gx, gy float64, ok bool) {
	const n = ThumbSize
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < 0 || y0 < 0 || x0+1 >= n || y0+1 >= n {
		return 0, 0, 0, false
	}
	i := y0*n + x0
	if !tw.valid[i] || !tw.valid[i+1] || !tw.valid[i+n] || !tw.valid[i+n+1] {
		return 0, 0, 0, false
	}
	fx, fy := x-float64(x0), y-float64(y0)
	a, b := float64(tw.warped[i]), float64(tw.warped[i+1])
	c, d := float64(tw.warped[i+n]), float64(tw.warped[i+n+1])
	v = (1-fy)*((1-fx)*a+fx*b) + fy*((1-fx)*c+fx*d)
	gx = (1-fy)*(b-a) + fy*(d-c)
	gy = (1-fx)*(c-a) + fx*(d-b)
	return v, gx, gy, true
}

// invertHomography returns h⁻¹.
func invertHomography(h *Homography) (Homography, bool) {
	a := h
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	if math.Abs(det) < 1e-12 || math.IsNaN(det) {
		return Homography{}, false
	}
	inv := Homography{
		a[4]*a[8] - a[5]*a[7], a[2]*a[7] - a[1]*a[8], a[1]*a[5] - a[2]*a[4],
		a[5]*a[6] - a[3]*a[8], a[0]*a[8] - a[2]*a[6], a[2]*a[3] - a[0]*a[5],
		a[3]*a[7] - a[4]*a[6], a[1]*a[6] - a[0]*a[7], a[0]*a[4] - a[1]*a[3],
	}
	for i := range inv {
		inv[i] /= det
	}
	return inv, true
}
