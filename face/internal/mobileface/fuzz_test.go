package mobileface

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds model files to the parser (nn.ParseGraph and the checks
// of this package): it must return a model or ErrModel, never panic. The seeds are the embedded files, truncated and
// with a changed manifest.
func FuzzParse(f *testing.F) {
	f.Add(modelJSON, modelBin[:64])
	f.Add(modelJSON[:len(modelJSON)/2], modelBin[:16])
	f.Add([]byte(`{"format":"graph-model","weightsManifest":[{"weights":[{"name":"conv1_weight","shape":[3,3,3,32],"dtype":"float32"}]}]}`), make([]byte, 4*3*3*3*32))
	f.Add([]byte(`{"format":"graph-model","weightsManifest":[{"weights":[{"name":"x","shape":[-1,4],"dtype":"float32"}]}]}`), []byte{})
	f.Fuzz(func(t *testing.T, js, bin []byte) {
		m, err := parse(js, bin)
		if err != nil {
			require.ErrorIs(t, err, ErrModel)
			return
		}
		require.NotNil(t, m)
	})
}
