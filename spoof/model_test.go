package spoof

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultModel(t *testing.T) {
	m := DefaultModel()
	assert.Equal(t, 0.5, m.Threshold, "threshold")
	assert.Greater(t, m.Confident, 0.0, "confident")
	assert.Less(t, m.Confident, m.Threshold, "confident")
	assert.Contains(t, strings.ToLower(m.Data), "nuaa", "Data")
	// The recorded out-of-fold AUC of the pooled corpus (docs/evaluation.md).
	if assert.NotNil(t, m.CV, "recorded cross-validation") {
		assert.GreaterOrEqual(t, m.CV.AUC, 0.93, "recorded cross-validation %+v", m.CV)
	}
	assert.Len(t, m.Color.Features, len(defaultFeatures(true)), "colour model features")
	// Each call is a fresh copy.
	m.Threshold = 0.9
	assert.Equal(t, 0.5, DefaultModel().Threshold, "DefaultModel shares state between calls")
	// Round trip.
	var buf bytes.Buffer
	require.NoError(t, DefaultModel().WriteJSON(&buf))
	m2, err := LoadModel(&buf)
	require.NoError(t, err)
	sg := Signals{LaplacianVar: 300, Contrast: 0.5, Range: 0.9, HighFreq: 0.004, MidFreq: 0.08, Moire: 2, Color: true, ChromaSpread: 9, Chroma: 12}
	sg.LBP[8], sg.LBP2[8] = 1, 1
	a, b := DefaultModel().Score(&sg), m2.Score(&sg)
	assert.Equal(t, a, b, "scores")
	assert.False(t, a < 0 || a > 1, "score %v", a)
}

func TestLoadModelErrors(t *testing.T) {
	good, err := os.ReadFile("model.json")
	require.NoError(t, err)
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name string
		json string
	}{
		{"not json", "{"},
		{"unknown field", edit(func(m map[string]any) { m["extra"] = 1 })},
		{"threshold out of range", edit(func(m map[string]any) { m["threshold"] = 1.5 })},
		{"confident above threshold", edit(func(m map[string]any) { m["confident"] = 0.7 })},
		{"unknown feature", edit(func(m map[string]any) {
			m["gray"].(map[string]any)["features"].([]any)[0] = "nope"
		})},
		{"length mismatch", edit(func(m map[string]any) {
			c := m["color"].(map[string]any)
			c["weights"] = c["weights"].([]any)[1:]
		})},
		{"zero scale", edit(func(m map[string]any) {
			m["color"].(map[string]any)["scale"].([]any)[0] = 0
		})},
		{"colour feature in grey model", edit(func(m map[string]any) {
			m["gray"].(map[string]any)["features"].([]any)[0] = "chroma"
		})},
		{"no zclamp", edit(func(m map[string]any) { m["gray"].(map[string]any)["zclamp"] = 0 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadModel(strings.NewReader(tc.json))
			assert.ErrorIs(t, err, ErrModel)
		})
	}
}

func FuzzLoadModel(f *testing.F) {
	good, err := os.ReadFile("model.json")
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"threshold":0.5,"confident":0.1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := LoadModel(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, ErrModel)
			return
		}
		for _, sg := range []Signals{{}, {Color: true, LaplacianVar: 1e9, Moire: -5}} {
			s := m.Score(&sg)
			require.True(t, s >= 0 && s <= 1, "score %v", s)
		}
	})
}

// synthetic makes separable samples: live faces with more fine texture.
func synthetic(rng *rand.Rand, groups, perGroup int) []Sample {
	var out []Sample
	for g := 0; g < groups; g++ {
		for i := 0; i < perGroup; i++ {
			for _, live := range []bool{true, false} {
				var sg Signals
				shift := 0.0
				if live {
					shift = 1
				}
				sg.LaplacianVar = math.Exp(4 + shift + rng.NormFloat64()*0.4)
				sg.Contrast = 0.35 + 0.15*shift + rng.NormFloat64()*0.05
				sg.Range = 0.7 + 0.1*shift + rng.NormFloat64()*0.05
				sg.HighFreq = math.Exp(-6 + shift + rng.NormFloat64()*0.5)
				sg.MidFreq = 0.1
				sg.Moire = 2 + rng.NormFloat64()*0.1
				sg.Color = true
				sg.ChromaSpread = 8 + shift + rng.NormFloat64()
				sg.Chroma = 12 + rng.NormFloat64()
				for k := range sg.LBP {
					sg.LBP[k], sg.LBP2[k], sg.LBPCb[k], sg.LBPCr[k] = 0.1, 0.1, 0.1, 0.1
				}
				out = append(out, Sample{Signals: sg, Live: live, Group: string(rune('A' + g))})
			}
		}
	}
	return out
}

func TestFitAndCrossValidate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	samples := synthetic(rng, 4, 40)
	m, err := Fit(samples, &FitOptions{Data: "synthetic"})
	require.NoError(t, err)
	require.Equal(t, "synthetic", m.Data, "model %+v", m)
	require.Equal(t, 0.5, m.Threshold, "model %+v", m)
	require.NotNil(t, m.CV, "model %+v", m)
	assert.GreaterOrEqual(t, m.CV.AUC, 0.97, "out-of-fold AUC on separable data")
	// The operating point is placed at the requested out-of-fold BPCER.
	assert.LessOrEqual(t, m.CV.BPCER, 0.03, "out-of-fold BPCER, target 0.01")
	// Weights point the right way: more texture, more live.
	for i, name := range m.Color.Features {
		if name == "log_laplacian_var" {
			assert.Greater(t, m.Color.Weights[i], 0.0, "weight of %s", name)
		}
	}
	res, err := CrossValidate(samples, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Folds, "folds")
	assert.Equal(t, 160, res.Metrics.Live, "cross-validation %+v", res.Metrics)
	assert.Equal(t, 160, res.Metrics.Attack, "cross-validation %+v", res.Metrics)
	assert.GreaterOrEqual(t, res.Metrics.AUC, 0.97, "cross-validation %+v", res.Metrics)
	// Grey frames are scored by the grey model.
	sg := samples[0].Signals
	sg.Color = false
	sg.ChromaSpread, sg.Chroma = 0, 0
	s := m.Score(&sg)
	assert.False(t, s < 0 || s > 1, "grey score %v", s)
}

func TestFitErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	one := synthetic(rng, 1, 20)
	_, err := CrossValidate(one, nil)
	assert.ErrorIs(t, err, ErrFit, "one group")
	var liveOnly []Sample
	for _, s := range one {
		if s.Live {
			liveOnly = append(liveOnly, s)
		}
	}
	_, err = Fit(liveOnly, nil)
	assert.ErrorIs(t, err, ErrFit, "one class")
	// Derived samples are fitted on but not reported.
	two := synthetic(rng, 3, 10)
	for i := range two[:20] {
		two[i].Derived = true
	}
	res, err := CrossValidate(two, nil)
	require.NoError(t, err)
	assert.Equal(t, len(two)-20, res.Metrics.Live+res.Metrics.Attack, "reported samples")
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name              string
		live, attack      []float64
		thr               float64
		auc, apcer, bpcer float64
	}{
		{"hand", []float64{0.9, 0.8, 0.3}, []float64{0.1, 0.4, 0.85}, 0.5, 6.0 / 9, 1.0 / 3, 1.0 / 3},
		{"perfect", []float64{0.7, 0.9}, []float64{0.1, 0.2}, 0.5, 1, 0, 0},
		{"ties count half", []float64{0.5}, []float64{0.5}, 0.5, 0.5, 1, 0},
		{"inverted", []float64{0.1}, []float64{0.9}, 0.5, 0, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Evaluate(tc.live, tc.attack, tc.thr)
			assert.False(t, math.Abs(m.AUC-tc.auc) > 1e-12, "AUC %v", m.AUC)
			assert.False(t, math.Abs(m.APCER-tc.apcer) > 1e-12, "APCER %v", m.APCER)
			assert.False(t, math.Abs(m.BPCER-tc.bpcer) > 1e-12, "BPCER %v", m.BPCER)
		})
	}
	m := Evaluate(nil, []float64{1}, 0.5)
	assert.True(t, math.IsNaN(m.AUC), "AUC without live samples = %v", m.AUC)
}

func TestJudge(t *testing.T) {
	m := DefaultModel()
	// Scores across the range: the verdict follows the two thresholds.
	rng := rand.New(rand.NewPCG(2, 3))
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		var r Result
		r.Signals = Signals{
			LaplacianVar: math.Exp(rng.Float64() * 7), Contrast: rng.Float64(), Range: rng.Float64(),
			HighFreq: math.Exp(-8 + 6*rng.Float64()), MidFreq: rng.Float64() * 0.4, Moire: 1 + 2*rng.Float64(),
			Color: rng.IntN(2) == 0, ChromaSpread: 15 * rng.Float64(), Chroma: 20 * rng.Float64(),
		}
		for k := range r.Signals.LBP {
			r.Signals.LBP[k], r.Signals.LBP2[k] = rng.Float64()/5, rng.Float64()/5
		}
		m.judge(&r)
		require.Equal(t, r.Score < m.Threshold, r.Attack, "score %v: attack", r.Score)
		require.Equal(t, r.Score < m.Confident, r.Confident, "score %v: confident", r.Score)
		want := ""
		switch {
		case r.Confident:
			want = ReasonAttack
		case r.Attack:
			want = ReasonLowConfidence
		}
		require.Equal(t, want, r.Reason, "score %v: reason", r.Score)
		require.Equal(t, want != "", r.Cause != "", "score %v: cause %q", r.Score, r.Cause)
		seen[r.Reason] = true
	}
	assert.Len(t, seen, 3, "random signals reached only the verdicts %v", seen)
	// The border rule lowers the score.
	var r Result
	r.Signals = Signals{LaplacianVar: 30, Contrast: 0.3, Range: 0.6, HighFreq: 0.002, MidFreq: 0.1, Moire: 2}
	r.Signals.LBP[8], r.Signals.LBP2[8] = 0.5, 0.5
	m.judge(&r)
	r2 := r
	r2.Signals.Border, r2.Signals.Context = 1, 1
	m.judge(&r2)
	assert.Less(t, r2.Score, r.Score, "border")
	assert.Equal(t, 30.0, r.LaplacianVar, "LaplacianVar")
}
