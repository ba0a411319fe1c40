package face

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withOrientation inserts an APP1 Exif segment carrying orientation o right
// after the SOI marker, in the given byte order.
func withOrientation(jpg []byte, o uint16, bo binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	bo.PutUint16(tiff[2:], 42)
	bo.PutUint32(tiff[4:], 8)
	bo.PutUint16(tiff[8:], 1)
	bo.PutUint16(tiff[10:], 0x0112)
	bo.PutUint16(tiff[12:], 3)
	bo.PutUint32(tiff[14:], 1)
	bo.PutUint16(tiff[18:], o)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

// quadrants returns a w×h image whose four quadrants are red, green, blue
// and white (top-left, top-right, bottom-left, bottom-right).
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 0, 0, 255}
			switch {
			case x >= w/2 && y < h/2:
				c = color.RGBA{0, 255, 0, 255}
			case x < w/2 && y >= h/2:
				c = color.RGBA{0, 0, 255, 255}
			case x >= w/2 && y >= h/2:
				c = color.RGBA{255, 255, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func dominant(img image.Image, x, y int) string {
	r, g, b, _ := img.At(x, y).RGBA()
	switch {
	case r > 0xC000 && g > 0xC000 && b > 0xC000:
		return "white"
	case r > 0xC000:
		return "red"
	case g > 0xC000:
		return "green"
	case b > 0xC000:
		return "blue"
	}
	return "?"
}

func TestDecodeOrientation(t *testing.T) {
	src := encodeJPEG(t, quadrants(64, 32))
	// Top-left, top-right, bottom-left, bottom-right colours once displayed.
	tests := []struct {
		o          uint16
		w, h       int
		tl, tr, bl string
	}{
		{1, 64, 32, "red", "green", "blue"},
		{2, 64, 32, "green", "red", "white"},
		{3, 64, 32, "white", "blue", "green"},
		{4, 64, 32, "blue", "white", "red"},
		{5, 32, 64, "red", "blue", "green"},
		{6, 32, 64, "blue", "red", "white"},
		{7, 32, 64, "white", "green", "blue"},
		{8, 32, 64, "green", "white", "red"},
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tc := range tests {
			img, err := Decode(withOrientation(src, tc.o, bo), nil)
			if err != nil {
				t.Fatalf("orientation %d: %v", tc.o, err)
			}
			b := img.Bounds()
			if b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("orientation %d: size %v, want %d×%d", tc.o, b, tc.w, tc.h)
			}
			got := [3]string{dominant(img, 2, 2), dominant(img, b.Dx()-3, 2), dominant(img, 2, b.Dy()-3)}
			if want := [3]string{tc.tl, tc.tr, tc.bl}; got != want {
				t.Errorf("orientation %d (%v): corners %v, want %v", tc.o, bo, got, want)
			}
		}
	}
	// IgnoreOrientation keeps the stored layout.
	img, err := Decode(withOrientation(src, 6, binary.BigEndian), &DecodeOptions{IgnoreOrientation: true})
	if err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("IgnoreOrientation: %v %v", img.Bounds(), err)
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Errorf("unrotated colour JPEG decoded to %T, want *image.YCbCr", img)
	}
}

func TestDecodeErrors(t *testing.T) {
	small := encodeJPEG(t, quadrants(40, 30))
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, quadrants(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	// A PNG header declaring 100000×100000 pixels with no pixel data.
	huge := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	binary.BigEndian.PutUint32(huge[16:], 100000)
	binary.BigEndian.PutUint32(huge[20:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))

	tests := []struct {
		name string
		data []byte
		opts *DecodeOptions
		want error
	}{
		{"empty", nil, nil, ErrEmptyImage},
		{"gif", gifBuf.Bytes(), nil, ErrUnsupportedFormat},
		{"text", []byte("hello, world"), nil, ErrUnsupportedFormat},
		{"truncated jpeg", small[:len(small)/2], nil, ErrCorruptImage},
		{"jpeg header only", small[:20], nil, ErrCorruptImage},
		{"huge png header", huge, nil, ErrImageTooLarge},
		{"width limit", small, &DecodeOptions{MaxWidth: 39}, ErrImageTooLarge},
		{"height limit", small, &DecodeOptions{MaxHeight: 29}, ErrImageTooLarge},
		{"pixel limit", small, &DecodeOptions{MaxPixels: 40*30 - 1}, ErrImageTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, %v; want %v", img, err, tc.want)
			}
		})
	}
	if _, err := Decode(small, &DecodeOptions{MaxWidth: 40, MaxHeight: 30, MaxPixels: 1200}); err != nil {
		t.Errorf("image at the limits: %v", err)
	}
}

func TestDecodeFormats(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	img, err := Decode(encodeJPEG(t, gray), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("grey JPEG decoded to %T", img)
	}
	img, err = Decode(encodePNG(t, quadrants(10, 6)), nil)
	if err != nil || img.Bounds().Dx() != 10 {
		t.Fatalf("png: %v %v", img, err)
	}
}

func TestLuma(t *testing.T) {
	rgba := quadrants(8, 8)
	g := Luma(rgba)
	for _, p := range []struct {
		x, y int
		want color.Gray
	}{{0, 0, color.GrayModel.Convert(color.RGBA{255, 0, 0, 255}).(color.Gray)}, {7, 7, color.Gray{255}}, {0, 7, color.GrayModel.Convert(color.RGBA{0, 0, 255, 255}).(color.Gray)}} {
		if got := g.GrayAt(p.x, p.y); got != p.want {
			t.Errorf("Luma at %d,%d = %v, want %v", p.x, p.y, got, p.want)
		}
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	ycc.Y[5] = 200
	if g := Luma(ycc); g.GrayAt(1, 1).Y != 200 || &g.Pix[0] != &ycc.Y[0] {
		t.Errorf("Luma of YCbCr must share the Y plane")
	}
	sub := rgba.SubImage(image.Rect(4, 4, 8, 8))
	if g := Luma(sub); g.Bounds() != image.Rect(4, 4, 8, 8) || g.GrayAt(5, 5).Y != 255 {
		t.Errorf("Luma of a sub-image: bounds %v value %v", g.Bounds(), g.GrayAt(5, 5))
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*")
	seeds = append(seeds, "../testdata/face.jpg")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	small := encodeJPEG(f, quadrants(16, 8))
	f.Add(small)
	f.Add(withOrientation(small, 6, binary.LittleEndian))
	f.Add(encodePNG(f, quadrants(5, 3)))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, &DecodeOptions{MaxWidth: 1024, MaxHeight: 1024, MaxPixels: 1 << 18})
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > 1024 || b.Dy() > 1024 {
			t.Fatalf("accepted image of size %v", b)
		}
		_ = Luma(img)
	})
}

func FuzzJPEGOrientation(f *testing.F) {
	small := encodeJPEG(f, quadrants(16, 8))
	for o := uint16(0); o < 10; o++ {
		f.Add(withOrientation(small, o, binary.BigEndian))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 0 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
