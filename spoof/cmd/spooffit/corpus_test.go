package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/padfit"
	"github.com/openliveness/openliveness/spoof"
)

// TestRunCorpusFromCache: -root with a measured-corpus cache prints the
// held-out report and writes the model and the per-unit models.
func TestRunCorpusFromCache(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	var items []padfit.Item
	for _, u := range []struct{ kind, unit string }{{"crop", "C1"}, {"crop", "C2"}, {"nuaa", "nuaa/1"}, {"video", "p1"}} {
		for i := range 30 {
			live := i%2 == 0
			sg := spoof.Signals{Color: true, LaplacianVar: 40 + 20*rng.Float64(), Contrast: 0.3, ChromaSpread: 5, CbMean: rng.NormFloat64()}
			if !live {
				sg.CbMean += 4
			}
			sg.HasMesh = true // measured with the landmark network's responses
			for k := range sg.Mesh {
				sg.Mesh[k] = rng.NormFloat64()
			}
			items = append(items, padfit.Item{Kind: u.kind, Source: u.unit, Unit: u.unit, Live: live, Analysed: true, Signals: sg})
		}
	}
	cache := filepath.Join(dir, "items.jsonl")
	f, err := os.Create(cache)
	require.NoError(t, err)
	require.NoError(t, padfit.WriteItems(f, items))
	require.NoError(t, f.Close())
	out, folds, scores := filepath.Join(dir, "m.json"), filepath.Join(dir, "folds"), filepath.Join(dir, "s.csv")
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"-root", dir, "-items", cache, "-out", out, "-folds", folds, "-scores", scores}, &stdout)
	require.NoError(t, err)
	require.Contains(t, stdout.String(), "crops, each source held out: pooled AUC")
	require.Contains(t, stdout.String(), "30 of 30 images analysed")
	f, err = os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	m, err := spoof.LoadModel(f)
	require.NoError(t, err)
	require.InDelta(t, 0.5, m.Threshold, 1e-12)
	entries, err := os.ReadDir(folds)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	b, err := os.ReadFile(scores)
	require.NoError(t, err)
	require.Equal(t, 121, bytes.Count(b, []byte("\n")))
}
