package httpapi

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frame holds one slot of tenant for d.
func frame(t *testing.T, f *fairSlots, tenant string, d time.Duration) {
	s := f.forTenant(tenant)
	require.NoError(t, s.Acquire(context.Background()))
	time.Sleep(d)
	s.Release()
}

// TestFairSlotsCheapFirst: a tenant sending costly frames does not start
// one while a tenant with cheap frames is active, uses the slots when that
// tenant is idle, and runs again once the cheap tenant has used
// cheapWeight times its slot time.
func TestFairSlotsCheapFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFairSlots(2, 1, time.Now)
		frame(t, f, "costly", time.Second)
		frame(t, f, "cheap", 10*time.Millisecond)

		// The cheap tenant holds a slot: the costly one waits for it and
		// for activeWindow after it, although a slot is free.
		cheap := f.forTenant("cheap")
		require.NoError(t, cheap.Acquire(context.Background()))
		start := time.Now()
		done := make(chan time.Duration)
		go func() {
			frame(t, f, "costly", 0)
			done <- time.Since(start)
		}()
		time.Sleep(20 * time.Millisecond)
		cheap.Release()
		assert.Equal(t, 20*time.Millisecond+activeWindow, <-done)

		// The cheap tenant never waits for the costly one's frame beyond
		// the slots: it takes the free slot at once.
		costly := f.forTenant("costly")
		require.NoError(t, costly.Acquire(context.Background()))
		start = time.Now()
		frame(t, f, "cheap", 10*time.Millisecond)
		assert.Equal(t, 10*time.Millisecond, time.Since(start))
		costly.Release()

		// Idle cheap tenant: the costly one starts at once.
		time.Sleep(activeWindow)
		start = time.Now()
		frame(t, f, "costly", 0)
		assert.Zero(t, time.Since(start))

		// A waiting request gives up when its context ends.
		require.NoError(t, cheap.Acquire(context.Background()))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, f.forTenant("costly").Acquire(ctx), context.DeadlineExceeded)
		cheap.Release()
	})
}

// TestFairSlotsWeightedShare: once the cheap tenant has used cheapWeight
// times the costly tenant's recent slot time, it no longer goes first.
func TestFairSlotsWeightedShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFairSlots(2, 1, time.Now)
		frame(t, f, "costly", 100*time.Millisecond)
		for range 100 {
			frame(t, f, "cheap", 20*time.Millisecond)
		}
		cheap := f.forTenant("cheap")
		require.NoError(t, cheap.Acquire(context.Background()))
		start := time.Now()
		frame(t, f, "costly", 0)
		assert.Zero(t, time.Since(start))
		cheap.Release()
	})
}

// TestFairSlotsBounds: at most n frames at once; at most perTenant of one
// tenant while another tenant is active, all n for a tenant alone.
func TestFairSlotsBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFairSlots(2, 1, time.Now)
		a := f.forTenant("a")
		require.NoError(t, a.Acquire(context.Background()))
		alone := f.forTenant("a")
		require.NoError(t, alone.Acquire(context.Background()), "a tenant alone uses every slot")
		alone.Release()

		b := f.forTenant("b")
		require.NoError(t, b.Acquire(context.Background()))
		b.Release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, f.forTenant("a").Acquire(ctx), context.DeadlineExceeded, "per-tenant share while b is active")
		time.Sleep(sharedWindow)
		again := f.forTenant("a")
		require.NoError(t, again.Acquire(context.Background()), "b idle for sharedWindow: a is alone again")
		again.Release()

		b = f.forTenant("b")
		require.NoError(t, b.Acquire(context.Background()))
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		assert.ErrorIs(t, f.forTenant("c").Acquire(ctx2), context.DeadlineExceeded, "all slots held")
		a.Release()
		require.NoError(t, f.forTenant("c").Acquire(context.Background()))
	})
}

// TestFairSlotsRefusedFramesKeepCost: frames refused at their header (no
// slot time) between costly ones do not make a tenant look cheap.
func TestFairSlotsRefusedFramesKeepCost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFairSlots(2, 1, time.Now)
		frame(t, f, "costly", 500*time.Millisecond)
		for range 20 {
			frame(t, f, "costly", 0)
		}
		frame(t, f, "cheap", 20*time.Millisecond)
		cheap := f.forTenant("cheap")
		require.NoError(t, cheap.Acquire(context.Background()))
		start := time.Now()
		done := make(chan time.Duration)
		go func() {
			frame(t, f, "costly", 0)
			done <- time.Since(start)
		}()
		time.Sleep(20 * time.Millisecond)
		cheap.Release()
		assert.Equal(t, 20*time.Millisecond+activeWindow, <-done)
	})
}
