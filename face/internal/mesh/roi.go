package mesh

import "math"

// ROI geometry and sampler (spec §5.3) and the merge into 478 points
// (spec §5.4).

const (
	// roiScale maps mesh pixels (192) to feature cells (48).
	roiScale = 0.25
	// roiExtent is 1.5 × the rotated extent spread over 16 patch cells.
	roiExtent = 0.09375
	// sampleNorm is 2/47 as stored by the graph (float16), the
	// normalisation of grid coordinates to [−1, 1] before the sampler.
	sampleNorm = 0.04254150390625
)

// affine is the patch-to-grid map A(p) = c + R(θ)·diag(s)·(p − (8, 8)),
// with p in patch cells and A(p) in cells of the 48×48 feature map.
type affine struct {
	cx, cy   float64
	cos, sin float64
	sx, sy   float64
}

func (a *affine) apply(px, py float64) (float64, float64) {
	dx := a.sx * (px - patchSize/2)
	dy := a.sy * (py - patchSize/2)
	return a.cx + a.cos*dx - a.sin*dy, a.cy + a.sin*dx + a.cos*dy
}

// roiAffine builds the ROI of region r from the first-pass mesh.
func roiAffine(mesh []float32, r *region) affine {
	pt := func(i int) (float64, float64) {
		return roiScale * float64(mesh[3*i]), roiScale * float64(mesh[3*i+1])
	}
	ax, ay := pt(r.a)
	bx, by := pt(r.b)
	theta := math.Atan2(by-ay, bx-ax)
	cos, sin := math.Cos(theta), math.Sin(theta)
	mnx, mny := math.Inf(1), math.Inf(1)
	mxx, mxy := math.Inf(-1), math.Inf(-1)
	for _, i := range r.indices {
		x, y := pt(i)
		// Rotate by −θ.
		rx, ry := cos*x+sin*y, -sin*x+cos*y
		mnx, mxx = min(mnx, rx), max(mxx, rx)
		mny, mxy = min(mny, ry), max(mxy, ry)
	}
	mx, my := (mnx+mxx)/2, (mny+mxy)/2
	return affine{
		cx: cos*mx - sin*my, cy: sin*mx + cos*my,
		cos: cos, sin: sin,
		sx: (mxx - mnx) * roiExtent, sy: (mxy - mny) * roiExtent,
	}
}

// execSample computes the ROI of the step's region and bilinearly samples a
// 16×16 patch of the feature map. Samples whose position falls outside the
// map are zero; neighbour indices are clipped to the map.
func (m *Model) execSample(ws *workspace, st *step) {
	p := m.p
	mesh := m.tensorValues(ws, p.mesh)
	aff := roiAffine(mesh, &p.regions[st.region])
	ws.aff[st.region] = aff

	f := m.viewOf(ws, st.in, nil)
	out := p.tensors[st.out]
	dst := m.viewOf(ws, st.out, nil)
	c := f.c
	wmax, hmax := float64(f.w-1), float64(f.h-1)
	for v := range patchSize {
		// The graph's base grid is float16 linspace(−1, 1, 16), mapped to
		// cell centres 7.5·g + 7.5 + 0.5.
		py := 7.5*float64(p.grid[v]) + 8
		for u := range patchSize {
			px := 7.5*float64(p.grid[u]) + 8
			qx, qy := aff.apply(px, py)
			x := wmax / 2 * sampleNorm * (qx - 0.5)
			y := hmax / 2 * sampleNorm * (qy - 0.5)
			d := dst.data[v*dst.stride+u*c : v*dst.stride+u*c+c]
			if !(x >= 0 && x <= wmax && y >= 0 && y <= hmax) {
				clear(d)
				continue
			}
			x0, y0 := math.Floor(x), math.Floor(y)
			wa := float32((x0 + 1 - x) * (y0 + 1 - y))
			wb := float32((x0 + 1 - x) * (y - y0))
			wc := float32((x - x0) * (y0 + 1 - y))
			wd := float32((x - x0) * (y - y0))
			ix0, iy0 := int(x0), int(y0)
			ix1, iy1 := min(ix0+1, f.w-1), min(iy0+1, f.h-1)
			fa := f.data[iy0*f.stride+ix0*c : iy0*f.stride+ix0*c+c]
			fb := f.data[iy1*f.stride+ix0*c : iy1*f.stride+ix0*c+c]
			fc := f.data[iy0*f.stride+ix1*c : iy0*f.stride+ix1*c+c]
			fd := f.data[iy1*f.stride+ix1*c : iy1*f.stride+ix1*c+c]
			fa, fb, fc, fd = fa[:len(d)], fb[:len(d)], fc[:len(d)], fd[:len(d)]
			for i := range d {
				d[i] = wa*fa[i] + wb*fb[i] + wc*fc[i] + wd*fd[i]
			}
		}
	}
	zeroBorder(ws.arena, out)
}

// tensorValues returns the storage of an unbordered tensor.
func (m *Model) tensorValues(ws *workspace, id int) []float32 {
	t := m.p.tensors[id]
	return ws.arena[t.off : t.off+t.size()-t.extra]
}

// merge writes the 478 points (spec §5.4): the first-pass mesh, with x and y
// of the eye and lip contours replaced by the refined points, then the two
// irises.
func (m *Model) merge(ws *workspace, res *Result) {
	p := m.p
	mesh := m.tensorValues(ws, p.mesh)
	for i := range 468 {
		res.Points[i] = [3]float32{mesh[3*i], mesh[3*i+1], mesh[3*i+2]}
	}
	for r := range p.regions {
		reg := &p.regions[r]
		aff := &ws.aff[r]
		for _, h := range reg.heads {
			l := m.tensorValues(ws, h.tensor)
			iris := 0
			switch h.output {
			case outIris33:
				iris = 468
			case outIris263:
				iris = 473
			}
			var z float32
			if iris != 0 {
				// MediaPipe's iris depth: mean z of the eye's Lower0 and
				// Upper0 contours, the first 16 refinement indices.
				var s float64
				for _, i := range reg.indices[:16] {
					s += float64(mesh[3*i+2])
				}
				z = float32(s / 16)
			}
			for j := range len(l) / 2 {
				// Local points are in patch×4 units: l₁₉₂ = 4·A(l/4).
				x, y := aff.apply(float64(l[2*j])/4, float64(l[2*j+1])/4)
				x, y = 4*x, 4*y
				if iris != 0 {
					res.Points[iris+j] = [3]float32{float32(x), float32(y), z}
				} else {
					k := reg.indices[j]
					res.Points[k][0], res.Points[k][1] = float32(x), float32(y)
				}
			}
		}
	}
	flag := m.tensorValues(ws, p.flag)
	res.FaceFlag = flag[0]
	if p.flagSig {
		res.FaceFlag = sigmoid(flag[0])
	}
}
