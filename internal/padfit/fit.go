package padfit

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/openliveness/openliveness/spoof"
)

// Options are the fit options of the shipped model: ridge 1, operating
// point at 1 % out-of-fold bona fide frame rejection, 8 group folds for
// the inner out-of-fold scores.
func Options() *spoof.FitOptions {
	return &spoof.FitOptions{L2: 1, TargetBPCER: 0.01, Folds: 8}
}

// Samples converts items to training samples grouped by unit.
func Samples(items []Item) []spoof.Sample {
	out := make([]spoof.Sample, len(items))
	for i := range items {
		out[i] = items[i].Sample()
	}
	return out
}

// Units returns the sorted hold-out units of items.
func Units(items []Item) []string {
	var us []string
	for i := range items {
		us = append(us, items[i].Unit)
	}
	slices.Sort(us)
	return slices.Compact(us)
}

// HeldOut fits, for every unit, a model on the items of all other units,
// and scores each item with the model fitted without its unit. Only the
// units for which keep returns true get a model (nil keeps all).
func HeldOut(ctx context.Context, items []Item, opts *spoof.FitOptions, keep func(unit string) bool) (map[string]*spoof.Model, []float64, error) {
	models := map[string]*spoof.Model{}
	scores := make([]float64, len(items))
	for _, u := range Units(items) {
		if keep != nil && !keep(u) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var train []spoof.Sample
		for i := range items {
			if items[i].Unit != u {
				train = append(train, items[i].Sample())
			}
		}
		m, err := spoof.Fit(train, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("padfit: without %s: %w", u, err)
		}
		models[u] = m
		for i := range items {
			if items[i].Unit == u {
				scores[i] = m.Score(&items[i].Signals)
			}
		}
	}
	return models, scores, nil
}

// AUC is the probability that a live score exceeds an attack score
// (ties count half).
func AUC(live, attack []float64) float64 {
	m := spoof.Evaluate(live, attack, 0.5)
	return m.AUC
}

// Split returns the scores of the items selected by sel, live and attack.
func Split(items []Item, scores []float64, sel func(*Item) bool) (live, attack []float64) {
	for i := range items {
		if !sel(&items[i]) {
			continue
		}
		if items[i].Live {
			live = append(live, scores[i])
		} else {
			attack = append(attack, scores[i])
		}
	}
	return live, attack
}

// Sources returns the sorted distinct sources of the items selected by sel.
func Sources(items []Item, sel func(*Item) bool) []string {
	var out []string
	for i := range items {
		if sel(&items[i]) {
			out = append(out, items[i].Source)
		}
	}
	slices.SortFunc(out, cmp.Compare)
	return slices.Compact(out)
}
