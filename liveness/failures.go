package liveness

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// TooManyFailuresError is returned by Create when the reference id had too
// many failed sessions recently; RetryAfter says when to try again.
type TooManyFailuresError struct {
	ReferenceID string
	RetryAfter  time.Duration
}

func (e *TooManyFailuresError) Error() string {
	return fmt.Sprintf("liveness: too many failed sessions for this reference; try again in %d s", int(e.RetryAfter.Seconds()+0.999))
}

// FailureLimiter counts failed sessions per reference id. Implementations
// must be safe for concurrent use; several replicas share one through a
// common store (for example Redis).
type FailureLimiter interface {
	// Check returns how long to wait before a new session for ref may
	// start (0: now).
	Check(ctx context.Context, ref string, now time.Time) (time.Duration, error)
	// Failed records a failed session of ref.
	Failed(ctx context.Context, ref string, now time.Time) error
}

// MemoryFailureLimiter allows at most Max failed sessions per reference id
// within Window; after that, new sessions wait until the oldest counted
// failure leaves the window (the cool-down). Safe for concurrent use.
type MemoryFailureLimiter struct {
	Max    int
	Window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewMemoryFailureLimiter returns a limiter of max failures per window
// (the defaults are 5 in 3 minutes).
func NewMemoryFailureLimiter(max int, window time.Duration) *MemoryFailureLimiter {
	return &MemoryFailureLimiter{Max: max, Window: window, fails: map[string][]time.Time{}}
}

func (m *MemoryFailureLimiter) prune(ref string, now time.Time) []time.Time {
	ts := m.fails[ref]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= m.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(m.fails, ref)
	} else {
		m.fails[ref] = ts
	}
	return ts
}

// Check implements FailureLimiter.
func (m *MemoryFailureLimiter) Check(_ context.Context, ref string, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.prune(ref, now)
	if len(ts) < m.Max {
		return 0, nil
	}
	return ts[len(ts)-m.Max].Add(m.Window).Sub(now), nil
}

// Failed implements FailureLimiter.
func (m *MemoryFailureLimiter) Failed(_ context.Context, ref string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fails[ref] = append(m.prune(ref, now), now)
	return nil
}
