package spoof

import (
	"image"
	"image/color"
	"math"
)

// Sizes of the normalised views of a face. Every per-frame signal is
// computed on these, so a signal means the same thing whatever the
// resolution of the camera or the size of the face in the frame.
const (
	faceSize   = 2 * ThumbSize // grey face region, 128×128
	colorSize  = 32            // Y, Cb, Cr of the face region, colorSize×colorSize
	chromaSize = 64            // Cb, Cr of the face region for colour texture
	ctxSize    = 64            // grey context around the face, ctxSize×ctxSize
	ctxScale   = 2.0           // the context spans ctxScale × the face box, centred on it
)

// plane is one 8-bit channel: pix[y*stride+x] for 0 ≤ x < w, 0 ≤ y < h.
type plane struct {
	pix    []uint8
	stride int
	w, h   int
}

// source is an image reduced to planes. Plane coordinates are image
// coordinates minus origin, divided by the subsampling factor for chroma.
type source struct {
	y, cb, cr plane
	cdx, cdy  int         // chroma subsampling (1, 2 or 4)
	origin    image.Point // image coordinates of luma plane (0, 0)
	color     bool        // chroma planes are present
	whole     bool        // the planes cover the whole image
}

// tap is the first source index and the number of weights for one
// output sample; the weights live in a shared slice.
type tap struct {
	k0, n int
	off   int // index of the first weight
}

// resampler holds the reusable buffers of one normalisation.
type resampler struct {
	xt, yt []tap
	xw, yw []float32
	tmp    []float32
	acc    []float32
	ends   []areaEnd
	prefix []float64
	conv   []uint8 // luma and chroma converted from RGBA-like images
	rgba   []uint8 // other images copied as RGBA
}

// loadSource reduces img to planes without copying for *image.YCbCr and
// *image.Gray. Other images are converted, inside need only, into r.conv.
// need is in image coordinates and already clipped to img.Bounds().
func (r *resampler) loadSource(img image.Image, need image.Rectangle, src *source) {
	*src = source{cdx: 1, cdy: 1}
	switch m := img.(type) {
	case *image.YCbCr:
		src.origin = m.Rect.Min
		src.y = plane{pix: m.Y, stride: m.YStride, w: m.Rect.Dx(), h: m.Rect.Dy()}
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			src.cdx = 2
		case image.YCbCrSubsampleRatio420:
			src.cdx, src.cdy = 2, 2
		case image.YCbCrSubsampleRatio440:
			src.cdy = 2
		case image.YCbCrSubsampleRatio411:
			src.cdx = 4
		case image.YCbCrSubsampleRatio410:
			src.cdx, src.cdy = 4, 2
		}
		cw := (m.Rect.Max.X+src.cdx-1)/src.cdx - m.Rect.Min.X/src.cdx
		ch := (m.Rect.Max.Y+src.cdy-1)/src.cdy - m.Rect.Min.Y/src.cdy
		src.cb = plane{pix: m.Cb, stride: m.CStride, w: cw, h: ch}
		src.cr = plane{pix: m.Cr, stride: m.CStride, w: cw, h: ch}
		src.color = cw > 0 && ch > 0
		src.whole = true
		return
	case *image.Gray:
		src.origin = m.Rect.Min
		off := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y)
		if m.Rect.Empty() {
			off = 0
		}
		src.y = plane{pix: m.Pix[off:], stride: m.Stride, w: m.Rect.Dx(), h: m.Rect.Dy()}
		src.whole = true
		return
	}
	// Convert the needed region: Y at full resolution, Cb and Cr at half
	// resolution from 2×2 mean colours (as 4:2:0 JPEG stores them).
	w, h := need.Dx(), need.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	n, nc := w*h, cw*ch
	if cap(r.conv) < n+2*nc {
		r.conv = make([]uint8, n+2*nc)
	}
	buf := r.conv[:n+2*nc]
	py, pcb, pcr := buf[:n], buf[n:n+nc], buf[n+nc:]
	src.origin = need.Min
	src.cdx, src.cdy = 2, 2
	src.y = plane{pix: py, stride: w, w: w, h: h}
	src.cb = plane{pix: pcb, stride: cw, w: cw, h: ch}
	src.cr = plane{pix: pcr, stride: cw, w: cw, h: ch}
	src.color = n > 0
	var pix []uint8
	var stride int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(need.Min.X, need.Min.Y):], m.Stride
	case *image.NRGBA:
		// Frames are opaque; alpha is ignored.
		pix, stride = m.Pix[m.PixOffset(need.Min.X, need.Min.Y):], m.Stride
	default:
		// Rare formats: one At call per pixel of the needed region, into
		// an RGBA copy.
		if cap(r.rgba) < 4*n {
			r.rgba = make([]uint8, 4*n)
		}
		pix, stride = r.rgba[:4*n], 4*w
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBAModel.Convert(img.At(need.Min.X+x, need.Min.Y+y)).(color.RGBA)
				o := y*stride + 4*x
				pix[o], pix[o+1], pix[o+2] = c.R, c.G, c.B
			}
		}
	}
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		out := py[y*w : (y+1)*w]
		for x := range out {
			p := row[4*x : 4*x+3 : 4*x+3]
			// The luma of color.RGBToYCbCr.
			out[x] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
		}
	}
	for cy := 0; cy < ch; cy++ {
		y0, y1 := 2*cy, min(2*cy+1, h-1)
		r0, r1 := pix[y0*stride:], pix[y1*stride:]
		for cx := 0; cx < cw; cx++ {
			x0, x1 := 4*2*cx, 4*min(2*cx+1, w-1)
			var rgb [3]uint8
			for c := 0; c < 3; c++ {
				rgb[c] = uint8((uint32(r0[x0+c]) + uint32(r0[x1+c]) + uint32(r1[x0+c]) + uint32(r1[x1+c]) + 2) >> 2)
			}
			_, pcb[cy*cw+cx], pcr[cy*cw+cx] = color.RGBToYCbCr(rgb[0], rgb[1], rgb[2])
		}
	}
}

// buildTaps fills the weights that resample the source interval
// [a, a+n·s) of an axis of length size onto n outputs: an area average
// when shrinking (s ≥ 1) and linear interpolation when enlarging.
// Indices outside [0, size) are clamped to the edge (replicate border).
func buildTaps(t []tap, ws []float32, a, s float64, n, size int) ([]tap, []float32) {
	t = t[:0]
	ws = ws[:0]
	clampK := func(k int) int { return min(max(k, 0), size-1) }
	for i := 0; i < n; i++ {
		off := len(ws)
		tp := tap{off: off}
		add := func(k int, w float64) {
			ck := clampK(k)
			if tp.n > 0 && ck == tp.k0+tp.n-1 {
				ws[len(ws)-1] += float32(w)
				return
			}
			if tp.n == 0 {
				tp.k0 = ck
			}
			ws = append(ws, float32(w))
			tp.n++
		}
		if s >= 1 {
			x0 := a + float64(i)*s
			x1 := x0 + s
			for k := int(math.Floor(x0)); float64(k) < x1; k++ {
				lo := math.Max(x0, float64(k))
				hi := math.Min(x1, float64(k+1))
				add(k, (hi-lo)/s)
			}
		} else {
			c := a + (float64(i)+0.5)*s - 0.5
			k0 := int(math.Floor(c))
			f := c - float64(k0)
			add(k0, 1-f)
			add(k0+1, f)
		}
		t = append(t, tp)
	}
	return t, ws
}

// resample writes the dw×dh resampling of the plane interval
// [x0, x0+dw·sx) × [y0, y0+dh·sy) (plane coordinates) into dst, rounded.
func (r *resampler) resample(p plane, x0, y0, sx, sy float64, dst []uint8, dw, dh int) {
	if p.w <= 0 || p.h <= 0 {
		clear(dst[:dw*dh])
		return
	}
	r.xt, r.xw = buildTaps(r.xt, r.xw, x0, sx, dw, p.w)
	r.yt, r.yw = buildTaps(r.yt, r.yw, y0, sy, dh, p.h)
	ky0, ky1 := r.yt[0].k0, r.yt[0].k0+r.yt[0].n
	for _, t := range r.yt {
		ky0 = min(ky0, t.k0)
		ky1 = max(ky1, t.k0+t.n)
	}
	rows := ky1 - ky0
	if cap(r.tmp) < rows*dw {
		r.tmp = make([]float32, rows*dw)
	}
	tmp := r.tmp[:rows*dw]
	xt, xw := r.xt, r.xw
	if sx >= 1 {
		r.areaRows(p, x0, sx, dw, ky0, ky1, tmp)
	}
	for ky := ky0; ky < ky1 && sx < 1; ky++ {
		row := p.pix[ky*p.stride : ky*p.stride+p.w]
		out := tmp[(ky-ky0)*dw : (ky-ky0+1)*dw]
		for i, t := range xt {
			px := row[t.k0 : t.k0+t.n]
			w := xw[t.off : t.off+t.n : t.off+t.n]
			w = w[:len(px)]
			var acc float32
			for j, v := range px {
				acc += float32(v) * w[j]
			}
			out[i] = acc
		}
	}
	if cap(r.acc) < dw {
		r.acc = make([]float32, dw)
	}
	acc := r.acc[:dw]
	for i, t := range r.yt {
		w := r.yw[t.off : t.off+t.n]
		base := (t.k0 - ky0) * dw
		first := tmp[base : base+dw]
		w0 := w[0]
		for x, v := range first {
			acc[x] = v * w0
		}
		for j := 1; j < len(w); j++ {
			row := tmp[base+j*dw : base+(j+1)*dw]
			wj := w[j]
			for x, v := range row {
				acc[x] += v * wj
			}
		}
		out := dst[i*dw : (i+1)*dw]
		for x, v := range acc {
			out[x] = clampU8(v)
		}
	}
}

// areaEnd is an interval end on a source axis: pixel index and fraction.
type areaEnd struct {
	k int
	f float64
}

// areaRows writes the horizontal area averages of rows ky0..ky1−1 into
// tmp, from each row's prefix sums: the mean over [e, e+s) is
// (S(e+s) − S(e)) / s with S the integral of the row, extended beyond the
// row by its edge pixels.
func (r *resampler) areaRows(p plane, x0, sx float64, dw, ky0, ky1 int, tmp []float32) {
	if cap(r.ends) < dw+1 {
		r.ends = make([]areaEnd, dw+1)
	}
	ends := r.ends[:dw+1]
	for i := range ends {
		e := x0 + float64(i)*sx
		k := math.Floor(e)
		ends[i] = areaEnd{k: int(k), f: e - k}
	}
	w := p.w
	if cap(r.prefix) < w+1 {
		r.prefix = make([]float64, w+1)
	}
	pre := r.prefix[:w+1]
	inv := 1 / sx
	for ky := ky0; ky < ky1; ky++ {
		row := p.pix[ky*p.stride : ky*p.stride+w]
		var acc float64
		pre[0] = 0
		for x, v := range row {
			acc += float64(v)
			pre[x+1] = acc
		}
		first, last := float64(row[0]), float64(row[w-1])
		out := tmp[(ky-ky0)*dw : (ky-ky0+1)*dw]
		prev := 0.0
		for i, e := range ends {
			var next float64
			switch {
			case e.k >= 0 && e.k < w:
				next = pre[e.k] + e.f*float64(row[e.k])
			case e.k < 0:
				next = (float64(e.k) + e.f) * first
			default:
				next = pre[w] + (float64(e.k-w)+e.f)*last
			}
			if i > 0 {
				out[i-1] = float32((next - prev) * inv)
			}
			prev = next
		}
	}
}

func clampU8(v float32) uint8 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// pointSample is a cheap resampling for the context view, where only
// strong straight edges matter: each output is the mean of the 2×2 source
// pixels nearest its centre (edge-replicated outside the plane).
func pointSample(p plane, x0, y0, sx, sy float64, dst []uint8, dw, dh int) {
	if p.w <= 0 || p.h <= 0 {
		clear(dst[:dw*dh])
		return
	}
	var xs [2 * ctxSize]int
	for i := 0; i < dw; i++ {
		c := int(math.Floor(x0 + (float64(i)+0.5)*sx - 0.5))
		xs[2*i] = min(max(c, 0), p.w-1)
		xs[2*i+1] = min(max(c+1, 0), p.w-1)
	}
	for j := 0; j < dh; j++ {
		c := int(math.Floor(y0 + (float64(j)+0.5)*sy - 0.5))
		r0 := p.pix[min(max(c, 0), p.h-1)*p.stride:]
		r1 := p.pix[min(max(c+1, 0), p.h-1)*p.stride:]
		out := dst[j*dw : (j+1)*dw]
		for i := range out {
			a, b := xs[2*i], xs[2*i+1]
			out[i] = uint8((int(r0[a]) + int(r0[b]) + int(r1[a]) + int(r1[b]) + 2) >> 2)
		}
	}
}

// pointSampleImage is pointSample for images without planes: luma is
// computed at the 2×2 source pixels of each output only.
func pointSampleImage(img image.Image, x0, y0, sx, sy float64, dst []uint8, dw, dh int) {
	b := img.Bounds()
	if b.Empty() {
		clear(dst[:dw*dh])
		return
	}
	luma := func(x, y int) int {
		x = min(max(x, b.Min.X), b.Max.X-1)
		y = min(max(y, b.Min.Y), b.Max.Y-1)
		var r, g, bl uint8
		switch m := img.(type) {
		case *image.RGBA:
			p := m.Pix[m.PixOffset(x, y):]
			r, g, bl = p[0], p[1], p[2]
		case *image.NRGBA:
			p := m.Pix[m.PixOffset(x, y):]
			r, g, bl = p[0], p[1], p[2]
		default:
			c := color.YCbCrModel.Convert(img.At(x, y)).(color.YCbCr)
			return int(c.Y)
		}
		yy, _, _ := color.RGBToYCbCr(r, g, bl)
		return int(yy)
	}
	for j := 0; j < dh; j++ {
		cy := int(math.Floor(y0 + (float64(j)+0.5)*sy - 0.5))
		for i := 0; i < dw; i++ {
			cx := int(math.Floor(x0 + (float64(i)+0.5)*sx - 0.5))
			dst[j*dw+i] = uint8((luma(cx, cy) + luma(cx+1, cy) + luma(cx, cy+1) + luma(cx+1, cy+1) + 2) >> 2)
		}
	}
}
