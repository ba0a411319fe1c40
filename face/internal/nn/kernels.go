package nn

// Float32 kernels. All loops run over contiguous memory; slices are
// re-sliced to a common length before the inner loops so that the compiler
// removes the bounds checks. With simd set (HaveSIMD) the kernels run in
// assembly: AVX2 and FMA on amd64, NEON on arm64; the Go versions below are
// the portable fallback and are tested against the same naive reference.

// BlockWidth is the number of output channels per weight block of
// Pointwise: filters are laid out by BlockFilter, and bias and slope
// vectors are padded to a multiple of BlockWidth.
const BlockWidth = 16

// prelu is x for x ≥ 0 and a·x otherwise ; a is used as stored.
func prelu(x, a float32) float32 {
	if x < 0 {
		return x * a
	}
	return x
}

// RoundUp16 rounds n up to a multiple of BlockWidth.
func RoundUp16(n int) int {
	return (n + BlockWidth - 1) / BlockWidth * BlockWidth
}

// BlockFilter converts a [cout][k] filter to the pointwise kernel layout
// [coutP/16][k][16], with the output channels padded with zero weights up to
// coutP = RoundUp16(cout).
func BlockFilter(w []float32, cout, k int) []float32 {
	coutP := RoundUp16(cout)
	out := make([]float32, coutP*k)
	for o := range cout {
		b, j := o/BlockWidth, o%BlockWidth
		for i := range k {
			out[(b*k+i)*BlockWidth+j] = w[o*k+i]
		}
	}
	return out
}

// TransposeHWIO converts a [kh][kw][cin][cout] filter (TensorFlow's layout)
// to [cout][kh·kw·cin], the input of BlockFilter.
func TransposeHWIO(w []float32, kh, kw, cin, cout int) []float32 {
	k := kh * kw * cin
	out := make([]float32, cout*k)
	for i := range k {
		for o := range cout {
			out[o*k+i] = w[i*cout+o]
		}
	}
	return out
}

// PadVector extends v to n values with fill.
func PadVector(v []float32, n int, fill float32) []float32 {
	out := make([]float32, n)
	copy(out, v)
	for i := len(v); i < n; i++ {
		out[i] = fill
	}
	return out
}

// Pointwise is a 1×1 convolution over npix pixels with a fused epilogue:
//
//	out[p·ostride + o] = PReLU_slope[o](Σ_i in[p·cin + i]·W[o][i] + bias[o] + res[p·cres + o])
//
// for o < coutP = len(bias), a multiple of 16. w is in the BlockFilter
// layout. res, when not nil, is added to the first cres output channels only
// (cres a multiple of 16), which implements the zero channel padding of a
// downsampling skip path. An all-ones slope makes the activation the
// identity. simd selects the assembly form, which only a CPU for which
// HaveSIMD reports true runs. It panics on inconsistent shapes.
func Pointwise(simd bool, out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	coutP := len(bias)
	if npix <= 0 || coutP == 0 {
		return
	}
	// Bounds checks for the assembly kernel.
	_ = in[npix*cin-1]
	_ = out[(npix-1)*ostride+coutP-1]
	_ = w[coutP*cin-1]
	_ = slope[coutP-1]
	if coutP%BlockWidth != 0 || cres%BlockWidth != 0 || (npix > 1 && ostride < coutP) {
		panic("nn: bad pointwise shape")
	}
	if res == nil {
		cres = 0
	} else if cres > 0 {
		_ = res[(npix-1)*cres+cres-1]
	}
	if simd {
		var r *float32
		if cres > 0 {
			r = &res[0]
		}
		pointwiseSIMD(&out[0], &in[0], &w[0], &bias[0], &slope[0], r, npix, cin, ostride, coutP, cres)
		return
	}
	pointwiseGo(out, in, npix, cin, ostride, w, bias, slope, res, cres)
}

func pointwiseGo(out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	coutP := len(bias)
	for o := 0; o < coutP; o += 4 {
		blk := w[o/BlockWidth*cin*BlockWidth : (o/BlockWidth+1)*cin*BlockWidth]
		j := o % BlockWidth
		b := bias[o : o+4 : o+4]
		a := slope[o : o+4 : o+4]
		withRes := o < cres
		p := 0
		for ; p+2 <= npix; p += 2 {
			x0 := in[p*cin : p*cin+cin]
			x1 := in[(p+1)*cin : (p+1)*cin+cin]
			x1 = x1[:len(x0)]
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for i, xa := range x0 {
				xb := x1[i]
				v := blk[i*BlockWidth+j : i*BlockWidth+j+4 : i*BlockWidth+j+4]
				s00 += xa * v[0]
				s01 += xa * v[1]
				s02 += xa * v[2]
				s03 += xa * v[3]
				s10 += xb * v[0]
				s11 += xb * v[1]
				s12 += xb * v[2]
				s13 += xb * v[3]
			}
			s00, s01, s02, s03 = s00+b[0], s01+b[1], s02+b[2], s03+b[3]
			s10, s11, s12, s13 = s10+b[0], s11+b[1], s12+b[2], s13+b[3]
			if withRes {
				r0 := res[p*cres+o : p*cres+o+4]
				r1 := res[(p+1)*cres+o : (p+1)*cres+o+4]
				s00, s01, s02, s03 = s00+r0[0], s01+r0[1], s02+r0[2], s03+r0[3]
				s10, s11, s12, s13 = s10+r1[0], s11+r1[1], s12+r1[2], s13+r1[3]
			}
			d0 := out[p*ostride+o : p*ostride+o+4]
			d1 := out[(p+1)*ostride+o : (p+1)*ostride+o+4]
			d0[0], d0[1], d0[2], d0[3] = prelu(s00, a[0]), prelu(s01, a[1]), prelu(s02, a[2]), prelu(s03, a[3])
			d1[0], d1[1], d1[2], d1[3] = prelu(s10, a[0]), prelu(s11, a[1]), prelu(s12, a[2]), prelu(s13, a[3])
		}
		if p < npix {
			x0 := in[p*cin : p*cin+cin]
			var s0, s1, s2, s3 float32
			for i, xa := range x0 {
				v := blk[i*BlockWidth+j : i*BlockWidth+j+4 : i*BlockWidth+j+4]
				s0 += xa * v[0]
				s1 += xa * v[1]
				s2 += xa * v[2]
				s3 += xa * v[3]
			}
			s0, s1, s2, s3 = s0+b[0], s1+b[1], s2+b[2], s3+b[3]
			if withRes {
				r0 := res[p*cres+o : p*cres+o+4]
				s0, s1, s2, s3 = s0+r0[0], s1+r0[1], s2+r0[2], s3+r0[3]
			}
			d0 := out[p*ostride+o : p*ostride+o+4]
			d0[0], d0[1], d0[2], d0[3] = prelu(s0, a[0]), prelu(s1, a[1]), prelu(s2, a[2]), prelu(s3, a[3])
		}
	}
}

// Conv3 is a 3×3 convolution of 3 input channels over npix output pixels
// of one row, the first layer of the networks, with the epilogue of
// Pointwise (bias and PReLU, no residual). r0, r1 and r2 are the three
// input rows starting at the first pixel's patch: output pixel p reads
// rk[p·step : p·step+9] (three columns of three channels), so every patch
// must lie inside the rows; the caller handles padded edges. w is the
// BlockFilter layout of the [cout][27] filter in (ky, kx, ci) order and
// col is scratch for npix·27 values. The result is that of gathering the
// patches (im2col) and running Pointwise, which is what the portable and
// NEON forms do; the AVX2 form reads the rows directly when npix is a
// multiple of 6.
func Conv3(simd bool, out, r0, r1, r2, col []float32, npix, step, ostride int, w, bias, slope []float32) {
	coutP := len(bias)
	if npix <= 0 {
		return
	}
	last := (npix-1)*step + 9
	_, _, _ = r0[last-1], r1[last-1], r2[last-1]
	_ = out[(npix-1)*ostride+coutP-1]
	_ = w[coutP*27-1]
	_ = slope[coutP-1]
	if coutP%BlockWidth != 0 || (npix > 1 && ostride < coutP) || step <= 0 {
		panic("nn: bad conv3 shape")
	}
	if simd && conv3Asm && npix%6 == 0 {
		conv3SIMD(&out[0], &r0[0], &r1[0], &r2[0], &w[0], &bias[0], &slope[0], npix, step, ostride, coutP)
		return
	}
	col = col[:npix*27]
	for p := range npix {
		d := col[p*27 : p*27+27]
		copy(d[0:9], r0[p*step:p*step+9])
		copy(d[9:18], r1[p*step:p*step+9])
		copy(d[18:27], r2[p*step:p*step+9])
	}
	Pointwise(simd, out, col, npix, 27, ostride, w, bias, slope, nil, 0)
}

// DepthwiseRow computes one output row of a 3×3 depthwise convolution. r0,
// r1 and r2 are the three input rows including their zero border; output
// pixel x reads the bordered columns x·stride+off … x·stride+off+2. k is [9][c] and
// c is a multiple of 8. There is no bias. simd is as for Pointwise.
func DepthwiseRow(simd bool, out, r0, r1, r2, k []float32, ow, c, stride, off int) {
	if ow <= 0 {
		return
	}
	last := ((ow-1)*stride + off + 3) * c
	_, _, _ = r0[last-1], r1[last-1], r2[last-1]
	_ = out[ow*c-1]
	_ = k[9*c-1]
	if c%8 != 0 || off < 0 {
		panic("nn: bad depthwise shape")
	}
	if simd {
		dwRowSIMD(&out[0], &r0[0], &r1[0], &r2[0], &k[0], nil, ow, c, stride, off, false)
		return
	}
	dwRowGo(out, r0, r1, r2, k, ow, c, stride, off)
}

func dwRowGo(out, r0, r1, r2, k []float32, ow, c, stride, off int) {
	k0, k1, k2 := k[0:c], k[c:2*c], k[2*c:3*c]
	k3, k4, k5 := k[3*c:4*c], k[4*c:5*c], k[5*c:6*c]
	k6, k7, k8 := k[6*c:7*c], k[7*c:8*c], k[8*c:9*c]
	for x := range ow {
		o := out[x*c : x*c+c]
		b := (x*stride + off) * c
		a0, a1, a2 := r0[b:b+c], r0[b+c:b+2*c], r0[b+2*c:b+3*c]
		b0, b1, b2 := r1[b:b+c], r1[b+c:b+2*c], r1[b+2*c:b+3*c]
		c0, c1, c2 := r2[b:b+c], r2[b+c:b+2*c], r2[b+2*c:b+3*c]
		n := len(o)
		a0, a1, a2, b0, b1, b2, c0, c1, c2 = a0[:n], a1[:n], a2[:n], b0[:n], b1[:n], b2[:n], c0[:n], c1[:n], c2[:n]
		k0, k1, k2, k3, k4, k5, k6, k7, k8 := k0[:n], k1[:n], k2[:n], k3[:n], k4[:n], k5[:n], k6[:n], k7[:n], k8[:n]
		for i := range o {
			o[i] = (a0[i]*k0[i] + a1[i]*k1[i] + a2[i]*k2[i]) +
				(b0[i]*k3[i] + b1[i]*k4[i] + b2[i]*k5[i]) +
				(c0[i]*k6[i] + c1[i]*k7[i] + c2[i]*k8[i])
		}
	}
}

// DepthwiseRowBias is DepthwiseRow followed by adding bias (c values) to
// every pixel and, with relu, a clamp at zero, in one pass; the result is
// that of the two passes. On amd64 a stride-2 row is swept pixel by pixel
// with the channels inside, which suits the wide channel counts of strided
// layers better than DepthwiseRow's channel-group sweep.
func DepthwiseRowBias(simd bool, out, r0, r1, r2, k, bias []float32, relu bool, ow, c, stride, off int) {
	if ow <= 0 {
		return
	}
	last := ((ow-1)*stride + off + 3) * c
	_, _, _ = r0[last-1], r1[last-1], r2[last-1]
	_ = out[ow*c-1]
	_ = k[9*c-1]
	_ = bias[c-1]
	if c%8 != 0 || off < 0 || stride <= 0 {
		panic("nn: bad depthwise shape")
	}
	if simd && stride == 1 {
		dwRowSIMD(&out[0], &r0[0], &r1[0], &r2[0], &k[0], &bias[0], ow, c, stride, off, relu)
		return
	}
	if simd {
		dwRowBiasSIMD(&out[0], &r0[0], &r1[0], &r2[0], &k[0], &bias[0], ow, c, stride, off, relu)
		return
	}
	dwRowGo(out, r0, r1, r2, k, ow, c, stride, off)
	biasAct(out[:ow*c], bias[:c], relu)
}

// biasAct adds bias (c = len(bias) values) to every pixel of row and, with
// relu, clamps the result at zero.
func biasAct(row, bias []float32, relu bool) {
	c := len(bias)
	for p := 0; p+c <= len(row); p += c {
		v := row[p : p+c]
		b := bias[:len(v)]
		if relu {
			for i := range v {
				v[i] = max(v[i]+b[i], 0)
			}
		} else {
			for i := range v {
				v[i] += b[i]
			}
		}
	}
}

// PoolRow computes one output row of a 2×2 stride-2 max-pool from the two
// input rows r0 and r1 (without border), c channels per pixel, c a multiple
// of 8. The values are finite, so the NaN rules of max do not matter.
func PoolRow(simd bool, out, r0, r1 []float32, ow, c int) {
	if ow <= 0 {
		return
	}
	_, _, _ = out[ow*c-1], r0[2*ow*c-1], r1[2*ow*c-1]
	if c%8 != 0 {
		panic("nn: bad max-pool shape")
	}
	if simd {
		poolRowSIMD(&out[0], &r0[0], &r1[0], ow, c)
		return
	}
	poolRowGo(out, r0, r1, ow, c)
}

func poolRowGo(out, r0, r1 []float32, ow, c int) {
	for x := range ow {
		o := out[x*c : x*c+c]
		p0, p1 := r0[2*x*c:2*x*c+c], r0[(2*x+1)*c:(2*x+1)*c+c]
		q0, q1 := r1[2*x*c:2*x*c+c], r1[(2*x+1)*c:(2*x+1)*c+c]
		n := len(o)
		p0, p1, q0, q1 = p0[:n], p1[:n], q0[:n], q1[:n]
		for i := range o {
			o[i] = max(p0[i], p1[i], q0[i], q1[i])
		}
	}
}
