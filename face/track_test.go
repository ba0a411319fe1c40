package face

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/draw"
)

// frameWith places the test portrait at each of the given rectangles of a
// 640×480 frame.
func frameWith(t *testing.T, at ...image.Rectangle) *image.RGBA {
	src := testFrame(t)
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.RGBA{90, 100, 110, 255}), image.Point{}, draw.Src)
	for _, r := range at {
		draw.BiLinear.Scale(dst, r, src, src.Bounds(), draw.Src, nil)
	}
	return dst
}

func TestTrackedFramesSearchLocallyThenWhole(t *testing.T) {
	a := newTestAnalyzer(t)
	ctx := context.Background()
	left := image.Rect(0, 60, 300, 435)    // the tracked person
	right := image.Rect(380, 90, 620, 390) // a second person, outside the local search
	one, two := frameWith(t, left), frameWith(t, left, right)

	first, err := a.Analyze(ctx, one, nil)
	require.NoError(t, err)
	require.Len(t, first.Faces, 1)
	prev := first.Faces[0]

	// A second face enters: it is counted at the latest on the
	// DefaultFullSearchEvery-th tracked frame.
	seenAt := 0
	for k := 1; k <= DefaultFullSearchEvery; k++ {
		res, err := a.Analyze(ctx, two, &AnalyzeOptions{Previous: &prev})
		require.NoError(t, err)
		require.NotEmpty(t, res.Faces)
		require.True(t, res.Faces[0].Tracked)
		if len(res.Faces) == 2 && seenAt == 0 {
			seenAt = k
		}
		prev = res.Faces[0]
	}
	require.NotZero(t, seenAt, "second face never counted")
	assert.LessOrEqual(t, seenAt, DefaultFullSearchEvery)
	assert.Greater(t, seenAt, 1, "frames between whole-frame searches should search locally")

	// The tracked person leaves and another appears elsewhere: found in the
	// same frame.
	swap := frameWith(t, right)
	res, err := a.Analyze(ctx, swap, &AnalyzeOptions{Previous: &first.Faces[0]})
	require.NoError(t, err)
	require.Len(t, res.Faces, 1)
	assert.Greater(t, res.Faces[0].Box.Min.X, 340)

	// WithFullSearchEvery(1) searches every frame whole.
	every := newTestAnalyzer(t, WithFullSearchEvery(1))
	p := first.Faces[0]
	res, err = every.Analyze(ctx, two, &AnalyzeOptions{Previous: &p})
	require.NoError(t, err)
	assert.Len(t, res.Faces, 2)
	_, err = NewAnalyzer(WithFullSearchEvery(0))
	assert.Error(t, err)
}

func TestDetectAroundFindsTheKnownFace(t *testing.T) {
	d, err := NewDetector()
	require.NoError(t, err)
	g := Luma(frameWith(t, image.Rect(0, 60, 300, 435), image.Rect(380, 90, 620, 390)))
	all := d.DetectGray(g)
	require.Len(t, all, 2)
	near := d.DetectAround(g, all[0].Box)
	require.Len(t, near, 1, "only the face near the known box")
	assert.Equal(t, all[0], near[0], "the whole-frame search's box and score")
	// Searched around a box that is off by a few pixels and a little
	// small, the same detection: the box depends on the image only.
	for _, around := range []image.Rectangle{all[0].Box.Add(image.Pt(9, -7)), all[0].Box.Inset(12), all[0].Box.Inset(-15)} {
		near = d.DetectAround(g, around)
		require.Len(t, near, 1)
		assert.Equal(t, all[0], near[0], "around %v", around)
	}
}
