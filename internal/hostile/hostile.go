package hostile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
)

// segment appends a JPEG marker segment.
func segment(b []byte, marker byte, payload []byte) []byte {
	b = append(b, 0xFF, marker)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// ScanBomb returns a progressive greyscale JPEG of w×h pixels with the
// given number of scans: a DC scan, then AC scans made of end-of-band
// runs. The file stays small (a few bytes per scan and 32 Ki blocks) while
// a decoder without a scan limit walks every block once per scan.
func ScanBomb(w, h, scans int) []byte {
	b := []byte{0xFF, 0xD8}
	q := make([]byte, 65)
	for i := 1; i < 65; i++ {
		q[i] = 1
	}
	b = segment(b, 0xDB, q) // DQT table 0
	b = segment(b, 0xC2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})
	// DHT: DC table 0 and AC table 0, each one 1-bit code: DC category 0,
	// AC symbol 0xE0 (an end-of-band run of 2^14 + 14 extra bits).
	dht := []byte{0x00, 1}
	dht = append(dht, make([]byte, 15)...)
	dht = append(dht, 0x00)
	dht = append(dht, 0x10, 1)
	dht = append(dht, make([]byte, 15)...)
	dht = append(dht, 0xE0)
	b = segment(b, 0xC4, dht)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	// DC first scan: one bit per block.
	b = segment(b, 0xDA, []byte{1, 1, 0x00, 0, 0, 0x01})
	b = append(b, make([]byte, blocks/8+2)...)
	runs := blocks/16384 + 1
	acBytes := (runs*15)/8 + 2
	for s := 1; s < scans; s++ {
		b = segment(b, 0xDA, []byte{1, 1, 0x00, 1, 63, 0x01})
		b = append(b, make([]byte, acBytes)...)
	}
	return append(b, 0xFF, 0xD9)
}

// DeclaredSize returns the start of a baseline JPEG whose frame header
// declares w×h pixels, followed by a little entropy data and the end
// marker: tiny on the wire, w×h to decode.
func DeclaredSize(w, h int) []byte {
	img := Frame(16, 16)
	b := bytes.Clone(img)
	// Patch the SOF0 dimensions.
	for i := 2; i+9 < len(b); {
		if b[i] != 0xFF {
			break
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if m == 0xC0 {
			binary.BigEndian.PutUint16(b[i+5:], uint16(h))
			binary.BigEndian.PutUint16(b[i+7:], uint16(w))
			break
		}
		i += 2 + n
	}
	return b
}

// Frame returns a baseline JPEG of w×h pixels of a smooth gradient (small
// once compressed).
func Frame(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Pix[y*img.Stride+x] = uint8((x + y) / 16)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Rotated returns a valid w×h JPEG carrying EXIF orientation o (6 is a
// phone held upright), so a decoder that honours it also rotates w×h
// pixels.
func Rotated(w, h, o int) []byte {
	return WithExif(Frame(w, h), o)
}

// WithExif inserts an APP1 Exif segment with orientation o after the
// start-of-image marker of a JPEG.
func WithExif(jpg []byte, o int) []byte {
	t := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01")
	t = append(t, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, byte(o), 0, 0)
	t = append(t, 0, 0, 0, 0)
	out := append([]byte{0xFF, 0xD8}, segment(nil, 0xE1, t)...)
	return append(out, jpg[2:]...)
}

// ExifMaze returns a small JPEG whose EXIF directory claims 65535 entries
// and points outside itself.
func ExifMaze() []byte {
	t := []byte("Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\xff\xff")
	for len(t) < 60000 {
		t = append(t, 0x34, 0x12, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff)
	}
	f := Frame(16, 16)
	out := append([]byte{0xFF, 0xD8}, segment(nil, 0xE1, t)...)
	return append(out, f[2:]...)
}

// PNG returns a w×h greyscale PNG.
func PNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNGDeclaredSize returns a PNG whose header declares w×h pixels of
// 16-bit RGBA, with a valid CRC, and no pixel data.
func PNGDeclaredSize(w, h int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 16, 6, 0, 0, 0)
	b = chunk(b, "IHDR", ihdr)
	b = chunk(b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00})
	return chunk(b, "IEND", nil)
}

func chunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// Case is one hostile input with its name.
type Case struct {
	Name string
	Data []byte
}

// Images returns the hostile image corpus: every entry must be refused by
// a decoder with webcam-sized limits (2 megapixels, 16 scans) quickly.
func Images() []Case {
	ok := Frame(640, 480)
	okPNG := PNG(64, 64)
	cases := []Case{
		{"scan bomb 1024² 200 scans", ScanBomb(1024, 1024, 200)},
		{"scan bomb 1448² 1000 scans", ScanBomb(1448, 1448, 1000)},
		{"scan bomb 4096² 200 scans", ScanBomb(4096, 4096, 200)},
		{"declared 65535²", DeclaredSize(65535, 65535)},
		{"declared 4096²", DeclaredSize(4096, 4096)},
		{"declared 8000×1", DeclaredSize(8000, 1)},
		{"declared 0×0", DeclaredSize(0, 0)},
		{"rotated 4096² exif 6", Rotated(4096, 4096, 6)},
		{"rotated 2048×1536 exif 8", Rotated(2048, 1536, 8)},
		{"exif maze", append(ExifMaze()[:200:200], 0xFF, 0xD9)},
		{"png declared 65535²", PNGDeclaredSize(65535, 65535)},
		{"png declared 1400², no data", PNGDeclaredSize(1400, 1400)},
		{"png truncated", okPNG[:len(okPNG)/2]},
		{"png bad crc", corruptAt(okPNG, 20)},
		{"jpeg truncated half", ok[:len(ok)/2]},
		{"jpeg truncated header", ok[:40]},
		{"jpeg no EOI", ok[:len(ok)-2]},
		{"jpeg soi only", []byte{0xFF, 0xD8, 0xFF}},
		{"jpeg garbage after SOI", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0xFF}, 4096)...)},
		{"jpeg 2 components", components(ok, 2)},
		{"jpeg lossless", sofType(ok, 0xC3)},
		{"jpeg arithmetic", sofType(ok, 0xC9)},
		{"jpeg corrupt entropy", corruptAt(ok, len(ok)/2)},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"empty", nil},
	}
	return cases
}

func corruptAt(b []byte, i int) []byte {
	c := bytes.Clone(b)
	for k := i; k < len(c) && k < i+64; k++ {
		c[k] ^= 0x5A
	}
	return c
}

// sofType changes the frame header marker of a JPEG.
func sofType(b []byte, m byte) []byte {
	c := bytes.Clone(b)
	if i := bytes.Index(c, []byte{0xFF, 0xC0}); i >= 0 {
		c[i+1] = m
	}
	return c
}

// components patches the component count of the frame header.
func components(b []byte, n byte) []byte {
	c := bytes.Clone(b)
	if i := bytes.Index(c, []byte{0xFF, 0xC0}); i >= 0 {
		c[i+9] = n
	}
	return c
}

// Bodies returns hostile verify request bodies: base64 junk, wrong
// shapes and deeply nested JSON. Every one must be answered 400 (or 413
// when it is over the body limit).
func Bodies() []Case {
	b64 := func(d []byte) string { return base64.StdEncoding.EncodeToString(d) }
	var cases []Case
	for _, c := range Images() {
		if len(c.Data) == 0 {
			continue
		}
		cases = append(cases, Case{"frame: " + c.Name, []byte(`{"frame_b64":"` + b64(c.Data) + `"}`)})
	}
	bomb := b64(ScanBomb(1024, 1024, 200))
	burst := `{"interval_ms":100,"frames_b64":["` + strings.Repeat(bomb+`","`, 19) + bomb + `"]}`
	cases = append(cases,
		Case{"burst of 20 scan bombs", []byte(burst)},
		Case{"burst of 20 rotated 4096²", []byte(`{"interval_ms":100,"frames_b64":["` + strings.Repeat(b64(Rotated(4096, 4096, 6))+`","`, 19) + b64(Rotated(4096, 4096, 6)) + `"]}`)},
		Case{"base64 junk", []byte(`{"frame_b64":"` + strings.Repeat("!@#$", 1000) + `"}`)},
		Case{"base64 of text", []byte(`{"frame_b64":"` + b64([]byte(strings.Repeat("hello ", 1000))) + `"}`)},
		Case{"base64 with data URI", []byte(`{"frame_b64":"data:image/jpeg;base64,` + b64(Frame(32, 32)) + `"}`)},
		Case{"base64 whitespace", []byte(`{"frame_b64":"` + strings.Repeat("AAAA\n", 1000) + `"}`)},
		Case{"nested arrays", []byte(`{"frames_b64":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`)},
		Case{"nested objects", []byte(strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat("}", 100000))},
		Case{"unterminated nesting", []byte(strings.Repeat("[", 500000))},
		Case{"frames of null", []byte(`{"frames_b64":[null,null],"interval_ms":1}`)},
		Case{"huge number", []byte(`{"frame_b64":"AAAA","interval_ms":1` + strings.Repeat("0", 10000) + `}`)},
		Case{"not JSON", []byte("\x00\xff\xfe")},
		Case{"empty body", nil},
	)
	return cases
}
