package spoof

import "math"

const (
	houghTheta = 36              // 5° steps over 180°
	houghHalf  = ctxSize*3/4 - 1 // |ρ| ≤ ctxSize/√2 < houghHalf around the centre
	houghRho   = 2 * houghHalf
	// faceLo..faceHi is the face box in the context view, slightly
	// enlarged: edges inside it belong to the face, not to a frame.
	faceLo = ctxSize/2 - ctxSize/(2*ctxScale) - 2
	faceHi = ctxSize/2 + ctxSize/(2*ctxScale) + 2
	// borderEdge is the Sobel magnitude of an edge pixel (about a step
	// of 12 grey levels).
	borderEdge = 48
	// borderMinRho keeps both lines outside the face box.
	borderMinRho = ctxSize / (2 * ctxScale)
)

// houghTrig holds cos and sin of each θ bin; computed once, never written.
var houghTrig = func() (t [houghTheta][2]float64) {
	for i := range t {
		a := (float64(i) + 0.5) * math.Pi / houghTheta
		t[i] = [2]float64{math.Cos(a), math.Sin(a)}
	}
	return t
}()

// border fills Border and Context: a Hough transform of the strong edges
// of the context view outside the face, looking for two parallel lines on
// opposite sides of the face.
func (w *work) border(sg *Signals) {
	v := w.ctxValid
	sg.Context = float64(v.Dx()*v.Dy()) / (ctxSize * ctxSize)
	clear(w.hough[:])
	if v.Dx() < 3 || v.Dy() < 3 {
		return
	}
	c := &w.ctx
	for y := v.Min.Y + 1; y < v.Max.Y-1; y++ {
		for x := v.Min.X + 1; x < v.Max.X-1; x++ {
			if x >= faceLo && x < faceHi && y >= faceLo && y < faceHi {
				continue
			}
			i := y*ctxSize + x
			a, b, cc := int(c[i-ctxSize-1]), int(c[i-ctxSize]), int(c[i-ctxSize+1])
			d, f := int(c[i-1]), int(c[i+1])
			g, h, k := int(c[i+ctxSize-1]), int(c[i+ctxSize]), int(c[i+ctxSize+1])
			gx := (cc + 2*f + k) - (a + 2*d + g)
			gy := (g + 2*h + k) - (a + 2*b + cc)
			if gx*gx+gy*gy < borderEdge*borderEdge {
				continue
			}
			// The gradient is normal to the edge: vote near its angle.
			phi := math.Atan2(float64(gy), float64(gx))
			if phi < 0 {
				phi += math.Pi
			}
			tb := int(phi / math.Pi * houghTheta)
			px, py := float64(x)+0.5-ctxSize/2, float64(y)+0.5-ctxSize/2
			for dt := -1; dt <= 1; dt++ {
				t := (tb + dt + houghTheta) % houghTheta
				rho := px*houghTrig[t][0] + py*houghTrig[t][1]
				r := int(math.Floor(rho)) + houghHalf
				if r >= 0 && r < houghRho {
					w.hough[t*houghRho+r]++
				}
			}
		}
	}
	best := int32(0)
	for t := 0; t < houghTheta; t++ {
		acc := w.hough[t*houghRho : (t+1)*houghRho]
		var neg, pos int32
		for r, n := range acc {
			rho := r - houghHalf
			switch {
			case rho < -borderMinRho:
				neg = max(neg, n)
			case rho >= borderMinRho:
				pos = max(pos, n)
			}
		}
		best = max(best, min(neg, pos))
	}
	sg.Border = math.Min(1, float64(best)/ctxSize)
}

// defaultBorderRule is the hand-set border rule (no training data has
// faces held up in frames): two parallel edges each crossing at least 60%
// of the context view, with three quarters of the view inside the frame,
// lower the log-odds by 2.
func defaultBorderRule() BorderRule {
	return BorderRule{Min: 0.6, MinContext: 0.75, Penalty: 2}
}
