package httpapi

import (
	"context"
	"sync"
	"time"
)

// RateLimiter limits events per key (the handler uses one key per session
// for frame submissions). Allow records an event and reports whether it is
// within the limit; when it is not, retryAfter is how long until one more
// would be. Implementations must be safe for concurrent use; a shared one
// (Redis) lets replicas enforce one limit.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// MemoryRateLimiter is a sliding-window RateLimiter in process memory: at
// most limit events per key in any window. Rejected events are not
// counted. Keys idle for a window are dropped. It is safe for concurrent
// use.
type MemoryRateLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	events map[string][]time.Time // per key, oldest first, at most limit
	lastGC time.Time
}

// NewMemoryRateLimiter returns a limiter of limit events per window
// (values below 1 select the defaults, 30 per 10 s); now is the clock (nil
// means time.Now).
func NewMemoryRateLimiter(limit int, window time.Duration, now func() time.Time) *MemoryRateLimiter {
	if limit < 1 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryRateLimiter{limit: limit, window: window, now: now, events: map[string][]time.Time{}}
}

// Limit returns the configured limit and window.
func (l *MemoryRateLimiter) Limit() (int, time.Duration) { return l.limit, l.window }

// Allow implements RateLimiter.
func (l *MemoryRateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gcLocked(now)
	ev := l.events[key]
	cut := 0
	for cut < len(ev) && !ev[cut].After(now.Add(-l.window)) {
		cut++
	}
	ev = ev[cut:]
	if len(ev) >= l.limit {
		l.events[key] = ev
		return false, ev[0].Add(l.window).Sub(now), nil
	}
	if cap(ev) == len(ev) && cut > 0 {
		ev = append(make([]time.Time, 0, min(l.limit, 2*len(ev)+8)), ev...) // never limit-sized up front
	}
	l.events[key] = append(ev, now)
	return true, 0, nil
}

// gcLocked drops idle keys, at most once per window.
func (l *MemoryRateLimiter) gcLocked(now time.Time) {
	if now.Sub(l.lastGC) < l.window {
		return
	}
	l.lastGC = now
	for k, ev := range l.events {
		if len(ev) == 0 || !ev[len(ev)-1].After(now.Add(-l.window)) {
			delete(l.events, k)
		}
	}
}
