package spoof

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestDefaultModel(t *testing.T) {
	m := DefaultModel()
	if m.Threshold != 0.5 || m.Confident <= 0 || m.Confident >= m.Threshold {
		t.Errorf("thresholds %v, %v", m.Threshold, m.Confident)
	}
	if !strings.Contains(strings.ToLower(m.Data), "nuaa") {
		t.Errorf("Data = %q", m.Data)
	}
	// The recorded out-of-fold AUC of the pooled corpus (docs/evaluation.md).
	if m.CV == nil || m.CV.AUC < 0.93 {
		t.Errorf("recorded cross-validation %+v", m.CV)
	}
	if n := len(defaultFeatures(true)); len(m.Color.Features) != n {
		t.Errorf("colour model uses %d of %d features", len(m.Color.Features), n)
	}
	// Each call is a fresh copy.
	m.Threshold = 0.9
	if DefaultModel().Threshold != 0.5 {
		t.Error("DefaultModel shares state between calls")
	}
	// Round trip.
	var buf bytes.Buffer
	if err := DefaultModel().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := LoadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sg := Signals{LaplacianVar: 300, Contrast: 0.5, Range: 0.9, HighFreq: 0.004, MidFreq: 0.08, Moire: 2, Color: true, ChromaSpread: 9, Chroma: 12}
	sg.LBP[8], sg.LBP2[8] = 1, 1
	if a, b := DefaultModel().Score(&sg), m2.Score(&sg); a != b || a < 0 || a > 1 {
		t.Errorf("scores %v and %v", a, b)
	}
}

func TestLoadModelErrors(t *testing.T) {
	good, err := os.ReadFile("model.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
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
			if _, err := LoadModel(strings.NewReader(tc.json)); !errors.Is(err, ErrModel) {
				t.Errorf("err = %v, want ErrModel", err)
			}
		})
	}
}

func FuzzLoadModel(f *testing.F) {
	good, err := os.ReadFile("model.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"threshold":0.5,"confident":0.1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := LoadModel(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrModel) {
				t.Fatalf("error %v does not wrap ErrModel", err)
			}
			return
		}
		for _, sg := range []Signals{{}, {Color: true, LaplacianVar: 1e9, Moire: -5}} {
			if s := m.Score(&sg); !(s >= 0 && s <= 1) {
				t.Fatalf("score %v", s)
			}
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
	if err != nil {
		t.Fatal(err)
	}
	if m.Data != "synthetic" || m.Threshold != 0.5 || m.CV == nil {
		t.Fatalf("model %+v", m)
	}
	if m.CV.AUC < 0.97 {
		t.Errorf("out-of-fold AUC %.3f on separable data", m.CV.AUC)
	}
	// The operating point is placed at the requested out-of-fold BPCER.
	if m.CV.BPCER > 0.03 {
		t.Errorf("out-of-fold BPCER %.3f, target 0.01", m.CV.BPCER)
	}
	// Weights point the right way: more texture, more live.
	for i, name := range m.Color.Features {
		if name == "log_laplacian_var" && m.Color.Weights[i] <= 0 {
			t.Errorf("weight of %s = %v", name, m.Color.Weights[i])
		}
	}
	res, err := CrossValidate(samples, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Folds != 4 || res.Metrics.Live != 160 || res.Metrics.Attack != 160 || res.Metrics.AUC < 0.97 {
		t.Errorf("cross-validation %+v", res.Metrics)
	}
	// Grey frames are scored by the grey model.
	sg := samples[0].Signals
	sg.Color = false
	sg.ChromaSpread, sg.Chroma = 0, 0
	if s := m.Score(&sg); s < 0 || s > 1 {
		t.Errorf("grey score %v", s)
	}
}

func TestFitErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	one := synthetic(rng, 1, 20)
	if _, err := CrossValidate(one, nil); !errors.Is(err, ErrFit) {
		t.Errorf("one group: %v", err)
	}
	var liveOnly []Sample
	for _, s := range one {
		if s.Live {
			liveOnly = append(liveOnly, s)
		}
	}
	if _, err := Fit(liveOnly, nil); !errors.Is(err, ErrFit) {
		t.Errorf("one class: %v", err)
	}
	// Derived samples are fitted on but not reported.
	two := synthetic(rng, 3, 10)
	for i := range two[:20] {
		two[i].Derived = true
	}
	res, err := CrossValidate(two, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics.Live+res.Metrics.Attack != len(two)-20 {
		t.Errorf("reported %d samples, want %d", res.Metrics.Live+res.Metrics.Attack, len(two)-20)
	}
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
			if math.Abs(m.AUC-tc.auc) > 1e-12 || math.Abs(m.APCER-tc.apcer) > 1e-12 || math.Abs(m.BPCER-tc.bpcer) > 1e-12 {
				t.Errorf("got AUC %v APCER %v BPCER %v", m.AUC, m.APCER, m.BPCER)
			}
		})
	}
	if m := Evaluate(nil, []float64{1}, 0.5); !math.IsNaN(m.AUC) {
		t.Errorf("AUC without live samples = %v", m.AUC)
	}
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
		if r.Attack != (r.Score < m.Threshold) || r.Confident != (r.Score < m.Confident) {
			t.Fatalf("score %v: attack %v, confident %v", r.Score, r.Attack, r.Confident)
		}
		want := ""
		switch {
		case r.Confident:
			want = ReasonAttack
		case r.Attack:
			want = ReasonLowConfidence
		}
		if r.Reason != want || (want != "") != (r.Cause != "") {
			t.Fatalf("score %v: reason %q cause %q", r.Score, r.Reason, r.Cause)
		}
		seen[r.Reason] = true
	}
	if len(seen) != 3 {
		t.Errorf("random signals reached only the verdicts %v", seen)
	}
	// The border rule lowers the score.
	var r Result
	r.Signals = Signals{LaplacianVar: 30, Contrast: 0.3, Range: 0.6, HighFreq: 0.002, MidFreq: 0.1, Moire: 2}
	r.Signals.LBP[8], r.Signals.LBP2[8] = 0.5, 0.5
	m.judge(&r)
	r2 := r
	r2.Signals.Border, r2.Signals.Context = 1, 1
	m.judge(&r2)
	if r2.Score >= r.Score {
		t.Errorf("border: %v → %v", r.Score, r2.Score)
	}
	if r.LaplacianVar != 30 {
		t.Errorf("LaplacianVar = %v", r.LaplacianVar)
	}
}
