package spoof

import "math"

// Motion fits of one set of 2-D points onto another, used to tell a flat
// picture (whose points move by one homography) from a head (whose points
// do not). All functions work on caller-owned slices and do not allocate.

// normalization is the similarity that moves points to zero mean and
// mean distance √2 from the origin (Hartley normalisation).
type normalization struct {
	cx, cy, s float64
}

func normalizationOf(p [][2]float64) normalization {
	var cx, cy float64
	for _, q := range p {
		cx += q[0]
		cy += q[1]
	}
	n := float64(len(p))
	cx /= n
	cy /= n
	var d float64
	for _, q := range p {
		d += math.Hypot(q[0]-cx, q[1]-cy)
	}
	d /= n
	if d == 0 {
		d = 1
	}
	return normalization{cx: cx, cy: cy, s: math.Sqrt2 / d}
}

// rmsSpread is the RMS distance of the points from their centroid: the
// size unit of the residuals.
func rmsSpread(p [][2]float64) float64 {
	var cx, cy float64
	for _, q := range p {
		cx += q[0]
		cy += q[1]
	}
	n := float64(len(p))
	cx /= n
	cy /= n
	var s float64
	for _, q := range p {
		s += (q[0]-cx)*(q[0]-cx) + (q[1]-cy)*(q[1]-cy)
	}
	return math.Sqrt(s / n)
}

// Homography is a 3×3 projective map, row-major, applied as
// (x, y) → ((h0x+h1y+h2)/w, (h3x+h4y+h5)/w), w = h6x+h7y+h8.
type Homography [9]float64

// Apply maps a point.
func (h *Homography) Apply(p [2]float64) [2]float64 {
	w := h[6]*p[0] + h[7]*p[1] + h[8]
	return [2]float64{(h[0]*p[0] + h[1]*p[1] + h[2]) / w, (h[3]*p[0] + h[4]*p[1] + h[5]) / w}
}

// FitHomography fits the homography taking src to dst (same length, at
// least 4 points) by the normalised direct linear transform: a least-
// squares fit over all points. It reports false for degenerate input.
func FitHomography(src, dst [][2]float64) (Homography, bool) {
	if len(src) < 4 || len(src) != len(dst) {
		return Homography{}, false
	}
	ns, nd := normalizationOf(src), normalizationOf(dst)
	var a [81]float64 // AᵀA
	for i := range src {
		x, y := (src[i][0]-ns.cx)*ns.s, (src[i][1]-ns.cy)*ns.s
		u, v := (dst[i][0]-nd.cx)*nd.s, (dst[i][1]-nd.cy)*nd.s
		r1 := [9]float64{-x, -y, -1, 0, 0, 0, u * x, u * y, u}
		r2 := [9]float64{0, 0, 0, -x, -y, -1, v * x, v * y, v}
		for j := 0; j < 9; j++ {
			for k := j; k < 9; k++ {
				a[j*9+k] += r1[j]*r1[k] + r2[j]*r2[k]
			}
		}
	}
	for j := 0; j < 9; j++ {
		for k := 0; k < j; k++ {
			a[j*9+k] = a[k*9+j]
		}
	}
	hn, ok := smallestEigenvector9(&a)
	if !ok {
		return Homography{}, false
	}
	// H = Td⁻¹ · Hn · Ts with T(p) = s·(p − c).
	var ts, tdInv, t [9]float64
	ts = [9]float64{ns.s, 0, -ns.s * ns.cx, 0, ns.s, -ns.s * ns.cy, 0, 0, 1}
	tdInv = [9]float64{1 / nd.s, 0, nd.cx, 0, 1 / nd.s, nd.cy, 0, 0, 1}
	mul3(&t, &hn, &ts)
	var h Homography
	mul3((*[9]float64)(&h), &tdInv, &t)
	if h[8] == 0 || math.IsNaN(h[8]) {
		return Homography{}, false
	}
	for i := range h {
		h[i] /= h[8]
	}
	return h, true
}

func mul3(out, a, b *[9]float64) {
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			out[i*3+j] = a[i*3]*b[j] + a[i*3+1]*b[3+j] + a[i*3+2]*b[6+j]
		}
	}
}

// smallestEigenvector9 returns the unit eigenvector of the symmetric 9×9
// matrix a with the smallest eigenvalue (cyclic Jacobi rotations).
func smallestEigenvector9(a *[81]float64) ([9]float64, bool) {
	const n = 9
	var v [81]float64
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 60; sweep++ {
		var off float64
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				off += a[p*n+q] * a[p*n+q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ {
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p] = c*akp - s*akq
					a[k*n+q] = s*akp + c*akq
				}
				for k := 0; k < n; k++ {
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k] = c*apk - s*aqk
					a[q*n+k] = s*apk + c*aqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p] = c*vkp - s*vkq
					v[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	best := 0
	for i := 1; i < n; i++ {
		if a[i*n+i] < a[best*n+best] {
			best = i
		}
	}
	var e [9]float64
	var norm float64
	for k := 0; k < n; k++ {
		e[k] = v[k*n+best]
		norm += e[k] * e[k]
	}
	if !(norm > 0) || math.IsNaN(norm) {
		return e, false
	}
	return e, true
}

// homographyResidual is the RMS distance between H(src) and dst.
func homographyResidual(h *Homography, src, dst [][2]float64) float64 {
	var s float64
	for i := range src {
		p := h.Apply(src[i])
		dx, dy := p[0]-dst[i][0], p[1]-dst[i][1]
		s += dx*dx + dy*dy
	}
	return math.Sqrt(s / float64(len(src)))
}

// affineResidual is the RMS residual of the least-squares affine map
// taking src to dst.
func affineResidual(src, dst [][2]float64) float64 {
	ns := normalizationOf(src)
	// Normal equations of [x y 1]·c = u, shared by both coordinates.
	var m [9]float64
	var bu, bv [3]float64
	for i := range src {
		r := [3]float64{(src[i][0] - ns.cx) * ns.s, (src[i][1] - ns.cy) * ns.s, 1}
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[j*3+k] += r[j] * r[k]
			}
			bu[j] += r[j] * dst[i][0]
			bv[j] += r[j] * dst[i][1]
		}
	}
	cu, ok1 := solve3(m, bu)
	cv, ok2 := solve3(m, bv)
	if !ok1 || !ok2 {
		return math.Inf(1)
	}
	var s float64
	for i := range src {
		x, y := (src[i][0]-ns.cx)*ns.s, (src[i][1]-ns.cy)*ns.s
		du := cu[0]*x + cu[1]*y + cu[2] - dst[i][0]
		dv := cv[0]*x + cv[1]*y + cv[2] - dst[i][1]
		s += du*du + dv*dv
	}
	return math.Sqrt(s / float64(len(src)))
}

// similarityResidual is the RMS residual of the best rotation, uniform
// scale and translation taking src to dst.
func similarityResidual(src, dst [][2]float64) float64 {
	var sx, sy, dx, dy float64
	for i := range src {
		sx += src[i][0]
		sy += src[i][1]
		dx += dst[i][0]
		dy += dst[i][1]
	}
	n := float64(len(src))
	sx, sy, dx, dy = sx/n, sy/n, dx/n, dy/n
	var a, b, ss, dd float64
	for i := range src {
		px, py := src[i][0]-sx, src[i][1]-sy
		qx, qy := dst[i][0]-dx, dst[i][1]-dy
		a += px*qx + py*qy
		b += px*qy - py*qx
		ss += px*px + py*py
		dd += qx*qx + qy*qy
	}
	if ss == 0 {
		return math.Sqrt(dd / n)
	}
	// min over the similarity of Σ|q − sR p|² = dd − (a² + b²)/ss.
	r := dd - (a*a+b*b)/ss
	return math.Sqrt(math.Max(0, r) / n)
}

// solve3 solves the 3×3 system m·x = b by Cramer's rule.
func solve3(m [9]float64, b [3]float64) ([3]float64, bool) {
	det := m[0]*(m[4]*m[8]-m[5]*m[7]) - m[1]*(m[3]*m[8]-m[5]*m[6]) + m[2]*(m[3]*m[7]-m[4]*m[6])
	if math.Abs(det) < 1e-12 {
		return [3]float64{}, false
	}
	var x [3]float64
	for c := 0; c < 3; c++ {
		mc := m
		for r := 0; r < 3; r++ {
			mc[r*3+c] = b[r]
		}
		x[c] = (mc[0]*(mc[4]*mc[8]-mc[5]*mc[7]) - mc[1]*(mc[3]*mc[8]-mc[5]*mc[6]) + mc[2]*(mc[3]*mc[7]-mc[4]*mc[6])) / det
	}
	return x, true
}
