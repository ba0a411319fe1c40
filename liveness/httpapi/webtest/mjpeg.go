package webtest

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"

	"golang.org/x/image/draw"
)

// ErrFrames reports a frame count below 1.
var ErrFrames = errors.New("webtest: need at least one frame")

// WriteStillMJPEG writes a Motion-JPEG stream (concatenated baseline JPEGs,
// as Chromium's fake camera reads them) of n identical frames of
// width×height showing img scaled to fit, centred on black. It is the
// camera feed of a printed photo held perfectly still.
func WriteStillMJPEG(w io.Writer, img image.Image, width, height, n int) error {
	if n < 1 {
		return ErrFrames
	}
	frame := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	sb := img.Bounds()
	scale := min(float64(width)/float64(sb.Dx()), float64(height)/float64(sb.Dy()))
	dw, dh := int(float64(sb.Dx())*scale+0.5), int(float64(sb.Dy())*scale+0.5)
	dst := image.Rect((width-dw)/2, (height-dh)/2, (width-dw)/2+dw, (height-dh)/2+dh)
	draw.CatmullRom.Scale(frame, dst, img, sb, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 90}); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for range n {
		if _, err := bw.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return bw.Flush()
}
