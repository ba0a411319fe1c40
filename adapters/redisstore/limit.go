package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openliveness/openliveness/liveness"
)

// Defaults of NewFailureLimiter and NewRateLimiter, the same as those of
// the engine's and the HTTP API's in-memory limiters.
const (
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 3 * time.Minute
	DefaultRateLimit     = 30
	DefaultRateWindow    = 10 * time.Second
)

// FailureLimiter is a liveness.FailureLimiter in Redis: at most Max failed
// sessions per reference id within Window, after which new sessions wait
// until the oldest counted failure leaves the window. Times come from the
// engine (the now arguments). Each reference id is one sorted set of
// failure times that expires one window after its last failure. It is
// safe for concurrent use, also by several processes.
type FailureLimiter struct {
	c      redis.UniversalClient
	prefix string
	max    int
	window time.Duration
}

var _ liveness.FailureLimiter = (*FailureLimiter)(nil)

// NewFailureLimiter returns a limiter of max failures per window (values
// below 1 select DefaultMaxFailures and DefaultFailureWindow). Of the
// options, only WithPrefix applies.
func NewFailureLimiter(c redis.UniversalClient, max int, window time.Duration, opts ...Option) *FailureLimiter {
	cfg := newConfig(opts)
	if max < 1 {
		max = DefaultMaxFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	return &FailureLimiter{c: c, prefix: cfg.prefix + "failures:", max: max, window: window}
}

// checkFailuresScript drops failures at or before ARGV[1] (now - window)
// and returns how many microseconds remain until fewer than ARGV[2]
// failures are in the window (0: none).
var checkFailuresScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[2])
if n < max then return 0 end
local s = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
return tonumber(s[2]) - tonumber(ARGV[1])
`)

// addFailureScript drops failures at or before ARGV[1], adds the member
// ARGV[3] at ARGV[2] and sets the key's lifetime to ARGV[4] milliseconds.
var addFailureScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// Check implements liveness.FailureLimiter.
func (l *FailureLimiter) Check(ctx context.Context, ref string, now time.Time) (time.Duration, error) {
	cut := now.Add(-l.window).UnixMicro()
	us, err := checkFailuresScript.Run(ctx, l.c, []string{l.prefix + ref},
		cut, l.max).Int64()
	if err != nil {
		return 0, fmt.Errorf("%w: check failures: %w", ErrRedis, err)
	}
	return time.Duration(max(us, 0)) * time.Microsecond, nil
}

// Failed implements liveness.FailureLimiter.
func (l *FailureLimiter) Failed(ctx context.Context, ref string, now time.Time) error {
	err := addFailureScript.Run(ctx, l.c, []string{l.prefix + ref},
		now.Add(-l.window).UnixMicro(), now.UnixMicro(), member(now), max(l.window.Milliseconds(), 1)).Err()
	if err != nil {
		return fmt.Errorf("%w: record failure: %w", ErrRedis, err)
	}
	return nil
}

// member returns a sorted-set member unique to one event at t.
func member(t time.Time) string {
	return strconv.FormatInt(t.UnixMicro(), 10) + "-" + rand.Text()
}

// RateLimiter is the rate limiter of liveness/httpapi in Redis: a sliding
// window of at most limit events per key in any window, rejected events
// not counted, like httpapi.MemoryRateLimiter, but shared by every replica
// using the same Redis. Each key is one sorted set of event times that
// expires one window after its last event. Event times come from the
// Redis server's clock unless WithClock is given. It is safe for
// concurrent use, also by several processes.
type RateLimiter struct {
	c      redis.UniversalClient
	prefix string
	limit  int
	window time.Duration
	now    func() time.Time
}

// NewRateLimiter returns a limiter of limit events per window (values
// below 1 select DefaultRateLimit and DefaultRateWindow).
// WithPrefix and WithClock apply.
func NewRateLimiter(c redis.UniversalClient, limit int, window time.Duration, opts ...Option) *RateLimiter {
	cfg := newConfig(opts)
	if limit < 1 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	return &RateLimiter{c: c, prefix: cfg.prefix + "rate:", limit: limit, window: window, now: cfg.now}
}

// Limit returns the configured limit and window.
func (l *RateLimiter) Limit() (int, time.Duration) { return l.limit, l.window }

// allowScript records an event unless ARGV[3] events are in the window.
// ARGV: now in microseconds (empty: the server's TIME), window in
// microseconds, limit, member suffix. Returns {allowed, retry after µs}.
var allowScript = redis.NewScript(`
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) + window - now}
end
local at = string.format('%.0f', now)
redis.call('ZADD', KEYS[1], at, at .. '-' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {1, 0}
`)

// Allow implements httpapi.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := ""
	if l.now != nil {
		now = strconv.FormatInt(l.now().UnixMicro(), 10)
	}
	res, err := allowScript.Run(ctx, l.c, []string{l.prefix + key},
		now, l.window.Microseconds(), l.limit, rand.Text()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("%w: rate limit: %w", ErrRedis, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("%w: rate limit: unexpected reply %v", ErrRedis, res)
	}
	return res[0] == 1, time.Duration(max(res[1], 0)) * time.Microsecond, nil
}

// OnceSet records single-use values, such as the nonce of a signed
// evidence URL or an idempotency key: Once reports true for the first use
// of a key and false afterwards, across every replica, until the key's TTL
// passes. It is safe for concurrent use, also by several processes. Of the
// options, only WithPrefix applies.
type OnceSet struct {
	c      redis.UniversalClient
	prefix string
}

// NewOnceSet returns an OnceSet over c.
func NewOnceSet(c redis.UniversalClient, opts ...Option) *OnceSet {
	return &OnceSet{c: c, prefix: newConfig(opts).prefix + "once:"}
}

// errBadTTL is returned by Once for a TTL below one millisecond.
var errBadTTL = errors.New("redisstore: once: ttl must be at least 1 ms")

// Once records key for ttl and reports whether this call was its first
// use (SET NX with an expiry: one atomic step on the server). Pick ttl at
// least as long as the value can be presented (a nonce's URL lifetime).
func (o *OnceSet) Once(ctx context.Context, key string, ttl time.Duration) (first bool, err error) {
	if ttl < time.Millisecond {
		return false, errBadTTL
	}
	first, err = o.c.SetNX(ctx, o.prefix+key, "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("%w: once: %w", ErrRedis, err)
	}
	return first, nil
}
