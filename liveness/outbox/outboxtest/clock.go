package outboxtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/openliveness/openliveness/liveness/outbox"
)

// Clock is a [outbox.Clock] that moves only when told to. Timers fire, each
// in its own goroutine, when Advance or Set moves the time past their
// deadline. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{}
}

type timer struct {
	c    *Clock
	when time.Time
	dur  time.Duration
	f    func()
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc registers f to run d after the current time.
func (c *Clock) AfterFunc(d time.Duration, f func()) outbox.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, when: c.now.Add(d), dur: d, f: f}
	if d <= 0 {
		go f()
		return t
	}
	c.timers = append(c.timers, t)
	c.notifyLocked()
	return t
}

// Stop cancels the timer; it reports whether the timer was pending.
func (t *timer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.notifyLocked()
	return true
}

// Advance moves the clock forward by d and fires the timers due by then,
// earliest first.
func (c *Clock) Advance(d time.Duration) {
	c.Set(c.Now().Add(d))
}

// Set moves the clock to t (never backwards) and fires the timers due by
// then, earliest first.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	var due []*timer
	c.timers = slices.DeleteFunc(c.timers, func(tm *timer) bool {
		if !tm.when.After(c.now) {
			due = append(due, tm)
			return true
		}
		return false
	})
	slices.SortStableFunc(due, func(a, b *timer) int { return a.when.Compare(b.when) })
	c.notifyLocked()
	c.mu.Unlock()
	for _, tm := range due {
		go tm.f()
	}
}

// Pending returns the number of timers waiting to fire.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitTimer blocks until a timer of duration d is pending (registered and
// neither fired nor stopped), or ctx ends. Tests use it to know that code
// under test is waiting on the clock before they advance it.
func (c *Clock) WaitTimer(ctx context.Context, d time.Duration) error {
	return c.wait(ctx, func() bool {
		return slices.ContainsFunc(c.timers, func(t *timer) bool { return t.dur == d })
	})
}

// WaitTimers blocks until at least n timers are pending, or ctx ends.
func (c *Clock) WaitTimers(ctx context.Context, n int) error {
	return c.wait(ctx, func() bool { return len(c.timers) >= n })
}

func (c *Clock) wait(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		ok := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
