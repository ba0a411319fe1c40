package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

var (
	_ liveness.FailureLimiter = (*redisstore.FailureLimiter)(nil)
	_ httpapi.RateLimiter     = (*redisstore.RateLimiter)(nil)
)

// TestFailureLimiterMatchesMemory plays the same failures and checks on
// the Redis limiter and on liveness.MemoryFailureLimiter and expects the
// same answers.
func TestFailureLimiterMatchesMemory(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at     time.Duration
		ref    string
		failed bool // record a failure; otherwise check
	}
	tests := []struct {
		name   string
		max    int
		window time.Duration
		steps  []step
	}{
		{"below the limit", 3, time.Minute, []step{{0, "r", true}, {time.Second, "r", true}, {2 * time.Second, "r", false}}},
		{"cool-down until the oldest leaves", 2, time.Minute, []step{
			{0, "r", true}, {10 * time.Second, "r", true}, {11 * time.Second, "r", false},
			{59 * time.Second, "r", false}, {60 * time.Second, "r", false}, {61 * time.Second, "r", true},
			{62 * time.Second, "r", false}, {70 * time.Second, "r", false}, {71 * time.Second, "r", false},
		}},
		{"references are separate", 1, time.Minute, []step{{0, "a", true}, {time.Second, "a", false}, {time.Second, "b", false}}},
		{"many failures", 3, 30 * time.Second, []step{
			{0, "r", true}, {time.Second, "r", true}, {2 * time.Second, "r", true}, {3 * time.Second, "r", true},
			{4 * time.Second, "r", true}, {5 * time.Second, "r", false}, {31 * time.Second, "r", false},
			{33 * time.Second, "r", false}, {35 * time.Second, "r", false},
		}},
		{"same instant", 2, time.Minute, []step{{0, "r", true}, {0, "r", true}, {0, "r", false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rl := redisstore.NewFailureLimiter(c, tc.max, tc.window, redisstore.WithPrefix(newPrefix(t, c)))
			ml := liveness.NewMemoryFailureLimiter(tc.max, tc.window)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				if s.failed {
					if err := rl.Failed(ctx, s.ref, now); err != nil {
						t.Fatal(err)
					}
					ml.Failed(ctx, s.ref, now)
					continue
				}
				got, err := rl.Check(ctx, s.ref, now)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := ml.Check(ctx, s.ref, now)
				if got != want {
					t.Errorf("step %d (check %s at +%v): wait %v, want %v", i, s.ref, s.at, got, want)
				}
			}
		})
	}
}

// TestRateLimiterMatchesMemory plays the same events on the Redis limiter
// (with an injected clock) and on httpapi.MemoryRateLimiter.
func TestRateLimiterMatchesMemory(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		at     []time.Duration
	}{
		{"burst", 3, 10 * time.Second, []time.Duration{0, 0, 0, 0, 0, time.Second}},
		{"sliding", 2, 10 * time.Second, []time.Duration{0, 4 * time.Second, 5 * time.Second, 9 * time.Second, 10 * time.Second, 11 * time.Second, 14 * time.Second, 14 * time.Second}},
		{"rejections are not counted", 1, time.Second, []time.Duration{0, 100 * time.Millisecond, 900 * time.Millisecond, 999 * time.Millisecond, time.Second, 1001 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var now time.Time
			clock := func() time.Time { return now }
			rl := redisstore.NewRateLimiter(c, tc.limit, tc.window, redisstore.WithPrefix(newPrefix(t, c)), redisstore.WithClock(clock))
			ml := httpapi.NewMemoryRateLimiter(tc.limit, tc.window, clock)
			for i, at := range tc.at {
				now = t0.Add(at)
				ok, wait, err := rl.Allow(ctx, "k")
				if err != nil {
					t.Fatal(err)
				}
				wantOK, wantWait, _ := ml.Allow(ctx, "k")
				if ok != wantOK || wait != wantWait {
					t.Errorf("event %d at +%v: %v, %v; want %v, %v", i, at, ok, wait, wantOK, wantWait)
				}
			}
		})
	}
}

// TestRateLimiterAcrossReplicas shares one limit between two limiters
// with their own connections, using the Redis server's clock.
func TestRateLimiterAcrossReplicas(t *testing.T) {
	c1, c2 := newClient(t), newClient(t)
	prefix := newPrefix(t, c1)
	const limit = 10
	ls := []*redisstore.RateLimiter{
		redisstore.NewRateLimiter(c1, limit, time.Hour, redisstore.WithPrefix(prefix)),
		redisstore.NewRateLimiter(c2, limit, time.Hour, redisstore.WithPrefix(prefix)),
	}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for range 5 {
				ok, wait, err := ls[w%2].Allow(t.Context(), "session-1")
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				} else if wait <= 0 || wait > time.Hour {
					t.Errorf("rejected with retry after %v, want within (0, 1h]", wait)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != limit {
		t.Errorf("%d events allowed across two replicas, want %d", n, limit)
	}
	if ok, _, _ := ls[0].Allow(t.Context(), "session-2"); !ok {
		t.Error("another key was limited")
	}
	ttl := c1.PTTL(t.Context(), prefix+"rate:session-1").Val()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("limiter key TTL %v, want about one window", ttl)
	}
}

func TestOnce(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	prefix := newPrefix(t, c)
	o1 := redisstore.NewOnceSet(c, redisstore.WithPrefix(prefix))
	o2 := redisstore.NewOnceSet(newClient(t), redisstore.WithPrefix(prefix))
	tests := []struct {
		o    *redisstore.OnceSet
		key  string
		want bool
	}{
		{o1, "nonce-1", true},
		{o1, "nonce-1", false},
		{o2, "nonce-1", false}, // another replica
		{o2, "nonce-2", true},
		{o1, "nonce-2", false},
	}
	for i, tc := range tests {
		first, err := tc.o.Once(ctx, tc.key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if first != tc.want {
			t.Errorf("use %d of %s: first = %v, want %v", i, tc.key, first, tc.want)
		}
	}
	if ttl := c.PTTL(ctx, prefix+"once:nonce-1").Val(); ttl <= 55*time.Second || ttl > time.Minute {
		t.Errorf("TTL %v, want about a minute", ttl)
	}
	if _, err := o1.Once(ctx, "k", 0); err == nil {
		t.Error("Once with a zero TTL succeeded")
	}
	// Concurrent first uses: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		o := []*redisstore.OnceSet{o1, o2}[i%2]
		wg.Go(func() {
			if first, err := o.Once(ctx, "race", time.Minute); err == nil && first {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d first uses of one key, want 1", wins.Load())
	}
}

func TestLimiterErrors(t *testing.T) {
	c := newClient(t)
	prefix := newPrefix(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rl := redisstore.NewRateLimiter(c, 1, time.Second, redisstore.WithPrefix(prefix))
	if _, _, err := rl.Allow(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Allow with a cancelled context: %v", err)
	}
	fl := redisstore.NewFailureLimiter(c, 1, time.Second, redisstore.WithPrefix(prefix))
	if err := fl.Failed(ctx, "r", time.Now()); !errors.Is(err, redisstore.ErrRedis) {
		t.Errorf("Failed with a cancelled context: %v", err)
	}
	if n, w := redisstore.NewRateLimiter(c, 0, 0).Limit(); n != redisstore.DefaultRateLimit || w != redisstore.DefaultRateWindow {
		t.Errorf("defaults %d per %v", n, w)
	}
}
