package face

import (
	"errors"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/hostile"
)

// TestDecodePause: DecodeOptions.Pause gets the declared work before any
// pixel is decoded and then at points inside the decoding, without
// changing the pixels; its error stops the decoding and is returned as is.
func TestDecodePause(t *testing.T) {
	stop := errors.New("stop")
	for _, tc := range []struct {
		name string
		data []byte
		work int64
	}{
		{"baseline 64×48", encodeJPEG(t, image.NewGray(image.Rect(0, 0, 64, 48))), 64 * 48},
		{"progressive 256×128, 8 scans", hostile.ScanBomb(256, 128, 8), 256 * 128 * 8},
		{"png", encodePNG(t, quadrants(10, 6)), 10 * 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := Decode(tc.data, nil)
			require.NoError(t, err)
			var works []int64
			got, err := Decode(tc.data, &DecodeOptions{Pause: func(w int64) error { works = append(works, w); return nil }})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			require.NotEmpty(t, works)
			for _, w := range works {
				assert.Equal(t, tc.work, w)
			}

			calls := 0
			_, err = Decode(tc.data, &DecodeOptions{Pause: func(int64) error {
				if calls++; calls == len(works) {
					return stop
				}
				return nil
			}})
			assert.ErrorIs(t, err, stop)
			assert.Equal(t, len(works), calls)
		})
	}
}

// TestDecodePauseBeforePixels: a Pause that refuses at once costs no
// pixel work, and refused headers never reach it.
func TestDecodePauseBeforePixels(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	opts := &DecodeOptions{Pause: func(int64) error { calls++; return stop }}
	_, err := Decode(hostile.ScanBomb(1024, 1024, 12), opts)
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)
	_, err = Decode(hostile.ScanBomb(1024, 1024, 200), opts)
	require.ErrorIs(t, err, ErrTooComplex)
	assert.Equal(t, 1, calls)
}

// TestAnalyzePause: AnalyzeOptions.Pause is called inside the detection of
// a large frame and between the stages, without changing the result; its
// error stops the analysis and is returned as is.
func TestAnalyzePause(t *testing.T) {
	a, err := NewAnalyzer()
	require.NoError(t, err)
	img := image.NewGray(image.Rect(0, 0, 1920, 1080))
	want, err := a.Analyze(t.Context(), img, nil)
	require.NoError(t, err)
	calls := 0
	got, err := a.Analyze(t.Context(), img, &AnalyzeOptions{Pause: func() error { calls++; return nil }})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.GreaterOrEqual(t, calls, 3, "after the downscaling, before the thorough search, after the detection")

	stop := errors.New("stop")
	n := 0
	_, err = a.Analyze(t.Context(), img, &AnalyzeOptions{Pause: func() error {
		if n++; n == 2 {
			return stop
		}
		return nil
	}})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 2, n)
}
