package outbox

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Sun, 01 Jun 2025 12:10:00 GMT", "Sunday, 01-Jun-25 12:10:00 GMT", "-3", "99999999999999"} {
		f.Add(s)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if ok {
			require.GreaterOrEqual(t, d, time.Duration(0), "parseRetryAfter(%q)", s)
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1/", "https://[::ffff:127.0.0.1]/", "https://user@h/", "https://0x7f.1/"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, insecure bool) {
		if err := CheckURL(s, insecure); err == nil && !insecure {
			require.True(t, strings.HasPrefix(s, "https:"), "CheckURL(%q) accepted a non-https URL", s)
		}
	})
}
