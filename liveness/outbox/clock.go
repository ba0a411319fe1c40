package outbox

import "time"

// Clock is the dispatcher's source of time: the current time for
// timestamps and schedules, and timers for the worker loop and the
// per-attempt timeout. Tests inject a fake (see outboxtest.Clock).
// Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not run; it reports whether it did.
	Stop() bool
}

// SystemClock is the Clock of package time. It has no state and is safe for
// concurrent use.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
