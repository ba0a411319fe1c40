package httpapi

import (
	"context"
	"sync"
)

// fairSlots bounds concurrent frame analysis: at most cap(global) frames
// are decoded and analysed at once, and one tenant holds at most perTenant
// of them, so a tenant sending costly frames cannot starve the others.
// Waiters queue on channels (first come, first served). Safe for
// concurrent use.
type fairSlots struct {
	global    chan struct{}
	perTenant int

	mu      sync.Mutex
	tenants map[string]*tenantSem
}

// tenantSem is one tenant's semaphore; users counts the requests holding
// or waiting for it, so idle tenants are forgotten.
type tenantSem struct {
	ch    chan struct{}
	users int
}

func newFairSlots(n, perTenant int) *fairSlots {
	return &fairSlots{global: make(chan struct{}, n), perTenant: perTenant, tenants: map[string]*tenantSem{}}
}

// forTenant returns the slots of one request of tenant; it implements
// liveness.Slots.
func (f *fairSlots) forTenant(tenant string) *requestSlots {
	return &requestSlots{f: f, tenant: tenant}
}

func (f *fairSlots) sem(tenant string) *tenantSem {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tenants[tenant]
	if t == nil {
		t = &tenantSem{ch: make(chan struct{}, f.perTenant)}
		f.tenants[tenant] = t
	}
	t.users++
	return t
}

func (f *fairSlots) unuse(tenant string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.tenants[tenant]; t != nil {
		if t.users--; t.users <= 0 {
			delete(f.tenants, tenant)
		}
	}
}

// requestSlots acquires one slot at a time for one request.
type requestSlots struct {
	f      *fairSlots
	tenant string
	t      *tenantSem
}

// Acquire waits for the tenant's share, then for a global slot.
func (s *requestSlots) Acquire(ctx context.Context) error {
	t := s.f.sem(s.tenant)
	select {
	case t.ch <- struct{}{}:
	case <-ctx.Done():
		s.f.unuse(s.tenant)
		return ctx.Err()
	}
	select {
	case s.f.global <- struct{}{}:
	case <-ctx.Done():
		<-t.ch
		s.f.unuse(s.tenant)
		return ctx.Err()
	}
	s.t = t
	return nil
}

// Release frees the slot taken by the last successful Acquire.
func (s *requestSlots) Release() {
	<-s.f.global
	<-s.t.ch
	s.t = nil
	s.f.unuse(s.tenant)
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
