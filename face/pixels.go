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
func (g *rgbRegion) load(img image.Image, r image.Rectangle) { g.loadFrom(img, r, true) }

// loadFrom is load; fast false converts YCbCr pixels one by one with
// image/color (the reference of the tests).
func (g *rgbRegion) loadFrom(img image.Image, r image.Rectangle, fast bool) {
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
		if hs, vs, ok := chromaShift(m.SubsampleRatio); ok && fast && m.Rect.Min.X >= 0 && m.Rect.Min.Y >= 0 {
			cx := r.Min.X>>hs - m.Rect.Min.X>>hs
			for y := r.Min.Y; y < r.Max.Y; y++ {
				cy := (y>>vs - m.Rect.Min.Y>>vs) * m.CStride
				ycbcrRow(g.pix[3*w*(y-r.Min.Y):], m.Y[m.YOffset(r.Min.X, y):][:w], m.Cb[cy+cx:], m.Cr[cy+cx:], r.Min.X, hs)
			}
			return
		}
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
	sampleCropFrom(img, c, n, dst, reg, true)
}

// sampleCropFrom is sampleCrop; fast false takes the plain loops (the
// reference of the tests, and the "before" of the benchmarks).
func sampleCropFrom(img image.Image, c cropBox, n int, dst []float32, reg *rgbRegion, fast bool) {
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
	r := image.Rect(int(math.Floor(gcx-ext)), int(math.Floor(gcy-eyt)), int(math.Ceil(gcx+ext))+1, int(math.Ceil(gcy+eyt))+1).Add(b.Min)
	reg.loadFrom(img, r, fast)
	rr := reg.rect.Sub(b.Min)
	rw := rr.Dx()
	pix := reg.pix
	const inv = 1.0 / 255
	if fast && c.Angle == 0 {
		sampleUpright(dst, n, pix, rr, W, H, gcx, gcy, sx, sy)
		return
	}

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

// tap is one axis of a bilinear sample in the region buffer: the pixels
// either side and the weight of the second.
type tap struct {
	i0, i1 int
	f      float32
	in     bool
}

// sampleUpright is the sampling loop of sampleCropFrom for an unrotated
// crop, whose sample grid is separable: the taps of each column and row are
// computed once. The positions and the arithmetic are those of the generic
// loop (with cos 1 and sin 0 its products are exact), so the samples are
// identical.
func sampleUpright(dst []float32, n int, pix []uint8, rr image.Rectangle, W, H, gcx, gcy, sx, sy float64) {
	rw, rh := rr.Dx(), rr.Dy()
	axis := func(taps []tap, g, step, size float64, lo, n0 int) {
		for k := range taps {
			p := g + (float64(k)-float64(len(taps)-1)/2)*step
			if p < 0 || p > size-1 {
				taps[k] = tap{}
				continue
			}
			f0 := math.Floor(p)
			taps[k] = tap{
				i0: clampInt(int(f0)-lo, 0, n0-1), i1: clampInt(int(math.Ceil(p))-lo, 0, n0-1),
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
	axis(cols, gcx, sx, W, rr.Min.X, rw)
	axis(rows, gcy, sy, H, rr.Min.Y, rh)
	const inv = 1.0 / 255
	for i, r := range rows {
		out := dst[i*n*3 : (i+1)*n*3]
		if !r.in {
			clear(out)
			continue
		}
		row0, row1 := pix[3*r.i0*rw:3*(r.i0+1)*rw], pix[3*r.i1*rw:3*(r.i1+1)*rw]
		fy := r.f
		for j, c := range cols {
			o := out[3*j : 3*j+3 : 3*j+3]
			if !c.in {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			fx := c.f
			p00 := row0[3*c.i0 : 3*c.i0+3 : 3*c.i0+3]
			p01 := row0[3*c.i1 : 3*c.i1+3 : 3*c.i1+3]
			p10 := row1[3*c.i0 : 3*c.i0+3 : 3*c.i0+3]
			p11 := row1[3*c.i1 : 3*c.i1+3 : 3*c.i1+3]
			for k := 0; k < 3; k++ {
				top := float32(p00[k]) + (float32(p01[k])-float32(p00[k]))*fx
				bot := float32(p10[k]) + (float32(p11[k])-float32(p10[k]))*fx
				o[k] = (top + (bot-top)*fy) * inv
			}
		}
	}
}

// ycbcrRow converts one row of YCbCr samples to RGB with the integer
// arithmetic of image/color.YCbCrToRGB (so the same bytes): dst holds
// 3·len(ys) bytes; pixel x has chroma cb[(x0+x)>>hs - x0>>hs], cr likewise.
func ycbcrRow(dst, ys, cb, cr []uint8, x0 int, hs uint) {
	c0 := x0 >> hs
	dst = dst[:3*len(ys)]
	for x, y := range ys {
		ci := (x0+x)>>hs - c0
		yy := int32(y) * 0x10101
		cb1, cr1 := int32(cb[ci])-128, int32(cr[ci])-128
		r := yy + 91881*cr1
		if uint32(r)&0xff000000 == 0 {
			r >>= 16
		} else {
			r = ^(r >> 31)
		}
		g := yy - 22554*cb1 - 46802*cr1
		if uint32(g)&0xff000000 == 0 {
			g >>= 16
		} else {
			g = ^(g >> 31)
		}
		b := yy + 116130*cb1
		if uint32(b)&0xff000000 == 0 {
			b >>= 16
		} else {
			b = ^(b >> 31)
		}
		d := dst[3*x : 3*x+3 : 3*x+3]
		d[0], d[1], d[2] = uint8(r), uint8(g), uint8(b)
	}
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
