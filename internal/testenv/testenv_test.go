package testenv

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of
// stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, format
}

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci             string
		skipped, fails bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
		{"1", false, true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			Missing(r, "no data at %s", "x")
			assert.Equal(t, tc.skipped, r.skipped)
			assert.Equal(t, tc.fails, r.failed)
			assert.Contains(t, r.msg, "no data at")
		})
	}
}
