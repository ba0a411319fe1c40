package server

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyEnv(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	n := fs.Int("rate-limit", 30, "frames per window")
	d := fs.Duration("rate-window", time.Second, "window")
	b := fs.Bool("allow-private", false, "allow")
	env := map[string]string{"OPENLIVENESS_RATE_LIMIT": "1", "OPENLIVENESS_RATE_WINDOW": "1m", "OPENLIVENESS_ALLOW_PRIVATE": "1"}
	require.NoError(t, ApplyEnv(fs, func(k string) string { return env[k] }))
	require.NoError(t, fs.Parse([]string{"-rate-window", "2m"}))
	assert.Equal(t, 1, *n)
	assert.Equal(t, 2*time.Minute, *d, "the command line wins")
	assert.True(t, *b)
	assert.Contains(t, fs.Lookup("rate-limit").Usage, "$OPENLIVENESS_RATE_LIMIT")

	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	fs2.Int("rate-limit", 30, "")
	err := ApplyEnv(fs2, func(k string) string { return map[string]string{"OPENLIVENESS_RATE_LIMIT": "many"}[k] })
	assert.ErrorContains(t, err, `OPENLIVENESS_RATE_LIMIT="many"`)
}

func TestLoggerDurationsInMS(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(&buf, 0, true).Info("x", "timeout", 1500*time.Millisecond, "duration_ms", 2*time.Millisecond)
	assert.Contains(t, buf.String(), `"timeout_ms":1500`)
	assert.Contains(t, buf.String(), `"duration_ms":2`)
	buf.Reset()
	NewLogger(&buf, 0, false).Info("x", "lease", 30*time.Second)
	assert.Contains(t, buf.String(), "lease_ms=30000")
}
