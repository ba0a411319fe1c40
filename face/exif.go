package face

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG stream, or 0
// when there is none or it cannot be read. It walks the marker segments up to
// the start of scan, looking for an APP1 "Exif" segment, and never reads
// outside b.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	for k := int64(0); k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		if typ != 3 || count < 1 { // SHORT
			return 0
		}
		v := int(bo.Uint16(t[e+8:]))
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

// orient returns img transformed so that an image stored with EXIF
// orientation o is displayed upright. *image.YCbCr and *image.Gray are
// transformed plane by plane and keep their type (the chroma planes of a
// transposing orientation swap their subsampling: 4:2:2 becomes 4:4:0);
// other images go through *image.NRGBA.
func orient(img image.Image, o int) image.Image {
	switch src := img.(type) {
	case *image.Gray:
		w, h := src.Rect.Dx(), src.Rect.Dy()
		dw, dh := orientedSize(w, h, o)
		dst := image.NewGray(image.Rect(0, 0, dw, dh))
		orientPlane(dst.Pix, dst.Stride, src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y):], src.Stride, w, h, o)
		return dst
	case *image.YCbCr:
		if r, ok := orientYCbCr(src, o); ok {
			return r
		}
	}
	return orientNRGBA(img, o)
}

// orientedSize is the size of a w×h image once displayed with orientation o.
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 {
		return h, w
	}
	return w, h
}

// orientYCbCr transforms the three planes of src. It declines (false) when
// the chroma blocks would not map one to one (odd sizes of subsampled
// images, an origin off a chroma boundary, 4:1:1 and 4:1:0).
func orientYCbCr(src *image.YCbCr, o int) (*image.YCbCr, bool) {
	ratio := src.SubsampleRatio
	if o >= 5 {
		switch ratio {
		case image.YCbCrSubsampleRatio422:
			ratio = image.YCbCrSubsampleRatio440
		case image.YCbCrSubsampleRatio440:
			ratio = image.YCbCrSubsampleRatio422
		case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
			return nil, false // no transposed ratio exists
		}
	}
	r := src.Rect
	w, h := r.Dx(), r.Dy()
	if r.Min.X%4 != 0 || r.Min.Y%2 != 0 || (src.SubsampleRatio != image.YCbCrSubsampleRatio444 && (w%2 != 0 || h%2 != 0)) {
		return nil, false // chroma blocks would not map onto chroma blocks
	}
	dw, dh := orientedSize(w, h, o)
	dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
	orientPlane(dst.Y, dst.YStride, src.Y[src.YOffset(r.Min.X, r.Min.Y):], src.YStride, w, h, o)
	ci := src.COffset(r.Min.X, r.Min.Y)
	cw, ch := chromaSize(src.SubsampleRatio, w, h)
	dcw, dch := chromaSize(ratio, dw, dh)
	if cdw, cdh := orientedSize(cw, ch, o); cdw != dcw || cdh != dch {
		return nil, false // odd sizes whose chroma planes do not map one to one
	}
	orientPlane(dst.Cb, dst.CStride, src.Cb[ci:], src.CStride, cw, ch, o)
	orientPlane(dst.Cr, dst.CStride, src.Cr[ci:], src.CStride, cw, ch, o)
	return dst, true
}

// chromaSize is the size of the chroma planes of a w×h image.
func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// orientPlane writes the w×h plane src, displayed with orientation o,
// into dst.
func orientPlane(dst []byte, dstStride int, src []byte, srcStride, w, h, o int) {
	for y := 0; y < h; y++ {
		row := src[y*srcStride : y*srcStride+w]
		switch o {
		case 2: // mirrored horizontally
			d := dst[y*dstStride : y*dstStride+w]
			for x, v := range row {
				d[w-1-x] = v
			}
		case 3: // rotated 180
			d := dst[(h-1-y)*dstStride : (h-1-y)*dstStride+w]
			for x, v := range row {
				d[w-1-x] = v
			}
		case 4: // mirrored vertically
			copy(dst[(h-1-y)*dstStride:], row)
		case 5: // transposed: (x, y) -> (y, x)
			for x, v := range row {
				dst[x*dstStride+y] = v
			}
		case 6: // rotated 90 clockwise: (x, y) -> (h-1-y, x)
			for x, v := range row {
				dst[x*dstStride+h-1-y] = v
			}
		case 7: // transverse: (x, y) -> (h-1-y, w-1-x)
			for x, v := range row {
				dst[(w-1-x)*dstStride+h-1-y] = v
			}
		case 8: // rotated 90 counter-clockwise: (x, y) -> (y, w-1-x)
			for x, v := range row {
				dst[(w-1-x)*dstStride+y] = v
			}
		default:
			copy(dst[y*dstStride:], row)
		}
	}
}

// orientNRGBA is orient for any image, through *image.NRGBA.
func orientNRGBA(img image.Image, o int) image.Image {
	b := img.Bounds()
	src := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotated 90 clockwise to display
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotated 90 counter-clockwise to display
				dx, dy = y, w-1-x
			default:
				dx, dy = x, y
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}
