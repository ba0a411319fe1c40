package padfit

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/spoof"
)

// synthetic returns items of four units whose live and attack faces differ
// in one signal, with noise.
func synthetic() []Item {
	rng := rand.New(rand.NewPCG(1, 2))
	var items []Item
	for _, u := range []string{"a", "b", "c", "d"} {
		for i := range 40 {
			live := i%2 == 0
			var sg spoof.Signals
			sg.Color = true
			sg.LaplacianVar = 50 + 30*rng.Float64()
			sg.Contrast = 0.3 + 0.1*rng.Float64()
			sg.ChromaSpread = 5 + rng.Float64()
			sg.CbMean = rng.NormFloat64()
			if !live {
				sg.CbMean += 4
			}
			for k := range sg.LBP {
				sg.LBP[k] = 0.1
				sg.LBP2[k] = 0.1
			}
			items = append(items, Item{Kind: "crop", Source: u, Unit: u, Live: live, Signals: sg, File: u})
		}
	}
	return items
}

func TestHeldOut(t *testing.T) {
	items := synthetic()
	require.Equal(t, []string{"a", "b", "c", "d"}, Units(items))
	models, scores, err := HeldOut(context.Background(), items, Options(), func(u string) bool { return u != "d" })
	require.NoError(t, err)
	require.Len(t, models, 3)
	require.NotContains(t, models, "d")
	l, a := Split(items, scores, func(it *Item) bool { return it.Unit == "a" })
	require.Len(t, l, 20)
	require.Len(t, a, 20)
	require.Greater(t, AUC(l, a), 0.95)
	require.Equal(t, []string{"a", "b"}, Sources(items, func(it *Item) bool { return it.Unit <= "b" }))
}

func TestItemsRoundTrip(t *testing.T) {
	items := synthetic()[:5]
	var buf bytes.Buffer
	require.NoError(t, WriteItems(&buf, items))
	got, err := ReadItems(&buf)
	require.NoError(t, err)
	require.Equal(t, items, got)
	_, err = ReadItems(bytes.NewReader([]byte("{bad")))
	require.Error(t, err)
}

func TestLoadCachedReadsCache(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "items.jsonl")
	items := synthetic()[:3]
	var buf bytes.Buffer
	require.NoError(t, WriteItems(&buf, items))
	require.NoError(t, os.WriteFile(cache, buf.Bytes(), 0o644))
	got, err := LoadCached(context.Background(), "/nonexistent", cache)
	require.NoError(t, err)
	require.Equal(t, items, got)
	_, err = LoadCached(context.Background(), t.TempDir(), "")
	require.Error(t, err, "no corpus below an empty folder")
}

// TestLoadCachedStale: a cache whose analysed items lack the landmark
// network's responses predates them and is measured again (here: no
// corpus below the root, so an error rather than the stale items).
func TestLoadCachedStale(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "items.jsonl")
	items := synthetic()[:3]
	items[1].Analysed, items[1].Signals.HasMesh = true, false
	var buf bytes.Buffer
	require.NoError(t, WriteItems(&buf, items))
	require.NoError(t, os.WriteFile(cache, buf.Bytes(), 0o644))
	_, err := LoadCached(context.Background(), t.TempDir(), cache)
	require.Error(t, err, "a stale cache is not used")
	items[1].Signals.HasMesh = true
	buf.Reset()
	require.NoError(t, WriteItems(&buf, items))
	require.NoError(t, os.WriteFile(cache, buf.Bytes(), 0o644))
	got, err := LoadCached(context.Background(), t.TempDir(), cache)
	require.NoError(t, err)
	require.Equal(t, items, got)
}
