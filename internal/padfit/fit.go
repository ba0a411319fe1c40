package padfit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/openliveness/openliveness/spoof"
)

// Options are the fit options of the shipped model: ridge 1, operating
// point at 1 % out-of-fold bona fide frame rejection, 4 group folds for
// the inner out-of-fold scores.
func Options() *spoof.FitOptions {
	return &spoof.FitOptions{L2: 1, TargetBPCER: 0.01, Folds: 4}
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
	var units []string
	for _, u := range Units(items) {
		if keep == nil || keep(u) {
			units = append(units, u)
		}
	}
	// The units' fits are independent: run them on every core.
	fitted := make([]*spoof.Model, len(units))
	errs := make([]error, len(units))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(units)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if errs[k] = ctx.Err(); errs[k] != nil {
					continue
				}
				var train []spoof.Sample
				for i := range items {
					if items[i].Unit != units[k] {
						train = append(train, items[i].Sample())
					}
				}
				m, err := spoof.Fit(train, opts)
				if err != nil {
					errs[k] = fmt.Errorf("padfit: without %s: %w", units[k], err)
				}
				fitted[k] = m
			}
		}()
	}
	for k := range units {
		next <- k
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	models := map[string]*spoof.Model{}
	for k, u := range units {
		models[u] = fitted[k]
	}
	scores := make([]float64, len(items))
	for i := range items {
		if m := models[items[i].Unit]; m != nil {
			scores[i] = m.Score(&items[i].Signals)
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
