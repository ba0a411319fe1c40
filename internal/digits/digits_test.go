package digits

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1748779200", 1748779200, true},
		{"0", 0, true},
		{"999999999999999999", 999999999999999999, true},
		{"1000000000000000000", 0, false}, // 19 digits
		{"", 0, false},
		{"-1", 0, false},
		{"+5", 0, false},
		{" 1", 0, false},
		{"1e9", 0, false},
	}
	for _, tt := range tests {
		n, ok := Parse(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, n, "%q", tt.in)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1748779200", "0", "-1", "+5", " 1", "999999999999999999", "1e9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := Parse(s)
		if !ok {
			return
		}
		want, err := strconv.ParseInt(s, 10, 64)
		require.NoError(t, err, "Parse(%q)", s)
		require.Equal(t, want, n, "Parse(%q)", s)
		require.GreaterOrEqual(t, n, int64(0), "Parse(%q)", s)
		require.NotEqual(t, byte('+'), s[0], "Parse(%q)", s)
	})
}
