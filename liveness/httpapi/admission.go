package httpapi

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// fairSlots bounds concurrent frame analysis: at most n frames are
// decoded and analysed at once, and while another tenant is active (it
// held, waited for or released a slot within sharedWindow) one tenant
// holds at most perTenant of them, so a tenant sending costly frames
// cannot take every slot; a tenant alone on the server uses all n.
//
// Slots alone share the slots, not the processor: a tenant keeping its
// slots busy with the costliest frames the limits allow still halves the
// processor time of every other frame when the process has fewer cores
// than slots (a container's share of a busy host). So cheap frames go
// first, within a weighted share: a tenant does not start a frame while an
// active tenant (one holding a slot, waiting for one it may take, or
// having released one within activeWindow) has frames that take less than
// half its slot time (tenantSlots.cost) and has used less than
// cheapWeight times its recent slot time (decayed with half-life
// loadHalfLife). A tenant sending webcam frames then mostly runs beside at
// most the one frame a tenant sending costly frames has already started.
// The price: while a cheap tenant is active, the costly tenant gets about
// 1/cheapWeight of its slot time even when a slot is idle; slots idle for
// activeWindow are its own.
//
// Ordering at the start of frames still lets a costly frame that has
// started share the processor with the cheap frames that come after it.
// So a frame in a slot also gives way (requestSlots.Pause, called by the
// engine inside decoding and between the stages of analysis) while a frame
// of another tenant declaring less than half its work (pixels × scans,
// from the headers) runs: the cheap frame then has the processor to
// itself rather than half of it (on a shared host, two frames computing
// at once each run at about half speed). A paused frame keeps its slot
// (and its memory), resumes as soon as no such frame runs, and pauses for
// at most maxPause in all, so a stream of cheap frames delays a costly one
// by at most that; its paused time is not charged as slot time. Reading
// and base64-decoding a large verify body gives way likewise (giveWay),
// outside the slots. Safe for concurrent use.
type fairSlots struct {
	n, perTenant int
	now          func() time.Time

	mu      sync.Mutex
	used    int
	tenants map[string]*tenantSlots
	inSlot  []*requestSlots // the frames holding a slot, running or paused
	wake    chan struct{}   // closed (and replaced) when a slot or the order changes
}

// loadHalfLife is how fast a tenant's recent slot time is forgotten;
// activeWindow is how long a tenant counts as active after a frame.
// cheapWeight is the priority of cheaper frames in slot time.
// sharedWindow is how long after another tenant's last slot a tenant is
// held to its share.
const (
	loadHalfLife = time.Second
	activeWindow = 500 * time.Millisecond
	cheapWeight  = 4
	sharedWindow = 5 * time.Second
	// maxPause bounds the time one frame gives way to cheaper frames.
	maxPause = time.Second
)

// tenantSlots is one tenant's state; idle tenants are forgotten once their
// load has decayed.
type tenantSlots struct {
	held, waiting int
	load          float64 // decayed slot seconds, as of at
	at            time.Time
	last          time.Time // last release
	sq            float64   // decayed sum of squared slot seconds of frames, as of at
}

// cost is the typical slot time of t's frames, weighted by slot time, so
// that frames refused at their header (a fraction of a millisecond in a
// slot) do not make a tenant sending costly frames look cheap.
func (t *tenantSlots) cost() float64 {
	if t.load <= 0 {
		return 0
	}
	return t.sq / t.load
}

func newFairSlots(n, perTenant int, now func() time.Time) *fairSlots {
	return &fairSlots{n: n, perTenant: perTenant, now: now, tenants: map[string]*tenantSlots{}, wake: make(chan struct{})}
}

// forTenant returns the slots of one request of tenant; it implements
// liveness.Slots.
func (f *fairSlots) forTenant(tenant string) *requestSlots {
	return &requestSlots{f: f, tenant: tenant}
}

// decay brings t's load to now.
func (t *tenantSlots) decay(now time.Time) float64 {
	if d := now.Sub(t.at); d > 0 {
		k := math.Exp2(-d.Seconds() / loadHalfLife.Seconds())
		t.load *= k
		t.sq *= k
		t.at = now
	}
	return t.load
}

// mayStart reports whether t may take a slot now (f.mu held); when a
// lighter tenant is active only because of a recent frame, recheck is when
// that ends.
func (f *fairSlots) mayStart(t *tenantSlots, now time.Time) (ok bool, recheck time.Duration) {
	if f.used >= f.n || (t.held >= f.perTenant && f.shared(t, now)) {
		return false, 0
	}
	mine := t.decay(now)
	ok = true
	for _, o := range f.tenants {
		if o == t || o.decay(now) >= cheapWeight*mine || 2*o.cost() >= t.cost() {
			continue
		}
		// A tenant with cheaper frames goes first while it is active and
		// within its weighted share.
		if o.held > 0 || (o.waiting > 0 && o.held < f.perTenant) {
			return false, 0
		}
		if end := o.last.Add(activeWindow).Sub(now); end > 0 {
			ok = false
			if recheck == 0 || end < recheck {
				recheck = end
			}
		}
	}
	return ok, recheck
}

// shared reports whether a tenant other than t holds or waits for a slot
// or released one within sharedWindow (f.mu held).
func (f *fairSlots) shared(t *tenantSlots, now time.Time) bool {
	for _, o := range f.tenants {
		if o != t && (o.held > 0 || o.waiting > 0 || now.Sub(o.last) < sharedWindow) {
			return true
		}
	}
	return false
}

// signal wakes the waiters to look again (f.mu held).
func (f *fairSlots) signal() {
	close(f.wake)
	f.wake = make(chan struct{})
}

// forget drops t when it is idle and its load is negligible (f.mu held).
func (f *fairSlots) forget(tenant string, t *tenantSlots, now time.Time) {
	if t.held == 0 && t.waiting == 0 && t.decay(now) < 1e-3 && now.Sub(t.last) >= max(activeWindow, sharedWindow) {
		delete(f.tenants, tenant)
	}
}

// requestSlots acquires one slot at a time for one request.
type requestSlots struct {
	f      *fairSlots
	tenant string

	// The frame in the slot (f.mu): when it last started running, its
	// running time before that, its declared work (0: not known yet) and
	// whether it is paused.
	start  time.Time
	ran    time.Duration
	held   time.Duration // paused so far
	work   int64
	paused bool
}

// Acquire waits until the tenant may take a slot (a free slot, within its
// share, no lighter tenant first) and takes it.
func (s *requestSlots) Acquire(ctx context.Context) error {
	f := s.f
	f.mu.Lock()
	now := f.now()
	for tenant, t := range f.tenants {
		if tenant != s.tenant {
			f.forget(tenant, t, now)
		}
	}
	t := f.tenants[s.tenant]
	if t == nil {
		t = &tenantSlots{at: now}
		f.tenants[s.tenant] = t
	}
	t.waiting++
	f.signal() // a new waiter may change the order
	for {
		ok, recheck := f.mayStart(t, now)
		if ok {
			break
		}
		wake := f.wake
		f.mu.Unlock()
		var timeout <-chan time.Time
		if recheck > 0 {
			tm := time.NewTimer(recheck)
			defer tm.Stop()
			timeout = tm.C
		}
		select {
		case <-wake:
		case <-timeout:
		case <-ctx.Done():
			f.mu.Lock()
			t.waiting--
			f.signal()
			f.mu.Unlock()
			return ctx.Err()
		}
		f.mu.Lock()
		now = f.now()
	}
	t.waiting--
	t.held++
	f.used++
	s.start, s.ran, s.held, s.work, s.paused = now, 0, 0, 0, false
	f.inSlot = append(f.inSlot, s)
	f.mu.Unlock()
	return nil
}

// Release frees the slot taken by the last successful Acquire and charges
// its time to the tenant.
func (s *requestSlots) Release() {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	t := f.tenants[s.tenant]
	t.decay(now)
	ran := s.ran
	if !s.paused {
		ran += max(now.Sub(s.start), 0)
	}
	if i := slices.Index(f.inSlot, s); i >= 0 {
		f.inSlot = slices.Delete(f.inSlot, i, i+1)
	}
	d := ran.Seconds()
	t.load += d
	t.sq += d * d
	t.held--
	t.last = now
	f.used--
	f.signal()
}

// Pause implements liveness.Pauser: it records the declared work of the
// frame in s's slot and, while the frame should give way (givesWay),
// blocks with the slot held until it may go on or ctx ends.
func (s *requestSlots) Pause(ctx context.Context, work int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	s.work = work
	now := f.now()
	if !f.givesWay(s, now) {
		return nil
	}
	s.ran += max(now.Sub(s.start), 0)
	s.paused, s.start = true, now
	f.signal() // frames waiting for this one to stop running may resume
	defer func() {
		now := f.now()
		s.held = s.pausedFor(now)
		s.paused, s.start = false, now
	}()
	for {
		// The frames running change only when frames start, pause, resume
		// or end, each of which signals; the timer ends the pause at
		// maxPause.
		f.waitWake(ctx, maxPause-s.pausedFor(now))
		now = f.now()
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.givesWay(s, now) {
			f.signal() // resumed: others may have to give way now
			return nil
		}
	}
}

// bigBody is the size from which reading a verify body, and decoding the
// base64 of its frames, gives way to other tenants' frames (giveWay):
// several times a webcam frame's base64.
const bigBody = 1 << 20

// giveWay blocks, while a frame of a tenant other than tenant is running
// in a slot, until none is, *budget has been spent or ctx ends; the time
// waited is taken from *budget. Reading and decoding large verify bodies
// call it between chunks, so that, like a costly frame, they do not
// compete with other tenants' frames for the processor.
func (f *fairSlots) giveWay(ctx context.Context, tenant string, budget *time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := f.now()
	defer func() { *budget -= max(f.now().Sub(start), 0) }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := *budget - f.now().Sub(start)
		if left <= 0 || !f.othersRunning(tenant) {
			return nil
		}
		f.waitWake(ctx, left)
	}
}

// waitWake releases f.mu until the frames running change (f.wake), d has
// passed or ctx ends, and takes it again (f.mu held).
func (f *fairSlots) waitWake(ctx context.Context, d time.Duration) {
	wake := f.wake
	f.mu.Unlock()
	defer f.mu.Lock()
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-wake:
	case <-tm.C:
	case <-ctx.Done():
	}
}

// othersRunning reports whether a frame of a tenant other than tenant is
// running in a slot (f.mu held).
func (f *fairSlots) othersRunning(tenant string) bool {
	for _, r := range f.inSlot {
		if r.tenant != tenant && !r.paused && r.work > 0 {
			return true
		}
	}
	return false
}

// pausedFor is how long the frame in s's slot has been paused in all
// (f.mu held); while paused, s.start is when the pause began.
func (s *requestSlots) pausedFor(now time.Time) time.Duration {
	if s.paused {
		return s.held + max(now.Sub(s.start), 0)
	}
	return s.held
}

// givesWay reports whether the frame in s's slot should pause (f.mu
// held): it has paused less than maxPause in all, and a frame of another
// tenant declaring less than half its work runs (or is paused but may
// resume). The relation orders frames strictly by declared work, so the
// recursion ends, paused frames never wait on each other, and the
// cheapest frame never waits.
func (f *fairSlots) givesWay(s *requestSlots, now time.Time) bool {
	return f.givesWayMemo(s, now, nil)
}

func (f *fairSlots) givesWayMemo(s *requestSlots, now time.Time, memo map[*requestSlots]bool) bool {
	if s.work <= 0 || s.pausedFor(now) >= maxPause {
		return false
	}
	if v, ok := memo[s]; ok {
		return v
	}
	v := false
	for _, r := range f.inSlot {
		if r.tenant == s.tenant || r.work <= 0 || 2*r.work >= s.work {
			continue
		}
		if r.paused && memo == nil {
			memo = map[*requestSlots]bool{} // remembers the frames below r
		}
		if !r.paused || !f.givesWayMemo(r, now, memo) {
			v = true
			break
		}
	}
	if memo != nil {
		memo[s] = v
	}
	return v
}

// budget is a counter with a ceiling, shared fairly: take fails at once,
// without waiting, when n more would pass the ceiling or one tenant's share
// of it (half the ceiling, or the largest single request when that is
// more), so one tenant cannot fill the budget and make every other
// tenant's requests fail. The server then answers 503 with Retry-After
// rather than queue without bound. Safe for concurrent use.
type budget struct {
	mu         sync.Mutex
	used, ceil int64
	share      int64 // per tenant; 0: no per-tenant share
	byTenant   map[string]int64
}

func newBudget(ceil, largest int64) *budget {
	return &budget{ceil: ceil, share: max(ceil/2, largest), byTenant: map[string]int64{}}
}

func (b *budget) take(tenant string, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.ceil || (b.share > 0 && b.byTenant[tenant]+n > b.share) {
		return false
	}
	b.used += n
	if b.byTenant != nil {
		b.byTenant[tenant] += n
	}
	return true
}

// full reports whether tenant could not take n now (without taking it):
// a cheap refusal before a request's body is read.
func (b *budget) full(tenant string, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used+n > b.ceil || (b.share > 0 && b.byTenant[tenant]+n > b.share)
}

func (b *budget) give(tenant string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.byTenant != nil {
		if b.byTenant[tenant] -= n; b.byTenant[tenant] <= 0 {
			delete(b.byTenant, tenant)
		}
	}
}

func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
