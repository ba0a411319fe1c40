package spoof

import "math"

// Colour-texture and tone signals that carry across cameras: the texture
// of the hue and saturation channels (HSV) as well as of luma and chroma
// (colour LBP, which transfers between datasets better than grey LBP),
// and the tone curve.

// colorTexture fills Skew and Clipped, and for a colour frame LBPSat,
// LBPHue, LBPCbR2, LBPCrR2, SatMean and SatSpread.
func (w *work) colorTexture(sg *Signals) {
	// Tone: skewness of the grey face and the fraction of clipped pixels.
	var s1, s2, s3 float64
	clipped := 0
	for _, v := range w.gray {
		f := float64(v)
		s1 += f
		if v <= 3 || v >= 252 {
			clipped++
		}
	}
	cnt := float64(len(w.gray))
	mean := s1 / cnt
	for _, v := range w.gray {
		d := float64(v) - mean
		s2 += d * d
		s3 += d * d * d
	}
	if s2 > 0 {
		sg.Skew = (s3 / cnt) / math.Pow(s2/cnt, 1.5)
	}
	sg.Clipped = float64(clipped) / cnt
	if !sg.Color {
		return
	}
	// Saturation (HSV) at 64×64 from the half-size luma and the chroma
	// planes, then its LBP histogram and moments.
	var sat, hue [chromaSize * chromaSize]uint8
	var ss, sss float64
	for i := range sat {
		yv := float64(w.half[i])
		cb := float64(w.cb2[i]) - 128
		cr := float64(w.cr2[i]) - 128
		r := yv + 1.402*cr
		g := yv - 0.344136*cb - 0.714136*cr
		b := yv + 1.772*cb
		hi := math.Max(r, math.Max(g, b))
		lo := math.Min(r, math.Min(g, b))
		s := 0.0
		if hi > 1 {
			s = (hi - lo) / hi
		}
		s = math.Max(0, math.Min(1, s))
		h := 0.0
		if d := hi - lo; d > 1e-9 {
			switch hi {
			case r:
				h = math.Mod((g-b)/d+6, 6)
			case g:
				h = (b-r)/d + 2
			default:
				h = (r-g)/d + 4
			}
		}
		hue[i] = uint8(h / 6 * 255)
		sat[i] = uint8(s*255 + 0.5)
		ss += s
		sss += s * s
	}
	m := ss / float64(len(sat))
	sg.SatMean = m
	sg.SatSpread = math.Sqrt(math.Max(0, sss/float64(len(sat))-m*m))
	lbpHist(sat[:], chromaSize, &sg.LBPSat)
	lbpHist(hue[:], chromaSize, &sg.LBPHue)
	lbpHistR2(w.cb2[:], chromaSize, &sg.LBPCbR2)
	lbpHistR2(w.cr2[:], chromaSize, &sg.LBPCrR2)
}

// lbpHistR2 is lbpHist with the eight neighbours at distance 2.
func lbpHistR2(pix []uint8, n int, h *[10]float64) {
	var cnt [10]int
	ge := func(v, c uint8) uint8 { return uint8(uint32(int32(c)-int32(v)-1) >> 31) }
	for y := 2; y < n-2; y++ {
		up := pix[(y-2)*n : (y-1)*n]
		row := pix[y*n : (y+1)*n]
		dn := pix[(y+2)*n : (y+3)*n]
		for x := 2; x < n-2; x++ {
			c := row[x]
			p := ge(up[x-2], c) | ge(up[x], c)<<1 | ge(up[x+2], c)<<2 | ge(row[x+2], c)<<3 |
				ge(dn[x+2], c)<<4 | ge(dn[x], c)<<5 | ge(dn[x-2], c)<<6 | ge(row[x-2], c)<<7
			cnt[lbpLabel[p]]++
		}
	}
	total := float64((n - 4) * (n - 4))
	for i, c := range cnt {
		h[i] = float64(c) / total
	}
}
