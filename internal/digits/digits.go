// Package digits parses the plain decimal numbers of HTTP headers (Unix
// timestamps, Retry-After seconds) strictly: 1 to 18 ASCII digits, no
// sign, space or exponent, so the value always fits an int64.
package digits

// Parse returns the value of s, or false when s is not 1 to 18 ASCII
// digits.
func Parse(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
