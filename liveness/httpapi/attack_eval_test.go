//go:build eval

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/hostile"
	"github.com/openliveness/openliveness/liveness"
)

// Bounds the attack evaluation asserts (docs/evaluation.md, "Hostile input").
const (
	// honest p99 under attack / without: the bound, which
	// docs/evaluation.md claims (runs of this code on 2 shared cores:
	// 0.94-1.65, median 1.24).
	attackLatencyRatio = 2.0
	attackRSSBound     = 512 << 20 // peak resident set of the whole process
)

// attackRound is one no-attack window followed by one attack window; the
// rounds alternate so that the load of a shared machine falls on both.
// Three honest clients each send a frame every honestInterval (under the
// per-session rate limit of 3 a second), a third of the interval apart
// (independent users, not one clock), about 220 frames per phase, so that
// the p99 is the third-largest rather than nearly the maximum.
const (
	attackRounds   = 6
	attackWindow   = 5 * time.Second
	honestClients  = 3
	honestInterval = 350 * time.Millisecond
)

// TestAttackEval runs the whole handler over loopback with a real engine
// and the default limits (two analysis slots on two cores): three honest
// clients of one tenant send a face frame every 350 ms each (under the
// rate limit, a third of the interval apart), and in alternate windows four attackers holding another
// tenant's key send the worst inputs at their rate limit (as fast as
// answers come; after a 429 or 503 they wait the Retry-After, and they
// open a new session when one ends): bursts of 20 accepted 2-megapixel
// progressive frames, bursts of scan bombs and of rotated 4096² frames,
// 16 MiB junk bodies, deeply nested JSON. The
// honest p99 frame latency under attack stays within attackLatencyRatio
// (2×) of the no-attack p99 measured in the same run,
// and the peak RSS under 512 MiB.
func TestAttackEval(t *testing.T) {
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		return newEngine(t, clk, liveness.WithClock(time.Now), liveness.WithTTL(time.Hour, time.Hour))
	}, clockOpts: func(*fakeClock) []Option {
		return []Option{WithClock(time.Now), WithRateLimiter(NewMemoryRateLimiter(DefaultRateLimit, DefaultRateWindow, time.Now)), WithConcurrency(2)}
	}})
	honestKey := newTenantKey(t, e, "honest", "", 31)
	attackKey := newTenantKey(t, e, "mallory", "", 32)
	client := &http.Client{Timeout: time.Minute}

	post := func(ctx context.Context, key, tok, path string, body []byte) (int, time.Duration, time.Duration) {
		r, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+path, bytes.NewReader(body))
		if key != "" {
			r.Header.Set("X-API-Key", key)
		} else {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		start := time.Now()
		res, err := client.Do(r)
		if err != nil {
			return 0, time.Since(start), 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		return res.StatusCode, time.Since(start), time.Duration(retry) * time.Second
	}
	create := func(key string) (string, string) {
		r, _ := http.NewRequest("POST", e.srv.URL+"/v1/sessions", strings.NewReader(`{"ttl_seconds":3600}`))
		r.Header.Set("X-API-Key", key)
		res, err := client.Do(r)
		require.NoError(t, err)
		defer res.Body.Close()
		var c struct {
			ID    string `json:"session_id"`
			Token string `json:"client_token"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&c))
		require.Equal(t, http.StatusCreated, res.StatusCode)
		return c.ID, c.Token
	}

	// Honest traffic: one frame every honestInterval per client, latencies
	// by phase.
	honestFrame := []byte(`{"frame_b64":"` + b64(faceJPEG(t)) + `"}`)
	var mu sync.Mutex
	lat := map[bool][]time.Duration{}
	var attacking atomic.Bool
	var honest5xx atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range honestClients {
		wg.Go(func() {
			id, tok := create(honestKey)
			time.Sleep(time.Duration(i) * honestInterval / honestClients)
			tick := time.NewTicker(honestInterval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				phase := attacking.Load()
				code, d, _ := post(ctx, "", tok, "/v1/sessions/"+id+"/verify", honestFrame)
				if ctx.Err() != nil {
					return
				}
				if code >= 500 {
					honest5xx.Add(1)
				}
				if code == http.StatusOK && phase == attacking.Load() {
					mu.Lock()
					lat[phase] = append(lat[phase], d)
					mu.Unlock()
				}
				if code != http.StatusOK || phase != attacking.Load() {
					// The still photo ends sessions (spoof); start another.
					id, tok = create(honestKey)
				}
			}
		})
	}

	// Attackers.
	b64s := func(d []byte) string { return b64(d) }
	burst := func(frame []byte) []byte {
		f := b64s(frame)
		return []byte(`{"interval_ms":100,"frames_b64":["` + strings.Repeat(f+`","`, MaxBurstFrames-1) + f + `"]}`)
	}
	attacks := []struct {
		name string
		body []byte
	}{
		{"burst of 20 accepted 1920×1080 progressive frames", burst(hostile.ScanBomb(1920, 1080, 16))},
		{"burst of 20 scan bombs", burst(hostile.ScanBomb(1448, 1448, 1000))},
		{"burst of 20 rotated 4096² frames", burst(hostile.Rotated(4096, 4096, 6))},
		{"16 MiB junk body", []byte(`{"frame_b64":"` + strings.Repeat("A", DefaultMaxBodyBytes-20) + `"}`)},
		{"nested JSON", []byte(strings.Repeat("[", 1<<20))},
	}
	codes := map[string]map[int]int{}
	runAttackers := func(stop chan struct{}) *sync.WaitGroup {
		// The window ends on time: requests still in flight then are
		// cancelled (the server stops their work when the client goes).
		wctx, wcancel := context.WithCancel(ctx)
		go func() { <-stop; wcancel() }()
		var awg sync.WaitGroup
		for i := range 4 {
			awg.Go(func() {
				id, tok := create(attackKey)
				for n := i; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					a := attacks[n%len(attacks)]
					code, _, retry := post(wctx, "", tok, "/v1/sessions/"+id+"/verify", a.body)
					if wctx.Err() != nil {
						return
					}
					mu.Lock()
					if codes[a.name] == nil {
						codes[a.name] = map[int]int{}
					}
					codes[a.name][code]++
					mu.Unlock()
					switch code {
					case http.StatusTooManyRequests, http.StatusServiceUnavailable:
						// At the rate limit and the in-flight budgets: wait as told.
						select {
						case <-stop:
						case <-time.After(max(retry, time.Second)):
						}
					case http.StatusConflict, http.StatusGone:
						id, tok = create(attackKey) // the session ended
					}
				}
			})
		}
		return &awg
	}
	for range attackRounds {
		time.Sleep(attackWindow)
		attacking.Store(true)
		stop := make(chan struct{})
		awg := runAttackers(stop)
		time.Sleep(attackWindow)
		close(stop)
		awg.Wait()
		attacking.Store(false)
	}
	cancel()
	wg.Wait()

	p := func(v []time.Duration, q float64) time.Duration {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[min(len(s)-1, int(q*float64(len(s))))]
	}
	base, hit := lat[false], lat[true]
	require.GreaterOrEqual(t, len(base), 100, "honest frames without attack")
	require.GreaterOrEqual(t, len(hit), 100, "honest frames under attack")
	rss := peakRSS(t)
	t.Logf("machine: %d CPUs, GOMAXPROCS %d, load average %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), loadAverage())
	for _, ph := range []struct {
		name string
		v    []time.Duration
	}{{"without attack", base}, {"under attack:  ", hit}} {
		t.Logf("honest frames %s n=%d p50=%v p90=%v p99=%v max=%v", ph.name, len(ph.v), p(ph.v, 0.5).Round(time.Millisecond),
			p(ph.v, 0.9).Round(time.Millisecond), p(ph.v, 0.99).Round(time.Millisecond), p(ph.v, 1).Round(time.Millisecond))
	}
	ratio := float64(p(hit, 0.99)) / float64(p(base, 0.99))
	t.Logf("p99 ratio %.2f (bound %.1f); peak RSS %d MiB (bound %d MiB)", ratio, attackLatencyRatio, rss>>20, attackRSSBound>>20)
	for _, a := range attacks {
		t.Logf("attack %q: answers %v", a.name, codes[a.name])
		for c := range codes[a.name] {
			assert.True(t, c == 0 || c < 500 || c == http.StatusServiceUnavailable, "attack %q answered %d", a.name, c)
		}
	}
	assert.Zero(t, honest5xx.Load(), "honest requests answered 5xx")
	assert.LessOrEqual(t, ratio, attackLatencyRatio, "honest p99 under attack")
	assert.Less(t, rss, int64(attackRSSBound), "peak RSS")
}

// peakRSS is the process's peak resident set (VmHWM).
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
