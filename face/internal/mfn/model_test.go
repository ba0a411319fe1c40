package mfn

import (
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunInputSize(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	require.ErrorIs(t, m.Run(make([]float32, 10), make([]float32, Dim)), ErrInputSize)
	require.ErrorIs(t, m.Run(syntheticInput(), make([]float32, 3)), ErrInputSize)
}

func TestProgram(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	kinds := map[layerKind]int{}
	for _, L := range m.p.layers {
		kinds[L.kind]++
	}
	// Stem, 1×1 after the first depthwise layer, 15 blocks × 2, Conv2d_7
	// and two linear heads; 16 depthwise layers; one global depthwise.
	assert.Equal(t, 1+1+30+1+2, kinds[layerConv])
	assert.Equal(t, 16, kinds[layerDW])
	assert.Equal(t, 1, kinds[layerGDC])
	res := 0
	for _, L := range m.p.layers {
		if L.res >= 0 {
			res++
		}
	}
	assert.Equal(t, 12, res, "residual adds")
}

func TestLoadRejectsDamagedFiles(t *testing.T) {
	js, err := os.ReadFile("model/mobilefacenet.json")
	require.NoError(t, err)
	_, err = load(js, modelBin[:len(modelBin)-4])
	require.ErrorIs(t, err, ErrModel)
	_, err = load([]byte(`{"format":"layers-model"}`), nil)
	require.ErrorIs(t, err, ErrModel)
	_, err = load([]byte(`{`), nil)
	require.ErrorIs(t, err, ErrModel)
}

func TestRunConcurrent(t *testing.T) {
	m, err := Load()
	require.NoError(t, err)
	want := make([]float32, Dim)
	require.NoError(t, m.Run(syntheticInput(), want))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	outs := make([][]float32, 4)
	for i := range 4 {
		wg.Go(func() {
			outs[i] = make([]float32, Dim)
			errs[i] = m.Run(syntheticInput(), outs[i])
		})
	}
	wg.Wait()
	for i := range 4 {
		require.NoError(t, errs[i])
		assert.Equal(t, want, outs[i])
	}
}

// FuzzLoad feeds damaged model descriptions to the parser and compiler:
// they must fail with ErrModel, never panic.
func FuzzLoad(f *testing.F) {
	js, err := os.ReadFile("model/mobilefacenet.json")
	require.NoError(f, err)
	f.Add(js, uint16(0))
	f.Add([]byte(`{"format":"graph-model","modelTopology":{"node":[{"name":"img_inputs","op":"Placeholder"}]}}`), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		bin := modelBin
		if int(cut) < len(bin) && cut > 0 {
			bin = bin[:len(bin)-int(cut)]
		}
		m, err := load(data, bin)
		if err != nil {
			require.ErrorIs(t, err, ErrModel)
			return
		}
		require.NotNil(t, m)
	})
}
