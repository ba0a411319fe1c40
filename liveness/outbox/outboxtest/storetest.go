package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// StoreFactory makes the stores under test. The suite calls New from
// several subtests, one at a time.
type StoreFactory struct {
	// New returns a new, empty store. It registers any cleanup with
	// t.Cleanup.
	New func(t *testing.T) outbox.Store
	// Reopen, when not nil, closes s and returns a store over the same data,
	// as a restarted process would see it. Durable stores set it; the suite
	// then checks that every committed write survives.
	Reopen func(t *testing.T, s outbox.Store) outbox.Store
}

// Pruner is implemented by stores that can delete completed deliveries.
type Pruner interface {
	Prune(ctx context.Context, before time.Time) (int, error)
}

// RunStoreTests runs the conformance suite of [outbox.Store] against the
// stores made by f. Times in the suite have microsecond precision, the
// least a store must keep.
func RunStoreTests(t *testing.T, f StoreFactory) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, f StoreFactory)
	}{
		{"Endpoints", testEndpoints},
		{"AddAndQuery", testAddAndQuery},
		{"FilterOrderLimit", testFilterOrderLimit},
		{"ClaimDue", testClaimDue},
		{"LeaseExpiry", testLeaseExpiry},
		{"UpdateDelivery", testUpdateDelivery},
		{"ConcurrentClaims", testConcurrentClaims},
		{"CancelledContext", testCancelledContext},
		{"Durability", testDurability},
		{"Prune", testPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

var base = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

func sampleEndpoint(id string) outbox.Endpoint {
	return outbox.Endpoint{
		ID:  id,
		URL: "https://hooks.example.com/" + id,
		Secrets: webhook.Secrets{
			{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			{Value: "whsec_bmV4dC1zZWNyZXQtZm9yLXJvdGF0aW9u", Expires: base.Add(time.Hour)},
		},
		Format:  event.FormatCompleted,
		Schemes: webhook.SchemeBody | webhook.SchemeTimestamped,
		Headers: webhook.HeaderNames{Timestamp: "X-Ts"},
		Events:  []event.EventType{event.SessionVerified, event.SessionFailed},
		Retry:   []time.Duration{time.Second, 2 * time.Second},
	}
}

func sampleDelivery(id, endpoint string, created time.Time) outbox.Delivery {
	return outbox.Delivery{
		ID:            id,
		EventID:       "evt_" + id,
		EventType:     event.SessionVerified,
		EndpointID:    endpoint,
		URL:           "https://hooks.example.com/" + endpoint,
		Format:        event.FormatEvent,
		Payload:       []byte(`{"id":"evt_` + id + `","object":"event","data":{"x":"\u00e9\u0000"}}` + "\xff"),
		State:         outbox.StatePending,
		CreatedAt:     created,
		NextAttemptAt: created,
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }

func mustAdd(t *testing.T, s outbox.Store, ds ...outbox.Delivery) {
	t.Helper()
	for _, d := range ds {
		if err := s.AddDelivery(ctxT(t), d); err != nil {
			t.Fatalf("AddDelivery(%s): %v", d.ID, err)
		}
	}
}

func get(t *testing.T, s outbox.Store, id string) outbox.Delivery {
	t.Helper()
	ds, err := s.Deliveries(ctxT(t), outbox.DeliveryFilter{ID: id})
	if err != nil {
		t.Fatalf("Deliveries(ID=%s): %v", id, err)
	}
	if len(ds) != 1 {
		t.Fatalf("Deliveries(ID=%s) returned %d deliveries, want 1", id, len(ds))
	}
	return ds[0]
}

func ids(ds []outbox.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// equalDelivery compares deliveries field by field, times by instant.
func equalDelivery(a, b outbox.Delivery) error {
	type pair struct {
		name string
		x, y any
	}
	for _, p := range []pair{
		{"ID", a.ID, b.ID}, {"EventID", a.EventID, b.EventID}, {"EventType", a.EventType, b.EventType},
		{"EndpointID", a.EndpointID, b.EndpointID}, {"URL", a.URL, b.URL}, {"Format", a.Format, b.Format},
		{"Payload", string(a.Payload), string(b.Payload)}, {"Test", a.Test, b.Test}, {"State", a.State, b.State},
		{"Attempts", a.Attempts, b.Attempts}, {"LastStatus", a.LastStatus, b.LastStatus},
		{"LastError", a.LastError, b.LastError}, {"Claim", a.Claim, b.Claim},
	} {
		if p.x != p.y {
			return fmt.Errorf("%s = %#v, want %#v", p.name, p.x, p.y)
		}
	}
	for _, p := range []struct {
		name string
		x, y time.Time
	}{
		{"CreatedAt", a.CreatedAt, b.CreatedAt}, {"NextAttemptAt", a.NextAttemptAt, b.NextAttemptAt},
		{"LastAttemptAt", a.LastAttemptAt, b.LastAttemptAt}, {"CompletedAt", a.CompletedAt, b.CompletedAt},
	} {
		if !p.x.Equal(p.y) {
			return fmt.Errorf("%s = %v, want %v", p.name, p.x, p.y)
		}
	}
	return nil
}

func equalEndpoint(a, b outbox.Endpoint) error {
	if a.ID != b.ID || a.URL != b.URL || a.Format != b.Format || a.Schemes != b.Schemes ||
		a.Headers != b.Headers || a.Disabled != b.Disabled || a.DisabledReason != b.DisabledReason ||
		!a.DisabledAt.Equal(b.DisabledAt) || !slices.Equal(a.Events, b.Events) || !slices.Equal(a.Retry, b.Retry) ||
		len(a.Secrets) != len(b.Secrets) {
		return fmt.Errorf("endpoint = %+v, want %+v", a, b)
	}
	for i := range a.Secrets {
		if a.Secrets[i].Value != b.Secrets[i].Value || !a.Secrets[i].Expires.Equal(b.Secrets[i].Expires) {
			return fmt.Errorf("secret %d = %+v, want %+v", i, a.Secrets[i], b.Secrets[i])
		}
	}
	return nil
}

func testEndpoints(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	if _, err := s.Endpoint(ctx, "nope"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("Endpoint(unknown) error = %v, want ErrNotFound", err)
	}
	e := sampleEndpoint("ep1")
	if err := s.PutEndpoint(ctx, e); err != nil {
		t.Fatalf("PutEndpoint: %v", err)
	}
	got, err := s.Endpoint(ctx, "ep1")
	if err != nil {
		t.Fatalf("Endpoint: %v", err)
	}
	if err := equalEndpoint(got, e); err != nil {
		t.Fatal(err)
	}
	// The returned copy is the caller's: changing it does not change the store.
	got.Secrets[0].Value = "changed"
	got.Events[0] = event.SessionCreated
	again, _ := s.Endpoint(ctx, "ep1")
	if err := equalEndpoint(again, e); err != nil {
		t.Fatalf("store changed through a returned endpoint: %v", err)
	}
	// Replace.
	e2 := e.Clone()
	e2.URL = "https://other.example.com/"
	e2.Disabled = true
	e2.DisabledAt = base
	e2.DisabledReason = "410 Gone"
	e2.Secrets = e2.Secrets[:1]
	if err := s.PutEndpoint(ctx, e2); err != nil {
		t.Fatalf("PutEndpoint(replace): %v", err)
	}
	got, _ = s.Endpoint(ctx, "ep1")
	if err := equalEndpoint(got, e2); err != nil {
		t.Fatal(err)
	}
}

func testAddAndQuery(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	d := sampleDelivery("d1", "ep1", base)
	d.Test = true
	d.Claim = "tok"
	d.NextAttemptAt = base.Add(time.Minute)
	mustAdd(t, s, d)
	if err := equalDelivery(get(t, s, "d1"), d); err != nil {
		t.Fatalf("stored delivery differs: %v", err)
	}
	if err := s.AddDelivery(ctx, d); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("AddDelivery(duplicate) error = %v, want ErrDuplicate", err)
	}
	// The store keeps its own copy of the payload.
	got := get(t, s, "d1")
	got.Payload[0] = 'X'
	if string(get(t, s, "d1").Payload) != string(d.Payload) {
		t.Fatal("store payload changed through a returned delivery")
	}
	as, err := s.Attempts(ctx, "d1")
	if err != nil || len(as) != 0 {
		t.Fatalf("Attempts(new) = %v, %v; want none, nil", as, err)
	}
	if _, err := s.Attempts(ctx, "unknown"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("Attempts(unknown) error = %v, want ErrNotFound", err)
	}
	ds, err := s.Deliveries(ctx, outbox.DeliveryFilter{ID: "unknown"})
	if err != nil || len(ds) != 0 {
		t.Fatalf("Deliveries(unknown id) = %v, %v; want none", ds, err)
	}
}

func testFilterOrderLimit(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	// Created times: d0 oldest ... d5 newest; d4 and d5 share a time.
	var all []outbox.Delivery
	for i := range 6 {
		created := base.Add(time.Duration(min(i, 4)) * time.Second)
		ep := "epA"
		if i%2 == 1 {
			ep = "epB"
		}
		d := sampleDelivery(fmt.Sprintf("d%d", i), ep, created)
		if i == 3 {
			d.State = outbox.StateDelivered
			d.CompletedAt = created
			d.NextAttemptAt = time.Time{}
		}
		all = append(all, d)
	}
	mustAdd(t, s, all...)
	tests := []struct {
		name   string
		filter outbox.DeliveryFilter
		want   []string
	}{
		{"all newest first", outbox.DeliveryFilter{}, []string{"d5", "d4", "d3", "d2", "d1", "d0"}},
		{"limit", outbox.DeliveryFilter{Limit: 2}, []string{"d5", "d4"}},
		{"endpoint", outbox.DeliveryFilter{EndpointID: "epB"}, []string{"d5", "d3", "d1"}},
		{"state", outbox.DeliveryFilter{State: outbox.StateDelivered}, []string{"d3"}},
		{"pending on A", outbox.DeliveryFilter{EndpointID: "epA", State: outbox.StatePending}, []string{"d4", "d2", "d0"}},
		{"event", outbox.DeliveryFilter{EventID: "evt_d2"}, []string{"d2"}},
		{"id", outbox.DeliveryFilter{ID: "d1"}, []string{"d1"}},
		{"no match", outbox.DeliveryFilter{EndpointID: "epC"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := s.Deliveries(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ds); !slices.Equal(got, tc.want) {
				t.Fatalf("Deliveries(%+v) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func testClaimDue(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	mk := func(id string, due time.Duration, state outbox.DeliveryState) outbox.Delivery {
		d := sampleDelivery(id, "ep", base)
		d.NextAttemptAt = base.Add(due)
		d.State = state
		return d
	}
	mustAdd(t, s,
		mk("c", 0, outbox.StatePending),
		mk("a", 0, outbox.StatePending), // same due time as c: ordered by id
		mk("b", -time.Second, outbox.StatePending),
		mk("later", time.Minute, outbox.StatePending),
		mk("done", -time.Hour, outbox.StateDelivered),
		mk("dead", -time.Hour, outbox.StateFailed),
	)
	lease := base.Add(2 * time.Minute)
	got, err := s.ClaimDue(ctx, base, lease, "t1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "a"}; !slices.Equal(ids(got), want) {
		t.Fatalf("ClaimDue(limit 2) = %v, want %v (earliest first, ties by id)", ids(got), want)
	}
	for _, d := range got {
		if d.Claim != "t1" || !d.NextAttemptAt.Equal(lease) {
			t.Fatalf("claimed %s: Claim=%q NextAttemptAt=%v, want t1 and %v", d.ID, d.Claim, d.NextAttemptAt, lease)
		}
		if err := equalDelivery(get(t, s, d.ID), d); err != nil {
			t.Fatalf("stored claim differs from returned: %v", err)
		}
	}
	got, err = s.ClaimDue(ctx, base, lease, "t2", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c"}; !slices.Equal(ids(got), want) {
		t.Fatalf("second ClaimDue = %v, want %v (claimed, future, delivered and failed skipped)", ids(got), want)
	}
	got, _ = s.ClaimDue(ctx, base, lease, "t3", 10)
	if len(got) != 0 {
		t.Fatalf("third ClaimDue = %v, want none", ids(got))
	}
	got, _ = s.ClaimDue(ctx, base.Add(time.Minute), base.Add(3*time.Minute), "t4", 10)
	if want := []string{"later"}; !slices.Equal(ids(got), want) {
		t.Fatalf("ClaimDue a minute later = %v, want %v (the others are leased to +2m)", ids(got), want)
	}
	got, _ = s.ClaimDue(ctx, base.Add(2*time.Minute), base.Add(4*time.Minute), "t5", 10)
	if want := []string{"a", "b", "c"}; !slices.Equal(ids(got), want) {
		t.Fatalf("ClaimDue after the leases = %v, want %v", ids(got), want)
	}
}

func testLeaseExpiry(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	mustAdd(t, s, sampleDelivery("x", "ep", base))
	first, _ := s.ClaimDue(ctx, base, base.Add(10*time.Second), "old", 1)
	if len(first) != 1 {
		t.Fatal("first claim got nothing")
	}
	// The first worker dies; after its lease the delivery is claimable again.
	if got, _ := s.ClaimDue(ctx, base.Add(9*time.Second), base.Add(20*time.Second), "new", 1); len(got) != 0 {
		t.Fatal("claimed before the lease expired")
	}
	second, _ := s.ClaimDue(ctx, base.Add(10*time.Second), base.Add(20*time.Second), "new", 1)
	if len(second) != 1 || second[0].Claim != "new" {
		t.Fatalf("re-claim after lease = %+v, want one with claim new", second)
	}
	// The old worker's late update is refused and changes nothing.
	stale := first[0]
	stale.State = outbox.StateDelivered
	err := s.UpdateDelivery(ctx, stale, &outbox.Attempt{DeliveryID: "x", N: 1, At: base})
	if !errors.Is(err, outbox.ErrLeaseLost) {
		t.Fatalf("stale UpdateDelivery error = %v, want ErrLeaseLost", err)
	}
	if got := get(t, s, "x"); got.State != outbox.StatePending || got.Claim != "new" {
		t.Fatalf("after stale update: state %s claim %q, want pending/new", got.State, got.Claim)
	}
	if as, _ := s.Attempts(ctx, "x"); len(as) != 0 {
		t.Fatalf("stale update appended %d attempts", len(as))
	}
}

func testUpdateDelivery(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	mustAdd(t, s, sampleDelivery("u", "ep", base))
	if err := s.UpdateDelivery(ctx, sampleDelivery("missing", "ep", base), nil); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("UpdateDelivery(unknown) error = %v, want ErrNotFound", err)
	}
	claim := func(now time.Time, tok string) outbox.Delivery {
		t.Helper()
		got, err := s.ClaimDue(ctx, now, now.Add(time.Minute), tok, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue at %v = %v, %v; want one delivery", now, ids(got), err)
		}
		return got[0]
	}
	// Attempt 1 fails and is retried at +5s.
	d := claim(base, "t1")
	wrong := d
	wrong.Claim = "not-mine"
	if err := s.UpdateDelivery(ctx, wrong, nil); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Fatalf("UpdateDelivery(wrong claim) error = %v, want ErrLeaseLost", err)
	}
	a1 := outbox.Attempt{DeliveryID: "u", N: 1, At: base, URL: "https://h/1", StatusCode: 503,
		Latency: 1500 * time.Microsecond, Error: "HTTP 503 Service Unavailable", Response: "busy \u00e9", Retry: base.Add(5 * time.Second)}
	d.Attempts, d.LastAttemptAt, d.LastStatus, d.LastError = 1, base, 503, a1.Error
	d.NextAttemptAt = a1.Retry
	if err := s.UpdateDelivery(ctx, d, &a1); err != nil {
		t.Fatalf("UpdateDelivery: %v", err)
	}
	want := d
	want.Claim = ""
	if err := equalDelivery(get(t, s, "u"), want); err != nil {
		t.Fatalf("after attempt 1: %v", err)
	}
	if got, _ := s.ClaimDue(ctx, base.Add(4*time.Second), base.Add(time.Minute), "early", 1); len(got) != 0 {
		t.Fatal("claimed before its retry time")
	}
	// Attempt 2 succeeds.
	d = claim(base.Add(5*time.Second), "t2")
	a2 := outbox.Attempt{DeliveryID: "u", N: 2, At: base.Add(5 * time.Second), URL: "https://h/2", StatusCode: 204, Latency: time.Millisecond}
	d.Attempts, d.LastAttemptAt, d.LastStatus, d.LastError = 2, a2.At, 204, ""
	d.State, d.CompletedAt, d.NextAttemptAt = outbox.StateDelivered, a2.At, time.Time{}
	if err := s.UpdateDelivery(ctx, d, &a2); err != nil {
		t.Fatalf("UpdateDelivery: %v", err)
	}
	as, err := s.Attempts(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 {
		t.Fatalf("Attempts = %d entries, want 2", len(as))
	}
	for i, w := range []outbox.Attempt{a1, a2} {
		g := as[i]
		if g.DeliveryID != w.DeliveryID || g.N != w.N || !g.At.Equal(w.At) || g.URL != w.URL || g.StatusCode != w.StatusCode ||
			g.Latency != w.Latency || g.Error != w.Error || g.Response != w.Response || !g.Retry.Equal(w.Retry) {
			t.Fatalf("attempt %d = %+v, want %+v", i+1, g, w)
		}
	}
	// Delivered is final: never claimed again, whatever the time.
	if got, _ := s.ClaimDue(ctx, base.Add(1000*time.Hour), base.Add(1001*time.Hour), "t3", 10); len(got) != 0 {
		t.Fatalf("delivered delivery claimed again: %v", ids(got))
	}
	// A state change without an attempt (nil) appends nothing.
	mustAdd(t, s, sampleDelivery("v", "ep", base))
	v := claim(base, "t4")
	v.State, v.LastError, v.CompletedAt, v.NextAttemptAt = outbox.StateFailed, "endpoint disabled", base, time.Time{}
	if err := s.UpdateDelivery(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	if as, _ := s.Attempts(ctx, "v"); len(as) != 0 {
		t.Fatalf("nil attempt appended %d entries", len(as))
	}
	if got := get(t, s, "v"); got.State != outbox.StateFailed || got.LastError != "endpoint disabled" {
		t.Fatalf("after nil-attempt update: %+v", got)
	}
}

func testConcurrentClaims(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx := ctxT(t)
	const n = 40
	for i := range n {
		mustAdd(t, s, sampleDelivery(fmt.Sprintf("k%02d", i), "ep", base.Add(time.Duration(i)*time.Millisecond)))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDue(ctx, base.Add(time.Second), base.Add(time.Hour), fmt.Sprintf("w%d", w), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				for _, d := range got {
					a := outbox.Attempt{DeliveryID: d.ID, N: 1, At: base, StatusCode: 200}
					d.State, d.Attempts, d.CompletedAt = outbox.StateDelivered, 1, base
					if err := s.UpdateDelivery(ctx, d, &a); err != nil {
						t.Error(err)
					}
					mu.Lock()
					seen[d.ID]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %s claimed %d times", id, c)
		}
	}
}

func testCancelledContext(t *testing.T, f StoreFactory) {
	s := f.New(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	if err := s.AddDelivery(ctx, sampleDelivery("z", "ep", base)); err == nil {
		t.Error("AddDelivery with a cancelled context succeeded")
	}
	if _, err := s.ClaimDue(ctx, base, base, "t", 1); err == nil {
		t.Error("ClaimDue with a cancelled context succeeded")
	}
	if ds, _ := s.Deliveries(ctxT(t), outbox.DeliveryFilter{}); len(ds) != 0 {
		t.Errorf("a cancelled AddDelivery stored %v", ids(ds))
	}
}

func testDurability(t *testing.T, f StoreFactory) {
	if f.Reopen == nil {
		t.Skip("store is not durable (no Reopen)")
	}
	s := f.New(t)
	ctx := ctxT(t)
	e := sampleEndpoint("ep")
	if err := s.PutEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	done := sampleDelivery("done", "ep", base)
	pending := sampleDelivery("pending", "ep", base.Add(time.Second))
	leased := sampleDelivery("leased", "ep", base.Add(2*time.Second))
	mustAdd(t, s, done, pending, leased)
	got, _ := s.ClaimDue(ctx, base, base.Add(time.Minute), "t", 1)
	if len(got) != 1 || got[0].ID != "done" {
		t.Fatalf("claim = %v", ids(got))
	}
	d := got[0]
	d.State, d.Attempts, d.CompletedAt, d.NextAttemptAt = outbox.StateDelivered, 1, base, time.Time{}
	if err := s.UpdateDelivery(ctx, d, &outbox.Attempt{DeliveryID: "done", N: 1, At: base, StatusCode: 200}); err != nil {
		t.Fatal(err)
	}
	claimed, _ := s.ClaimDue(ctx, base.Add(3*time.Second), base.Add(time.Minute), "dying", 10)
	if len(claimed) != 2 {
		t.Fatalf("claimed %v, want pending and leased", ids(claimed))
	}

	s = f.Reopen(t, s)

	ge, err := s.Endpoint(ctx, "ep")
	if err != nil {
		t.Fatal(err)
	}
	if err := equalEndpoint(ge, e); err != nil {
		t.Fatalf("endpoint after reopen: %v", err)
	}
	if st := get(t, s, "done").State; st != outbox.StateDelivered {
		t.Fatalf("delivered state after reopen = %s", st)
	}
	if as, _ := s.Attempts(ctx, "done"); len(as) != 1 || as[0].StatusCode != 200 {
		t.Fatalf("attempts after reopen = %+v", as)
	}
	for _, c := range claimed {
		if err := equalDelivery(get(t, s, c.ID), c); err != nil {
			t.Fatalf("claimed delivery after reopen: %v", err)
		}
	}
	// The dead process's leases expire and the work resumes.
	again, err := s.ClaimDue(ctx, base.Add(time.Minute), base.Add(2*time.Minute), "reborn", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"leased", "pending"}; !slices.Equal(slices.Sorted(slices.Values(ids(again))), want) {
		t.Fatalf("claimed after reopen = %v, want %v", ids(again), want)
	}
}

func testPrune(t *testing.T, f StoreFactory) {
	s := f.New(t)
	p, ok := s.(Pruner)
	if !ok {
		t.Skip("store has no Prune method")
	}
	ctx := ctxT(t)
	old := sampleDelivery("old", "ep", base)
	old.State, old.CompletedAt, old.NextAttemptAt = outbox.StateDelivered, base, time.Time{}
	oldFail := sampleDelivery("oldfail", "ep", base)
	oldFail.State, oldFail.CompletedAt, oldFail.NextAttemptAt = outbox.StateFailed, base, time.Time{}
	recent := sampleDelivery("recent", "ep", base)
	recent.State, recent.CompletedAt, recent.NextAttemptAt = outbox.StateDelivered, base.Add(2*time.Hour), time.Time{}
	pending := sampleDelivery("pending", "ep", base.Add(-time.Hour))
	mustAdd(t, s, old, oldFail, recent, pending)
	n, err := p.Prune(ctx, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("Prune deleted %d, want 2", n)
	}
	ds, _ := s.Deliveries(ctx, outbox.DeliveryFilter{})
	if want := []string{"recent", "pending"}; !slices.Equal(slices.Sorted(slices.Values(ids(ds))), slices.Sorted(slices.Values(want))) {
		t.Fatalf("after Prune: %v, want %v", ids(ds), want)
	}
	if _, err := s.Attempts(ctx, "old"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("Attempts(pruned) error = %v, want ErrNotFound", err)
	}
}
