package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/face"
)

func TestEmbedAndCompare(t *testing.T) {
	const img = "../../testdata/face.jpg"
	ctx := context.Background()

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"-embed", img}, &stdout, &stderr), stderr.String())
	var e struct {
		File      string    `json:"file"`
		Model     string    `json:"model"`
		Embedding []float64 `json:"embedding"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &e))
	assert.Equal(t, img, e.File)
	assert.NotEmpty(t, e.Model)
	assert.Len(t, e.Embedding, face.EmbeddingDim)

	stdout.Reset()
	require.Equal(t, 0, run(ctx, []string{"-compare", img, img}, &stdout, &stderr), stderr.String())
	assert.True(t, strings.HasPrefix(stdout.String(), "score 1.000 threshold "), stdout.String())
	assert.True(t, strings.HasSuffix(stdout.String(), " match\n"), stdout.String())

	stdout.Reset()
	require.Equal(t, 0, run(ctx, []string{"-compare", "-json", img, img}, &stdout, &stderr), stderr.String())
	var c struct {
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		Match     bool    `json:"match"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &c))
	assert.InDelta(t, 1, c.Score, 1e-6)
	assert.True(t, c.Match)
}

func TestEmbedErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank.png")
	f, err := os.Create(blank)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, image.NewGray(image.Rect(0, 0, 64, 64))))
	require.NoError(t, f.Close())

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-compare", "../../testdata/face.jpg"}, 2, "exactly two"},
		{[]string{"-embed", "-compare", "a", "b"}, 2, "exclude"},
		{[]string{"-embed", blank}, 1, "no face"},
		{[]string{"-compare", blank, "../../testdata/face.jpg"}, 1, "no face"},
		{[]string{"-embed", filepath.Join(dir, "missing.jpg")}, 1, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, tc.code, run(ctx, tc.args, &stdout, &stderr), tc.args)
		assert.Contains(t, stderr.String(), tc.msg, tc.args)
	}
}
