package main

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckLoopback(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080":     true,
		"http://localhost:8080/":    true,
		"http://[::1]:8080":         true,
		"http://127.0.0.2:1":        true,
		"http://10.0.0.1:8080":      false,
		"http://example.com":        false,
		"https://liveness.prod.com": false,
		"ftp://127.0.0.1":           false,
		"127.0.0.1:8080":            false,
	} {
		if err := checkLoopback(raw); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v", raw, err)
		}
	}
}

func TestCanvasFrames(t *testing.T) {
	photo, err := os.ReadFile(filepath.Join("..", "..", "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := canvasFrames(photo, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(f))
		if err != nil || cfg.Width != 640 || cfg.Height != 480 {
			t.Errorf("frame %d: %dx%d, %v", i, cfg.Width, cfg.Height, err)
		}
	}
	if bytes.Equal(frames[0], frames[1]) {
		t.Error("the photo does not move between frames")
	}
}

func TestRunInProcess(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"-inprocess", "-duration", "1500ms", "-sessions", "2", "-interval", "300ms", "-max-frames", "4",
		"-frames", filepath.Join("..", "..", "testdata", "face.jpg")}, &out, io.Discard)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, re := range []string{`analysed: [1-9]\d* frames in \d+ requests = [\d.]+ frames/s`, `latency:  p50 [\d.]+ ms`, `sessions: 2 created`, `memory: .* per session`} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("report lacks %s:\n%s", re, out.String())
		}
	}
	if code := run(context.Background(), []string{"-url", "http://example.com", "-key", "k", "-duration", "1s"}, io.Discard, io.Discard); code == 0 {
		t.Error("a non-loopback target was accepted")
	}
}

func TestBurstSessions(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"-inprocess", "-duration", "1500ms", "-sessions", "1", "-burst", "2", "-burst-sessions", "1",
		"-interval", "300ms", "-max-frames", "4", "-frames", filepath.Join("..", "..", "testdata", "face.jpg")}, &out, io.Discard)
	require.Zero(t, code, out.String())
	require.Contains(t, out.String(), "1 sessions of one frame per request and 1 of 2-frame bursts")
	require.Regexp(t, `sessions: 2 created`, out.String())
	require.Equal(t, 2, run(context.Background(), []string{"-burst-sessions", "-1"}, io.Discard, io.Discard))
}

func TestInProcessDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	code := run(context.Background(), []string{"-inprocess", "-data-dir", dir, "-duration", "1500ms", "-sessions", "2", "-interval", "300ms", "-max-frames", "4",
		"-frames", filepath.Join("..", "..", "testdata", "face.jpg")}, &out, io.Discard)
	require.Zero(t, code, out.String())
	require.Regexp(t, `analysed: [1-9]\d* frames`, out.String())
	require.FileExists(t, filepath.Join(dir, "sessions.db"))
}
