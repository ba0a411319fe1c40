package spoof

import "math"

// fftPlan is an in-place radix-2 FFT of one power-of-two length.
type fftPlan struct {
	n          int
	cos, sin   []float64 // twiddles e^{-2πik/n}, k < n/2
	rev        []int     // bit-reversal permutation
	window     []float64 // Hann window of length n
	colR, colI []float64 // one column, for the second pass
}

func (p *fftPlan) init(n int) {
	p.n = n
	p.cos = make([]float64, n/2)
	p.sin = make([]float64, n/2)
	for k := range n / 2 {
		a := -2 * math.Pi * float64(k) / float64(n)
		p.cos[k], p.sin[k] = math.Cos(a), math.Sin(a)
	}
	p.rev = make([]int, n)
	lg := 0
	for 1<<lg < n {
		lg++
	}
	for i := range n {
		r := 0
		for b := 0; b < lg; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (lg - 1 - b)
			}
		}
		p.rev[i] = r
	}
	p.window = make([]float64, n)
	for i := range n {
		p.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(n))
	}
	p.colR = make([]float64, n)
	p.colI = make([]float64, n)
}

// transform computes the forward DFT of (re, im) in place; both have
// length p.n.
func (p *fftPlan) transform(re, im []float64) {
	n := p.n
	re, im = re[:n], im[:n]
	for i, r := range p.rev {
		if i < r {
			re[i], re[r] = re[r], re[i]
			im[i], im[r] = im[r], im[i]
		}
	}
	// Sizes 2 and 4 have trivial twiddles (1 and −i).
	for a := 0; a+1 < n; a += 2 {
		b := a + 1
		re[a], re[b] = re[a]+re[b], re[a]-re[b]
		im[a], im[b] = im[a]+im[b], im[a]-im[b]
	}
	for a := 0; a+3 < n; a += 4 {
		b, c, d := a+1, a+2, a+3
		// (a, c) with twiddle 1, (b, d) with twiddle −i.
		cr, ci := re[c], im[c]
		re[c], im[c] = re[a]-cr, im[a]-ci
		re[a], im[a] = re[a]+cr, im[a]+ci
		dr, di := im[d], -re[d] // d·(−i)
		re[d], im[d] = re[b]-dr, im[b]-di
		re[b], im[b] = re[b]+dr, im[b]+di
	}
	for size := 8; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			lo := re[start : start+half : start+half]
			loi := im[start : start+half : start+half]
			hi := re[start+half : start+size : start+size]
			hii := im[start+half : start+size : start+size]
			for k := range lo {
				wr, wi := p.cos[k*step], p.sin[k*step]
				br, bi := hi[k], hii[k]
				tr := br*wr - bi*wi
				ti := br*wi + bi*wr
				ar, ai := lo[k], loi[k]
				hi[k], hii[k] = ar-tr, ai-ti
				lo[k], loi[k] = ar+tr, ai+ti
			}
		}
	}
}

// spectrum fills HighFreq, MidFreq and Moire from the grey face. The
// 2-D DFT of the real, windowed face is computed two rows at a time (one
// complex FFT per pair of rows) and only for the non-negative horizontal
// frequencies; the others mirror them.
func (w *work) spectrum(sg *Signals) {
	const (
		n    = faceSize
		half = n / 2
		hw   = half + 1 // stored horizontal frequencies 0..n/2
	)
	var sum int
	for _, v := range w.gray {
		sum += int(v)
	}
	mean := float64(sum) / float64(n*n)
	win := w.fft.window
	rr, ri := w.fft.colR, w.fft.colI // row buffers, reused
	for y := 0; y < n; y += 2 {
		w0, w1 := win[y], win[y+1]
		g0 := w.gray[y*n : (y+1)*n]
		g1 := w.gray[(y+1)*n : (y+2)*n]
		for x := 0; x < n; x++ {
			rr[x] = (float64(g0[x]) - mean) * w0 * win[x]
			ri[x] = (float64(g1[x]) - mean) * w1 * win[x]
		}
		w.fft.transform(rr, ri)
		// Separate the two real rows' spectra.
		a0, b0 := w.re[y*hw:(y+1)*hw], w.im[y*hw:(y+1)*hw]
		a1, b1 := w.re[(y+1)*hw:(y+2)*hw], w.im[(y+1)*hw:(y+2)*hw]
		for k := 0; k < hw; k++ {
			m := (n - k) & (n - 1)
			a, b, c, d := rr[k], ri[k], rr[m], ri[m]
			a0[k], b0[k] = (a+c)/2, (b-d)/2
			a1[k], b1[k] = (b+d)/2, (c-a)/2
		}
	}
	var total, high, mid, band, peak, bandN float64
	for k := 0; k < hw; k++ {
		for y := 0; y < n; y++ {
			rr[y], ri[y] = w.re[y*hw+k], w.im[y*hw+k]
		}
		w.fft.transform(rr, ri)
		// Columns 1..n/2−1 stand for their mirrors too.
		wt := 2.0
		if k == 0 || k == half {
			wt = 1
		}
		fu := k
		for v := 0; v < n; v++ {
			fv := v
			if fv >= half {
				fv -= n
			}
			if fu == 0 && fv == 0 {
				continue
			}
			pw := rr[v]*rr[v] + ri[v]*ri[v]
			total += wt * pw
			r2 := fu*fu + fv*fv // radius² in bins; Nyquist is half
			switch {
			case 4*r2 > half*half: // r > 0.5
				high += wt * pw
			case 64*r2 > half*half: // 0.125 < r ≤ 0.5
				mid += wt * pw
			}
			if 16*r2 > half*half && fu*fu > 4 && fv*fv > 4 {
				// Off-axis, r > 0.25: where a periodic pattern shows as a peak.
				band += wt * pw
				bandN += wt
				peak = math.Max(peak, pw)
			}
		}
	}
	if total > 0 {
		sg.HighFreq = high / total
		sg.MidFreq = mid / total
	}
	if band > 0 {
		sg.Moire = math.Log10(peak / (band / bandN))
	}
}
