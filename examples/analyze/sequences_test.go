package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplaySequences checks the -sequences line formats and that the
// output depends only on the seed.
func TestReplaySequences(t *testing.T) {
	img, err := os.ReadFile("../../testdata/face.jpg")
	require.NoError(t, err)
	video := filepath.Join(t.TempDir(), "still.mjpeg")
	require.NoError(t, os.WriteFile(video, bytes.Repeat(img, 10), 0o644))
	runSeq := func(seed string) string {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-replay", "-sequences", "4", "-length", "3", "-seed", seed, "-interval", "80ms", video}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		return stdout.String()
	}
	out := runSeq("7")
	assert.Equal(t, out, runSeq("7"), "same seed, same output")
	assert.NotEqual(t, out, runSeq("8"), "another seed, other sequences")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	for _, l := range lines[:4] {
		var s struct {
			File     string   `json:"file"`
			Sequence []string `json:"sequence"`
			Passed   *bool    `json:"passed"`
			Reason   string   `json:"reason"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &s))
		assert.Equal(t, video, s.File)
		assert.Len(t, s.Sequence, 3)
		require.NotNil(t, s.Passed)
		assert.False(t, *s.Passed, "a still photo passes nothing")
		assert.NotEmpty(t, s.Reason)
	}
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[4]), &sum))
	assert.Equal(t, map[string]any{"file": video, "summary": true, "sequences": 4.0, "length": 3.0, "passed": 0.0, "pass_rate": 0.0}, sum)

	var stderr bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-replay", "-sequences", "2", "-length", "9", video}, &bytes.Buffer{}, &stderr))
	assert.Contains(t, stderr.String(), "-length")
}
