package outbox

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/openliveness/openliveness/internal/digits"
)

// RetryPolicy schedules the attempts after the first.
//
// A RetryPolicy is a value; Delays must not be modified while in use.
type RetryPolicy struct {
	// Delays[i] is the wait after attempt i+1 failed; a delivery gets
	// len(Delays)+1 attempts, then is marked failed.
	Delays []time.Duration
	// Jitter spreads each delay uniformly over [d·(1-Jitter), d·(1+Jitter)]
	// so that many deliveries failing together do not retry together. It
	// must be in [0, 1).
	Jitter float64
	// MaxRetryAfter caps the wait that a Retry-After header can impose;
	// zero means one hour. A Retry-After longer than the scheduled delay
	// replaces it (up to this cap); it never adds attempts.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy retries 5 s, 30 s, 2 min, 10 min and 1 h after the
// first attempt (six attempts in all) with 10 % jitter.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Delays: []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour},
		Jitter: 0.1,
	}
}

// RetryOncePolicy retries once, 5 s after the first attempt, with 10 %
// jitter.
func RetryOncePolicy() RetryPolicy {
	return RetryPolicy{Delays: []time.Duration{5 * time.Second}, Jitter: 0.1}
}

// NoRetryPolicy makes a single attempt.
func NoRetryPolicy() RetryPolicy { return RetryPolicy{} }

// Next returns the wait before the attempt following attempt number n
// (1-based) and whether there is one. u is a uniform sample in [0, 1) for
// the jitter; retryAfter is the server's Retry-After wait (zero if none).
func (p RetryPolicy) Next(n int, u float64, retryAfter time.Duration) (time.Duration, bool) {
	if n < 1 || n > len(p.Delays) {
		return 0, false
	}
	d := p.Delays[n-1]
	if p.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + p.Jitter*(2*u-1)))
	}
	if retryAfter > d {
		maxRA := p.MaxRetryAfter
		if maxRA <= 0 {
			maxRA = time.Hour
		}
		d = min(retryAfter, max(maxRA, d))
	}
	return d, true
}

func (p RetryPolicy) validate() error {
	if p.Jitter < 0 || p.Jitter >= 1 {
		return errors.New("webhook: retry jitter must be in [0, 1)")
	}
	for _, d := range p.Delays {
		if d <= 0 {
			return errors.New("webhook: retry delays must be positive")
		}
	}
	return nil
}

// outcome classifies an attempt.
type outcome int

const (
	outcomeDelivered outcome = iota // 2xx
	outcomeRetry                    // network error, timeout, 408, 429, 5xx
	outcomeFail                     // other answers, refused address
	outcomeGone                     // 410: disable the endpoint
)

// classify decides what an attempt's result means: err is the transport
// error (nil when a response arrived), status the response status.
func classify(status int, err error) outcome {
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return outcomeFail
		}
		return outcomeRetry
	}
	switch {
	case status >= 200 && status <= 299:
		return outcomeDelivered
	case status == http.StatusGone:
		return outcomeGone
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500 && status <= 599:
		return outcomeRetry
	default:
		// 1xx that escaped the transport, 3xx (redirects are not
		// followed) and other 4xx: the request will not succeed as is.
		return outcomeFail
	}
}

// parseRetryAfter parses a Retry-After value, delay-seconds or an HTTP-date,
// into a wait from now. Negative and unparsable values give false.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		if len(v) > 9 {
			// More than 31 years: treat as the largest sensible wait.
			for i := 0; i < len(v); i++ {
				if v[i] < '0' || v[i] > '9' {
					return 0, false
				}
			}
			return 1<<63 - 1, true
		}
		secs, ok := digits.Parse(v)
		if !ok {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}
