// Package facedata locates the shared evaluation data (../shared/facedata
// beside the module root) for tests and evaluation tools, and reads its
// Motion-JPEG videos and label files. The data is never part of the
// repository: everything here reports its absence so callers can skip.
package facedata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/testenv"
)

// EnvDir names an environment variable that overrides the data location.
const EnvDir = "OPENLIVENESS_FACEDATA"

// ErrAbsent is returned by Find when the data cannot be found.
var ErrAbsent = errors.New("facedata: ../shared/facedata not found (set " + EnvDir + " or check out the shared data beside the repository)")

// Find returns the data directory: $OPENLIVENESS_FACEDATA, or
// ../shared/facedata relative to a directory holding a go.mod, searched
// upwards from the working directory.
func Find() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", ErrAbsent
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	// Walk up through every directory holding a go.mod (nested modules such
	// as adapters/ have their own), looking for the data beside it.
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "facedata")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return filepath.Clean(d), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrAbsent
		}
		dir = parent
	}
}

// Dir returns the data directory or skips the test with a clear message.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := Find()
	if err != nil {
		testenv.Missing(tb, "skipping: shared evaluation data absent: %v", err)
	}
	return d
}

// Path returns a file below the data directory or skips the test.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), rel)
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(tb, "skipping: %s absent from the shared data: %v", rel, err)
	}
	return p
}

// Frames returns the JPEG frames of a Motion-JPEG file; Frames(...)[k-1] is
// frame k of the file's .dlib.csv labels.
func Frames(path string) ([][]byte, error) { return face.ReadMJPEGFile(path) }
