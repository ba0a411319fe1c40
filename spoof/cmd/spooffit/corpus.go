package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openliveness/openliveness/internal/padfit"
	"github.com/openliveness/openliveness/spoof"
)

func runCorpus(ctx context.Context, root, cache, out, folds, scoreFile string, l2 float64, stdout io.Writer) error {
	items, err := padfit.LoadCached(ctx, root, cache)
	if err != nil {
		return err
	}
	opts := padfit.Options()
	opts.L2 = l2
	nc, nn, nv := 0, 0, 0
	for i := range items {
		switch items[i].Kind {
		case "crop":
			nc++
		case "nuaa":
			nn++
		default:
			nv++
		}
	}
	opts.Data = fmt.Sprintf("shared corpus: %d pad/crops face crops (9 sources), %d NUAA crops (9 subjects), "+
		"%d video frames (every %d-th of pad/bonafide, pad/attack, video/)", nc, nn, nv, padfit.VideoStride)
	models, scores, err := padfit.HeldOut(ctx, items, opts, nil)
	if err != nil {
		return err
	}
	report(stdout, items, scores, models)
	if scoreFile != "" {
		if err := writeItemScores(scoreFile, items, scores); err != nil {
			return err
		}
	}
	if folds != "" {
		if err := os.MkdirAll(folds, 0o755); err != nil {
			return err
		}
		for u, m := range models {
			if err := writeModel(filepath.Join(folds, strings.ReplaceAll(u, "/", "_")+".json"), m); err != nil {
				return err
			}
		}
	}
	m, err := spoof.Fit(padfit.Samples(items), opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "final model: threshold %.4f (grey %.4f), out-of-fold AUC %.4f, BPCER %.4f, APCER %.4f\n",
		m.Threshold, m.GrayThreshold, m.CV.AUC, m.CV.BPCER, m.CV.APCER)
	if out != "" {
		if err := writeModel(out, m); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", out)
	}
	return nil
}

// writeItemScores writes every item's held-out score as CSV.
func writeItemScores(path string, items []padfit.Item, scores []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"kind", "source", "unit", "file", "frame", "live", "score"})
	for i, it := range items {
		_ = w.Write([]string{it.Kind, it.Source, it.Unit, it.File, strconv.Itoa(it.Frame), strconv.FormatBool(it.Live),
			strconv.FormatFloat(scores[i], 'g', 6, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeModel(path string, m *spoof.Model) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// report prints the held-out figures: every item scored by the model
// fitted without its unit, at that model's operating point.
func report(w io.Writer, items []padfit.Item, scores []float64, models map[string]*spoof.Model) {
	attack := func(i int) bool {
		m := models[items[i].Unit]
		return scores[i] < m.Threshold // corpus frames are colour
	}
	is := func(kind string) func(*padfit.Item) bool {
		return func(it *padfit.Item) bool { return it.Kind == kind }
	}
	l, a := padfit.Split(items, scores, is("crop"))
	fmt.Fprintf(w, "crops, each source held out: pooled AUC %.4f (%d live, %d attack)\n", padfit.AUC(l, a), len(l), len(a))
	for _, src := range padfit.Sources(items, is("crop")) {
		l, a := padfit.Split(items, scores, func(it *padfit.Item) bool { return it.Kind == "crop" && it.Source == src })
		fmt.Fprintf(w, "  %-26s AUC %.4f  (%d/%d)\n", src, padfit.AUC(l, a), len(l), len(a))
	}
	l, a = padfit.Split(items, scores, is("nuaa"))
	na := 0
	nt := 0
	for i := range items {
		if items[i].Kind == "nuaa" {
			nt++
			if items[i].Analysed {
				na++
			}
		}
	}
	fmt.Fprintf(w, "NUAA, each subject held out: AUC %.4f (%d live, %d print); %d of %d images analysed\n", padfit.AUC(l, a), len(l), len(a), na, nt)
	fmt.Fprintln(w, "video frames, each person held out (frames below the operating point):")
	for _, src := range padfit.Sources(items, is("video")) {
		n, k := 0, 0
		live := false
		for i := range items {
			if items[i].Kind == "video" && items[i].Source == src {
				n++
				live = items[i].Live
				if attack(i) {
					k++
				}
			}
		}
		what := "caught"
		if live {
			what = "BPCER"
		}
		fmt.Fprintf(w, "  %-30s %s %5.1f %% (%d of %d)\n", src, what, 100*float64(k)/float64(max(1, n)), k, n)
	}
	l, a = padfit.Split(items, scores, is("video"))
	fmt.Fprintf(w, "video frames pooled: AUC %.4f (%d live, %d attack)\n", padfit.AUC(l, a), len(l), len(a))
}
