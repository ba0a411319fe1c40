package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	framejpeg "github.com/openliveness/openliveness/face/internal/jpeg"
)

// Errors returned by Decode. Match them with errors.Is.
var (
	// ErrUnsupportedFormat means the data is neither a JPEG nor a PNG image.
	ErrUnsupportedFormat = errors.New("face: unsupported image format (want JPEG or PNG)")
	// ErrImageTooLarge means the image header declares dimensions above the
	// configured limits; the pixels were not decoded.
	ErrImageTooLarge = errors.New("face: image too large")
	// ErrEmptyImage means the image has no pixels or no data was given.
	ErrEmptyImage = errors.New("face: empty image")
	// ErrCorruptImage means the header was accepted but the pixel data could
	// not be decoded.
	ErrCorruptImage = errors.New("face: corrupt image")
)

// Default decoding limits.
const (
	DefaultMaxWidth  = 4096
	DefaultMaxHeight = 4096
	DefaultMaxPixels = 16 << 20 // 16 megapixels
)

// DecodeOptions are the per-call knobs of Decode. The zero value (or a nil
// pointer) means the defaults.
type DecodeOptions struct {
	MaxWidth  int // default DefaultMaxWidth
	MaxHeight int // default DefaultMaxHeight
	MaxPixels int // width×height, default DefaultMaxPixels

	// IgnoreOrientation skips applying the EXIF orientation of JPEG images.
	IgnoreOrientation bool
}

func (o *DecodeOptions) limits() (w, h, px int) {
	w, h, px = DefaultMaxWidth, DefaultMaxHeight, DefaultMaxPixels
	if o == nil {
		return
	}
	if o.MaxWidth > 0 {
		w = o.MaxWidth
	}
	if o.MaxHeight > 0 {
		h = o.MaxHeight
	}
	if o.MaxPixels > 0 {
		px = o.MaxPixels
	}
	return
}

// Decode decodes one camera frame. Only JPEG and PNG are accepted, whatever
// other formats the program registered with package image. The header is read
// first and images whose declared size exceeds the limits are refused with
// ErrImageTooLarge before any pixel is decoded, so a small file declaring a
// huge image cannot exhaust memory. The EXIF orientation of JPEG images is
// applied (phones send rotated frames), so the result is upright.
//
// JPEG frames decode to *image.YCbCr or *image.Gray (no conversion), PNG
// frames to whatever image/png returns; an image rotated by its EXIF
// orientation is returned as *image.NRGBA.
//
// Decode is safe for concurrent use.
func Decode(data []byte, opts *DecodeOptions) (image.Image, error) {
	if len(data) == 0 {
		return nil, ErrEmptyImage
	}
	format := sniff(data)
	if format == "" {
		return nil, ErrUnsupportedFormat
	}
	var (
		cfg image.Config
		err error
	)
	if format == "jpeg" {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrCorruptImage, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrEmptyImage
	}
	maxW, maxH, maxPx := opts.limits()
	if cfg.Width > maxW || cfg.Height > maxH || int64(cfg.Width)*int64(cfg.Height) > int64(maxPx) {
		return nil, fmt.Errorf("%w: %d×%d exceeds %d×%d or %d pixels", ErrImageTooLarge, cfg.Width, cfg.Height, maxW, maxH, maxPx)
	}
	var img image.Image
	if format == "jpeg" {
		img, err = framejpeg.Decode(bytes.NewReader(data), nil) // image/jpeg's pixels, faster
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptImage, err)
	}
	if format == "jpeg" && (opts == nil || !opts.IgnoreOrientation) {
		if o := jpegOrientation(data); o > 1 {
			img = orient(img, o)
		}
	}
	return img, nil
}

// sniff returns "jpeg" or "png" from the magic bytes, or "".
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	}
	return ""
}
