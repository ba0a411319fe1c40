package server

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseRetry: any -webhook-retry text is a policy of positive delays
// or an error, never a panic.
func FuzzParseRetry(f *testing.F) {
	for _, s := range []string{"default", "once", "none", "5s,1m", " 1s , 2h ", "", ",", "0s", "-1s", "1e9h", "twice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRetry(s)
		if err != nil {
			return
		}
		for _, d := range p.Delays {
			require.Positive(t, d, "%q", s)
		}
	})
}
