package face

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrBadMJPEG is returned by MJPEGReader for a stream that is not a
// concatenation of JPEG images.
var ErrBadMJPEG = errors.New("face: malformed Motion-JPEG stream")

// MJPEGReader splits a Motion-JPEG stream (a plain concatenation of JPEG
// images, as written by ffmpeg -f mjpeg and played by Chromium's fake
// camera) into frames. It follows the JPEG marker structure rather than
// searching for FFD9 bytes, so EXIF thumbnails inside a frame do not split
// it. An MJPEGReader is not safe for concurrent use.
type MJPEGReader struct {
	r        *bufio.Reader
	maxFrame int
}

// NewMJPEGReader returns a reader of the frames in r. Frames larger than
// maxFrame bytes are refused with ErrBadMJPEG (0 means 16 MiB).
func NewMJPEGReader(r io.Reader, maxFrame int) *MJPEGReader {
	if maxFrame <= 0 {
		maxFrame = 16 << 20
	}
	return &MJPEGReader{r: bufio.NewReaderSize(r, 64<<10), maxFrame: maxFrame}
}

// Next returns the next frame's bytes (a complete JPEG from SOI to EOI), or
// io.EOF after the last frame. Bytes between frames are skipped.
func (m *MJPEGReader) Next() ([]byte, error) {
	// Find SOI.
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return nil, err // io.EOF between frames is the clean end
		}
		if b != 0xFF {
			continue
		}
		c, err := m.r.ReadByte()
		if err != nil {
			return nil, io.EOF
		}
		if c == 0xD8 {
			break
		}
		if c == 0xFF {
			_ = m.r.UnreadByte()
		}
	}
	buf := []byte{0xFF, 0xD8}
	read := func() (byte, error) {
		b, err := m.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, fmt.Errorf("%w: truncated frame", ErrBadMJPEG)
			}
			return 0, err
		}
		if len(buf) >= m.maxFrame {
			return 0, fmt.Errorf("%w: frame larger than %d bytes", ErrBadMJPEG, m.maxFrame)
		}
		buf = append(buf, b)
		return b, nil
	}
	inScan := false
	for {
		b, err := read()
		if err != nil {
			return nil, err
		}
		if b != 0xFF {
			if !inScan {
				return nil, fmt.Errorf("%w: expected a marker", ErrBadMJPEG)
			}
			continue
		}
		marker, err := read()
		if err != nil {
			return nil, err
		}
		for marker == 0xFF { // fill bytes
			if marker, err = read(); err != nil {
				return nil, err
			}
		}
		switch {
		case marker == 0x00 && inScan: // stuffed byte
		case marker >= 0xD0 && marker <= 0xD7: // restart markers
		case marker == 0xD9:
			return buf, nil
		case marker == 0x01: // TEM, no length
		default:
			if inScan && marker != 0xDA && !(marker >= 0xC0 && marker <= 0xFE) {
				return nil, fmt.Errorf("%w: bad marker %#x", ErrBadMJPEG, marker)
			}
			hi, err := read()
			if err != nil {
				return nil, err
			}
			lo, err := read()
			if err != nil {
				return nil, err
			}
			n := int(hi)<<8 | int(lo)
			if n < 2 {
				return nil, fmt.Errorf("%w: segment length %d", ErrBadMJPEG, n)
			}
			for i := 0; i < n-2; i++ {
				if _, err := read(); err != nil {
					return nil, err
				}
			}
			// Entropy-coded data follows SOS (and each scan of a
			// progressive JPEG).
			inScan = marker == 0xDA
		}
	}
}

// ReadMJPEGFile returns every frame of the Motion-JPEG file at path, in
// order: ReadMJPEGFile(path)[k-1] is frame k. A malformed frame fails the
// whole read with an error naming the frame.
func ReadMJPEGFile(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := NewMJPEGReader(bytes.NewReader(data), 0)
	var out [][]byte
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s frame %d: %w", path, len(out)+1, err)
		}
		out = append(out, f)
	}
}
