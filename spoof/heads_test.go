package spoof

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	assert.NotContains(t, m.Print.Features, "cb_mean", "the print head sees no colour cast")
	assert.Contains(t, m.Color.Features, "cb_mean")
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
	// Each kind is separated by its own head; the lower log-odds decide.
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
