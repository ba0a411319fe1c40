package face

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// jpegHeader is what the pre-scan of a JPEG stream learned without
// decoding any pixel.
type jpegHeader struct {
	width, height int
	components    int
	progressive   bool
	// scans counts the start-of-scan segments; the decoder walks every
	// block of the scan's components once per scan.
	scans int
	// orientation is the EXIF orientation (1–8), 0 when absent.
	orientation int
}

// scanJPEG bounds the cost of decoding a JPEG stream before it is decoded:
// it walks every marker segment and the entropy-coded data of every scan
// (a linear pass over the bytes, no allocation), reads the frame header
// and the EXIF orientation, and counts the scans. It refuses, before any
// pixel work:
//
//   - a declared size over the limits (ErrImageTooLarge);
//   - more than maxScans scans: a small file of many progressive scans of
//     end-of-band runs makes the decoder walk every block once per scan, so
//     its cost grows with scans × pixels, not with the file size
//     (ErrTooComplex);
//   - component counts other than 1, 3 or 4, coding processes other than
//     baseline, extended and progressive Huffman (ErrUnsupportedFormat);
//   - a stream without a frame header before its first scan, several frame
//     headers, or one that ends before its end-of-image marker
//     (ErrCorruptImage).
//
// Only the first EXIF segment is read, and its directory walk is bounded
// by the segment's 64 KiB.
func scanJPEG(b []byte, maxW, maxH, maxPx, maxScans int) (jpegHeader, error) {
	var h jpegHeader
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return h, fmt.Errorf("%w: jpeg: missing start of image", ErrCorruptImage)
	}
	exifSeen := false
	i := 2
	for {
		if i+2 > len(b) {
			return h, fmt.Errorf("%w: jpeg: truncated (no end of image marker)", ErrCorruptImage)
		}
		if b[i] != 0xFF {
			return h, fmt.Errorf("%w: jpeg: marker expected at byte %d", ErrCorruptImage, i)
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD9: // end of image
			if h.width == 0 || h.scans == 0 {
				return h, fmt.Errorf("%w: jpeg: no image data", ErrCorruptImage)
			}
			return h, nil
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			i += 2 // markers without a length
			continue
		}
		if i+4 > len(b) {
			return h, fmt.Errorf("%w: jpeg: truncated segment", ErrCorruptImage)
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return h, fmt.Errorf("%w: jpeg: truncated segment", ErrCorruptImage)
		}
		seg := b[i+4 : i+2+n]
		i += 2 + n
		switch {
		case marker == 0xC0 || marker == 0xC1 || marker == 0xC2:
			if h.width != 0 {
				return h, fmt.Errorf("%w: jpeg: several frame headers", ErrCorruptImage)
			}
			if len(seg) < 6 {
				return h, fmt.Errorf("%w: jpeg: short frame header", ErrCorruptImage)
			}
			h.height = int(binary.BigEndian.Uint16(seg[1:]))
			h.width = int(binary.BigEndian.Uint16(seg[3:]))
			h.components = int(seg[5])
			h.progressive = marker == 0xC2
			if h.width == 0 || h.height == 0 {
				return h, ErrEmptyImage
			}
			if seg[0] != 8 {
				return h, fmt.Errorf("%w: jpeg: %d-bit samples", ErrUnsupportedFormat, seg[0])
			}
			if h.components != 1 && h.components != 3 && h.components != 4 {
				return h, fmt.Errorf("%w: jpeg: %d components (want 1, 3 or 4)", ErrUnsupportedFormat, h.components)
			}
			if err := checkSize(h.width, h.height, maxW, maxH, maxPx); err != nil {
				return h, err
			}
		case marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			return h, fmt.Errorf("%w: jpeg: coding process 0x%X (lossless, hierarchical or arithmetic)", ErrUnsupportedFormat, marker)
		case marker == 0xE1 && !exifSeen && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00":
			exifSeen = true
			h.orientation = exifOrientation(seg[6:])
		case marker == 0xDA: // start of scan, then entropy-coded data
			if h.width == 0 {
				return h, fmt.Errorf("%w: jpeg: scan before the frame header", ErrCorruptImage)
			}
			h.scans++
			if h.scans > maxScans {
				return h, fmt.Errorf("%w: jpeg: more than %d scans", ErrTooComplex, maxScans)
			}
			i = skipEntropyData(b, i)
		}
	}
}

// skipEntropyData returns the position of the first marker at or after i
// that is not a restart marker (len(b) when there is none).
func skipEntropyData(b []byte, i int) int {
	for {
		k := bytes.IndexByte(b[i:], 0xFF)
		if k < 0 || i+k+1 >= len(b) {
			return len(b)
		}
		i += k
		switch m := b[i+1]; {
		case m == 0x00 || (m >= 0xD0 && m <= 0xD7): // stuffed byte, restart
			i += 2
		case m == 0xFF: // fill byte before a marker
			i++
		default:
			return i
		}
	}
}

// checkSize refuses declared sizes over the limits.
func checkSize(w, h, maxW, maxH, maxPx int) error {
	if w > maxW || h > maxH || int64(w)*int64(h) > int64(maxPx) {
		return fmt.Errorf("%w: %d×%d pixels declared; the limit is %d pixels, at most %d wide and %d high", ErrImageTooLarge, w, h, maxPx, maxW, maxH)
	}
	return nil
}
