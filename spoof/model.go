package spoof

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrModel reports a model file that cannot be used.
var ErrModel = errors.New("spoof: bad model")

//go:embed model.json
var defaultModelJSON []byte

// Model turns Signals into a liveness score: logistic models over
// standardised features, for colour frames (Color, and optionally a
// Print head: the two halves of one multinomial model when Joint is set)
// and for grey frames (Gray), and a hand-set rule for the border signal,
// which face-crop training data cannot teach.
//
// The logistic models are calibrated so that the operating point is
// Score = Threshold; a Model is immutable once built and safe for
// concurrent use.
type Model struct {
	// Data says what the model was fit on.
	Data string `json:"data"`
	// Threshold is the operating point of colour frames: a frame whose
	// Score is below it is classified as an attack presentation.
	// GrayThreshold is that of grey frames (Threshold when zero).
	Threshold     float64 `json:"threshold"`
	GrayThreshold float64 `json:"gray_threshold,omitempty"`
	// Confident is the score below which a frame is a confident attack:
	// 2 log-odds below the operating point, or the lowest out-of-fold
	// bona fide score if that is lower. It fails a session alone only
	// with SessionThresholds.ConfidentFrames set.
	Confident float64 `json:"confident"`
	// Color scores frames with colour, Gray frames without.
	Color Logistic `json:"color"`
	Gray  Logistic `json:"gray"`
	// Print, when present, is a second head for colour frames: Color
	// gives the log-odds of bona fide against screen replays, Print those
	// against printed faces. With Joint positive (models made by Fit) the
	// two are the halves of one multinomial logistic regression and a
	// colour frame's log-odds are Joint·(−log(e^−c + e^−p)), bona fide
	// against either attack, for head log-odds c and p; with Joint zero
	// they are the lower of the two.
	Print *Logistic `json:"print,omitempty"`
	// Joint scales the combined log-odds of Color and Print (see Print).
	Joint float64 `json:"joint,omitempty"`
	// Border lowers the score of a frame with a paper or phone frame
	// around the face.
	Border BorderRule `json:"border"`
	// CV records the cross-validation of the fit, for reference.
	CV *Metrics `json:"cv,omitempty"`
}

// Logistic is a logistic regression over named features (immutable once
// part of a loaded Model):
// P(live) = 1 / (1 + exp(−(Bias + Σ Weights[i]·z[i]))) where
// z[i] = (feature[i] − Mean[i]) / Scale[i], clamped to ±ZClamp so that a
// frame far outside the training data cannot dominate the score. A
// feature the frame does not have (the mesh features of a check without
// CheckOptions.Mesh) counts as its mean: z[i] = 0.
type Logistic struct {
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Scale    []float64 `json:"scale"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
	ZClamp   float64   `json:"zclamp"`

	idx []int // feature indices into the full feature vector
}

// BorderRule subtracts Penalty from the log-odds of a frame whose
// Signals.Border is at least Min while at least MinContext of the
// context view is inside the frame.
type BorderRule struct {
	Min        float64 `json:"min"`
	MinContext float64 `json:"min_context"`
	Penalty    float64 `json:"penalty"`
}

// DefaultModel returns the shipped model (see the package documentation
// for the data it was fit on). Each call returns a new copy.
func DefaultModel() *Model {
	m, err := LoadModel(bytes.NewReader(defaultModelJSON))
	if err != nil {
		panic("spoof: embedded model: " + err.Error())
	}
	return m
}

// LoadModel reads a model written by (*Model).WriteJSON or by the
// spooffit command.
func LoadModel(r io.Reader) (*Model, error) {
	var m Model
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return &m, nil
}

// WriteJSON writes m as indented JSON.
func (m *Model) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

func (m *Model) prepare() error {
	if !(m.Threshold > 0 && m.Threshold < 1) || !(m.Confident >= 0 && m.Confident <= m.Threshold) ||
		!(m.GrayThreshold >= 0 && m.GrayThreshold < 1) || m.Confident > m.threshold(false) {
		return fmt.Errorf("%w: thresholds %v, %v, %v", ErrModel, m.Threshold, m.GrayThreshold, m.Confident)
	}
	if b := m.Border; !finite(b.Min) || !finite(b.MinContext) || !(b.Penalty >= 0) || !finite(b.Penalty) {
		return fmt.Errorf("%w: border rule %+v", ErrModel, b)
	}
	if err := m.Color.prepare(); err != nil {
		return fmt.Errorf("color: %w", err)
	}
	if err := m.Gray.prepare(); err != nil {
		return fmt.Errorf("gray: %w", err)
	}
	if !(m.Joint >= 0) || !finite(m.Joint) || (m.Joint > 0 && m.Print == nil) {
		return fmt.Errorf("%w: joint %v", ErrModel, m.Joint)
	}
	if m.Print != nil {
		if err := m.Print.prepare(); err != nil {
			return fmt.Errorf("print: %w", err)
		}
	}
	for _, name := range m.Gray.Features {
		if colorFeature[featureIndex(name)] {
			return fmt.Errorf("%w: gray model uses colour feature %q", ErrModel, name)
		}
	}
	return nil
}

func (l *Logistic) prepare() error {
	n := len(l.Features)
	if n == 0 || len(l.Mean) != n || len(l.Scale) != n || len(l.Weights) != n {
		return fmt.Errorf("%w: %d features, %d means, %d scales, %d weights",
			ErrModel, n, len(l.Mean), len(l.Scale), len(l.Weights))
	}
	l.idx = make([]int, n)
	for i, name := range l.Features {
		j := featureIndex(name)
		if j < 0 {
			return fmt.Errorf("%w: unknown feature %q", ErrModel, name)
		}
		if !(l.Scale[i] > 0) || !finite(l.Scale[i]) || !finite(l.Mean[i]) || !finite(l.Weights[i]) {
			return fmt.Errorf("%w: feature %q has scale %v", ErrModel, name, l.Scale[i])
		}
		l.idx[i] = j
	}
	if !finite(l.Bias) || !(l.ZClamp > 0) || !finite(l.ZClamp) {
		return fmt.Errorf("%w: bias %v, zclamp %v", ErrModel, l.Bias, l.ZClamp)
	}
	return nil
}

// logit returns the log-odds of live for the feature vector f, and the
// contribution of each feature group to it.
func (l *Logistic) logit(f *featureVec, groups *[numGroups]float64) float64 {
	s := l.Bias
	for i, j := range l.idx {
		z := (f[j] - l.Mean[i]) / l.Scale[i]
		z = math.Max(-l.ZClamp, math.Min(l.ZClamp, z))
		if math.IsNaN(z) {
			continue // a missing feature counts as its mean
		}
		c := l.Weights[i] * z
		s += c
		if groups != nil {
			groups[featureGroup[j]] += c
		}
	}
	return s
}

// Score returns the liveness score of sg under m, 0 (attack) to 1 (live).
func (m *Model) Score(sg *Signals) float64 {
	s, _ := m.score(sg)
	return s
}

// score returns the score and the group that lowers it most.
func (m *Model) score(sg *Signals) (float64, group) {
	var f featureVec
	features(sg, &f)
	var g [numGroups]float64
	l := &m.Gray
	if sg.Color {
		l = &m.Color
	}
	z := l.logit(&f, &g)
	if sg.Color && m.Print != nil {
		var gp [numGroups]float64
		zp := m.Print.logit(&f, &gp)
		if m.Joint > 0 {
			// The head with the lower log-odds names the cause.
			if zp < z {
				g = gp
			}
			for i := range g {
				g[i] *= m.Joint
			}
			z = m.Joint * softmin(z, zp)
		} else if zp < z {
			z, g = zp, gp
		}
	}
	if sg.Context >= m.Border.MinContext && sg.Border >= m.Border.Min && m.Border.Penalty > 0 {
		z -= m.Border.Penalty
		g[groupBorder] -= m.Border.Penalty
	}
	worst := group(0)
	for i := range g {
		if g[i] < g[worst] {
			worst = group(i)
		}
	}
	return sigmoid(z), worst
}

// threshold is the operating point of colour or grey frames.
func (m *Model) threshold(color bool) float64 {
	if !color && m.GrayThreshold > 0 {
		return m.GrayThreshold
	}
	return m.Threshold
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
