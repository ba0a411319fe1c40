//go:build eval

package spoof_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/internal/padfit"
	"github.com/openliveness/openliveness/spoof"
)

// The held-out evaluations over the shared corpus (internal/padfit): every
// item is scored by a model fitted without its hold-out unit (its crop
// source, NUAA subject or video person). Set OPENLIVENESS_PAD_ITEMS to a
// file to keep the measured corpus between runs.

var corpus struct {
	once   sync.Once
	items  []padfit.Item
	scores []float64
	models map[string]*spoof.Model
	err    error
}

// heldOut measures the corpus and scores it held out, once per run.
func heldOut(t *testing.T) ([]padfit.Item, []float64, map[string]*spoof.Model) {
	t.Helper()
	root := facedata.Dir(t)
	corpus.once.Do(func() {
		corpus.items, corpus.err = padfit.LoadCached(context.Background(), root, os.Getenv("OPENLIVENESS_PAD_ITEMS"))
		if corpus.err == nil {
			corpus.models, corpus.scores, corpus.err = padfit.HeldOut(context.Background(), corpus.items, padfit.Options(), nil)
		}
	})
	require.NoError(t, corpus.err)
	return corpus.items, corpus.scores, corpus.models
}

// TestEvalHeldOutCrops: face crops of pad/crops, each source held out in
// turn, and NUAA, each subject held out.
func TestEvalHeldOutCrops(t *testing.T) {
	items, scores, _ := heldOut(t)
	kind := func(k string) func(*padfit.Item) bool { return func(it *padfit.Item) bool { return it.Kind == k } }
	l, a := padfit.Split(items, scores, kind("crop"))
	pooled := padfit.AUC(l, a)
	t.Logf("pad/crops pooled AUC %.4f (%d live, %d attack), each source held out", pooled, len(l), len(a))
	for _, src := range padfit.Sources(items, kind("crop")) {
		l, a := padfit.Split(items, scores, func(it *padfit.Item) bool { return it.Kind == "crop" && it.Source == src })
		t.Logf("  %-26s AUC %.4f (%d/%d)", src, padfit.AUC(l, a), len(l), len(a))
	}
	l, a = padfit.Split(items, scores, kind("nuaa"))
	nuaa := padfit.AUC(l, a)
	var n, analysed int
	for i := range items {
		if items[i].Kind == "nuaa" {
			n++
			if items[i].Analysed {
				analysed++
			}
		}
	}
	t.Logf("NUAA AUC %.4f (%d live, %d print), each subject held out; %d of %d images analysed", nuaa, len(l), len(a), analysed, n)
	// The figures docs/evaluation.md reports, 0.960 and 0.983 (the
	// targets are 0.95 and 0.98).
	assert.GreaterOrEqual(t, pooled, 0.960)
	assert.GreaterOrEqual(t, nuaa, 0.983)
	assert.GreaterOrEqual(t, float64(analysed), 0.99*float64(n), "NUAA images analysed")
}

// TestEvalHeldOutVideoFrames: per-frame rejection rates of the videos at
// the operating point of the model fitted without the video's person.
func TestEvalHeldOutVideoFrames(t *testing.T) {
	items, scores, models := heldOut(t)
	type acc struct{ n, below int }
	per := map[string]*acc{}
	var names []string
	for i := range items {
		it := &items[i]
		if it.Kind != "video" {
			continue
		}
		c := per[it.Source]
		if c == nil {
			c = &acc{}
			per[it.Source] = c
			names = append(names, it.Source)
		}
		c.n++
		if scores[i] < models[it.Unit].Threshold {
			c.below++
		}
	}
	// Everyday webcam and phone clips: the webcam clips of pad/bonafide
	// and the clips of video/.
	everyday := func(name string) bool {
		return strings.Contains(name, "webcam") || !strings.HasPrefix(name, "B") && !strings.HasPrefix(name, "A")
	}
	var en, eb int
	for _, name := range names {
		c := per[name]
		what := "BPCER"
		if strings.HasPrefix(name, "A") {
			what = "caught"
		}
		t.Logf("%-30s %s %5.1f %% (%d of %d frames)", name, what, 100*float64(c.below)/float64(c.n), c.below, c.n)
		if what == "caught" {
			// README and docs/evaluation.md: 70–100 % of each replay's
			// frames score below the operating point.
			assert.GreaterOrEqual(t, float64(c.below)/float64(c.n), 0.70, name)
		}
		if everyday(name) {
			en += c.n
			eb += c.below
		}
	}
	rate := float64(eb) / float64(en)
	t.Logf("everyday webcam/phone clips: per-frame BPCER %.2f %% (%d of %d)", 100*rate, eb, en)
	assert.LessOrEqual(t, rate, 0.02)
	// docs/evaluation.md: 5 of 2 058 frames, all of B05.
	assert.LessOrEqual(t, eb, 5)
}
