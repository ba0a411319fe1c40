package face

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Luma returns the luminance of img as a grey image. For *image.Gray it
// returns img itself and for *image.YCbCr the Y plane without copying (the
// result shares memory with img: do not modify it). Other types are converted
// with the coefficients of package image/color.
func Luma(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	}
	b := img.Bounds()
	g := image.NewGray(b)
	switch m := img.(type) {
	case *image.RGBA:
		lumaRGBA(g, m.Pix, m.Stride, b)
	case *image.NRGBA:
		// Luma of non-premultiplied colour ignores alpha: frames are opaque.
		lumaRGBA(g, m.Pix, m.Stride, b)
	default:
		rgba := image.NewRGBA(b)
		draw.Draw(rgba, b, img, b.Min, draw.Src)
		lumaRGBA(g, rgba.Pix, rgba.Stride, b)
	}
	return g
}

func lumaRGBA(g *image.Gray, pix []uint8, stride int, b image.Rectangle) {
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		src := pix[y*stride : y*stride+4*w]
		dst := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range dst {
			s := src[4*x : 4*x+3 : 4*x+3]
			dst[x] = uint8((19595*uint32(s[0]) + 38470*uint32(s[1]) + 7471*uint32(s[2]) + 1<<15) >> 16)
		}
	}
}

// cropBox is a square region of an image, possibly rotated about its centre:
// Side pixels wide, centred on (CX, CY), its x axis at Angle radians from the
// image's x axis (clockwise on screen, since y points down).
type cropBox struct {
	CX, CY, Side, Angle float64
}

// toImage maps a point given in n×n crop pixels back to image pixels.
func (c cropBox) toImage(x, y float64, n int) (float64, float64) {
	s := c.Side / float64(n)
	u, v := s*(x-float64(n)/2), s*(y-float64(n)/2)
	if c.Angle == 0 {
		return c.CX + u, c.CY + v
	}
	sin, cos := math.Sincos(c.Angle)
	return c.CX + cos*u - sin*v, c.CY + sin*u + cos*v
}

// rgbRegion is an RGB copy of a rectangle of an image, 3 bytes per pixel.
type rgbRegion struct {
	pix  []uint8
	rect image.Rectangle
}

// load copies r (clipped to img) into the region buffer with fast paths for
// the frame types Decode returns.
func (g *rgbRegion) load(img image.Image, r image.Rectangle) {
	r = r.Intersect(img.Bounds())
	g.rect = r
	n := 3 * r.Dx() * r.Dy()
	if cap(g.pix) < n {
		g.pix = make([]uint8, n)
	}
	g.pix = g.pix[:n]
	if r.Empty() {
		return
	}
	w := r.Dx()
	switch m := img.(type) {
	case *image.Gray:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			src := m.Pix[m.PixOffset(r.Min.X, y):]
			src = src[:w]
			dst := g.pix[3*w*(y-r.Min.Y):][:3*w]
			for x, v := range src {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			yrow := m.Y[m.YOffset(r.Min.X, y):][:w]
			dst := g.pix[3*w*(y-r.Min.Y):][:3*w]
			for x := range yrow {
				ci := m.COffset(r.Min.X+x, y)
				dst[3*x], dst[3*x+1], dst[3*x+2] = color.YCbCrToRGB(yrow[x], m.Cb[ci], m.Cr[ci])
			}
		}
	case *image.RGBA:
		copyRGB(g.pix, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, w, r.Dy())
	case *image.NRGBA:
		copyRGB(g.pix, m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, w, r.Dy())
	default:
		rgba := image.NewRGBA(r)
		draw.Draw(rgba, r, img, r.Min, draw.Src)
		copyRGB(g.pix, rgba.Pix, rgba.Stride, w, r.Dy())
	}
}

func copyRGB(dst, src []uint8, stride, w, h int) {
	for y := 0; y < h; y++ {
		s := src[y*stride:][:4*w]
		d := dst[3*w*y:][:3*w]
		for x := 0; x < w; x++ {
			d[3*x], d[3*x+1], d[3*x+2] = s[4*x], s[4*x+1], s[4*x+2]
		}
	}
}

// sampleCrop fills dst (n·n·3 float32, NHWC RGB in [0,1]) with a bilinear
// resampling of the crop box c of img, following TensorFlow's
// crop_and_resize: box corners are rounded to whole pixels, corners map with
// the (size−1) convention and samples that fall outside the image are black.
// reg is scratch space, reused between calls.
func sampleCrop(img image.Image, c cropBox, n int, dst []float32, reg *rgbRegion) {
	b := img.Bounds()
	W, H := float64(b.Dx()), float64(b.Dy())
	half := c.Side / 2
	x1, y1 := math.Round(c.CX-half), math.Round(c.CY-half)
	x2, y2 := math.Round(c.CX+half), math.Round(c.CY+half)
	// crop_and_resize on normalised boxes (x/W), scaled back by (W−1).
	sx := (x2 - x1) * (W - 1) / W / float64(n-1)
	sy := (y2 - y1) * (H - 1) / H / float64(n-1)
	ox, oy := x1*(W-1)/W, y1*(H-1)/H
	sin, cos := math.Sincos(c.Angle)
	// Centre of the sampling grid, about which it is rotated.
	gcx, gcy := ox+sx*float64(n-1)/2, oy+sy*float64(n-1)/2

	// Bounding rectangle of the (possibly rotated) grid, in image pixels.
	ext := math.Abs(cos)*sx*float64(n)/2 + math.Abs(sin)*sy*float64(n)/2 + 2
	eyt := math.Abs(sin)*sx*float64(n)/2 + math.Abs(cos)*sy*float64(n)/2 + 2
	if m, ok := img.(*image.YCbCr); ok && b.Min.X >= 0 && b.Min.Y >= 0 {
		if hs, vs, ok := chromaShift(m.SubsampleRatio); ok {
			sampleYCbCr(m, hs, vs, n, dst, gcx, gcy, sx, sy, sin, cos)
			return
		}
	}
	r := image.Rect(int(math.Floor(gcx-ext)), int(math.Floor(gcy-eyt)), int(math.Ceil(gcx+ext))+1, int(math.Ceil(gcy+eyt))+1).Add(b.Min)
	reg.load(img, r)
	rr := reg.rect.Sub(b.Min)
	rw := rr.Dx()
	pix := reg.pix
	const inv = 1.0 / 255

	for i := 0; i < n; i++ {
		v := float64(i) - float64(n-1)/2
		row := dst[i*n*3 : (i+1)*n*3]
		for j := 0; j < n; j++ {
			u := float64(j) - float64(n-1)/2
			xs := gcx + cos*u*sx - sin*v*sy
			ys := gcy + sin*u*sx + cos*v*sy
			o := row[3*j : 3*j+3 : 3*j+3]
			if xs < 0 || xs > W-1 || ys < 0 || ys > H-1 {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			x0, y0 := math.Floor(xs), math.Floor(ys)
			fx, fy := float32(xs-x0), float32(ys-y0)
			ix0, iy0 := int(x0), int(y0)
			ix1, iy1 := int(math.Ceil(xs)), int(math.Ceil(ys))
			// Clip to the loaded region (it covers the grid, so this only
			// guards against rounding at its edges).
			ix0, ix1 = clampInt(ix0-rr.Min.X, 0, rw-1), clampInt(ix1-rr.Min.X, 0, rw-1)
			iy0, iy1 = clampInt(iy0-rr.Min.Y, 0, rr.Dy()-1), clampInt(iy1-rr.Min.Y, 0, rr.Dy()-1)
			p00 := pix[3*(iy0*rw+ix0):][:3]
			p01 := pix[3*(iy0*rw+ix1):][:3]
			p10 := pix[3*(iy1*rw+ix0):][:3]
			p11 := pix[3*(iy1*rw+ix1):][:3]
			for k := 0; k < 3; k++ {
				top := float32(p00[k]) + (float32(p01[k])-float32(p00[k]))*fx
				bot := float32(p10[k]) + (float32(p11[k])-float32(p10[k]))*fx
				o[k] = (top + (bot-top)*fy) * inv
			}
		}
	}
}

// chromaShift returns the horizontal and vertical chroma subsampling of r
// as shifts; ok is false for the ratios sampleYCbCr does not handle.
func chromaShift(r image.YCbCrSubsampleRatio) (hs, vs uint, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 0, 0, true
	case image.YCbCrSubsampleRatio422:
		return 1, 0, true
	case image.YCbCrSubsampleRatio420:
		return 1, 1, true
	case image.YCbCrSubsampleRatio440:
		return 0, 1, true
	}
	return 0, 0, false
}

// The YCbCr to RGB coefficients of image/color.YCbCrToRGB (16.16 fixed
// point there), as float32.
const (
	crToR = 91881.0 / 65536
	cbToG = 22554.0 / 65536
	crToG = 46802.0 / 65536
	cbToB = 116130.0 / 65536
)

// sampleYCbCr is sampleCrop's sampling loop reading the Y, Cb and Cr planes
// of m directly: Y, Cb and Cr are interpolated bilinearly (each pixel's
// chroma is the chroma sample covering it, as image.YCbCr.At has it) and
// converted to RGB per output sample, instead of converting every pixel
// of the region to RGB first. As the conversion is affine, the result
// differs from interpolating the converted pixels only by their rounding
// to 8 bits and by clipping (TestSampleYCbCrMatchesRGB bounds the
// difference).
func sampleYCbCr(m *image.YCbCr, hs, vs uint, n int, dst []float32, gcx, gcy, sx, sy, sin, cos float64) {
	b := m.Rect
	W, H := float64(b.Dx()), float64(b.Dy())
	ys, cs := m.YStride, m.CStride
	// Plane offsets of image pixel (x, y), relative to b.Min.
	y0, c0 := m.YOffset(b.Min.X, b.Min.Y), m.COffset(b.Min.X, b.Min.Y)
	cx0, cy0 := b.Min.X>>hs, b.Min.Y>>vs
	const inv = 1.0 / 255
	if sin == 0 && cos == 1 {
		sampleYCbCrUpright(m, hs, vs, n, dst, gcx, gcy, sx, sy)
		return
	}
	for i := 0; i < n; i++ {
		v := float64(i) - float64(n-1)/2
		row := dst[i*n*3 : (i+1)*n*3]
		for j := 0; j < n; j++ {
			u := float64(j) - float64(n-1)/2
			xs := gcx + cos*u*sx - sin*v*sy
			yy := gcy + sin*u*sx + cos*v*sy
			o := row[3*j : 3*j+3 : 3*j+3]
			if xs < 0 || xs > W-1 || yy < 0 || yy > H-1 {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			x0f, y0f := math.Floor(xs), math.Floor(yy)
			fx, fy := float32(xs-x0f), float32(yy-y0f)
			ix0, iy0 := int(x0f), int(y0f)
			ix1, iy1 := int(math.Ceil(xs)), int(math.Ceil(yy))
			// Luma.
			r0, r1 := y0+iy0*ys, y0+iy1*ys
			l00, l01 := float32(m.Y[r0+ix0]), float32(m.Y[r0+ix1])
			l10, l11 := float32(m.Y[r1+ix0]), float32(m.Y[r1+ix1])
			top := l00 + (l01-l00)*fx
			lum := top + (l10+(l11-l10)*fx-top)*fy
			// Chroma of the four pixels.
			ax0, ax1 := ((b.Min.X+ix0)>>hs)-cx0, ((b.Min.X+ix1)>>hs)-cx0
			q0 := c0 + (((b.Min.Y+iy0)>>vs)-cy0)*cs
			q1 := c0 + (((b.Min.Y+iy1)>>vs)-cy0)*cs
			b00, b01 := float32(m.Cb[q0+ax0]), float32(m.Cb[q0+ax1])
			b10, b11 := float32(m.Cb[q1+ax0]), float32(m.Cb[q1+ax1])
			top = b00 + (b01-b00)*fx
			cb := top + (b10+(b11-b10)*fx-top)*fy - 128
			e00, e01 := float32(m.Cr[q0+ax0]), float32(m.Cr[q0+ax1])
			e10, e11 := float32(m.Cr[q1+ax0]), float32(m.Cr[q1+ax1])
			top = e00 + (e01-e00)*fx
			cr := top + (e10+(e11-e10)*fx-top)*fy - 128
			o[0] = clamp255(lum+crToR*cr) * inv
			o[1] = clamp255(lum-cbToG*cb-crToG*cr) * inv
			o[2] = clamp255(lum+cbToB*cb) * inv
		}
	}
}

// tap is one axis of a bilinear sample: the two pixels either side (image
// and chroma plane offsets along the axis) and the weight of the second.
type tap struct {
	p0, p1, c0, c1 int
	f              float32
	in             bool
}

// sampleYCbCrUpright is sampleYCbCr for an unrotated crop, where the sample
// grid is separable: the taps of each column and each row are computed once.
func sampleYCbCrUpright(m *image.YCbCr, hs, vs uint, n int, dst []float32, gcx, gcy, sx, sy float64) {
	b := m.Rect
	axis := func(taps []tap, g, step float64, size, origin int, shift uint, stride, cstride int) {
		for k := range taps {
			p := g + (float64(k)-float64(n-1)/2)*step
			if p < 0 || p > float64(size-1) {
				taps[k] = tap{}
				continue
			}
			f0 := math.Floor(p)
			i0, i1 := int(f0), int(math.Ceil(p))
			c := origin >> shift
			taps[k] = tap{
				p0: i0 * stride, p1: i1 * stride,
				c0: ((origin+i0)>>shift - c) * cstride, c1: ((origin+i1)>>shift - c) * cstride,
				f: float32(p - f0), in: true,
			}
		}
	}
	var colsBuf, rowsBuf [256]tap
	cols, rows := colsBuf[:0], rowsBuf[:0]
	if n <= len(colsBuf) {
		cols, rows = colsBuf[:n], rowsBuf[:n]
	} else {
		cols, rows = make([]tap, n), make([]tap, n)
	}
	axis(cols, gcx, sx, b.Dx(), b.Min.X, hs, 1, 1)
	axis(rows, gcy, sy, b.Dy(), b.Min.Y, vs, m.YStride, m.CStride)
	const inv = 1.0 / 255
	Y, Cb, Cr := m.Y, m.Cb, m.Cr
	for i, r := range rows {
		out := dst[i*n*3 : (i+1)*n*3]
		if !r.in {
			clear(out)
			continue
		}
		y0, y1 := Y[r.p0:], Y[r.p1:]
		b0, b1, e0, e1 := Cb[r.c0:], Cb[r.c1:], Cr[r.c0:], Cr[r.c1:]
		fy := r.f
		for j, c := range cols {
			o := out[3*j : 3*j+3 : 3*j+3]
			if !c.in {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			fx := c.f
			top := float32(y0[c.p0]) + (float32(y0[c.p1])-float32(y0[c.p0]))*fx
			bot := float32(y1[c.p0]) + (float32(y1[c.p1])-float32(y1[c.p0]))*fx
			lum := top + (bot-top)*fy
			top = float32(b0[c.c0]) + (float32(b0[c.c1])-float32(b0[c.c0]))*fx
			bot = float32(b1[c.c0]) + (float32(b1[c.c1])-float32(b1[c.c0]))*fx
			cb := top + (bot-top)*fy - 128
			top = float32(e0[c.c0]) + (float32(e0[c.c1])-float32(e0[c.c0]))*fx
			bot = float32(e1[c.c0]) + (float32(e1[c.c1])-float32(e1[c.c0]))*fx
			cr := top + (bot-top)*fy - 128
			o[0] = clamp255(lum+crToR*cr) * inv
			o[1] = clamp255(lum-cbToG*cb-crToG*cr) * inv
			o[2] = clamp255(lum+cbToB*cb) * inv
		}
	}
}

func clamp255(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
