package httpapi

import (
	"bytes"
	"context"
	"errors"
	"sync"
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

// TestFairSlotsPause: a started frame gives way at its pause points while
// a frame of another tenant declaring less than half its work runs, holds
// its slot meanwhile, resumes when that frame ends, and is not charged for
// the pause; frames of similar work, of the same tenant or of unknown work
// run side by side.
func TestFairSlotsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := newFairSlots(2, 1, time.Now)
		frame(t, f, "costly", 100*time.Millisecond)
		frame(t, f, "cheap", 10*time.Millisecond)

		costly := f.forTenant("costly")
		require.NoError(t, costly.Acquire(ctx))
		require.NoError(t, costly.Pause(ctx, 1000), "alone: no pause")
		cheap := f.forTenant("cheap")
		require.NoError(t, cheap.Acquire(ctx))
		require.NoError(t, cheap.Pause(ctx, 100), "the cheaper frame never waits")

		start := time.Now()
		resumed := make(chan time.Duration)
		go func() {
			assert.NoError(t, costly.Pause(ctx, 1000))
			resumed <- time.Since(start)
		}()
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		assert.Equal(t, 2, f.used, "the paused frame keeps its slot")
		cheap.Release()
		assert.Equal(t, 30*time.Millisecond, <-resumed)
		time.Sleep(20 * time.Millisecond)
		before := f.tenants["costly"].decay(time.Now())
		costly.Release()
		assert.InDelta(t, before+0.02, f.tenants["costly"].load, 1e-9, "charged for its 20 ms running, not the 30 ms paused")

		// Similar work (within 2×), the same tenant, unknown work: no pause.
		for _, tc := range []struct {
			other string
			work  int64
		}{{"cheap", 600}, {"costly", 100}, {"cheap", 0}} {
			f := newFairSlots(2, 2, time.Now)
			frame(t, f, "costly", 100*time.Millisecond)
			a, b := f.forTenant("costly"), f.forTenant(tc.other)
			require.NoError(t, a.Acquire(ctx))
			require.NoError(t, b.Acquire(ctx))
			require.NoError(t, b.Pause(ctx, tc.work))
			start := time.Now()
			require.NoError(t, a.Pause(ctx, 1000))
			assert.Zero(t, time.Since(start), "%s frame of work %d", tc.other, tc.work)
			a.Release()
			b.Release()
		}

		// A paused frame gives up when its context ends.
		time.Sleep(activeWindow)
		require.NoError(t, costly.Acquire(ctx))
		require.NoError(t, cheap.Acquire(ctx))
		require.NoError(t, cheap.Pause(ctx, 100))
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, costly.Pause(cctx, 1000), context.DeadlineExceeded)
		assert.ErrorIs(t, costly.Pause(cctx, 1000), context.DeadlineExceeded, "and at once after")
		costly.Release()
		cheap.Release()
	})
}

// TestFairSlotsPauseBounded: a frame gives way for at most maxPause in
// all, however long the cheaper work lasts.
func TestFairSlotsPauseBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := newFairSlots(3, 2, time.Now)
		frame(t, f, "costly", 500*time.Millisecond)
		costly, cheap := f.forTenant("costly"), f.forTenant("cheap")
		require.NoError(t, costly.Acquire(ctx))
		require.NoError(t, cheap.Acquire(ctx))
		require.NoError(t, cheap.Pause(ctx, 100))
		go func() {
			time.Sleep(300 * time.Millisecond)
			cheap.Release()
		}()
		start := time.Now()
		require.NoError(t, costly.Pause(ctx, 1000))
		assert.Equal(t, 300*time.Millisecond, time.Since(start), "paused while the cheap frame ran")

		require.NoError(t, cheap.Acquire(ctx))
		require.NoError(t, cheap.Pause(ctx, 100))
		start = time.Now()
		require.NoError(t, costly.Pause(ctx, 1000))
		assert.Equal(t, maxPause-300*time.Millisecond, time.Since(start), "the rest of maxPause, although the cheap frame runs on")
		start = time.Now()
		require.NoError(t, costly.Pause(ctx, 1000))
		assert.Zero(t, time.Since(start), "then no more pauses")
		cheap.Release()
		costly.Release()
	})
}

// TestFairSlotsPauseChain: frames give way only to running frames, in
// order of declared work, so a chain of pauses resolves from the
// cheapest frame up.
func TestFairSlotsPauseChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := newFairSlots(3, 2, time.Now)
		for _, tenant := range []string{"a", "b", "c"} {
			frame(t, f, tenant, 10*time.Millisecond)
		}
		a, b, c := f.forTenant("a"), f.forTenant("b"), f.forTenant("c")
		for _, s := range []*requestSlots{a, b, c} {
			require.NoError(t, s.Acquire(ctx))
		}
		require.NoError(t, c.Pause(ctx, 10))
		start := time.Now()
		resumed := map[string]time.Duration{}
		var wg sync.WaitGroup
		for name, s := range map[string]*requestSlots{"a": a, "b": b} {
			work := map[string]int64{"a": 1000, "b": 100}[name]
			wg.Go(func() {
				assert.NoError(t, s.Pause(ctx, work))
				d := time.Since(start)
				time.Sleep(10 * time.Millisecond)
				s.Release()
				f.mu.Lock()
				resumed[name] = d
				f.mu.Unlock()
			})
		}
		time.Sleep(10 * time.Millisecond)
		c.Release()
		wg.Wait()
		assert.Equal(t, map[string]time.Duration{"b": 10 * time.Millisecond, "a": 20 * time.Millisecond}, resumed)
	})
}

// TestFairSlotsGiveWay: reading a large body waits while another tenant's
// frame runs, not for its own tenant's frames nor paused ones, and for at
// most its budget.
func TestFairSlotsGiveWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		f := newFairSlots(3, 2, time.Now)
		budget := time.Second
		require.NoError(t, f.giveWay(ctx, "a", &budget), "no frame running")
		assert.Equal(t, time.Second, budget)

		own := f.forTenant("a")
		require.NoError(t, own.Acquire(ctx))
		require.NoError(t, own.Pause(ctx, 100))
		require.NoError(t, f.giveWay(ctx, "a", &budget), "its own tenant's frame")
		assert.Equal(t, time.Second, budget)
		own.Release()

		other := f.forTenant("b")
		require.NoError(t, other.Acquire(ctx))
		require.NoError(t, f.giveWay(ctx, "a", &budget), "work not declared yet")
		require.NoError(t, other.Pause(ctx, 100))
		go func() {
			time.Sleep(300 * time.Millisecond)
			other.Release()
		}()
		start := time.Now()
		require.NoError(t, f.giveWay(ctx, "a", &budget))
		assert.Equal(t, 300*time.Millisecond, time.Since(start), "until the other frame ends")
		assert.Equal(t, 700*time.Millisecond, budget)

		require.NoError(t, other.Acquire(ctx))
		require.NoError(t, other.Pause(ctx, 100))
		start = time.Now()
		require.NoError(t, f.giveWay(ctx, "a", &budget))
		assert.Equal(t, 700*time.Millisecond, time.Since(start), "at most the budget")
		assert.LessOrEqual(t, budget, time.Duration(0))
		start = time.Now()
		require.NoError(t, f.giveWay(ctx, "a", &budget))
		assert.Zero(t, time.Since(start), "budget spent")

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		budget = time.Second
		assert.ErrorIs(t, f.giveWay(cctx, "a", &budget), context.Canceled)
		other.Release()
	})
}

// TestYieldingReader: a large body is read whole, with a yield before each
// chunk after the first, and stops at a yield's error.
func TestYieldingReader(t *testing.T) {
	body := bytes.Repeat([]byte("A"), 4*yieldChunk+10)
	yields := 0
	var buf bytes.Buffer
	_, err := buf.ReadFrom(&yieldingReader{r: bytes.NewReader(body), yield: func() error { yields++; return nil }})
	require.NoError(t, err)
	assert.Equal(t, body, buf.Bytes())
	assert.Equal(t, 4, yields)

	stop := errors.New("stop")
	buf.Reset()
	_, err = buf.ReadFrom(&yieldingReader{r: bytes.NewReader(body), yield: func() error { return stop }})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, yieldChunk, buf.Len())
}
