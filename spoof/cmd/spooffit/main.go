// Command spooffit fits the per-frame presentation-attack model of package
// spoof, and reports how it does on data it was not fitted to.
//
// The shipped model is refitted from the shared corpus with one command:
//
//	go run ./spoof/cmd/spooffit -root ../shared/facedata -out spoof/model.json [-items CACHE.jsonl] [-scores FILE.csv] [-folds DIR]
//
// It measures every crop of pad/crops, every NUAA crop and every 2nd frame
// of pad/bonafide, pad/attack and video/ as the liveness engine sees them
// (face detector box, tight crops padded), prints the held-out report
// (each crop source, NUAA subject and video person left out in turn) and
// fits the model on everything (docs/spoof.md).
//
// Fitting on your own labelled folders of face crops:
//
//	go run ./spoof/cmd/spooffit -live DIR -attack DIR [-out spoof/model.json] [-cv]
//
// Every image under -live is a bona fide face, every image under -attack a
// presentation attack (several folders may be given, separated by commas).
// Images are face crops: the whole image is the face region. The first
// folder level below each root names the subject (or session); the
// operating point is placed on leave-one-subject-out scores, and -cv
// reports a nested subject-wise cross-validation of the whole procedure
// (ROC AUC, APCER, BPCER at the operating point).
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/openliveness/openliveness/spoof"
	"github.com/openliveness/openliveness/spoof/internal/fitdata"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "spooffit:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("spooffit", flag.ContinueOnError)
	live := fl.String("live", "", "comma-separated folders of bona fide face crops")
	attack := fl.String("attack", "", "comma-separated folders of attack face crops")
	out := fl.String("out", "", "write the fitted model here (JSON)")
	data := fl.String("data", "", "description of the training data, stored in the model (default: folders and counts)")
	cv := fl.Bool("cv", false, "report a nested subject-wise cross-validation")
	cvScores := fl.String("cv-scores", "", "with -cv, write the out-of-fold scores to this CSV file")
	dump := fl.String("dump", "", "write every sample's signals to this CSV file")
	shipped := fitdata.ShippedOptions()
	l2 := fl.Float64("l2", shipped.L2, "ridge penalty on the standardised weights")
	target := fl.Float64("target-bpcer", shipped.TargetBPCER, "bona fide rejection rate at the operating point, out of fold")
	augment := fl.Int("augment", fitdata.Shipped.N, "add this many degraded copies of every image (smaller, softer, compressed)")
	minSide := fl.Int("min-side", fitdata.Shipped.MinSide, "smallest face side of a degraded copy, in pixels")
	seed := fl.Uint64("seed", fitdata.Shipped.Seed, "seed of the degradations")
	root := fl.String("root", "", "fit on the shared corpus below this folder (../shared/facedata) instead of -live/-attack")
	items := fl.String("items", "", "with -root: cache of the measured corpus (JSON lines), read if present, written otherwise")
	folds := fl.String("folds", "", "with -root: write each unit's held-out model to this folder")
	itemScores := fl.String("scores", "", "with -root: write every item's held-out score to this CSV file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *root != "" {
		return runCorpus(ctx, *root, *items, *out, *folds, *itemScores, *l2, stdout)
	}
	if *live == "" || *attack == "" {
		return errors.New("need -live and -attack")
	}
	det, err := spoof.NewDetector()
	if err != nil {
		return err
	}
	var samples []spoof.Sample
	var files []string
	for _, set := range []struct {
		dirs string
		live bool
	}{{*live, true}, {*attack, false}} {
		for _, dir := range strings.Split(set.dirs, ",") {
			ss, fs, err := fitdata.Load(ctx, det, dir, set.live, fitdata.Augment{N: *augment, MinSide: *minSide, Seed: *seed})
			if err != nil {
				return err
			}
			samples = append(samples, ss...)
			files = append(files, fs...)
		}
	}
	slog.Info("loaded", "samples", len(samples))
	if *dump != "" {
		if err := writeDump(*dump, samples, files); err != nil {
			return err
		}
	}
	opts := &spoof.FitOptions{L2: *l2, TargetBPCER: *target, Data: *data}
	if *data == "" {
		var nl, na int
		for _, s := range samples {
			switch {
			case s.Derived:
			case s.Live:
				nl++
			default:
				na++
			}
		}
		opts.Data = fmt.Sprintf("live: %s (%d images); attack: %s (%d images); %d degraded copies of each (min side %d, seed %d)",
			*live, nl, *attack, na, *augment, *minSide, *seed)
	}
	if *cv {
		res, err := spoof.CrossValidate(samples, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "subject-wise cross-validation (%d folds): live %d, attack %d\n",
			res.Folds, res.Metrics.Live, res.Metrics.Attack)
		fmt.Fprintf(stdout, "ROC AUC %.4f  APCER %.4f  BPCER %.4f  at each fold's operating point\n",
			res.Metrics.AUC, res.Metrics.APCER, res.Metrics.BPCER)
		if *cvScores != "" {
			if err := writeScores(*cvScores, res); err != nil {
				return err
			}
		}
	}
	m, err := spoof.Fit(samples, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fit: out-of-fold AUC %.4f, APCER %.4f, BPCER %.4f at the operating point; confident-attack score < %.4f\n",
		m.CV.AUC, m.CV.APCER, m.CV.BPCER, m.Confident)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := m.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", *out)
	}
	return nil
}

func writeDump(path string, samples []spoof.Sample, files []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	head := []string{"file", "group", "live", "laplacian_var", "contrast", "range", "high_freq", "mid_freq",
		"moire", "color", "chroma_spread", "chroma", "specular", "border", "context"}
	for i := range 10 {
		head = append(head, "lbp_"+strconv.Itoa(i))
	}
	for i := range 10 {
		head = append(head, "lbp2_"+strconv.Itoa(i))
	}
	_ = w.Write(head)
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for i, s := range samples {
		g := s.Signals
		row := []string{files[i], s.Group, strconv.FormatBool(s.Live), ff(g.LaplacianVar), ff(g.Contrast),
			ff(g.Range), ff(g.HighFreq), ff(g.MidFreq), ff(g.Moire), strconv.FormatBool(g.Color),
			ff(g.ChromaSpread), ff(g.Chroma), ff(g.Specular), ff(g.Border), ff(g.Context)}
		for _, v := range slices.Concat(g.LBP[:], g.LBP2[:]) {
			row = append(row, ff(v))
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeScores(path string, res spoof.CVResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"live", "score"})
	for _, s := range res.Live {
		_ = w.Write([]string{"true", strconv.FormatFloat(s, 'g', 8, 64)})
	}
	for _, s := range res.Attack {
		_ = w.Write([]string{"false", strconv.FormatFloat(s, 'g', 8, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
