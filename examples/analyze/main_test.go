package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalyzeJSON(t *testing.T) {
	dir := t.TempDir()
	img, err := os.ReadFile("../../testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(dir, "two.mjpeg")
	if err := os.WriteFile(video, append(append([]byte{}, img...), img...), 0o644); err != nil {
		t.Fatal(err)
	}
	draw := filepath.Join(dir, "draw")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-json", "-draw", draw, "../../testdata/face.jpg", video}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (1 image + 2 video frames):\n%s", len(lines), stdout.String())
	}
	wantFrames := []int{1, 1, 2}
	for i, l := range lines {
		var fr struct {
			File  string  `json:"file"`
			Frame int     `json:"frame"`
			MS    float64 `json:"ms"`
			Faces []struct {
				Box      []int    `json:"box"`
				Score    float64  `json:"score"`
				Yaw      *float64 `json:"yaw"`
				Pitch    *float64 `json:"pitch"`
				Roll     *float64 `json:"roll"`
				Measures map[string]float64
				Spoof    *struct {
					Score        *float64 `json:"score"`
					LaplacianVar *float64 `json:"laplacian_var"`
					Attack       *bool    `json:"attack"`
				} `json:"spoof"`
			} `json:"faces"`
		}
		if err := json.Unmarshal([]byte(l), &fr); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if fr.Frame != wantFrames[i] || fr.File == "" || fr.MS <= 0 || len(fr.Faces) != 1 {
			t.Fatalf("line %d: %+v", i, fr)
		}
		f := fr.Faces[0]
		if len(f.Box) != 4 || f.Box[2] <= 0 || f.Score <= 0 || f.Yaw == nil || f.Pitch == nil || f.Roll == nil {
			t.Errorf("line %d: face %+v", i, f)
		}
		if f.Spoof == nil || f.Spoof.Score == nil || f.Spoof.LaplacianVar == nil || f.Spoof.Attack == nil || *f.Spoof.LaplacianVar <= 0 {
			t.Errorf("line %d: spoof %+v", i, f.Spoof)
		}
		for _, k := range []string{"ear_left", "ear_right", "ear", "mar", "smile", "brow"} {
			if _, ok := f.Measures[k]; !ok {
				t.Errorf("line %d: measure %q missing", i, k)
			}
		}
	}
	pngs, _ := filepath.Glob(filepath.Join(draw, "*.png"))
	if len(pngs) != 3 {
		t.Errorf("-draw wrote %d PNGs, want 3", len(pngs))
	}
}

func TestAnalyzeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jpg")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{bad}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "unsupported image format") {
		t.Errorf("bad file: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage") {
		t.Errorf("no args: exit %d, stderr %q", code, stderr.String())
	}
}

func TestReplayStillPhoto(t *testing.T) {
	img, err := os.ReadFile("../../testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// A still photo repeated as every frame of a video: nothing passes.
	video := filepath.Join(t.TempDir(), "still.mjpeg")
	if err := os.WriteFile(video, bytes.Repeat(img, 12), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-replay", "-challenges", "BLINK,SMILE", "-interval", "80ms", video}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	// 12 frames at 25 fps sent every 80 ms (every 2nd frame): 6 steps and the final line.
	if len(lines) != 7 {
		t.Fatalf("got %d lines:\n%s", len(lines), stdout.String())
	}
	var step struct {
		Frame      int     `json:"frame"`
		Challenge  string  `json:"challenge"`
		Passed     bool    `json:"challenge_passed"`
		Confidence float64 `json:"confidence"`
		Message    string  `json:"message"`
	}
	for i, l := range lines[:6] {
		if err := json.Unmarshal([]byte(l), &step); err != nil {
			t.Fatal(err)
		}
		if step.Frame != 2*i+1 || step.Challenge != "BLINK" || step.Passed || step.Message == "" {
			t.Errorf("step %d: %+v", i, step)
		}
	}
	var final struct {
		Final            bool   `json:"final"`
		Passed           bool   `json:"passed"`
		PassedChallenges int    `json:"passed_challenges"`
		TotalChallenges  int    `json:"total_challenges"`
		Reason           string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(lines[6]), &final); err != nil {
		t.Fatal(err)
	}
	if !final.Final || final.Passed || final.PassedChallenges != 0 || final.TotalChallenges != 2 || final.Reason == "" {
		t.Errorf("final line %+v", final)
	}
	// An unknown challenge is a usage error on stderr.
	stderr.Reset()
	if code := run(context.Background(), []string{"-replay", "-challenges", "JUMP", video}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "JUMP") {
		t.Errorf("unknown challenge: exit %d, %q", code, stderr.String())
	}
}
