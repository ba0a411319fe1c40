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
	// ErrTooComplex means the headers declare more decoding work than the
	// limits allow (too many JPEG scans); the pixels were not decoded.
	ErrTooComplex = errors.New("face: image too costly to decode")
)

// Default decoding limits: webcam-sized frames (1920×1080 and 1080×1920
// fit in DefaultMaxPixels) and the scans of common progressive encoders
// (libjpeg writes 10 for colour images, 6 for grey ones).
const (
	DefaultMaxWidth  = 4096
	DefaultMaxHeight = 4096
	DefaultMaxPixels = 2 << 20 // 2 megapixels
	DefaultMaxScans  = 16
)

// DecodeOptions are the per-call knobs of Decode. The zero value (or a nil
// pointer) means the defaults.
type DecodeOptions struct {
	MaxWidth  int // default DefaultMaxWidth
	MaxHeight int // default DefaultMaxHeight
	MaxPixels int // width×height, default DefaultMaxPixels
	// MaxScans bounds the scans of a JPEG (default DefaultMaxScans): the
	// decoder walks the whole image once per scan.
	MaxScans int

	// IgnoreOrientation skips applying the EXIF orientation of JPEG images.
	IgnoreOrientation bool

	// Pause, when set, is called with the work the image's headers declare
	// (width × height × scans of a JPEG, width × height of a PNG) once
	// they are accepted, before any pixel is decoded, and then at points
	// inside the decoding of a JPEG (each row of blocks of each scan). It
	// may block, so that a scheduler lets cheaper work run first; an error
	// it returns stops the decoding and is returned as is. A per-call knob:
	// set it on a copy of long-lived options.
	Pause func(work int64) error
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

func (o *DecodeOptions) maxScans() int {
	if o == nil || o.MaxScans <= 0 {
		return DefaultMaxScans
	}
	return o.MaxScans
}

// Decode decodes one camera frame. Only JPEG and PNG are accepted, whatever
// other formats the program registered with package image. The header is read
// first and images whose declared size exceeds the limits are refused with
// ErrImageTooLarge before any pixel is decoded, so a small file declaring a
// huge image cannot exhaust memory. A JPEG is first walked whole (scanJPEG):
// its decoding cost is bounded from its headers (size, components, scans)
// before any pixel is decoded, and refusals are ErrImageTooLarge,
// ErrTooComplex, ErrUnsupportedFormat or ErrCorruptImage. The EXIF orientation of JPEG images is
// applied (phones send rotated frames), so the result is upright.
//
// JPEG frames decode to *image.YCbCr or *image.Gray (no conversion), also
// when rotated by their EXIF orientation (plane by plane; other decoded
// types come back as *image.NRGBA); PNG frames to whatever image/png
// returns.
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
	maxW, maxH, maxPx := opts.limits()
	var (
		cfg image.Config
		err error
		hdr jpegHeader
	)
	if format == "jpeg" {
		if hdr, err = scanJPEG(data, maxW, maxH, maxPx, opts.maxScans()); err != nil {
			return nil, err
		}
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
	if err := checkSize(cfg.Width, cfg.Height, maxW, maxH, maxPx); err != nil {
		return nil, err
	}
	var (
		pause    func() error
		pauseErr error
	)
	if opts != nil && opts.Pause != nil {
		work := int64(cfg.Width) * int64(cfg.Height) * int64(max(hdr.scans, 1))
		if err := opts.Pause(work); err != nil {
			return nil, err
		}
		pause = func() error {
			pauseErr = opts.Pause(work)
			return pauseErr
		}
	}
	var img image.Image
	if format == "jpeg" {
		img, err = framejpeg.Decode(bytes.NewReader(data), &framejpeg.Options{MaxScans: opts.maxScans(), Pause: pause}) // image/jpeg's pixels, faster; the scan limit again as a second line
		if pauseErr != nil {
			return nil, pauseErr
		}
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptImage, err)
	}
	if format == "jpeg" && (opts == nil || !opts.IgnoreOrientation) {
		if hdr.orientation > 1 {
			img = orient(img, hdr.orientation)
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
