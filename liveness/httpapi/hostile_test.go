package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/hostile"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
)

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHostileCorpus sends the hostile corpus (internal/hostile) to the real
// handler over a real engine: every input is answered 400 or 413 with a
// JSON error, within 200 ms of process CPU (server and client together;
// scaled under the race detector), and the session is left unchanged.
func TestHostileCorpus(t *testing.T) {
	e := newEnv(t, envOptions{clockOpts: func(clk *fakeClock) []Option {
		return []Option{WithRateLimiter(NewMemoryRateLimiter(1<<30, time.Second, clk.Now))}
	}})
	id, tok := e.create(nil)
	budget := 200 * time.Millisecond * raceSlowdown
	var worst time.Duration
	for _, c := range hostile.Bodies() {
		t.Run(c.Name, func(t *testing.T) {
			start := cpuTime(t)
			r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: c.Data})
			used := cpuTime(t) - start
			worst = max(worst, used)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}, r.status, "%s", clipBody(r.body))
			assert.NotEmpty(t, r.str("error"))
			assert.Less(t, used, budget, "CPU time")
			t.Logf("%d %s (%v CPU)", r.status, clipBody([]byte(r.str("error"))), used.Round(time.Millisecond))
		})
	}
	t.Logf("worst CPU time per hostile request: %v", worst.Round(time.Millisecond))
	s := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, http.StatusOK)
	assert.Equal(t, "pending", s.str("status"))
	assert.EqualValues(t, 0, s.json["frames"])
}

// newTenantKey adds a key of tenant (and role) to the environment's store.
func newTenantKey(t testing.TB, e *env, tenant, role string, seed byte) string {
	t.Helper()
	key, _, err := apikey.CreateKey(context.Background(), e.keys, apikey.Key{Name: tenant, Tenant: tenant, Role: role}, chacha(seed), e.clock.Now())
	require.NoError(t, err)
	return key
}

// TestTenantIsolation: a key of another tenant gets 404 on every endpoint
// of a session it did not create, pending or ended, and changes nothing;
// an admin key sees it.
func TestTenantIsolation(t *testing.T) {
	e, _, _, ended := evidenceEnv(t)
	other := newTenantKey(t, e, "tenant-b", "", 11)
	admin := newTenantKey(t, e, "ops", apikey.RoleAdmin, 12)
	pending, _ := e.create(nil)
	frame := map[string]any{"frame_b64": b64(grayJPEG(t))}
	res := e.do(req{method: "GET", path: "/v1/sessions/" + ended + "/evidence", key: e.key}).expect(t, http.StatusOK)
	items, _ := res.json["items"].([]any)
	require.NotEmpty(t, items)
	item := items[0].(map[string]any)["name"].(string)
	for _, id := range []string{pending, ended} {
		for _, r := range []req{
			{method: "GET", path: "/v1/sessions/" + id},
			{method: "POST", path: "/v1/sessions/" + id + "/verify", body: frame},
			{method: "GET", path: "/v1/sessions/" + id + "/result"},
			{method: "POST", path: "/v1/sessions/" + id + "/cancel"},
			{method: "GET", path: "/v1/sessions/" + id + "/evidence"},
			{method: "GET", path: "/v1/sessions/" + id + "/evidence/" + item},
			{method: "GET", path: "/v1/sessions/" + id + "/photo"},
			{method: "POST", path: "/v1/sessions/" + id + "/review", body: map[string]any{"decision": "PASS", "reviewer": "mallory"}},
		} {
			r.key = other
			e.clock.Advance(time.Second)
			got := e.do(r)
			assert.Equal(t, http.StatusNotFound, got.status, "%s %s: %s", r.method, r.path, got.body)
			assert.Equal(t, msgNotFound, got.str("error"), "%s %s: the answer of an unknown session", r.method, r.path)
		}
	}
	// Nothing changed, and the owner and an admin key still see both.
	for _, key := range []string{e.key, admin} {
		s := e.do(req{method: "GET", path: "/v1/sessions/" + pending, key: key}).expect(t, http.StatusOK)
		assert.Equal(t, "pending", s.str("status"))
		assert.EqualValues(t, 0, s.json["frames"])
		e.do(req{method: "GET", path: "/v1/sessions/" + ended + "/result", key: key}).expect(t, http.StatusOK)
	}
	// A session the other tenant creates is its own.
	r := e.do(req{method: "POST", path: "/v1/sessions", key: other}).expect(t, http.StatusCreated)
	e.do(req{method: "GET", path: "/v1/sessions/" + r.str("session_id"), key: other}).expect(t, http.StatusOK)
	e.do(req{method: "GET", path: "/v1/sessions/" + r.str("session_id"), key: e.key}).expect(t, http.StatusNotFound)
}

// Bodies over their limit are 413 on every route that reads one.
func TestBodiesTooLarge(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.create(nil)
	// Each body is one known field made too long: 9 MiB is over the create
	// limit (which leaves room for a reference photo) and every other one.
	big := func(field string) string { return `{"` + field + `":"` + strings.Repeat("a", 9<<20) + `"}` }
	for path, field := range map[string]string{"/v1/sessions": "reference_id", "/v1/sessions/" + id + "/review": "reason", "/v1/webhooks/test": "url"} {
		r := e.do(req{method: "POST", path: path, key: e.key, body: big(field)}).expect(t, http.StatusRequestEntityTooLarge)
		assert.Contains(t, r.str("error"), "too large")
	}
}

// blockingBody is a request body that delivers nothing until released.
type blockingBody struct{ release chan struct{} }

func (b blockingBody) Read(p []byte) (int, error) { <-b.release; return 0, io.EOF }

// TestInFlightBudgets: a request over the body-bytes or frames-in-flight
// budget is answered 503 with Retry-After at once, before its body is
// read or analysed.
func TestInFlightBudgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		sc := &scripted{Engine: newEngine(t, clk)}
		keys := apikey.NewMemoryStore()
		key, _, err := apikey.Create(context.Background(), keys, "t", chacha(2), clk.Now())
		require.NoError(t, err)
		h, err := New(sc, WithKeys(apikey.Verifier{Store: keys}), WithLogger(discard()), WithClock(clk.Now), WithoutHostedPage(),
			WithMaxBodyBytes(1<<20), WithMaxBodyBytesInFlight(1<<20), WithMaxFramesInFlight(MaxBurstFrames))
		require.NoError(t, err)
		c, err := sc.Create(context.Background(), liveness.CreateOptions{})
		require.NoError(t, err)
		path := "http://liveness.test/v1/sessions/" + c.Session.ID + "/verify"

		// A slow body holds the whole byte budget.
		release := make(chan struct{})
		r := httptest.NewRequest("POST", path, blockingBody{release})
		r.ContentLength = 1 << 20
		r.Header.Set("X-API-Key", key)
		done := make(chan int)
		go func() { w := httptest.NewRecorder(); h.ServeHTTP(w, r); done <- w.Code }()
		synctest.Wait()
		w := serve(h, "POST", "/v1/sessions/"+c.Session.ID+"/verify", []byte(`{"frame_b64":"AAAA"}`), map[string]string{"X-API-Key": key})
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		close(release)
		assert.Equal(t, http.StatusBadRequest, <-done)

		// A burst being analysed holds the whole frame budget.
		hold := make(chan struct{})
		sc.set(func(s *liveness.Session, _ []liveness.Frame, _ *liveness.SubmitOptions) (*liveness.Outcome, error) {
			<-hold
			return outcome(s, liveness.StatusPending, 0, false, false, challenge.Step{}, nil), nil
		})
		frame := b64(grayJPEG(t))
		burst := []byte(`{"interval_ms":100,"frames_b64":["` + strings.Repeat(frame+`","`, MaxBurstFrames-1) + frame + `"]}`)
		go func() {
			w := serve(h, "POST", "/v1/sessions/"+c.Session.ID+"/verify", burst, map[string]string{"X-API-Key": key})
			done <- w.Code
		}()
		synctest.Wait()
		w = serve(h, "POST", "/v1/sessions/"+c.Session.ID+"/verify", []byte(`{"frame_b64":"`+frame+`"}`), map[string]string{"X-API-Key": key})
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		close(hold)
		assert.Equal(t, http.StatusOK, <-done)
		assert.Zero(t, h.bodies.inUse())
		assert.Zero(t, h.frames.inUse())
	})
}

// TestTenantFairness: with two slots, one tenant's requests hold at most
// one while another tenant is active; that tenant's frame is analysed at
// once. (A tenant alone uses both: TestFairSlotsBounds.)
func TestTenantFairness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		sc := &scripted{Engine: newEngine(t, clk)}
		keys := apikey.NewMemoryStore()
		keyA, _, err := apikey.CreateKey(context.Background(), keys, apikey.Key{Tenant: "a"}, chacha(3), clk.Now())
		require.NoError(t, err)
		keyB, _, err := apikey.CreateKey(context.Background(), keys, apikey.Key{Tenant: "b"}, chacha(4), clk.Now())
		require.NoError(t, err)
		h, err := New(sc, WithKeys(apikey.Verifier{Store: keys}), WithLogger(discard()), WithClock(clk.Now), WithConcurrency(2), WithoutHostedPage())
		require.NoError(t, err)
		var mu sync.Mutex
		inside := map[string]int{}
		release := make(chan struct{})
		sc.set(func(s *liveness.Session, _ []liveness.Frame, opts *liveness.SubmitOptions) (*liveness.Outcome, error) {
			if err := opts.Slots.Acquire(context.Background()); err != nil {
				return nil, err
			}
			defer opts.Slots.Release()
			mu.Lock()
			inside[s.Owner]++
			mu.Unlock()
			<-release
			return outcome(s, liveness.StatusPending, 0, false, false, challenge.Step{}, nil), nil
		})
		body := []byte(`{"frame_b64":"` + b64(grayJPEG(t)) + `"}`)
		codes := make(chan int, 5)
		send := func(key string) {
			w := serve(h, "POST", "/v1/sessions", nil, map[string]string{"X-API-Key": key})
			require.Equal(t, http.StatusCreated, w.Code)
			id := strings.Split(w.Header().Get("Location"), "/")[3]
			go func() {
				codes <- serve(h, "POST", "/v1/sessions/"+id+"/verify", body, map[string]string{"X-API-Key": key}).Code
			}()
		}
		// b had a frame analysed a moment ago: a is held to its share.
		bs := h.slots.forTenant("b")
		require.NoError(t, bs.Acquire(context.Background()))
		bs.Release()
		for range 4 {
			send(keyA)
		}
		synctest.Wait()
		send(keyB)
		synctest.Wait()
		mu.Lock()
		assert.Equal(t, map[string]int{"a": 1, "b": 1}, inside, "tenant a holds one slot; b gets the other")
		mu.Unlock()
		close(release)
		for range 5 {
			assert.Equal(t, http.StatusOK, <-codes)
		}
	})
}

func TestBudget(t *testing.T) {
	b := newBudget(10, 3)
	require.True(t, b.take("a", 5))
	require.False(t, b.take("a", 1), "a holds its half")
	require.True(t, b.take("b", 5))
	require.False(t, b.take("c", 1), "full")
	b.give("a", 5)
	require.True(t, b.take("c", 2))
	b.give("b", 5)
	b.give("c", 2)
	require.Zero(t, b.inUse())
	require.Empty(t, b.byTenant)
}

// A verify request waiting for a slot past the verify timeout stops and is
// answered 503; nothing is recorded.
func TestVerifyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		eng := newEngine(t, clk)
		keys := apikey.NewMemoryStore()
		key, rec, err := apikey.Create(context.Background(), keys, "t", chacha(6), clk.Now())
		require.NoError(t, err)
		h, err := New(eng, WithKeys(apikey.Verifier{Store: keys}), WithLogger(discard()), WithClock(clk.Now), WithoutHostedPage(),
			WithConcurrency(1), WithVerifyTimeout(time.Second))
		require.NoError(t, err)
		w := serve(h, "POST", "/v1/sessions", nil, map[string]string{"X-API-Key": key})
		require.Equal(t, http.StatusCreated, w.Code)
		id := strings.Split(w.Header().Get("Location"), "/")[3]
		// Another request of the tenant holds the only slot.
		held := h.slots.forTenant(rec.TenantID())
		require.NoError(t, held.Acquire(context.Background()))
		w = serve(h, "POST", "/v1/sessions/"+id+"/verify", []byte(`{"frame_b64":"`+b64(grayJPEG(t))+`"}`), map[string]string{"X-API-Key": key})
		assert.Equal(t, http.StatusServiceUnavailable, w.Code, "%s", w.Body.Bytes())
		held.Release()
		s, err := eng.Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, 0, s.Frames)
	})
}
