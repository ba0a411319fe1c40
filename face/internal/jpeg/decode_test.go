package jpeg

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simdModes are the inverse DCT implementations this build can run.
func simdModes() []bool {
	if haveAVX2 {
		return []bool{false, true}
	}
	return []bool{false}
}

func TestIDCTDCOnly(t *testing.T) {
	check := func(dc int32) {
		var b block
		b[0] = dc
		idctGo(&b)
		want := idctDCOnly(dc)
		for i, v := range b {
			if v != want {
				t.Fatalf("dc %d: sample %d is %d, idctDCOnly %d", dc, i, v, want)
			}
		}
	}
	// Every value of camera frames' DC (an 11-bit coefficient times an
	// 8-bit quantiser), then random int32 values: the arithmetic wraps as
	// idctGo's does, so any input must agree.
	for dc := int32(-1 << 19); dc <= 1<<19; dc++ {
		check(dc)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		check(int32(r.Uint32()))
	}
}

func randomBlock(r *rand.Rand, kind int) block {
	var b block
	switch kind {
	case 0: // full int32 range: the arithmetic wraps the same way
		for i := range b {
			b[i] = int32(r.Uint32())
		}
	case 1: // dequantised coefficients of real images
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = int32(r.IntN(4096)-2048) * int32(1+r.IntN(100))
			}
		}
	default: // a few low-frequency coefficients
		b[0] = int32(r.IntN(16384) - 8192)
		for range 1 + r.IntN(4) {
			b[r.IntN(16)] = int32(r.IntN(2048) - 1024)
		}
	}
	return b
}

func TestIDCTAVX2(t *testing.T) {
	if !haveAVX2 {
		t.Skipf("no AVX2 on this machine (GOARCH=%s): the portable inverse DCT is the only one", runtime.GOARCH)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 60000 {
		in := randomBlock(r, i%3)
		a, b, c := in, in, in
		idctGo(&a)
		idctAVX2(&b)
		require.Equal(t, a, b, "block %d: %v", i, in)
		// With the level shift, clipping and store, 11 bytes apart.
		var want, got [8 * 11]byte
		for k, v := range a {
			want[k/8*11+k%8] = uint8(min(max(v+128, 0), 255))
		}
		idctStoreAVX2(&c, &got[0], 11)
		require.Equal(t, want, got, "block %d: %v", i, in)
	}
}

// testFiles are the JPEG files the differential tests and the fuzz corpus
// start from: this repository's test portrait and, when the Go source tree
// is installed, the standard library's image/jpeg test images (progressive,
// every subsampling, restart markers, greyscale, RGB, CMYK, truncated).
func testFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "face.jpg"))
	require.NoError(t, err)
	files["face.jpg"] = b
	ms, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "*.jpeg"))
	for _, m := range ms {
		if b, err := os.ReadFile(m); err == nil {
			files[filepath.Base(m)] = b
		}
	}
	// Frames encoded here: colour at several qualities and greyscale.
	img := synthetic(203, 157)
	for _, q := range []int{10, 50, 75, 95, 100} {
		var buf bytes.Buffer
		require.NoError(t, stdjpeg.Encode(&buf, img, &stdjpeg.Options{Quality: q}))
		files["synthetic-q"+string(rune('0'+q/10))+".jpg"] = buf.Bytes()
	}
	gray := image.NewGray(img.Bounds())
	for i := range gray.Pix {
		gray.Pix[i] = img.Pix[4*i+1]
	}
	var buf bytes.Buffer
	require.NoError(t, stdjpeg.Encode(&buf, gray, &stdjpeg.Options{Quality: 85}))
	files["synthetic-gray.jpg"] = buf.Bytes()
	return files
}

// synthetic is a smooth image with edges and noise, so that its JPEG has
// both DC-only and full blocks.
func synthetic(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(5, 6))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(x * 255 / w)
			if (x/37+y/29)%3 == 0 {
				v = uint8(r.IntN(256))
			}
			m.Set(x, y, color.RGBA{v, uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	return m
}

// compare decodes data with image/jpeg and with this package under opts
// and checks the claims of the package documentation.
func compare(t testing.TB, data []byte, opts Options) {
	t.Helper()
	want, wantErr := stdjpeg.Decode(bytes.NewReader(data))
	got, gotErr := Decode(bytes.NewReader(data), &opts)
	if wantErr != nil {
		require.Error(t, gotErr, "image/jpeg fails with %v", wantErr)
		return
	}
	require.NoError(t, gotErr)
	wy, isYCbCr := want.(*image.YCbCr)
	switch {
	case opts.LumaOnly && isYCbCr:
		g, ok := got.(*image.Gray)
		require.True(t, ok, "luma only: got %T", got)
		require.Equal(t, wy.Rect, g.Rect)
		require.Equal(t, wy.YStride, g.Stride)
		require.Equal(t, wy.Y, g.Pix)
	case !opts.Chroma.Empty() && isYCbCr:
		gy, ok := got.(*image.YCbCr)
		require.True(t, ok, "got %T", got)
		require.Equal(t, wy.Y, gy.Y)
		r := opts.Chroma.Intersect(wy.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := wy.COffset(x, y)
				if wy.Cb[i] != gy.Cb[i] || wy.Cr[i] != gy.Cr[i] {
					t.Fatalf("chroma at (%d,%d) in %v differs", x, y, r)
				}
			}
		}
	default:
		require.Equal(t, want, got)
	}
}

func TestDifferential(t *testing.T) {
	files := testFiles(t)
	for name, data := range files {
		for _, simd := range simdModes() {
			for _, o := range []Options{
				{},
				{LumaOnly: true},
				{Chroma: image.Rect(13, 21, 97, 60)},
				{Chroma: image.Rect(-5, -5, 3, 3)},
			} {
				o.noSIMD = !simd
				t.Run(name, func(t *testing.T) { compare(t, data, o) })
			}
		}
	}
}

func TestChromaOutsideIsNeutral(t *testing.T) {
	data := testFiles(t)["synthetic-q7.jpg"]
	img, err := Decode(bytes.NewReader(data), &Options{Chroma: image.Rect(0, 0, 16, 16)})
	require.NoError(t, err)
	m := img.(*image.YCbCr)
	i := m.COffset(150, 120)
	assert.Equal(t, uint8(128), m.Cb[i])
	assert.Equal(t, uint8(128), m.Cr[i])
}

func TestMaxScans(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-001.progressive.jpeg"))
	if err != nil {
		t.Skipf("Go source tree's progressive test image absent: %v", err)
	}
	_, err = Decode(bytes.NewReader(data), &Options{MaxScans: 2})
	require.ErrorIs(t, err, ErrTooManyScans)
	_, err = Decode(bytes.NewReader(data), &Options{MaxScans: 64})
	require.NoError(t, err)
	base := testFiles(t)["synthetic-q7.jpg"]
	_, err = Decode(bytes.NewReader(base), &Options{MaxScans: 1})
	require.NoError(t, err, "a baseline image has one scan")
}

// TestPause: Options.Pause is called throughout the decoding of baseline
// and progressive images without changing the pixels, and its error stops
// the decoding at once.
func TestPause(t *testing.T) {
	files := map[string][]byte{"baseline": testFiles(t)["synthetic-q7.jpg"]}
	if data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-001.progressive.jpeg")); err == nil {
		files["progressive"] = data
	}
	stop := errors.New("stop")
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			want, err := Decode(bytes.NewReader(data), nil)
			require.NoError(t, err)
			calls := 0
			got, err := Decode(bytes.NewReader(data), &Options{Pause: func() error { calls++; return nil }})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			rows := (want.Bounds().Dy() + 15) / 16
			assert.GreaterOrEqual(t, calls, rows, "at least one pause point per row of MCUs")

			n := 0
			_, err = Decode(bytes.NewReader(data), &Options{Pause: func() error {
				if n++; n == 3 {
					return stop
				}
				return nil
			}})
			require.ErrorIs(t, err, stop)
			assert.Equal(t, 3, n, "no pause point after the error")
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	for name, data := range testFiles(t) {
		want, wantErr := stdjpeg.DecodeConfig(bytes.NewReader(data))
		got, gotErr := DecodeConfig(bytes.NewReader(data))
		if wantErr != nil {
			assert.Error(t, gotErr, name)
			continue
		}
		require.NoError(t, gotErr, name)
		assert.Equal(t, want, got, name)
	}
}

// FuzzDecode checks, on any input, that this decoder and image/jpeg agree:
// both fail, or both succeed with identical images (and identical luma
// with LumaOnly), whichever inverse DCT runs.
func FuzzDecode(f *testing.F) {
	for _, data := range testFiles(f) {
		f.Add(data, false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, lumaOnly, portable bool) {
		cfg, err := DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<16 { // small images keep the fuzzer fast; large ones are in TestDifferential
			return
		}
		compare(t, data, Options{LumaOnly: lumaOnly, noSIMD: portable})
	})
}
