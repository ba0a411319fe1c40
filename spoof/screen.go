package spoof

import "math"

// Signals of re-displayed images: a face shown on a screen or a print
// carries the colour cast and tone curve of the display or ink, is lit by
// the display rather than by the room, and its colour planes carry the
// display's sub-pixel structure.

// screenStats fills CbMean, CrMean, FaceLight, ContextSharp and ChromaHF.
func (w *work) screenStats(sg *Signals) {
	// Face against surroundings: mean luma of the face over the mean luma
	// of the ring of the context view outside the face box, in the part
	// of the view inside the frame.
	var fs int
	for _, v := range w.gray {
		fs += int(v)
	}
	faceMean := float64(fs) / float64(len(w.gray))
	lo, hi := ctxSize/4, ctxSize-ctxSize/4 // the face box in the context view
	v := w.ctxValid
	var rs, rn int
	var lap float64
	var ln int
	for y := v.Min.Y; y < v.Max.Y; y++ {
		row := w.ctx[y*ctxSize : (y+1)*ctxSize]
		for x := v.Min.X; x < v.Max.X; x++ {
			if y >= lo && y < hi && x >= lo && x < hi {
				continue
			}
			rs += int(row[x])
			rn++
			if y > v.Min.Y && y < v.Max.Y-1 && x > v.Min.X && x < v.Max.X-1 {
				d := 4*int(row[x]) - int(row[x-1]) - int(row[x+1]) - int(w.ctx[(y-1)*ctxSize+x]) - int(w.ctx[(y+1)*ctxSize+x])
				lap += float64(d * d)
				ln++
			}
		}
	}
	if rn > 0 {
		sg.FaceLight = math.Log((faceMean + 8) / (float64(rs)/float64(rn) + 8))
	}
	if ln > 0 {
		sg.ContextSharp = math.Log1p(lap / float64(ln))
	}
	if !sg.Color {
		return
	}
	var sb, sr int
	for i := range w.cb2 {
		sb += int(w.cb2[i]) - 128
		sr += int(w.cr2[i]) - 128
	}
	n := float64(len(w.cb2))
	sg.CbMean, sg.CrMean = float64(sb)/n, float64(sr)/n
	// High-frequency colour energy: mean absolute Laplacian of the chroma
	// planes at 64×64, over that of the luma at the same scale.
	lapAbs := func(p []uint8, n int) float64 {
		var s int
		for y := 1; y < n-1; y++ {
			for x := 1; x < n-1; x++ {
				i := y*n + x
				d := 4*int(p[i]) - int(p[i-1]) - int(p[i+1]) - int(p[i-n]) - int(p[i+n])
				s += max(d, -d)
			}
		}
		return float64(s) / float64((n-2)*(n-2))
	}
	c := lapAbs(w.cb2[:], chromaSize) + lapAbs(w.cr2[:], chromaSize)
	y := lapAbs(w.half[:], faceSize/2)
	sg.ChromaHF = math.Log((c + 0.5) / (y + 0.5))
}
