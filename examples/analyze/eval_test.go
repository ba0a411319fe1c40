//go:build eval

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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
func rateTable(t *testing.T, files []string, n int, lengths []int, intervals []time.Duration, noSpoof bool) (map[time.Duration]map[int]int, string) {
	t.Helper()
	an, sp := evalTools(t)
	rp, err := newReplayer(an, sp, 1)
	require.NoError(t, err)
	rp.noSpoof = noSpoof
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
	n := evalN(1000)
	lengths := []int{1, 2, 3, 5}
	intervals := []time.Duration{120 * time.Millisecond, 800 * time.Millisecond}
	// The whole engine, then the challenge decisions alone (the spoof
	// signals replaced by a clean result), which must meet the targets by
	// themselves.
	for _, noSpoof := range []bool{false, true} {
		pooled, table := rateTable(t, files, n, lengths, intervals, noSpoof)
		t.Log(table)
		logPooled(t, fmt.Sprintf("unprompted recordings (spoof signals off %v)", noSpoof), pooled, len(files), n, lengths, intervals)
		// The figures of docs/evaluation.md (the issue asks for at most 1 %
		// at 3 challenges and 0 at 5): 0.08 % (17 of 22,000) at 120 ms, 0
		// at 800 ms, and 0 at 5 challenges.
		for _, iv := range intervals {
			max3 := 0.0008
			if iv == 800*time.Millisecond {
				max3 = 0
			}
			assert.LessOrEqual(t, float64(pooled[iv][3])/float64(len(files)*n), max3, "3 challenges at %v", iv)
			assert.Zero(t, pooled[iv][5], "5 challenges at %v", iv)
		}
	}
}

// TestEvalScreenReplays: the same over the screen-replay attack videos.
func TestEvalScreenReplays(t *testing.T) {
	files := globVideos(t, "pad/attack/*.mjpeg")
	n := evalN(1000)
	lengths := []int{1, 2, 3, 5}
	intervals := []time.Duration{120 * time.Millisecond, 800 * time.Millisecond}
	for _, noSpoof := range []bool{false, true} {
		pooled, table := rateTable(t, files, n, lengths, intervals, noSpoof)
		t.Log(table)
		logPooled(t, fmt.Sprintf("screen replays (spoof signals off %v)", noSpoof), pooled, len(files), n, lengths, intervals)
		// The figures of docs/evaluation.md: through the whole engine no
		// replay passes a session of any length; by the challenge rules
		// alone none passes 3 or 5 challenges.
		for _, iv := range intervals {
			for _, l := range lengths {
				if !noSpoof || l >= 3 {
					assert.Zero(t, pooled[iv][l], "%d challenges at %v, spoof signals off %v", l, iv, noSpoof)
				}
			}
		}
	}
}

// TestEvalCooperativeUsers simulates 1,000 sessions per person
// (segments.csv) at 120 ms bursts of 8 frames and at one frame per 800 ms:
// five-challenge sessions for every person with distinct segments for
// them (drawPerformable), the longest sessions they can perform for the
// others. Every session shows each video frame at most once (footage that
// never repeats, as a camera filming a person), so the whole engine,
// per-session spoof checks included, is graded.
func TestEvalCooperativeUsers(t *testing.T) {
	persons, err := loadPersons()
	require.NoError(t, err)
	an, sp := evalTools(t)
	rp, err := newReplayer(an, sp, 1)
	require.NoError(t, err)
	defer func() { rp.noSpoof = false }()
	n := evalN(1000)
	// length[p]: the longest session p's footage allows.
	length := map[*simPerson]int{}
	for _, p := range persons {
		length[p] = p.maxLength()
		t.Logf("%s (%s): challenges %v, %d neutral frames, sessions of %d", p.name, p.video, p.challenges(), p.neutralFrames(), length[p])
	}
	covered := map[challenge.ID]int{}
	for _, o := range []simOptions{
		{cadence: 120 * time.Millisecond, burst: 8, fps: 25, limit: time.Minute},
		{cadence: 800 * time.Millisecond, burst: 1, fps: 25, limit: time.Minute},
	} {
		// The whole engine, then the challenge decisions alone (spoof
		// signals replaced by a clean result).
		for _, noSpoof := range []bool{false, true} {
			rp.noSpoof = noSpoof
			total, passed, reused := map[int]int{}, map[int]int{}, map[int]int{}
			times := map[int][]time.Duration{}
			for _, p := range persons {
				l := length[p]
				if l == 0 {
					continue
				}
				rp.cache.frames = cachedVideo(t, filepath.Join(facedata.Dir(t), p.video+".mjpeg"))
				reasons := map[string]int{}
				k, ru := 0, 0
				err := rp.cooperativeRuns(context.Background(), p, n, l, o, 1, func(r simRun) {
					s := r.session
					f := final(s)
					reason := f.Reason
					if !f.Passed && f.PassedChallenges < len(s.Challenges) {
						reason += "@" + f.FailedChallenge.String()
					}
					if len(s.AttackSignals) > 0 {
						reason += "[" + strings.Join(s.AttackSignals, ",") + "]"
					}
					reasons[reason]++
					if r.reused {
						ru++
					}
					if s.Status == liveness.StatusPassed {
						k++
						times[l] = append(times[l], r.took)
					}
					if !noSpoof {
						for _, id := range r.seq {
							covered[id]++
						}
					}
				})
				require.NoError(t, err)
				total[l] += n
				passed[l] += k
				reused[l] += ru
				t.Logf("%s %d-challenge sessions every %v ×%d, spoof signals off %v: %d/%d passed (%.1f%%), footage repeated in %d, reasons %v", p.name, l, o.cadence, o.burst, noSpoof, k, n, 100*float64(k)/float64(n), ru, reasons)
			}
			for _, l := range []int{5, 4, 3, 2, 1} {
				if total[l] == 0 {
					continue
				}
				slices.Sort(times[l])
				med := time.Duration(0)
				if len(times[l]) > 0 {
					med = times[l][len(times[l])/2]
				}
				rate := float64(passed[l]) / float64(total[l])
				t.Logf("cooperative users, %d-challenge sessions every %v ×%d, spoof signals off %v: %d/%d passed (%.2f%%), footage repeated in %d, median time to complete %v", l, o.cadence, o.burst, noSpoof, passed[l], total[l], 100*rate, reused[l], med.Round(100*time.Millisecond))
				// The issue asks for at least 98 %; docs/evaluation.md gives
				// the measured rates, which are what is asserted.
				assert.GreaterOrEqual(t, rate, cooperativeRate(l, o.cadence), "%d challenges every %v, spoof signals off %v", l, o.cadence, noSpoof)
				if l == 5 {
					assert.Zero(t, reused[l], "five-challenge sessions must not repeat footage")
				}
			}
			require.NotZero(t, total[5], "no person can perform five-challenge sessions")
		}
	}
	t.Logf("challenges asked in the simulated sessions (whole engine, both cadences): %v", covered)
	for _, id := range challenge.IDs() {
		assert.NotZero(t, covered[id], "%v never asked", id)
	}
}

// evalN returns n, or the value of OPENLIVENESS_EVAL_N when set (for quick
// local runs; the documented figures use the default).
// cooperativeRate is the pass rate of simulated cooperative sessions of
// length l at cadence that docs/evaluation.md reports (the same with and
// without the spoof signals): every session passes except 1 in 1,000 of
// five challenges at 800 ms and 6 in 1,000 of two challenges at 120 ms.
func cooperativeRate(l int, cadence time.Duration) float64 {
	switch {
	case l == 5 && cadence == 800*time.Millisecond:
		return 0.999
	case l == 2 && cadence == 120*time.Millisecond:
		return 0.994
	}
	return 1
}

func evalN(n int) int {
	if v, err := strconv.Atoi(os.Getenv("OPENLIVENESS_EVAL_N")); err == nil && v > 0 {
		return v
	}
	return n
}

// TestEvalStrikeLevels measures how high each watched signal goes, held
// for its hold time, in the bona fide recordings of people talking who
// were asked nothing (involuntary behaviour: speech, small head motion,
// expressive brows): per video, the lowest strike level (a multiple of the
// pass threshold, see challenge.Thresholds.StrikeTurn) at which a
// wrong-action detector never fires at 120 ms. The defaults must lie above
// every video's level, and leave-one-video-out shows what a level fitted on
// the other videos would do on the held-out one.
func TestEvalStrikeLevels(t *testing.T) {
	files := append(globVideos(t, "pad/bonafide/B0[79]*.mjpeg"), globVideos(t, "pad/bonafide/B1*.mjpeg")...)
	files = append(files, globVideos(t, "pad/bonafide/B2*.mjpeg")...)
	files = append(files, filepath.Join(facedata.Dir(t), "video/selfie_talk_d13.mjpeg"))
	ids := []challenge.ID{challenge.TurnLeft, challenge.TurnRight, challenge.LookDown, challenge.Smile, challenge.OpenMouth, challenge.RaiseEyebrows}
	def := challenge.DefaultThresholds()
	defaults := map[challenge.ID]float64{
		challenge.TurnLeft: def.StrikeTurn, challenge.TurnRight: def.StrikeTurn, challenge.LookDown: def.StrikeLookDown,
		challenge.Smile: def.StrikeSmile, challenge.OpenMouth: def.StrikeOpenMouth, challenge.RaiseEyebrows: def.StrikeBrow,
	}
	setLevel := func(id challenge.ID, l float64) challenge.Thresholds {
		th := challenge.Thresholds{}
		switch id {
		case challenge.TurnLeft, challenge.TurnRight:
			th.StrikeTurn = l
		case challenge.LookDown:
			th.StrikeLookDown = l
		case challenge.Smile:
			th.StrikeSmile = l
		case challenge.OpenMouth:
			th.StrikeOpenMouth = l
		case challenge.RaiseEyebrows:
			th.StrikeBrow = l
		}
		return th.Strike(id)
	}
	// level[id][file]: the lowest level (grid of 0.1) at which id never fires.
	level := map[challenge.ID][]float64{}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-28s", "video")
	for _, id := range ids {
		fmt.Fprintf(&b, " %14v", id)
	}
	b.WriteString("\n")
	for _, f := range files {
		frames := cachedVideo(t, f)
		var obs []challenge.Observation
		for i := 0; i < len(frames); i += 3 {
			obs = append(obs, observationOf(frames[i].res, time.Duration(len(obs))*120*time.Millisecond))
		}
		base, err := challenge.NewBaseline(obs, challenge.Thresholds{})
		if err != nil {
			t.Logf("%s: no baseline, skipped", filepath.Base(f))
			continue
		}
		fmt.Fprintf(&b, "%-28s", strings.TrimSuffix(filepath.Base(f), ".mjpeg"))
		for _, id := range ids {
			l := 1.0
			for ; l < 6; l += 0.1 {
				d, err := challenge.NewDetector(id, base, setLevel(id, l))
				require.NoError(t, err)
				fired := false
				for _, o := range obs {
					if d.Observe(o).Passed {
						fired = true
						break
					}
				}
				if !fired {
					break
				}
			}
			level[id] = append(level[id], l)
			fmt.Fprintf(&b, " %14.1f", l)
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
	for _, id := range ids {
		ls := level[id]
		// Leave one video out: the level fitted on the others (their
		// highest) fires on the held-out video when it is below its level.
		misses := 0
		for i := range ls {
			fit := 1.0
			for j, l := range ls {
				if j != i {
					fit = max(fit, l)
				}
			}
			if fit < ls[i]-1e-9 {
				misses++
			}
		}
		hi := slices.Max(ls)
		t.Logf("%v: highest involuntary level %.1f over %d videos, default %.1f; leave-one-video-out fits fire on %d held-out videos", id, hi, len(ls), defaults[id], misses)
		assert.GreaterOrEqual(t, defaults[id], hi-1e-9, "%v: the default strike level fires on involuntary behaviour", id)
	}
}

// observationOf converts a cached analysis as the engine does (unmirrored).
func observationOf(res *face.Result, at time.Duration) challenge.Observation {
	return liveness.ObservationOf(res, at, false)
}
