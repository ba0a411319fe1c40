//go:build eval

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

// The attack-replay and cooperative-user evaluations of docs/evaluation.md
// ("Recordings and response windows"): every video of ../shared/facedata
// is analysed once (cached for the run) and replayed through the engine's
// decision code many times.

var (
	evalOnce  sync.Once
	evalAn    *face.Analyzer
	evalSpoof *spoof.Detector
	evalErr   error
	evalCache sync.Map // path -> []cachedFrame
)

func evalTools(t *testing.T) (*face.Analyzer, *spoof.Detector) {
	t.Helper()
	evalOnce.Do(func() {
		if evalAn, evalErr = face.NewAnalyzer(); evalErr != nil {
			return
		}
		evalSpoof, evalErr = spoof.NewDetector()
	})
	require.NoError(t, evalErr)
	return evalAn, evalSpoof
}

// cachedVideo analyses a video once per test run.
func cachedVideo(t *testing.T, path string) []cachedFrame {
	t.Helper()
	if v, ok := evalCache.Load(path); ok {
		return v.([]cachedFrame)
	}
	an, sp := evalTools(t)
	start := time.Now()
	frames, err := analyseVideo(context.Background(), an, sp, path)
	require.NoError(t, err)
	t.Logf("%s: %d frames analysed in %v", filepath.Base(path), len(frames), time.Since(start).Round(time.Millisecond))
	evalCache.Store(path, frames)
	return frames
}

func globVideos(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(facedata.Dir(t), pattern))
	require.NoError(t, err)
	require.NotEmpty(t, files, pattern)
	sort.Strings(files)
	return files
}

// rateTable replays n random sequences of each length at each interval over
// every file and returns pooled pass counts per interval and length, with a
// per-file table and the reasons of the failures for the log.
func rateTable(t *testing.T, files []string, n int, lengths []int, intervals []time.Duration) (map[time.Duration]map[int]int, string) {
	t.Helper()
	an, sp := evalTools(t)
	rp, err := newReplayer(an, sp, 1)
	require.NoError(t, err)
	pooled := map[time.Duration]map[int]int{}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-34s %-6s", "file", "every")
	for _, l := range lengths {
		fmt.Fprintf(&b, " %6s", fmt.Sprintf("L=%d", l))
	}
	fmt.Fprintf(&b, "  reasons at L=%d\n", lengths[len(lengths)-1])
	for _, f := range files {
		rp.cache.frames = cachedVideo(t, f)
		for _, iv := range intervals {
			if pooled[iv] == nil {
				pooled[iv] = map[int]int{}
			}
			fmt.Fprintf(&b, "%-34s %-6v", strings.TrimSuffix(filepath.Base(f), ".mjpeg"), iv)
			reasons := map[string]int{}
			for _, l := range lengths {
				ro := replayOptions{interval: iv, fps: 25, sequences: n, length: l, seed: 1}
				step, err := frameStep(ro)
				require.NoError(t, err)
				k, err := rp.sequences(context.Background(), ro, step, func(_ []challenge.ID, s *liveness.Session) error {
					if l == lengths[len(lengths)-1] {
						reasons[final(s).Reason]++
					}
					return nil
				})
				require.NoError(t, err)
				pooled[iv][l] += k
				fmt.Fprintf(&b, " %5.1f%%", 100*float64(k)/float64(n))
			}
			fmt.Fprintf(&b, "  %v\n", reasons)
		}
	}
	return pooled, b.String()
}

func logPooled(t *testing.T, name string, pooled map[time.Duration]map[int]int, files, n int, lengths []int, intervals []time.Duration) {
	t.Helper()
	for _, iv := range intervals {
		var parts []string
		for _, l := range lengths {
			parts = append(parts, fmt.Sprintf("L=%d %.2f%% (%d/%d)", l, 100*float64(pooled[iv][l])/float64(files*n), pooled[iv][l], files*n))
		}
		t.Logf("%s, pooled at %v: %s", name, iv, strings.Join(parts, ", "))
	}
}

// TestEvalUnpromptedRecordings replays every bona fide video, with nobody
// asked to do anything, against 1,000 random sequences of 1, 2, 3 and 5
// challenges at 120 ms and 800 ms.
func TestEvalUnpromptedRecordings(t *testing.T) {
	files := append(globVideos(t, "video/*.mjpeg"), globVideos(t, "pad/bonafide/*.mjpeg")...)
	const n = 1000
	lengths := []int{1, 2, 3, 5}
	intervals := []time.Duration{120 * time.Millisecond, 800 * time.Millisecond}
	pooled, table := rateTable(t, files, n, lengths, intervals)
	t.Log(table)
	logPooled(t, "unprompted recordings", pooled, len(files), n, lengths, intervals)
	for _, iv := range intervals {
		assert.LessOrEqual(t, float64(pooled[iv][3])/float64(len(files)*n), 0.01, "3 challenges at %v", iv)
		assert.Zero(t, pooled[iv][5], "5 challenges at %v", iv)
	}
}

// TestEvalScreenReplays: the same over the screen-replay attack videos.
func TestEvalScreenReplays(t *testing.T) {
	files := globVideos(t, "pad/attack/*.mjpeg")
	const n = 1000
	lengths := []int{1, 2, 3, 5}
	intervals := []time.Duration{120 * time.Millisecond, 800 * time.Millisecond}
	pooled, table := rateTable(t, files, n, lengths, intervals)
	t.Log(table)
	logPooled(t, "screen replays", pooled, len(files), n, lengths, intervals)
	for _, iv := range intervals {
		assert.LessOrEqual(t, float64(pooled[iv][3])/float64(len(files)*n), 0.01, "3 challenges at %v", iv)
	}
}
