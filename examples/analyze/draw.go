package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/openliveness/openliveness/face"
)

var (
	colBox   = color.NRGBA{0, 220, 0, 255}
	colMesh  = color.NRGBA{0, 160, 255, 255}
	colEye   = color.NRGBA{255, 60, 60, 255}
	colLips  = color.NRGBA{255, 200, 0, 255}
	colBrow  = color.NRGBA{255, 0, 255, 255}
	colText  = color.NRGBA{255, 255, 255, 255}
	colShade = color.NRGBA{0, 0, 0, 160}
)

// drawFrame writes img with each face's box, landmarks and measures.
func drawFrame(path string, img image.Image, res *face.Result) error {
	dst := imaging.Clone(img) // origin (0, 0)
	off := img.Bounds().Min
	for i, f := range res.Faces {
		rect(dst, f.Box.Sub(off), colBox)
		if f.Landmarks == nil {
			continue
		}
		for _, p := range f.Landmarks.Points[:468] {
			dot(dst, int(p.X)-off.X, int(p.Y)-off.Y, 0, colMesh)
		}
		for _, r := range []struct {
			reg face.Region
			c   color.NRGBA
		}{{face.EyeLeft, colEye}, {face.EyeRight, colEye}, {face.IrisLeft, colEye}, {face.IrisRight, colEye},
			{face.LipsOuter, colLips}, {face.LipsInner, colLips}, {face.BrowLeft, colBrow}, {face.BrowRight, colBrow}} {
			for _, p := range f.Landmarks.Region(r.reg) {
				dot(dst, int(p.X)-off.X, int(p.Y)-off.Y, 1, r.c)
			}
		}
		m := f.Measures
		lines := []string{
			fmt.Sprintf("#%d yaw %+.0f pitch %+.0f roll %+.0f", i+1, f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll),
			fmt.Sprintf("EAR %.3f (%.3f %.3f)", m.EAR, m.EARLeft, m.EARRight),
			fmt.Sprintf("MAR %.3f smile %.3f brow %.3f", m.MAR, m.Smile, m.Brow),
		}
		x, y := f.Box.Min.X-off.X, f.Box.Max.Y-off.Y+4
		if y+14*len(lines) > dst.Bounds().Dy() {
			y = max(0, f.Box.Min.Y-off.Y-14*len(lines)-4)
		}
		label(dst, max(0, x), y, lines)
	}
	return imaging.Save(dst, path)
}

func rect(dst *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	for x := r.Min.X; x < r.Max.X; x++ {
		dst.SetNRGBA(x, r.Min.Y, c)
		dst.SetNRGBA(x, r.Max.Y-1, c)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dst.SetNRGBA(r.Min.X, y, c)
		dst.SetNRGBA(r.Max.X-1, y, c)
	}
}

func dot(dst *image.NRGBA, x, y, radius int, c color.NRGBA) {
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			dst.SetNRGBA(x+dx, y+dy, c)
		}
	}
}

func label(dst *image.NRGBA, x, y int, lines []string) {
	w := 0
	for _, l := range lines {
		w = max(w, 7*len(l))
	}
	bg := image.Rect(x, y, x+w+6, y+14*len(lines)+4)
	draw.Draw(dst, bg, image.NewUniform(colShade), image.Point{}, draw.Over)
	d := font.Drawer{Dst: dst, Src: image.NewUniform(colText), Face: basicfont.Face7x13}
	for i, l := range lines {
		d.Dot = fixed.P(x+3, y+13+14*i)
		d.DrawString(l)
	}
}
