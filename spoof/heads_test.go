package spoof

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headSamples are colour samples of 6 groups: live faces, screen replays
// that differ from them in their colour cast, and prints that differ in
// their saturation texture.
func headSamples() []Sample {
	rng := rand.New(rand.NewPCG(3, 4))
	var ss []Sample
	for g := range 6 {
		for i := range 60 {
			sg := Signals{Color: true, LaplacianVar: 50 + 10*rng.Float64(), ChromaSpread: 5 + rng.Float64(),
				CbMean: rng.NormFloat64(), SatMean: 0.3 + 0.02*rng.NormFloat64()}
			sg.LBPSat[4] = 0.5 + 0.05*rng.NormFloat64()
			s := Sample{Group: fmt.Sprint("g", g), Live: i%3 == 0}
			switch i % 3 {
			case 1: // screen
				sg.CbMean += 5
			case 2: // print
				s.Print = true
				sg.LBPSat[4] += 0.3
			}
			s.Signals = sg
			ss = append(ss, s)
		}
	}
	return ss
}

func TestFitPrintHead(t *testing.T) {
	ss := headSamples()
	m, err := Fit(ss, &FitOptions{Folds: 3})
	require.NoError(t, err)
	require.NotNil(t, m.Print, "prints and screens give colour frames two heads")
	assert.Positive(t, m.Joint, "fitted jointly")
	assert.Equal(t, m.Color.Features, m.Print.Features)
	assert.Equal(t, m.Color.Mean, m.Print.Mean, "one standardisation")
	var live, screen, print []float64
	for _, s := range ss {
		sc := m.Score(&s.Signals)
		switch {
		case s.Live:
			live = append(live, sc)
		case s.Print:
			print = append(print, sc)
		default:
			screen = append(screen, sc)
		}
	}
	// Each kind is separated by its own head; their soft minimum decides.
	assert.Greater(t, Evaluate(live, screen, 0.5).AUC, 0.99)
	assert.Greater(t, Evaluate(live, print, 0.5).AUC, 0.99)
	assert.InDelta(t, 0.01, Evaluate(live, screen, 0.5).BPCER, 0.02)

	// Round trip through JSON keeps the head.
	var buf bytes.Buffer
	require.NoError(t, m.WriteJSON(&buf))
	m2, err := LoadModel(&buf)
	require.NoError(t, err)
	require.NotNil(t, m2.Print)
	assert.Equal(t, m.Score(&ss[2].Signals), m2.Score(&ss[2].Signals))

	// Without prints there is one colour head.
	var screens []Sample
	for _, s := range ss {
		if !s.Print {
			screens = append(screens, s)
		}
	}
	m3, err := Fit(screens, &FitOptions{Folds: 3})
	require.NoError(t, err)
	assert.Nil(t, m3.Print)
}

func TestLoadModelBadPrintHead(t *testing.T) {
	var buf bytes.Buffer
	m, err := Fit(headSamples(), &FitOptions{Folds: 3})
	require.NoError(t, err)
	require.NoError(t, m.WriteJSON(&buf))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	raw["print"].(map[string]any)["features"].([]any)[0] = "nope"
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	_, err = LoadModel(bytes.NewReader(b))
	require.ErrorIs(t, err, ErrModel)
}

func TestSoftmin(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{
		{0, 0, -math.Ln2},
		{3, -2, -2 - math.Log1p(math.Exp(-5))},
		{-2, 3, -2 - math.Log1p(math.Exp(-5))},
		{math.Inf(1), 1.5, 1.5},
		{1.5, math.Inf(1), 1.5},
		{800, 700, 700},
	} {
		assert.InDelta(t, c.want, softmin(c.a, c.b), 1e-12, "%v %v", c.a, c.b)
	}
}

// The joint fit is the minimum of its penalised loss: the gradient of the
// multinomial log-likelihood equals the ridge term, class by class.
func TestFitSoftmaxStationary(t *testing.T) {
	ss := headSamples()
	o := (&FitOptions{}).withDefaults()
	names := defaultFeatures(true)
	screen, print, err := fitSoftmax(ss, names, o)
	require.NoError(t, err)
	_, x, err := design(ss, names, o)
	require.NoError(t, err)
	var count [3]float64
	for i := range ss {
		count[sampleClass(&ss[i])]++
	}
	// With class weight vectors u_k (bona fide, screen, print), the heads
	// are u_live − u_screen and u_live − u_print, and at the optimum the
	// log-likelihood gradient of each class equals L2·u_k.
	p := len(names)
	gs, gp := make([]float64, p+1), make([]float64, p+1)
	for i, xi := range x {
		var f featureVec
		features(&ss[i].Signals, &f)
		es, ep := math.Exp(-screen.logit(&f, nil)), math.Exp(-print.logit(&f, nil))
		ps, pp := es/(1+es+ep), ep/(1+es+ep)
		k := sampleClass(&ss[i])
		w := float64(len(ss)) / (3 * count[k])
		ys, yp := 0.0, 0.0
		if k == 1 {
			ys = 1
		}
		if k == 2 {
			yp = 1
		}
		for a, v := range xi {
			gs[a] += w * (ys - ps) * v
			gp[a] += w * (yp - pp) * v
		}
	}
	// Hence ∇_screen − ∇_print = L2·(u_screen − u_print), the print head's
	// weights minus the screen head's.
	for a := range p {
		want := o.L2 * (print.Weights[a] - screen.Weights[a])
		assert.InDelta(t, want, gs[a]-gp[a], 1e-6, "feature %s", names[a])
	}
	// The intercepts are unpenalised: their gradients vanish.
	assert.InDelta(t, 0, gs[p], 1e-6)
	assert.InDelta(t, 0, gp[p], 1e-6)
}

// A model file without Joint (written before the joint fit) combines its
// heads by their minimum; with Joint, by the scaled soft minimum.
func TestModelCombinesHeads(t *testing.T) {
	ss := headSamples()
	m, err := Fit(ss, &FitOptions{Folds: 3})
	require.NoError(t, err)
	require.NotNil(t, m.Print)
	legacy := *m
	legacy.Joint = 0
	for _, s := range ss[:30] {
		var f featureVec
		features(&s.Signals, &f)
		c, p := m.Color.logit(&f, nil), m.Print.logit(&f, nil)
		assert.InDelta(t, sigmoid(m.Joint*softmin(c, p)), m.Score(&s.Signals), 1e-12)
		assert.InDelta(t, sigmoid(math.Min(c, p)), legacy.Score(&s.Signals), 1e-12)
	}
}

func TestLoadModelBadJoint(t *testing.T) {
	m, err := Fit(headSamples(), &FitOptions{Folds: 3})
	require.NoError(t, err)
	for name, edit := range map[string]func(map[string]any){
		"negative":      func(raw map[string]any) { raw["joint"] = -1.0 },
		"without print": func(raw map[string]any) { delete(raw, "print") },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, m.WriteJSON(&buf))
			var raw map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
			edit(raw)
			b, err := json.Marshal(raw)
			require.NoError(t, err)
			_, err = LoadModel(bytes.NewReader(b))
			require.ErrorIs(t, err, ErrModel)
		})
	}
}
