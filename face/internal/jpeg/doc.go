// Package jpeg decodes camera-frame JPEG images. It is a fork of the Go
// standard library's image/jpeg decoder (Go 1.26; Copyright 2009 The Go
// Authors, BSD licence, see NOTICE) that decodes the same images to the same
// pixels, faster, and can leave out what frame analysis does not look at.
//
// What changed from image/jpeg (reader.go, scan.go, huffman.go, dct.go are
// the standard library's files with the changes marked):
//
//   - Decode takes an [Options] (nil for the defaults). The encoder, the
//     forward DCT and the registration with package image are removed.
//   - An 8×8 block whose AC coefficients are all zero (most blocks of a
//     camera frame: flat skin, wall, background) is filled with its one
//     value instead of running the inverse DCT; the value is computed with
//     the same int32 operations as the inverse DCT, so the pixels are
//     identical.
//   - On amd64 with AVX2 the inverse DCT runs on eight rows (then eight
//     columns) at once in assembly (idct_amd64.s) with the same int32
//     operations as the Go code (idctGo), so the pixels are identical. Other
//     architectures, CPUs without AVX2 and the purego build tag use idctGo.
//   - Options.LumaOnly skips the reconstruction of the chroma blocks of a
//     YCbCr image and returns the Y plane as an *image.Gray; Options.Chroma
//     reconstructs chroma only in the blocks that overlap a rectangle, the
//     rest of the chroma planes being neutral (128). The entropy-coded data
//     is still read in full (it is one bit stream).
//   - Options.MaxScans bounds the number of scans of a progressive image,
//     whose decoding cost grows with the scan count while the file stays
//     small.
//   - Options.Pause, when set, is called before each row of MCUs of every
//     scan and each row of blocks of the final reconstruction of a
//     progressive image: the caller may block there (to let other work run
//     first) or stop the decoding by returning an error.
//
// Bit-exactness: with the zero Options the decoded image (type, bounds,
// strides and every sample) is identical to image/jpeg.Decode's, and every
// error of image/jpeg is an error here; with LumaOnly the Y plane is
// identical; with Chroma the Y plane and the chroma samples inside the
// rectangle's blocks are identical. TestDifferential and FuzzDecode check
// this against image/jpeg.
//
// Decode is safe for concurrent use: it keeps no state between calls.
package jpeg

import (
	"errors"
	"image"
)

// ErrTooManyScans is returned when a progressive image has more scans than
// Options.MaxScans.
var ErrTooManyScans = errors.New("jpeg: too many progressive scans")

// Options are the per-call knobs of Decode. The zero value decodes
// everything, as image/jpeg does.
type Options struct {
	// MaxScans, when positive, is the largest number of scans (SOS segments)
	// accepted; an image with more fails with ErrTooManyScans. Baseline
	// images have one scan; libjpeg's progressive images have ten or fewer.
	MaxScans int

	// LumaOnly decodes only the luma of a YCbCr image and returns it as an
	// *image.Gray (sharing the memory of the decoded planes). Greyscale,
	// RGB and CMYK images are decoded as without it.
	LumaOnly bool

	// Chroma, when not empty, limits the reconstruction of the chroma
	// planes of a YCbCr image to the blocks that overlap it (in image
	// pixels); chroma samples elsewhere are 128. LumaOnly takes precedence.
	Chroma image.Rectangle

	// Pause, when set, is called at points inside the decoding (before
	// each row of MCUs of each scan, and each row of blocks when a
	// progressive image is reconstructed), a few hundred to a few thousand
	// times for a camera frame. It may block; an error it returns stops
	// the decoding and is returned by Decode unchanged.
	Pause func() error

	noSIMD bool // tests: the portable inverse DCT even where AVX2 is available
}
