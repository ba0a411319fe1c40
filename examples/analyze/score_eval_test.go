//go:build eval

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/internal/padfit"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

// The session-score calibration of docs/evaluation.md ("Session score
// calibration"). Every video of ../shared/facedata is analysed once with
// the per-frame spoof model fitted without its person (internal/padfit
// hold-out units), then turned into sessions:
//
//   - bona fide: the cooperative-user simulator's sessions (simulate.go,
//     as many challenges as the person's footage allows, up to five) and windows of the bona fide videos (pad/bonafide,
//     video/), a live person on camera;
//   - attack: windows of the screen replays (pad/attack).
//
// A window is an engine session fed the video's frames one by one, 40 ms
// apart, from a start frame until it has seen 50, 100 or 150 frames or
// the engine ended it. A session enters the fit when its spoof state did
// not fail (a failed session's score is capped by the failure rule): its
// ScoreFeatures at its last frame, labelled live or attack. The logistic
// model of liveness.LiveProbability is refitted here on all of them and,
// for the figures, once per person without that person's sessions
// (leave one person out): the reliability table of the held-out
// predictions is what docs/evaluation.md shows. Run with
//
//	go test -count=1 -tags eval -run EvalSessionScore -v ./examples/analyze/
//
// OPENLIVENESS_PAD_ITEMS caches the spoof corpus and
// OPENLIVENESS_SCORE_DATA the session features between runs (each is
// measured again when its file is absent).

// scoreRecord is one session of the calibration data.
type scoreRecord struct {
	Source   string                 `json:"source"` // video name: the hold-out group
	Kind     string                 `json:"kind"`   // "cooperative" or "window"
	Live     bool                   `json:"live"`
	Failed   bool                   `json:"failed"`  // the spoof state failed
	Reached  bool                   `json:"reached"` // the challenges were completed (cooperative)
	Features liveness.ScoreFeatures `json:"features"`
	Frames   int                    `json:"frames"`
	Score    float64                `json:"score"` // the engine's score when the session ended
	Status   string                 `json:"status"`
}

// recordingSpoof is a spoof session that keeps its last result.
type recordingSpoof struct {
	s    *spoof.Session
	last *spoof.SessionResult
}

func (r recordingSpoof) Observe(f spoof.FrameInfo) spoof.SessionResult {
	res := r.s.Observe(f)
	*r.last = res
	return res
}
func (r recordingSpoof) Result() spoof.SessionResult { return r.s.Result() }

// newRecordingReplayer is newReplayer whose sessions' spoof state is
// kept in *last after every frame (one session runs at a time).
func newRecordingReplayer(an *face.Analyzer, last *spoof.SessionResult) (*replayer, error) {
	r := &replayer{cache: &cacheAnalyzer{}, store: &replayStore{}, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r.store.reset()
	e, err := liveness.New(
		liveness.WithAnalyzer(an),
		liveness.WithFrameAnalyzer(r.cache),
		liveness.WithStore(r.store),
		liveness.WithClock(func() time.Time { return r.now }),
		liveness.WithRand(rand.NewChaCha8([32]byte{7})),
		liveness.WithLogger(slog.New(slog.DiscardHandler)),
		liveness.WithTTL(time.Hour, time.Hour),
		liveness.WithSpoofSessions(func() liveness.SpoofSession {
			*last = spoof.SessionResult{Score: 1}
			return recordingSpoof{s: spoof.NewSession(), last: last}
		}),
	)
	if err != nil {
		return nil, err
	}
	r.engine = e
	return r, nil
}

// scoreData measures the calibration sessions (or reads them from the
// OPENLIVENESS_SCORE_DATA cache).
func scoreData(t *testing.T) []scoreRecord {
	t.Helper()
	cache := os.Getenv("OPENLIVENESS_SCORE_DATA")
	if cache != "" {
		if f, err := os.Open(cache); err == nil {
			defer f.Close()
			var recs []scoreRecord
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var r scoreRecord
				require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
				recs = append(recs, r)
			}
			require.NoError(t, sc.Err())
			return recs
		}
	}
	ctx := context.Background()
	root := facedata.Dir(t)
	items, err := padfit.LoadCached(ctx, root, os.Getenv("OPENLIVENESS_PAD_ITEMS"))
	require.NoError(t, err)
	unitOf := map[string]string{}
	for i := range items {
		if items[i].Kind == "video" {
			unitOf[items[i].File] = items[i].Unit
		}
	}
	var videos []string
	for _, g := range []string{"pad/attack/*.mjpeg", "pad/bonafide/*.mjpeg", "video/*.mjpeg"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		videos = append(videos, m...)
	}
	require.NotEmpty(t, videos)
	need := map[string]bool{}
	for _, v := range videos {
		rel, _ := filepath.Rel(root, v)
		need[unitOf[rel]] = true
	}
	models, _, err := padfit.HeldOut(ctx, items, padfit.Options(), func(u string) bool { return need[u] })
	require.NoError(t, err)
	an, _ := evalTools(t)
	var last spoof.SessionResult
	rp, err := newRecordingReplayer(an, &last)
	require.NoError(t, err)
	persons, err := loadPersons()
	require.NoError(t, err)
	simOf := map[string]*simPerson{}
	for _, p := range persons {
		if p.maxLength() > 0 {
			simOf[p.video] = p
		}
	}
	var recs []scoreRecord
	seqRand := rand.NewChaCha8([32]byte{3})
	for _, v := range videos {
		rel, _ := filepath.Rel(root, v)
		m := models[unitOf[rel]]
		require.NotNil(t, m, "no held-out model for %s", rel)
		det, err := spoof.NewDetector(spoof.WithModel(m))
		require.NoError(t, err)
		start := time.Now()
		frames, err := analyseVideo(ctx, an, det, v)
		require.NoError(t, err)
		name := strings.TrimSuffix(filepath.Base(v), ".mjpeg")
		live := !strings.HasPrefix(rel, "pad/attack/")
		rp.cache.frames = frames
		n0 := len(recs)
		// Windows.
		first := 0
		if strings.HasPrefix(name, "A01_") {
			first = 50 // the live person sits beside the phone
		}
		for from := first; from+50 <= len(frames); from += 25 {
			for _, l := range []int{50, 100, 150} {
				if from+l > len(frames) {
					break
				}
				seq, err := challenge.NewSequence(5, &challenge.SequenceOptions{Rand: seqRand})
				require.NoError(t, err)
				rp.store.reset()
				rp.now = rp.now.Add(time.Hour)
				c, err := rp.engine.Create(ctx, liveness.CreateOptions{Sequence: seq})
				require.NoError(t, err)
				s := c.Session
				for i := from; i < from+l && !s.Status.Final(); i++ {
					rp.now = rp.now.Add(40 * time.Millisecond)
					out, err := rp.engine.Submit(ctx, s.ID, []liveness.Frame{{Data: []byte(strconv.Itoa(i))}}, nil)
					require.NoError(t, err)
					s = out.Session
				}
				recs = append(recs, scoreRecord{Source: name, Kind: "window", Live: live, Failed: last.Failed,
					Features: liveness.ScoreFeaturesOf(last), Frames: s.Frames, Score: s.Score, Status: string(s.Status)})
			}
		}
		// Cooperative sessions.
		if p := simOf[strings.TrimSuffix(rel, ".mjpeg")]; p != nil {
			for _, o := range []simOptions{
				{cadence: 120 * time.Millisecond, burst: 8, fps: 25, limit: time.Minute},
				{cadence: 800 * time.Millisecond, burst: 1, fps: 25, limit: time.Minute},
			} {
				require.NoError(t, rp.cooperativeRuns(ctx, p, evalN(100), p.maxLength(), o, 1, func(r simRun) {
					s := r.session
					reached := s.Status == liveness.StatusPassed || s.Reason == liveness.ReasonLowScore
					recs = append(recs, scoreRecord{Source: name, Kind: "cooperative", Live: true, Failed: last.Failed, Reached: reached,
						Features: liveness.ScoreFeaturesOf(last), Frames: s.Frames, Score: s.Score, Status: string(s.Status)})
				}))
			}
		}
		t.Logf("%s: %d frames, %d sessions in %v", name, len(frames), len(recs)-n0, time.Since(start).Round(time.Second))
	}
	if cache != "" {
		f, err := os.Create(cache)
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		for _, r := range recs {
			require.NoError(t, enc.Encode(r))
		}
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
	}
	return recs
}

// fitLogisticR fits weights (bias first) of a logistic regression by
// Newton's method with a ridge penalty on the weights (not the bias),
// each sample weighted.
func fitLogisticR(xs [][]float64, ys []bool, ws []float64, ridge float64) []float64 {
	d := len(xs[0]) + 1
	beta := make([]float64, d)
	for range 50 {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
			h[i][i] = ridge
			if i > 0 {
				g[i] = ridge * beta[i]
			}
		}
		for i, x := range xs {
			v := append([]float64{1}, x...)
			p := logistic(vdot(beta, v))
			y := 0.0
			if ys[i] {
				y = 1
			}
			for a := range d {
				g[a] += ws[i] * (p - y) * v[a]
				for b := range d {
					h[a][b] += ws[i] * p * (1 - p) * v[a] * v[b]
				}
			}
		}
		step := solve(h, g)
		for a := range beta {
			beta[a] -= step[a]
		}
		if math.Sqrt(vdot(step, step)) < 1e-9 {
			break
		}
	}
	return beta
}

func logistic(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func vdot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// solve solves h x = g by Gaussian elimination with partial pivoting.
func solve(h [][]float64, g []float64) []float64 {
	n := len(g)
	a := make([][]float64, n)
	for i := range a {
		a[i] = append(slices.Clone(h[i]), g[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := a[r][n]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}

// calibrationSet returns the sessions the model is fitted on (every session
// with scored frames, those failed on spoof included, whose mean per-frame
// log-odds are the attack data; for cooperative sessions, the challenges
// were completed) with weights giving each class the same total weight
// and, within a class, each source the same share.
func calibrationSet(recs []scoreRecord) (set []scoreRecord, ws []float64) {
	for _, r := range recs {
		if r.Features.Scored == 0 || (r.Kind == "cooperative" && !r.Reached) {
			continue
		}
		set = append(set, r)
	}
	perSource := map[string]int{}
	sources := map[bool]map[string]bool{true: {}, false: {}}
	for _, r := range set {
		perSource[r.Source]++
		sources[r.Live][r.Source] = true
	}
	for _, r := range set {
		ws = append(ws, 1/float64(perSource[r.Source])/float64(len(sources[r.Live])))
	}
	return set, ws
}

// personOf is the hold-out group of a source: the person of a pad video
// (A01_p01_… and B01_p01_… are both p01), the video itself otherwise.
func personOf(source string) string {
	if f := strings.Split(source, "_"); len(f) > 2 && (strings.HasPrefix(source, "A") || strings.HasPrefix(source, "B")) && strings.HasPrefix(f[1], "p") {
		return f[1]
	}
	return source
}

// loso returns, for every session, the prediction of the model fitted
// without the sessions of its person (leave one person out: every source
// of that person, bona fide and attack, is left out together).
func loso(set []scoreRecord, xs [][]float64, ys []bool, ws []float64, ridge float64) []float64 {
	held := make([]float64, len(set))
	var people []string
	for _, r := range set {
		if p := personOf(r.Source); !slices.Contains(people, p) {
			people = append(people, p)
		}
	}
	for _, p := range people {
		var tx [][]float64
		var ty []bool
		var tw []float64
		for i, r := range set {
			if personOf(r.Source) != p {
				tx, ty, tw = append(tx, xs[i]), append(ty, ys[i]), append(tw, ws[i])
			}
		}
		b := fitLogisticR(tx, ty, tw, ridge)
		for i, r := range set {
			if personOf(r.Source) == p {
				held[i] = logistic(vdot(b, append([]float64{1}, xs[i]...)))
			}
		}
	}
	return held
}

// reliabilityBins are the predicted-score bins of the reliability table.
var reliabilityBins = []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9, 1}

// reliabilityRow is one bin of the reliability table, each class weighted
// to the same total (even prior odds).
type reliabilityRow struct {
	from, to            float64
	sessions, live      int
	predicted, observed float64 // weighted means
	weight              float64
}

func reliability(pred []float64, ys []bool, ws []float64) []reliabilityRow {
	var rows []reliabilityRow
	for b := 0; b+1 < len(reliabilityBins); b++ {
		row := reliabilityRow{from: reliabilityBins[b], to: reliabilityBins[b+1]}
		for i, p := range pred {
			if p < row.from || p >= row.to && !(b+2 == len(reliabilityBins) && p <= row.to) {
				continue
			}
			row.sessions++
			row.weight += ws[i]
			row.predicted += ws[i] * p
			if ys[i] {
				row.live++
				row.observed += ws[i]
			}
		}
		if row.weight > 0 {
			row.predicted /= row.weight
			row.observed /= row.weight
		}
		rows = append(rows, row)
	}
	return rows
}

// calib returns the expected calibration error (the weighted mean gap
// between predicted and observed over the bins) and the weighted Brier
// score.
func calib(pred []float64, ys []bool, ws []float64) (ece, brier float64) {
	tot := 0.0
	for _, r := range reliability(pred, ys, ws) {
		ece += r.weight * math.Abs(r.predicted-r.observed)
		tot += r.weight
	}
	for i, p := range pred {
		y := 0.0
		if ys[i] {
			y = 1
		}
		brier += ws[i] * (p - y) * (p - y)
	}
	return ece / tot, brier / tot
}

// scoreRidge is the ridge penalty of the fit (the sample weights sum to
// 1): small, the data decide.
const scoreRidge = 1e-3

func TestEvalSessionScore(t *testing.T) {
	recs := scoreData(t)
	set, ws := calibrationSet(recs)
	xs := make([][]float64, len(set))
	ys := make([]bool, len(set))
	for i, r := range set {
		xs[i], ys[i] = r.Features.Vector(), r.Live
	}
	nLive := 0
	for _, y := range ys {
		if y {
			nLive++
		}
	}
	t.Logf("%d sessions measured; %d enter the fit (%d bona fide, %d attack)", len(recs), len(set), nLive, len(set)-nLive)

	// The embedded model is the fit on all sessions.
	all := fitLogisticR(xs, ys, ws, scoreRidge)
	t.Logf("fit on all: bias %.3f, weights %.3f", all[0], all[1:])
	emb := liveness.ScoreCoefficients()
	require.Len(t, emb, len(all))
	for i := range all {
		assert.InDelta(t, all[i], emb[i], 0.05, "coefficient %d: the embedded model (liveness/score.go) is not the fit; update it and docs/evaluation.md", i)
	}

	// Leave one person out.
	held := loso(set, xs, ys, ws, scoreRidge)
	t.Log("held out | predicted | sessions (bona fide/attack) | mean predicted | observed bona fide")
	rows := reliability(held, ys, ws)
	for _, r := range rows {
		t.Logf("| %.1f–%.1f | %d (%d/%d) | %.3f | %.3f |", r.from, r.to, r.sessions, r.live, r.sessions-r.live, r.predicted, r.observed)
	}
	ece, brier := calib(held, ys, ws)
	t.Logf("held out: expected calibration error %.3f, Brier score %.3f", ece, brier)
	assert.LessOrEqual(t, ece, 0.005, "expected calibration error")
	assert.LessOrEqual(t, brier, 0.001, "Brier score")
	assert.LessOrEqual(t, rows[0].observed, 0.05, "bona fide share below 0.1")
	assert.GreaterOrEqual(t, rows[len(rows)-1].observed, 0.95, "bona fide share from 0.9")

	// The verdicts the held-out scores give (pass ≥ 0.5, review ≥ 0.3).
	type tally struct{ n, pass, review int }
	verdicts := map[string]*tally{}
	for i, r := range set {
		k := r.Kind
		if !r.Live {
			k = "attack " + k
		}
		if verdicts[k] == nil {
			verdicts[k] = &tally{}
		}
		v := verdicts[k]
		v.n++
		switch {
		case held[i] >= 0.5:
			v.pass++
		case held[i] >= 0.3:
			v.review++
		}
	}
	for _, k := range []string{"cooperative", "window", "attack window"} {
		v := verdicts[k]
		require.NotNil(t, v, k)
		t.Logf("%s sessions: %d, held-out score ≥ 0.5 %d, 0.3–0.5 %d, < 0.3 %d", k, v.n, v.pass, v.review, v.n-v.pass-v.review)
	}
	// The figures of docs/evaluation.md.
	assert.Zero(t, verdicts["attack window"].pass, "attack sessions scored ≥ 0.5 held out")
	assert.Zero(t, verdicts["attack window"].review, "attack sessions scored in [0.3, 0.5) held out")
	// Every cooperative session scores ≥ 0.5 held out (B05, the backlit
	// webcam user, lowest at 0.903).
	assert.Equal(t, verdicts["cooperative"].n, verdicts["cooperative"].pass, "cooperative sessions scored < 0.5 held out")
	assert.Equal(t, verdicts["window"].n, verdicts["window"].pass, "bona fide windows scored < 0.5 held out")

	// Per source, with the sessions failed on spoof (their score is capped).
	t.Log("source | bona fide | sessions in the fit | failed on spoof (max score) | mean held-out score | min | max")
	var srcs []string
	for _, r := range recs {
		if !slices.Contains(srcs, r.Source) {
			srcs = append(srcs, r.Source)
		}
	}
	for _, src := range srcs {
		var ps []float64
		failed, maxFailed, live := 0, 0.0, false
		for i, r := range set {
			if r.Source == src {
				ps = append(ps, held[i])
			}
		}
		for _, r := range recs {
			if r.Source != src {
				continue
			}
			live = r.Live
			if r.Failed {
				failed++
				maxFailed = max(maxFailed, r.Score)
				assert.LessOrEqual(t, r.Score, spoof.FailedScoreMax, "%s: a session failed on spoof scores %.3f", src, r.Score)
			}
		}
		if len(ps) == 0 {
			t.Logf("| %s | %v | 0 | %d (%.3f) | – | – | – |", src, live, failed, maxFailed)
			continue
		}
		mean := 0.0
		for _, p := range ps {
			mean += p
		}
		t.Logf("| %s | %v | %d | %d (%.3f) | %.3f | %.3f | %.3f |", src, live, len(ps), failed, maxFailed, mean/float64(len(ps)), slices.Min(ps), slices.Max(ps))
		if src == "A07_p07_monitor_replay" {
			assert.LessOrEqual(t, slices.Max(ps), 0.1015, "the monitor replay's held-out scores")
		}
	}
}
