package spoof

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrFit reports training data that cannot produce a model.
var ErrFit = errors.New("spoof: cannot fit")

// Sample is one labelled face for Fit.
type Sample struct {
	Signals Signals
	Live    bool
	// Group identifies the subject (or session) the sample comes from;
	// cross-validation never puts one group on both sides.
	Group string
	// Print marks an attack sample that is a printed face. When the
	// colour attacks include prints and other attacks, Fit fits colour
	// frames with one multinomial model of three classes (bona fide,
	// screen, print), kept as two heads (Model.Color, Model.Print, with
	// Model.Joint).
	Print bool
	// Derived marks a synthetic copy of another sample (a degraded
	// version made for training): it is fitted on but never reported in
	// cross-validation metrics.
	Derived bool
}

// FitOptions are the knobs of Fit; the zero value uses the defaults.
type FitOptions struct {
	// L2 is the ridge penalty on the standardised weights (default 1).
	L2 float64
	// TargetBPCER sets the operating point: the fraction of bona fide
	// samples (not Derived), scored out of fold, that fall below it
	// (default 0.01).
	TargetBPCER float64
	// ConfidentMargin is the smallest distance, in log-odds, between the
	// operating point and the confident-attack threshold (default 2).
	ConfidentMargin float64
	// ZClamp bounds each standardised feature (default 4).
	ZClamp float64
	// Data describes the training data; it is stored in the model.
	Data string
	// Folds, when at least 2, makes the out-of-fold scoring of Fit use
	// that many folds of whole groups (groups dealt to folds in sorted
	// order) instead of one fold per group: faster with many groups.
	Folds int
}

func (o *FitOptions) withDefaults() FitOptions {
	var r FitOptions
	if o != nil {
		r = *o
	}
	if r.L2 <= 0 {
		r.L2 = 1
	}
	if r.TargetBPCER <= 0 {
		r.TargetBPCER = 0.01
	}
	if r.ConfidentMargin <= 0 {
		r.ConfidentMargin = 2
	}
	if r.ZClamp <= 0 {
		r.ZClamp = 4
	}
	return r
}

// Default feature sets: every fitted feature for colour frames, the grey
// ones for grey frames. Contrast and range are measured but not fitted:
// left out, the held-out crop AUC rose from 0.941 to 0.947 (docs/spoof.md).
func defaultFeatures(color bool) []string {
	var names []string
	for i, n := range featureNames {
		if i == fContrast || i == fRange {
			continue
		}
		if color || !colorFeature[i] {
			names = append(names, n)
		}
	}
	return names
}

// Fit fits a Model to labelled samples. With samples from at least three
// groups it scores every sample with a model fit without its group
// (leave-one-group-out) and places the operating point on those
// out-of-fold scores, so the threshold is not tuned on the data it is
// judged on; otherwise it uses the in-sample scores. The border rule is
// copied from the default model. Model.CV holds the out-of-fold metrics.
func Fit(samples []Sample, opts *FitOptions) (*Model, error) {
	o := opts.withDefaults()
	var nLive, nAtt int
	groups := map[string]bool{}
	for _, s := range samples {
		if s.Live {
			nLive++
		} else {
			nAtt++
		}
		groups[s.Group] = true
	}
	if nLive < 2 || nAtt < 2 {
		return nil, fmt.Errorf("%w: %d live and %d attack samples", ErrFit, nLive, nAtt)
	}
	m := &Model{Data: o.Data, Border: defaultBorderRule()}
	color := slices.DeleteFunc(slices.Clone(samples), func(s Sample) bool { return !s.Signals.Color })
	var cv *Metrics
	oof := len(groups) >= 3
	// Grey frames: one head over every sample.
	if err := m.fitPart(samples, defaultFeatures(false), false, oof, o, &cv); err != nil {
		return nil, err
	}
	// Colour frames: one head, or the joint three-class model when the
	// colour attacks include both kinds.
	if len(color) == 0 {
		m.Color = m.Gray
		m.Color.idx = nil
	} else if err := m.fitPart(color, defaultFeatures(true), hasBothKinds(color), oof, o, &cv); err != nil {
		return nil, err
	}
	m.Threshold = 0.5
	m.CV = cv
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return m, nil
}

// hasBothKinds reports whether the attack samples include prints and
// other attacks.
func hasBothKinds(ss []Sample) bool {
	var p, o bool
	for _, s := range ss {
		if !s.Live {
			p = p || s.Print
			o = o || !s.Print
		}
	}
	return p && o
}

// fitPart fits the grey model (color false) or the colour heads of m on
// ss, calibrated on out-of-fold logits when oof is set. With twoHeads
// (colour attacks of both kinds) the colour heads are fitted jointly
// (fitJoint).
func (m *Model) fitPart(ss []Sample, names []string, twoHeads, oof bool, o FitOptions, cv **Metrics) error {
	if twoHeads {
		return m.fitJoint(ss, names, oof, o, cv)
	}
	fit := func(train []Sample) (scorer, *Logistic, error) {
		l, err := fitLogistic(train, names, o)
		if err != nil {
			return nil, nil, err
		}
		return func(f *featureVec) float64 { return l.logit(f, nil) }, l, nil
	}
	l, z, err := fitCalibration(ss, oof, o, fit)
	if err != nil {
		return err
	}
	// Calibrate the head's scale: a logistic map of the logits to P(live)
	// with both classes weighted equally (Platt scaling), folded into the
	// weights.
	live, att := splitLogits(ss, z)
	a, b := platt(live, att)
	scaleLogistic(l, a, b)
	live, att = affine(live, a, b), affine(att, a, b)
	q := m.operatingPoint(live, att, colorFeatureIn(names), o, cv)
	l.Bias -= q
	if colorFeatureIn(names) {
		m.Color = *l
	} else {
		m.Gray = *l
	}
	return nil
}

// fitJoint fits the colour heads of m as one multinomial logistic
// regression of three classes, bona fide, screen replay and print, each
// class weighing a third: Color holds the log-odds of bona fide against
// screen, Print those of bona fide against print, and a frame's log-odds
// of bona fide against any attack are their soft minimum
// −log(e^−Color + e^−Print), scaled by Model.Joint. Fitted jointly, the
// print comparison learns from the screen replays and the screen
// comparison from the prints; two separate heads combined by their
// minimum did worse on the held-out crop and NUAA figures
// (docs/spoof.md). The scale and the operating point are set on
// out-of-fold logits when oof is set.
func (m *Model) fitJoint(ss []Sample, names []string, oof bool, o FitOptions, cv **Metrics) error {
	type heads struct{ screen, print *Logistic }
	fit := func(train []Sample) (scorer, heads, error) {
		screen, print, err := fitSoftmax(train, names, o)
		if err != nil {
			return nil, heads{}, err
		}
		return func(f *featureVec) float64 { return jointLogit(screen, print, f) }, heads{screen, print}, nil
	}
	h, z, err := fitCalibration(ss, oof, o, fit)
	if err != nil {
		return err
	}
	screen, print := h.screen, h.print
	live, att := splitLogits(ss, z)
	a, b := platt(live, att)
	live, att = affine(live, a, b), affine(att, a, b)
	q := m.operatingPoint(live, att, true, o, cv)
	// a·softmin(s + c/a, p + c/a) = a·softmin(s, p) + c.
	screen.Bias += (b - q) / a
	print.Bias += (b - q) / a
	m.Color, m.Print, m.Joint = *screen, print, a
	return nil
}

// splitLogits returns the logits z of the bona fide and the attack
// samples of ss, without Derived samples (unless all are) and +Inf.
func splitLogits(ss []Sample, z []float64) (live, att []float64) {
	all := allDerived(ss)
	for i := range ss {
		switch {
		case ss[i].Derived && !all, math.IsInf(z[i], 1):
		case ss[i].Live:
			live = append(live, z[i])
		default:
			att = append(att, z[i])
		}
	}
	return live, att
}

// operatingPoint returns the TargetBPCER quantile q of the calibrated
// bona fide logits, which the caller subtracts from its bias so that the
// operating point is logit 0 (Score 0.5): a score's log-odds are then the
// calibrated evidence for live above the operating point. It also sets
// m.Confident and, for colour models (or the first part fitted), the
// out-of-fold metrics.
func (m *Model) operatingPoint(live, att []float64, color bool, o FitOptions, cv **Metrics) float64 {
	live = slices.Clone(live)
	slices.Sort(live)
	q := quantile(live, o.TargetBPCER)
	live, att = affine(live, 1, -q), affine(att, 1, -q)
	margin := math.Max(o.ConfidentMargin, -live[0])
	if m.Confident == 0 || sigmoid(-margin) < m.Confident {
		m.Confident = sigmoid(-margin)
	}
	if color || *cv == nil {
		met := Evaluate(shift(live, 0), shift(att, 0), 0.5)
		*cv = &met
	}
	return q
}

// softmin is −log(e^−a + e^−b): the log-odds of bona fide against either
// attack class, given those against each.
func softmin(a, b float64) float64 {
	if math.IsInf(a, 1) {
		return b
	}
	if math.IsInf(b, 1) {
		return a
	}
	return math.Min(a, b) - math.Log1p(math.Exp(-math.Abs(a-b)))
}

// colorFeatureIn reports whether names include a colour feature.
func colorFeatureIn(names []string) bool {
	for _, n := range names {
		if j := featureIndex(n); j >= 0 && colorFeature[j] {
			return true
		}
	}
	return false
}

// scaleLogistic maps the logit z of l to a·z + b.
func scaleLogistic(l *Logistic, a, b float64) {
	for i := range l.Weights {
		l.Weights[i] *= a
	}
	l.Bias = a*l.Bias + b
}

func allDerived(ss []Sample) bool {
	for i := range ss {
		if !ss[i].Derived {
			return false
		}
	}
	return true
}

// shift returns the sigmoid of each logit plus d.
func shift(z []float64, d float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = sigmoid(v + d)
	}
	return out
}

// affine returns a·z + b for each z.
func affine(z []float64, a, b float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = a*v + b
	}
	return out
}

// platt fits P(live | z) = sigmoid(a·z + b) to live and attack logits by
// damped Newton steps, each class weighing half, with a weak ridge on
// a−1 and b so that separable data keep finite values.
func platt(live, attack []float64) (a, b float64) {
	wl, wa := 0.5/float64(max(1, len(live))), 0.5/float64(max(1, len(attack)))
	const ridge = 1e-3
	loss := func(a, b float64) float64 {
		l := ridge / 2 * ((a-1)*(a-1) + b*b)
		for _, z := range live {
			l += wl * softplus(-(a*z + b))
		}
		for _, z := range attack {
			l += wa * softplus(a*z+b)
		}
		return l
	}
	a, b = 1, 0
	cur := loss(a, b)
	for range 100 {
		ga, gb := -ridge*(a-1), -ridge*b
		haa, hab, hbb := ridge, 0.0, ridge
		for k, zs := range [][]float64{live, attack} {
			y, w := 1.0, wl
			if k == 1 {
				y, w = 0, wa
			}
			for _, z := range zs {
				mu := sigmoid(a*z + b)
				r := w * (y - mu)
				v := w * math.Max(mu*(1-mu), 1e-12)
				ga += r * z
				gb += r
				haa += v * z * z
				hab += v * z
				hbb += v
			}
		}
		det := haa*hbb - hab*hab
		if !(det > 0) {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		step := 1.0
		for ; step > 1e-6; step /= 2 {
			if l := loss(a+step*da, b+step*db); l <= cur {
				a, b, cur = a+step*da, b+step*db, l
				break
			}
		}
		if step <= 1e-6 || step*(math.Abs(da)+math.Abs(db)) < 1e-9 {
			break
		}
	}
	if !(a > 0) || !finite(a) || !finite(b) {
		return 1, 0
	}
	return a, b
}

// softplus is log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// quantile returns the q-quantile of sorted values (linear interpolation).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	p := q * float64(len(sorted)-1)
	i := int(p)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := p - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// fitLogistic fits an L2-regularised logistic regression by Newton's
// method, with the two classes weighted equally.
func fitLogistic(samples []Sample, names []string, o FitOptions) (*Logistic, error) {
	n := len(samples)
	y := make([]float64, n)
	sw := make([]float64, n)
	var nLive float64
	for _, s := range samples {
		if s.Live {
			nLive++
		}
	}
	if nLive == 0 || nLive == float64(n) {
		return nil, fmt.Errorf("%w: one class only", ErrFit)
	}
	for i := range samples {
		if samples[i].Live {
			y[i], sw[i] = 1, float64(n)/(2*nLive)
		} else {
			sw[i] = float64(n) / (2 * (float64(n) - nLive))
		}
	}
	l, x, err := design(samples, names, o)
	if err != nil {
		return nil, err
	}
	p := len(names)
	// Newton iterations on (w, b).
	d := p + 1
	beta := make([]float64, d)
	h := make([]float64, d*d)
	g := make([]float64, d)
	for iter := 0; iter < 50; iter++ {
		clear(h)
		clear(g)
		for i := range x {
			xi := x[i] // the standardised features and a trailing 1
			var z float64
			for k, v := range xi {
				z += beta[k] * v
			}
			mu := sigmoid(z)
			r := sw[i] * (y[i] - mu)
			wt := sw[i] * math.Max(mu*(1-mu), 1e-12)
			for a, xa := range xi {
				g[a] += r * xa
				c := wt * xa
				row := h[a*d : a*d+a+1]
				for b, xb := range xi[:a+1] {
					row[b] += c * xb
				}
			}
		}
		for a := 0; a < p; a++ {
			g[a] -= o.L2 * beta[a]
			h[a*d+a] += o.L2
		}
		h[p*d+p] += 1e-9
		for a := 0; a < d; a++ {
			for b := a + 1; b < d; b++ {
				h[a*d+b] = h[b*d+a]
			}
		}
		step, err := solveSPD(h, g, d)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFit, err)
		}
		var norm float64
		for a := range beta {
			beta[a] += step[a]
			norm = math.Max(norm, math.Abs(step[a]))
		}
		if norm < 1e-9 {
			break
		}
	}
	copy(l.Weights, beta[:p])
	l.Bias = beta[p]
	if err := l.prepare(); err != nil {
		return nil, err
	}
	return l, nil
}

// design returns a Logistic over names with the samples' feature means
// and standard deviations (its weights zero), and each sample's
// standardised, clamped features followed by a constant 1.
func design(samples []Sample, names []string, o FitOptions) (*Logistic, [][]float64, error) {
	p := len(names)
	l := &Logistic{Features: names, Mean: make([]float64, p), Scale: make([]float64, p),
		Weights: make([]float64, p), ZClamp: o.ZClamp}
	l.idx = make([]int, p)
	for k, name := range names {
		if l.idx[k] = featureIndex(name); l.idx[k] < 0 {
			return nil, nil, fmt.Errorf("%w: unknown feature %q", ErrFit, name)
		}
	}
	n := len(samples)
	x := make([][]float64, n)
	for i := range samples {
		var f featureVec
		features(&samples[i].Signals, &f)
		row := make([]float64, p+1)
		for k, j := range l.idx {
			row[k] = f[j]
		}
		row[p] = 1
		x[i] = row
	}
	for k := 0; k < p; k++ {
		// Samples without a feature (NaN: no mesh responses) are left out
		// of its mean and scale and count as the mean (z = 0).
		var s, ss float64
		have := 0
		for i := range x {
			if v := x[i][k]; !math.IsNaN(v) {
				s += v
				ss += v * v
				have++
			}
		}
		mean := s / float64(max(have, 1))
		sd := math.Sqrt(math.Max(0, ss/float64(max(have, 1))-mean*mean))
		l.Mean[k] = mean
		if sd < 1e-12 {
			sd = 1 // constant feature: its weight stays 0
		}
		l.Scale[k] = sd
		for i := range x {
			z := math.Max(-o.ZClamp, math.Min(o.ZClamp, (x[i][k]-mean)/sd))
			if math.IsNaN(z) {
				z = 0
			}
			x[i][k] = z
		}
	}
	return l, x, nil
}

// sampleClass is the class of a sample in the joint colour model: 0 bona
// fide, 1 screen (any attack that is not a print), 2 print.
func sampleClass(s *Sample) int {
	switch {
	case s.Live:
		return 0
	case s.Print:
		return 2
	}
	return 1
}

// fitSoftmax fits a multinomial logistic regression of the bona fide,
// screen and print samples by damped Newton steps, each class weighing a
// third, with the ridge penalty o.L2 on every class's standardised
// weights (none on the intercepts). It returns the log-odds of bona fide
// against screen and against print as two heads over the same
// standardised features. When one attack class has no sample, its head
// is nil and the other is a binary fit.
func fitSoftmax(samples []Sample, names []string, o FitOptions) (screen, print *Logistic, err error) {
	var count [3]int
	for i := range samples {
		count[sampleClass(&samples[i])]++
	}
	switch {
	case count[0] == 0 || count[1]+count[2] == 0:
		return nil, nil, fmt.Errorf("%w: one class only", ErrFit)
	case count[2] == 0:
		screen, err = fitLogistic(samples, names, o)
		return screen, nil, err
	case count[1] == 0:
		print, err = fitLogistic(samples, names, o)
		return nil, print, err
	}
	base, x, err := design(samples, names, o)
	if err != nil {
		return nil, nil, err
	}
	const K = 3
	n, p := len(samples), len(names)
	d := p + 1 // weights and intercept of one class
	D := K * d
	cls := make([]int, n)
	sw := make([]float64, n)
	for i := range samples {
		cls[i] = sampleClass(&samples[i])
		sw[i] = float64(n) / (K * float64(count[cls[i]]))
	}
	// ridge on each parameter: L2 on weights; the bona fide intercept is
	// pinned at 0 (the intercepts are defined up to a common shift).
	ridge := make([]float64, D)
	for k := range K {
		for a := range p {
			ridge[k*d+a] = o.L2
		}
		ridge[k*d+p] = 1e-9
	}
	ridge[p] = 1e6
	theta := make([]float64, D)
	probs := func(th, xi []float64, pr *[K]float64) {
		var u [K]float64
		top := math.Inf(-1)
		for k := range K {
			for a, v := range xi {
				u[k] += th[k*d+a] * v
			}
			top = math.Max(top, u[k])
		}
		var sum float64
		for k := range K {
			pr[k] = math.Exp(u[k] - top)
			sum += pr[k]
		}
		for k := range K {
			pr[k] /= sum
		}
	}
	loss := func(th []float64) float64 {
		var l float64
		var pr [K]float64
		for i, xi := range x {
			probs(th, xi, &pr)
			l -= sw[i] * math.Log(math.Max(pr[cls[i]], 1e-300))
		}
		for j, v := range th {
			l += ridge[j] / 2 * v * v
		}
		return l
	}
	h := make([]float64, D*D)
	g := make([]float64, D)
	cur := loss(theta)
	for iter := 0; iter < 50; iter++ {
		clear(h)
		clear(g)
		var pr [K]float64
		var c [K][K]float64
		for i, xi := range x {
			probs(theta, xi, &pr)
			w := sw[i]
			for k := range K {
				r := -w * pr[k]
				if k == cls[i] {
					r += w
				}
				for a, v := range xi {
					g[k*d+a] += r * v
				}
				for l := 0; l <= k; l++ {
					c[k][l] = -w * pr[k] * pr[l]
					if k == l {
						c[k][l] += w * pr[k]
					}
				}
			}
			// Lower triangle of the Fisher information, row (k, a) and
			// column (l, b) with l < k, or l == k and b ≤ a.
			for k := range K {
				for a, xa := range xi {
					row := h[(k*d+a)*D:]
					for l := 0; l <= k; l++ {
						cv := c[k][l] * xa
						blk := row[l*d:]
						bmax := d
						if l == k {
							bmax = a + 1
						}
						for b, xb := range xi[:bmax] {
							blk[b] += cv * xb
						}
					}
				}
			}
		}
		for j := range D {
			g[j] -= ridge[j] * theta[j]
			h[j*D+j] += ridge[j]
		}
		for a := range D {
			for b := a + 1; b < D; b++ {
				h[a*D+b] = h[b*D+a]
			}
		}
		step, err := solveSPD(h, g, D)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrFit, err)
		}
		next := make([]float64, D)
		t := 1.0
		var nl float64
		for ; t > 1e-6; t /= 2 {
			for j := range theta {
				next[j] = theta[j] + t*step[j]
			}
			if nl = loss(next); nl <= cur {
				break
			}
		}
		if t <= 1e-6 {
			break
		}
		var norm float64
		for j := range theta {
			norm = math.Max(norm, math.Abs(next[j]-theta[j]))
		}
		theta, cur = next, nl
		if norm < 1e-9 {
			break
		}
	}
	head := func(k int) (*Logistic, error) {
		l := &Logistic{Features: names, Mean: slices.Clone(base.Mean), Scale: slices.Clone(base.Scale),
			Weights: make([]float64, p), ZClamp: o.ZClamp}
		for a := range p {
			l.Weights[a] = theta[a] - theta[k*d+a]
		}
		l.Bias = theta[p] - theta[k*d+p]
		return l, l.prepare()
	}
	if screen, err = head(1); err != nil {
		return nil, nil, err
	}
	if print, err = head(2); err != nil {
		return nil, nil, err
	}
	return screen, print, nil
}

// jointLogit is the log-odds of bona fide against either attack class
// under the two heads of fitSoftmax (a nil head has no class).
func jointLogit(screen, print *Logistic, f *featureVec) float64 {
	zs, zp := math.Inf(1), math.Inf(1)
	if screen != nil {
		zs = screen.logit(f, nil)
	}
	if print != nil {
		zp = print.logit(f, nil)
	}
	return softmin(zs, zp)
}

// scorer returns a frame's logit from its features.
type scorer func(*featureVec) float64

// fitCalibration fits a model on ss with fit and returns it with the
// logits to calibrate it on: every sample scored by a model fitted
// without its fold (foldsOf) when oof is set, else by the model itself.
func fitCalibration[M any](ss []Sample, oof bool, o FitOptions, fit func([]Sample) (scorer, M, error)) (M, []float64, error) {
	score, m, err := fit(ss)
	if err != nil {
		return m, nil, err
	}
	z := make([]float64, len(ss))
	if !oof {
		for i := range ss {
			var f featureVec
			features(&ss[i].Signals, &f)
			z[i] = score(&f)
		}
		return m, z, nil
	}
	fold, nf := foldsOf(ss, o)
	for k := range nf {
		var train []Sample
		for i := range ss {
			if fold[ss[i].Group] != k {
				train = append(train, ss[i])
			}
		}
		score, _, err := fit(train)
		if err != nil {
			return m, nil, fmt.Errorf("fold %d: %w", k, err)
		}
		for i := range ss {
			if fold[ss[i].Group] == k {
				var f featureVec
				features(&ss[i].Signals, &f)
				z[i] = score(&f)
			}
		}
	}
	return m, z, nil
}

// foldsOf assigns each group of samples to a cross-validation fold: one
// per group, or o.Folds folds of whole groups dealt in sorted order.
func foldsOf(samples []Sample, o FitOptions) (fold map[string]int, nf int) {
	groups := map[string]bool{}
	for _, s := range samples {
		groups[s.Group] = true
	}
	keys := make([]string, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	fold = map[string]int{}
	for i, g := range keys {
		fold[g] = i
		if o.Folds >= 2 {
			fold[g] = i % o.Folds
		}
	}
	nf = len(keys)
	if o.Folds >= 2 {
		nf = min(nf, o.Folds)
	}
	return fold, nf
}

// solveSPD solves H·s = g for a symmetric positive-definite H (Cholesky).
func solveSPD(h, g []float64, d int) ([]float64, error) {
	c := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			s := h[i*d+j]
			for k := 0; k < j; k++ {
				s -= c[i*d+k] * c[j*d+k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("singular system")
				}
				c[i*d+i] = math.Sqrt(s)
			} else {
				c[i*d+j] = s / c[j*d+j]
			}
		}
	}
	z := make([]float64, d)
	for i := 0; i < d; i++ {
		s := g[i]
		for k := 0; k < i; k++ {
			s -= c[i*d+k] * z[k]
		}
		z[i] = s / c[i*d+i]
	}
	for i := d - 1; i >= 0; i-- {
		s := z[i]
		for k := i + 1; k < d; k++ {
			s -= c[k*d+i] * z[k]
		}
		z[i] = s / c[i*d+i]
	}
	return z, nil
}

// Metrics are the ISO/IEC 30107-3 error rates of a score at a threshold,
// with the ROC AUC.
type Metrics struct {
	// AUC is the area under the ROC curve: the probability that a bona
	// fide sample scores above an attack sample (ties count half).
	AUC float64 `json:"auc"`
	// APCER is the fraction of attack presentations scored at or above
	// Threshold (accepted as live).
	APCER float64 `json:"apcer"`
	// BPCER is the fraction of bona fide presentations scored below
	// Threshold (rejected as attacks).
	BPCER     float64 `json:"bpcer"`
	Threshold float64 `json:"threshold"`
	Live      int     `json:"live"`
	Attack    int     `json:"attack"`
}

// Evaluate computes Metrics for live (bona fide) and attack scores at a
// threshold. APCER is reported for the attack scores as one species;
// report each presentation-attack instrument species separately by
// calling Evaluate once per species.
func Evaluate(live, attack []float64, threshold float64) Metrics {
	m := Metrics{Threshold: threshold, Live: len(live), Attack: len(attack)}
	for _, s := range attack {
		if s >= threshold {
			m.APCER++
		}
	}
	for _, s := range live {
		if s < threshold {
			m.BPCER++
		}
	}
	if len(attack) > 0 {
		m.APCER /= float64(len(attack))
	}
	if len(live) > 0 {
		m.BPCER /= float64(len(live))
	}
	m.AUC = auc(live, attack)
	return m
}

// auc is the Mann–Whitney estimate of P(live > attack).
func auc(live, attack []float64) float64 {
	if len(live) == 0 || len(attack) == 0 {
		return math.NaN()
	}
	type sv struct {
		s    float64
		live bool
	}
	all := make([]sv, 0, len(live)+len(attack))
	for _, s := range live {
		all = append(all, sv{s, true})
	}
	for _, s := range attack {
		all = append(all, sv{s, false})
	}
	slices.SortFunc(all, func(a, b sv) int { return cmp.Compare(a.s, b.s) })
	// Sum of the ranks of live samples, ties given their mean rank.
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].live {
				rankSum += mean
			}
		}
		i = j
	}
	nl, na := float64(len(live)), float64(len(attack))
	return (rankSum - nl*(nl+1)/2) / (nl * na)
}

// CVResult is the outcome of CrossValidate.
type CVResult struct {
	// Metrics are over all out-of-fold scores; APCER and BPCER count
	// each sample at the operating point of the model that scored it
	// (always Score 0.5 for models made by Fit).
	Metrics Metrics
	// Live and Attack are the out-of-fold scores.
	Live, Attack []float64
	// Folds is the number of groups, one fold each.
	Folds int
}

// CrossValidate runs a leave-one-group-out cross-validation of the whole
// Fit procedure, operating point included: each group is scored by a
// model fit, and calibrated, without it. It needs at least three groups.
func CrossValidate(samples []Sample, opts *FitOptions) (CVResult, error) {
	groups := map[string]bool{}
	for _, s := range samples {
		groups[s.Group] = true
	}
	if len(groups) < 3 {
		return CVResult{}, fmt.Errorf("%w: %d groups, cross-validation needs 3", ErrFit, len(groups))
	}
	keys := make([]string, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	var res CVResult
	var thr float64
	for _, g := range keys {
		var train, test []Sample
		for _, s := range samples {
			if s.Group == g {
				test = append(test, s)
			} else {
				train = append(train, s)
			}
		}
		m, err := Fit(train, opts)
		if err != nil {
			return CVResult{}, fmt.Errorf("fold %s: %w", g, err)
		}
		thr = m.Threshold
		for i := range test {
			if test[i].Derived {
				continue
			}
			s := m.Score(&test[i].Signals)
			if test[i].Live {
				res.Live = append(res.Live, s)
			} else {
				res.Attack = append(res.Attack, s)
			}
		}
	}
	res.Folds = len(keys)
	res.Metrics = Evaluate(res.Live, res.Attack, thr)
	return res, nil
}
