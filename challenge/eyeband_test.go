package challenge_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/openliveness/openliveness/challenge"
)

// band returns a 40×8 eye band: two dark eyes and a nose bridge on skin,
// with a brightness gradient across the face of slope tilt (0 = even light)
// and, when rims is set, dark glasses rims around the eyes.
func band(tilt float64, rims bool) []uint8 {
	const cols, rows = 40, 8
	out := make([]uint8, cols*rows)
	for i := range rows {
		for j := range cols {
			v := 150.0
			for _, cx := range []float64{10, 29} { // the eyes
				dx, dy := (float64(j)-cx)/5, (float64(i)-3.5)/2
				if r := dx*dx + dy*dy; r < 1 {
					v -= 90 * (1 - r)
				} else if rims && r < 1.8 {
					v -= 70
				}
			}
			v += tilt * (float64(j) - cols/2)
			out[i*cols+j] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	return out
}

// jitter adds Gaussian noise of standard deviation sd to a band.
func jitter(b []uint8, sd float64, rng *rand.Rand) []uint8 {
	out := make([]uint8, len(b))
	for i, v := range b {
		out[i] = uint8(max(0, min(255, math.Round(float64(v)+rng.NormFloat64()*sd))))
	}
	return out
}

func TestEyeBandMatch(t *testing.T) {
	ref := band(0, false)
	b := baseline()
	b.EyeBand = ref
	match := func(eb []uint8) (float64, bool) {
		o := neutral
		o.EyeBand = eb
		return b.EyeBandMatch(o)
	}
	// The same look under other gain and offset matches fully.
	scaled := make([]uint8, len(ref))
	for i, v := range ref {
		scaled[i] = uint8(float64(v)*0.8 + 20)
	}
	if m, ok := match(scaled); !ok || m < 0.999 {
		t.Errorf("gain and offset: %v %v", m, ok)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if m, ok := match(jitter(ref, 4, rng)); !ok || m < 0.95 {
		t.Errorf("camera noise: %v %v, want >= 0.95", m, ok)
	}
	if m, ok := match(band(3, false)); !ok || m > 0.9 {
		t.Errorf("side light: %v %v, want < 0.9", m, ok)
	}
	if m, ok := match(band(0, true)); !ok || m > 0.9 {
		t.Errorf("glasses: %v %v, want < 0.9", m, ok)
	}
	for name, eb := range map[string][]uint8{
		"nil":     nil,
		"short":   ref[:100],
		"uniform": make([]uint8, len(ref)),
	} {
		if m, ok := match(eb); ok {
			t.Errorf("%s band: match %v, want not ok", name, m)
		}
	}
	if _, ok := baseline().EyeBandMatch(challenge.Observation{EyeBand: ref}); ok {
		t.Error("a baseline without a band matched")
	}
}

func TestBaselineEyeBand(t *testing.T) {
	mk := func(eb []uint8) challenge.Observation { o := neutral; o.EyeBand = eb; return o }
	b, err := challenge.NewBaseline([]challenge.Observation{mk([]uint8{1, 50, 9}), mk([]uint8{3, 40, 7}), mk([]uint8{2, 60, 200})}, challenge.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{2, 50, 9}; !slices.Equal(b.EyeBand, want) {
		t.Errorf("median band %v, want %v", b.EyeBand, want)
	}
	for name, obs := range map[string][]challenge.Observation{
		"one without":    {mk([]uint8{1, 2, 3}), mk(nil)},
		"sizes differ":   {mk([]uint8{1, 2, 3}), mk([]uint8{1, 2})},
		"none with band": {mk(nil)},
	} {
		b, err := challenge.NewBaseline(obs, challenge.Thresholds{})
		if err != nil {
			t.Fatal(err)
		}
		if b.EyeBand != nil {
			t.Errorf("%s: band %v, want nil", name, b.EyeBand)
		}
	}
}

// TestRaiseEyebrowsMatchedBand: a small raise (×1.08) passes only while the
// eye region looks as it did at baseline; a raise past BrowRatio passes
// whatever the band; closed eyes never pass.
func TestRaiseEyebrowsMatchedBand(t *testing.T) {
	ref := band(0, false)
	withBand := func(brow float64, eb func(*rand.Rand) []uint8) func(*challenge.Observation, *rand.Rand) {
		return func(o *challenge.Observation, rng *rand.Rand) {
			o.Brow, o.EyeBand = brow, nil
			if eb != nil {
				o.EyeBand = eb(rng)
			}
		}
	}
	same := func(rng *rand.Rand) []uint8 { return jitter(ref, 3, rng) }
	light := func(rng *rand.Rand) []uint8 { return jitter(band(3, false), 3, rng) }
	glasses := func(rng *rand.Rand) []uint8 { return jitter(band(0, true), 3, rng) }
	tests := []struct {
		name   string
		th     challenge.Thresholds
		action func(*challenge.Observation, *rand.Rand)
		want   bool
	}{
		{"×1.08, same look", challenge.Thresholds{}, withBand(0.108, same), true},
		{"×1.08, other light", challenge.Thresholds{}, withBand(0.108, light), false},
		{"×1.08, glasses put on", challenge.Thresholds{}, withBand(0.108, glasses), false},
		{"×1.08, no band", challenge.Thresholds{}, withBand(0.108, nil), false},
		{"×1.05, same look", challenge.Thresholds{}, withBand(0.105, same), false},
		{"×1.12, other light", challenge.Thresholds{}, withBand(0.112, light), true},
		{"×1.08, same look, rule off", challenge.Thresholds{BrowMatchedRatio: 1.11}, withBand(0.108, same), false},
		{"eyes closed, ×1.3, same look", challenge.Thresholds{}, func(o *challenge.Observation, rng *rand.Rand) {
			withBand(0.13, same)(o, rng)
			eyesClosed(o)
		}, false},
	}
	for _, tc := range tests {
		for _, cad := range []time.Duration{slow, fps12} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, cad), func(t *testing.T) {
				for seed := range uint64(10) {
					rng := rand.New(rand.NewPCG(seed, 7))
					var obs []challenge.Observation
					for at := time.Duration(0); at < 4*time.Second; at += cad {
						o := neutral
						o.Time = at
						o.EyeBand = same(rng)
						if at >= time.Second && at < 2600*time.Millisecond {
							tc.action(&o, rng)
						}
						obs = append(obs, o)
					}
					b, err := challenge.NewBaseline(obs[:3], tc.th)
					if err != nil {
						t.Fatal(err)
					}
					d, err := challenge.NewDetector(challenge.RaiseEyebrows, b, tc.th)
					if err != nil {
						t.Fatal(err)
					}
					passed := false
					for _, o := range obs {
						if d.Observe(o).Passed {
							passed = true
							break
						}
					}
					if passed != tc.want {
						t.Fatalf("seed %d: passed %v, want %v", seed, passed, tc.want)
					}
				}
			})
		}
	}
}
