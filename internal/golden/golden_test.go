package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "testdata", "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "testdata", "sub", "a.txt"), []byte("same"), 0o644))
	t.Chdir(dir)

	Check(t, "sub/a.txt", []byte("same"))

	*update = true
	t.Cleanup(func() { *update = false })
	Check(t, "sub/b.txt", []byte("new"))
	b, err := os.ReadFile(filepath.Join("testdata", "sub", "b.txt"))
	require.NoError(t, err)
	require.Equal(t, "new", string(b))
}
