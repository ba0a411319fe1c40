package face

import (
	"errors"
	"image"
	"image/color"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/hostile"
)

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDecodeHostile decodes the hostile image corpus with the default
// limits: every input is refused with a typed error, and none costs more
// than 200 ms of CPU (scaled when the race detector slows everything).
func TestDecodeHostile(t *testing.T) {
	budget := 200 * time.Millisecond * raceSlowdown
	want := map[string]error{
		"scan bomb 1024² 200 scans":  ErrTooComplex,
		"scan bomb 1448² 1000 scans": ErrTooComplex,
		"scan bomb 4096² 200 scans":  ErrImageTooLarge,
		"declared 65535²":            ErrImageTooLarge,
		"declared 4096²":             ErrImageTooLarge,
		"declared 8000×1":            ErrImageTooLarge,
		"declared 0×0":               ErrEmptyImage,
		"rotated 4096² exif 6":       ErrImageTooLarge,
		"rotated 2048×1536 exif 8":   ErrImageTooLarge,
		"png declared 65535²":        ErrImageTooLarge,
		"png declared 2000²":         ErrCorruptImage,
		"jpeg 2 components":          ErrUnsupportedFormat,
		"jpeg lossless":              ErrUnsupportedFormat,
		"jpeg arithmetic":            ErrUnsupportedFormat,
		"gif":                        ErrUnsupportedFormat,
		"empty":                      ErrEmptyImage,
		"jpeg truncated half":        ErrCorruptImage,
		"jpeg no EOI":                ErrCorruptImage,
		"jpeg garbage after SOI":     ErrCorruptImage,
		"jpeg truncated header":      ErrCorruptImage,
		"jpeg soi only":              ErrCorruptImage,
	}
	for _, c := range hostile.Images() {
		t.Run(c.Name, func(t *testing.T) {
			start := cpuTime(t)
			img, err := Decode(c.Data, nil)
			used := cpuTime(t) - start
			require.Error(t, err)
			assert.Nil(t, img)
			if w, ok := want[c.Name]; ok {
				assert.ErrorIs(t, err, w)
			} else {
				assert.True(t, errors.Is(err, ErrCorruptImage) || errors.Is(err, ErrUnsupportedFormat), "%v", err)
			}
			assert.Less(t, used, budget, "CPU time")
			t.Logf("%d bytes: %v (%v CPU)", len(c.Data), err, used.Round(time.Microsecond))
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opts *DecodeOptions
		want error
	}{
		{"progressive within scans", hostile.ScanBomb(640, 480, 10), nil, nil},
		{"progressive at the scan limit", hostile.ScanBomb(640, 480, DefaultMaxScans), nil, nil},
		{"progressive over the scan limit", hostile.ScanBomb(640, 480, DefaultMaxScans+1), nil, ErrTooComplex},
		{"scan limit raised", hostile.ScanBomb(64, 64, 40), &DecodeOptions{MaxScans: 40}, nil},
		{"1920×1080 webcam frame", hostile.Frame(1920, 1080), nil, nil},
		{"1080×1920 portrait frame", hostile.Frame(1080, 1920), nil, nil},
		{"2560×1440 over the default", hostile.Frame(2560, 1440), nil, ErrImageTooLarge},
		{"2560×1440 with a raised limit", hostile.Frame(2560, 1440), &DecodeOptions{MaxPixels: 4 << 20}, nil},
		{"rotated 640×480", hostile.Rotated(640, 480, 6), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data, tc.opts)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, img)
		})
	}
}

func TestScanJPEGHeader(t *testing.T) {
	h, err := scanJPEG(hostile.Rotated(64, 32, 6), 4096, 4096, 1<<20, 16)
	require.NoError(t, err)
	assert.Equal(t, jpegHeader{width: 64, height: 32, components: 1, scans: 1, orientation: 6}, h)
	h, err = scanJPEG(hostile.ScanBomb(64, 32, 5), 4096, 4096, 1<<20, 16)
	require.NoError(t, err)
	assert.True(t, h.progressive)
	assert.Equal(t, 5, h.scans)
}

func FuzzScanJPEG(f *testing.F) {
	f.Add(hostile.Frame(16, 8))
	f.Add(hostile.Rotated(16, 8, 6))
	f.Add(hostile.ScanBomb(16, 16, 3))
	f.Add(hostile.ExifMaze())
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := scanJPEG(data, 1024, 1024, 1<<18, 8)
		if err != nil {
			return
		}
		if h.width <= 0 || h.height <= 0 || h.width > 1024 || h.scans < 1 || h.scans > 8 || h.orientation < 0 || h.orientation > 8 {
			t.Fatalf("accepted header %+v", h)
		}
	})
}

func BenchmarkScanJPEG(b *testing.B) {
	data := hostile.Frame(1280, 720)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scanJPEG(data, 4096, 4096, 2<<20, 16); err != nil {
			b.Fatal(err)
		}
	}
}

// orient keeps *image.YCbCr and *image.Gray and gives, pixel for pixel, the
// colours of the generic NRGBA path.
func TestOrientPlanes(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440}
	for _, size := range []image.Point{{8, 6}, {7, 5}, {16, 2}} {
		for _, ratio := range ratios {
			src := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), ratio)
			for i := range src.Y {
				src.Y[i] = uint8(i * 37)
			}
			for i := range src.Cb {
				src.Cb[i], src.Cr[i] = uint8(i*53), uint8(255-i*29)
			}
			gray := image.NewGray(src.Rect)
			copy(gray.Pix, src.Y)
			for o := 1; o <= 8; o++ {
				for _, img := range []image.Image{src, gray} {
					got, want := orient(img, o), orientNRGBA(img, o)
					require.Equal(t, want.Bounds(), got.Bounds())
					if size.X%2 == 0 && size.Y%2 == 0 || ratio == image.YCbCrSubsampleRatio444 {
						assert.IsType(t, img, got, "%v %v o=%d", size, ratio, o)
					}
					b := got.Bounds()
					for y := b.Min.Y; y < b.Max.Y; y++ {
						for x := b.Min.X; x < b.Max.X; x++ {
							g := color.NRGBAModel.Convert(got.At(x, y))
							w := color.NRGBAModel.Convert(want.At(x, y))
							require.Equal(t, w, g, "%T %v %v o=%d at %d,%d", img, size, ratio, o, x, y)
						}
					}
				}
			}
		}
	}
}

func BenchmarkOrient(b *testing.B) {
	img, err := Decode(hostile.Frame(1920, 1080), nil)
	require.NoError(b, err)
	ycc := image.NewYCbCr(img.Bounds(), image.YCbCrSubsampleRatio420)
	for _, bc := range []struct {
		name string
		f    func(image.Image, int) image.Image
		img  image.Image
	}{{"planes/ycbcr", orient, ycc}, {"planes/gray", orient, img}, {"nrgba/ycbcr", orientNRGBA, ycc}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.f(bc.img, 6)
			}
		})
	}
}
