package spoof

import (
	"image"
	"math/bits"
)

// LaplacianVar returns the variance of the Laplacian of g, computed like
// OpenCV's cv2.Laplacian(gray, cv2.CV_64F).var(): the 3×3 kernel
// [0 1 0; 1 −4 1; 0 1 0], reflect-101 borders (gfedcb|abcdefgh|gfedcba,
// and a single row or column reflects onto itself), and the population
// variance over every pixel of g.Rect.
//
// It makes one pass over g.Pix without allocating. The sums are kept in
// integers, so the result differs from OpenCV's only by the final
// floating-point rounding. An empty image has variance 0.
func LaplacianVar(g *image.Gray) float64 {
	if g == nil {
		return 0
	}
	r := g.Rect
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return 0
	}
	var sum int64
	var sumsq uint64
	base := g.PixOffset(r.Min.X, r.Min.Y)
	for y := 0; y < h; y++ {
		up, down := reflect101(y-1, h), reflect101(y+1, h)
		row := g.Pix[base+y*g.Stride : base+y*g.Stride+w]
		rowU := g.Pix[base+up*g.Stride : base+up*g.Stride+w]
		rowD := g.Pix[base+down*g.Stride : base+down*g.Stride+w]
		if w == 1 {
			// Left and right neighbours are the pixel itself.
			v := int64(rowU[0]) + int64(rowD[0]) - 2*int64(row[0])
			sum += v
			sumsq += uint64(v * v)
			continue
		}
		// x = 0: the left neighbour reflects to x = 1.
		v := int64(rowU[0]) + int64(rowD[0]) + 2*int64(row[1]) - 4*int64(row[0])
		sum += v
		sumsq += uint64(v * v)
		// Interior, bounds-check friendly.
		var s int64
		var sq uint64
		for x := 1; x < w-1; x++ {
			c := int64(row[x])
			v := int64(rowU[x]) + int64(rowD[x]) + int64(row[x-1]) + int64(row[x+1]) - 4*c
			s += v
			sq += uint64(v * v)
		}
		sum += s
		sumsq += sq
		// x = w-1: the right neighbour reflects to x = w-2.
		v = int64(rowU[w-1]) + int64(rowD[w-1]) + 2*int64(row[w-2]) - 4*int64(row[w-1])
		sum += v
		sumsq += uint64(v * v)
	}
	return varianceFromSums(uint64(w)*uint64(h), sum, sumsq)
}

// varianceFromSums returns (n·Σv² − (Σv)²) / n², the population variance,
// with the numerator computed exactly in 128-bit integers.
func varianceFromSums(n uint64, sum int64, sumsq uint64) float64 {
	if n == 0 {
		return 0
	}
	a := uint64(sum)
	if sum < 0 {
		a = uint64(-sum)
	}
	h1, l1 := bits.Mul64(n, sumsq)
	h2, l2 := bits.Mul64(a, a)
	lo, borrow := bits.Sub64(l1, l2, 0)
	hi, _ := bits.Sub64(h1, h2, borrow)
	num := float64(hi)*(1<<64) + float64(lo)
	fn := float64(n)
	return num / fn / fn
}

// reflect101 maps an index just outside [0, n) back inside with OpenCV's
// BORDER_REFLECT_101 rule (−1 → 1, n → n−2); for n == 1 it returns 0.
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*n - 2 - i
	}
	return i
}
