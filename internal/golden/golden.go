// Package golden compares test output with golden files under testdata,
// and rewrites them when the test binary runs with -update. It is for
// tests only.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// update is the -update flag of every test binary that imports golden.
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Check compares got with testdata/name (a slash-separated path below the
// test's package directory); with -update it writes got there instead. A
// difference fails the test at once.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "%s differs from the golden file (run go test -update if the change is intended)", path)
}
