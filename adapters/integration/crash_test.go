package integration_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/audit"
	auditbolt "github.com/openliveness/openliveness/audit/boltstore"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/webhook"
)

// The crash tests kill the reference server with SIGKILL at random moments
// (crashKills times, 100 by default; OPENLIVENESS_CRASH_KILLS changes it,
// OPENLIVENESS_CRASH_SEED repeats a run) while clients create sessions,
// send frames, cancel sessions and poll them, short-lived sessions expire
// and webhooks are delivered to a receiver on loopback. After the last
// restart, once the server has reconciled and its outbox is drained, every
// session must be consistent with what was sent and recorded about it:
//
//   - a stored session has its session.created event and SESSION_CREATED
//     audit entry, one with frames its session.started event; an ended one its terminal event (session.cancelled,
//     session.expired, session.failed or session.verified, matching its
//     status) and LIVENESS_RESULT entry;
//   - no event or audit entry exists for a change that did not happen (a
//     session that is not stored, a terminal event of a pending session, a
//     terminal event of another type than the session's status);
//   - the audit chain verifies;
//   - an event delivered twice has the same event id both times.
//
// TestCrashDataDir runs examples/server with -data-dir (bbolt);
// TestCrashRedisPostgres runs adapters/cmd/server with Redis and
// PostgreSQL, TestCrashPostgresSessions with the sessions in PostgreSQL
// too. Both use only the servers' command-line flags, so they test
// the built binaries as operators run them.

const defaultCrashKills = 100

func crashKills(t *testing.T) int {
	if v := os.Getenv("OPENLIVENESS_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "OPENLIVENESS_CRASH_KILLS")
		return n
	}
	return defaultCrashKills
}

func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("OPENLIVENESS_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "OPENLIVENESS_CRASH_SEED")
		return n
	}
	var b [8]byte
	rand.Read(b[:])
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40
}

// buildCoreServer compiles examples/server once per test binary.
var buildCoreServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "openliveness-core-server-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	wd, _ := os.Getwd()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./examples/server")
	cmd.Dir = filepath.Join(wd, "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./examples/server: %v\n%s", err, out)
	}
	return bin, nil
})

// crashProc is one run of a server binary.
type crashProc struct {
	cmd  *exec.Cmd
	base string
	logs *lockedBuffer
	done chan struct{}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startProc runs bin with args plus -addr and waits until /healthz answers.
func startProc(t *testing.T, bin string, args []string) *crashProc {
	t.Helper()
	for attempt := 0; ; attempt++ {
		addr := freeAddr(t)
		p := &crashProc{cmd: exec.Command(bin, append([]string{"-addr", addr}, args...)...), base: "http://" + addr, logs: &lockedBuffer{}, done: make(chan struct{})}
		p.cmd.Stderr = p.logs
		p.cmd.Stdout = io.Discard
		require.NoError(t, p.cmd.Start())
		go func() { p.cmd.Wait(); close(p.done) }()
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := http.Get(p.base + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return p
				}
			}
			select {
			case <-p.done:
				if attempt < 3 && strings.Contains(p.logs.String(), "address already in use") {
					break
				}
				t.Fatalf("server exited at start:\n%s", p.logs.String())
			case <-time.After(20 * time.Millisecond):
				if time.Now().After(deadline) {
					p.kill()
					t.Fatalf("server did not answer /healthz within 60 s:\n%s", p.logs.String())
				}
				continue
			}
			break // port taken between freeAddr and the server's listen: retry
		}
	}
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (p *crashProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process gracefully.
func (p *crashProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("server did not stop within 30 s of SIGTERM:\n%s", p.logs.String())
	}
}

// crashReceipt is one webhook request received.
type crashReceipt struct {
	eventID   string
	eventType string
	sessionID string
}

// crashReceiver is a webhook endpoint that checks signatures and records
// every event. Safe for concurrent use.
type crashReceiver struct {
	verifier *webhook.Verifier

	mu       sync.Mutex
	receipts []crashReceipt
	invalid  int
}

func (rc *crashReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev event.Event
	err := rc.verifier.Verify(r.Header, body)
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || ev.ID == "" {
		rc.invalid++
		http.Error(w, "bad signature or payload", http.StatusUnauthorized)
		return
	}
	rc.receipts = append(rc.receipts, crashReceipt{eventID: ev.ID, eventType: string(ev.Type), sessionID: ev.Data.SessionID})
	w.WriteHeader(http.StatusNoContent)
}

func (rc *crashReceiver) snapshot() ([]crashReceipt, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.receipts), rc.invalid
}

// crashTarget is a server under test: its binary, its flags, and how to
// read its audit chain once it is stopped.
type crashTarget struct {
	bin    string
	args   []string
	apiKey string
	kills  int // 0: crashKills
	// audit returns the stored audit entries and the keyring that verifies
	// them; it is called while no server process runs.
	audit func(t *testing.T) ([]audit.Entry, *audit.Keyring)
}

// TestCrashDataDir is the crash test of examples/server with -data-dir.
func TestCrashDataDir(t *testing.T) {
	bin, err := buildCoreServer()
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })
	dir := t.TempDir()
	secret, err := webhook.GenerateSecret(rand.Reader)
	require.NoError(t, err)
	rc := &crashReceiver{verifier: &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{secret}}}
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	key := "lv_" + strings.Repeat("d", 43)
	target := crashTarget{
		bin: bin, apiKey: key,
		args: []string{
			"-data-dir", dir, "-dev-api-key", key,
			"-webhook-url", hooks.URL, "-webhook-secret", secret, "-webhook-format", "event",
			"-webhook-allow-private", "-webhook-retry", "1s,1s,2s,2s,5s",
			"-log-level", "error", "-shutdown-timeout", "5s",
		},
		audit: func(t *testing.T) ([]audit.Entry, *audit.Keyring) {
			b, err := os.ReadFile(filepath.Join(dir, "audit.key"))
			require.NoError(t, err)
			seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
			require.NoError(t, err)
			store, err := auditbolt.Open(filepath.Join(dir, "audit.db"))
			require.NoError(t, err)
			defer store.Close()
			return readAudit(t, store, ed25519.NewKeyFromSeed(seed))
		},
	}
	runCrash(t, target, rc)
}

// TestCrashRedisPostgres is the crash test of adapters/cmd/server with
// sessions in Redis and the outbox and audit chain in PostgreSQL.
func TestCrashRedisPostgres(t *testing.T) {
	crashReplica(t, crashKills(t))
}

// TestCrashPostgresSessions is the crash test of adapters/cmd/server with
// the sessions in PostgreSQL too (-sessions-in postgres), where a change
// and its intents are one transaction; a quarter of the kills, as the
// relay and reconciler are those of the other runs.
func TestCrashPostgresSessions(t *testing.T) {
	crashReplica(t, max(crashKills(t)/4, 1), "-sessions-in", "postgres")
}

func crashReplica(t *testing.T, kills int, extra ...string) {
	c := newCluster(t, 0)
	rc := &crashReceiver{verifier: &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{c.secret}}}
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	target := crashTarget{
		bin: c.bin, apiKey: c.apiKey,
		args: []string{
			"-replica", "crash",
			"-redis-url", c.redisURL, "-redis-prefix", c.prefix, "-postgres-url", c.postgresURL,
			"-dev-api-key", c.apiKey, "-webhook-url", hooks.URL, "-webhook-secret", c.secret, "-webhook-format", "event",
			"-webhook-allow-private", "-webhook-timeout", "2s",
			"-audit-key", base64.StdEncoding.EncodeToString(c.auditSeed),
			"-log-level", "error", "-shutdown-timeout", "5s",
		},
		audit: func(t *testing.T) ([]audit.Entry, *audit.Keyring) {
			return readAudit(t, pgstore.NewAuditStore(c.pool), ed25519.NewKeyFromSeed(c.auditSeed))
		},
	}
	target.args = append(target.args, extra...)
	target.kills = kills
	runCrash(t, target, rc)
}

// readAudit reads every entry of the store; the keyring holds the signing
// key under every key id the entries name.
func readAudit(t *testing.T, store audit.Store, key ed25519.PrivateKey) ([]audit.Entry, *audit.Keyring) {
	t.Helper()
	var entries []audit.Entry
	for e, err := range store.Scan(context.Background(), 0) {
		require.NoError(t, err)
		entries = append(entries, e)
	}
	keys := audit.NewKeyring()
	pub := key.Public().(ed25519.PublicKey)
	for _, e := range entries {
		if _, ok := keys.Key(e.KeyID); !ok && e.KeyID != "" {
			require.NoError(t, keys.Add(e.KeyID, pub))
		}
	}
	return entries, keys
}

// crashSession is a session the clients know of.
type crashSession struct {
	id, token string
	expires   time.Time
	short     bool // expires within seconds
}

// crashClients is the traffic of one server run.
type crashClients struct {
	base, key string
	frame     []byte // the JSON body of one frame
	hc        *http.Client

	mu       sync.Mutex
	sessions []crashSession
	creates  int
	frames   int
	cancels  int
}

func (cc *crashClients) do(ctx context.Context, method, path, token string, body []byte) (int, []byte) {
	req, _ := http.NewRequestWithContext(ctx, method, cc.base+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		req.Header.Set("X-API-Key", cc.key)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := cc.hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b
}

func (cc *crashClients) pick(r *mrand.Rand) (crashSession, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.sessions) == 0 {
		return crashSession{}, false
	}
	// Mostly recent sessions: they are the pending ones.
	n := min(len(cc.sessions), 30)
	return cc.sessions[len(cc.sessions)-1-r.IntN(n)], true
}

// work runs one client until ctx ends.
func (cc *crashClients) work(ctx context.Context, r *mrand.Rand) {
	for ctx.Err() == nil {
		switch p := r.IntN(100); {
		case p < 30:
			ttl := 3600 // the longest allowed: never expires during the test
			if r.IntN(3) == 0 {
				ttl = 10 + r.IntN(5) // the shortest allowed: expires during the run or after the last restart
			}
			body := fmt.Sprintf(`{"challenge_count":2,"ttl_seconds":%d}`, ttl)
			at := time.Now()
			code, b := cc.do(ctx, http.MethodPost, "/v1/sessions", "", []byte(body))
			if code == http.StatusCreated {
				var out struct {
					SessionID   string `json:"session_id"`
					ClientToken string `json:"client_token"`
				}
				if json.Unmarshal(b, &out) == nil {
					cc.mu.Lock()
					cc.sessions = append(cc.sessions, crashSession{id: out.SessionID, token: out.ClientToken, expires: at.Add(time.Duration(ttl) * time.Second), short: ttl < 60})
					cc.creates++
					cc.mu.Unlock()
				}
			}
		case p < 70:
			if s, ok := cc.pick(r); ok {
				if code, _ := cc.do(ctx, http.MethodPost, "/v1/sessions/"+s.id+"/verify", s.token, cc.frame); code == http.StatusOK {
					cc.mu.Lock()
					cc.frames++
					cc.mu.Unlock()
				}
			}
		case p < 85:
			if s, ok := cc.pick(r); ok {
				if code, _ := cc.do(ctx, http.MethodPost, "/v1/sessions/"+s.id+"/cancel", "", nil); code == http.StatusOK {
					cc.mu.Lock()
					cc.cancels++
					cc.mu.Unlock()
				}
			}
		default:
			if s, ok := cc.pick(r); ok {
				cc.do(ctx, http.MethodGet, "/v1/sessions/"+s.id, "", nil)
			}
		}
	}
}

// runCrash kills the target's server crashKills times during traffic,
// restarts it, waits for it to settle and checks the invariants.
func runCrash(t *testing.T, target crashTarget, rc *crashReceiver) {
	kills, seed := target.kills, crashSeed(t)
	if kills == 0 {
		kills = crashKills(t)
	}
	t.Logf("%d kills, OPENLIVENESS_CRASH_SEED=%d", kills, seed)
	r := mrand.New(mrand.NewPCG(seed, 17))
	jpg, err := os.ReadFile(filepath.Join("..", "..", "testdata", "face.jpg"))
	require.NoError(t, err)
	frame, _ := json.Marshal(map[string]string{"frame_b64": base64.StdEncoding.EncodeToString(jpg)})
	cc := &crashClients{key: target.apiKey, frame: frame, hc: &http.Client{Timeout: 10 * time.Second}}
	start := time.Now()
	for i := range kills {
		p := startProc(t, target.bin, target.args)
		cc.base = p.base
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 4 {
			wr := mrand.New(mrand.NewPCG(seed, uint64(i*8+w)))
			wg.Go(func() { cc.work(ctx, wr) })
		}
		time.Sleep(time.Duration(50+r.IntN(900)) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
		if i == 0 {
			t.Logf("first cycle took %v", time.Since(start))
		}
	}
	cc.mu.Lock()
	t.Logf("%d kills in %v: %d sessions created, %d frames analysed, %d cancels acknowledged", kills, time.Since(start).Round(time.Second), cc.creates, cc.frames, cc.cancels)
	known := map[string]crashSession{}
	var lastExpiry time.Time
	for _, s := range cc.sessions {
		known[s.id] = s
		if s.short && s.expires.After(lastExpiry) {
			lastExpiry = s.expires
		}
	}
	cc.mu.Unlock()

	// Last run: reconciliation, expiry of the short-lived sessions, the
	// outbox drained. The states are read through the API.
	p := startProc(t, target.bin, target.args)
	cc.base = p.base
	if d := time.Until(lastExpiry.Add(6 * time.Second)); d > 0 {
		time.Sleep(d) // the expiry sweep runs every 5 s
	}
	states := map[string]string{}
	started := map[string]bool{} // sessions with stored frames
	readStates := func(ids []string) {
		for _, id := range ids {
			if _, ok := states[id]; ok || id == "" {
				continue
			}
			code, b := cc.do(context.Background(), http.MethodGet, "/v1/sessions/"+id, "", nil)
			switch code {
			case http.StatusOK:
				var out struct {
					Status string `json:"status"`
					Frames int    `json:"frames"`
				}
				require.NoError(t, json.Unmarshal(b, &out))
				states[id] = out.Status
				started[id] = out.Frames > 0
			case http.StatusNotFound:
				states[id] = "absent"
			default:
				t.Fatalf("GET session %s: HTTP %d %s", id, code, b)
			}
		}
	}
	ids := func(receipts []crashReceipt) []string {
		var out []string
		for id := range known {
			out = append(out, id)
		}
		for _, rcpt := range receipts {
			out = append(out, rcpt.sessionID)
		}
		return out
	}
	// Wait until every session's events arrived (or 60 s), then 3 s more
	// for duplicates still in flight.
	deadline := time.Now().Add(60 * time.Second)
	for {
		receipts, _ := rc.snapshot()
		readStates(ids(receipts))
		if len(eventProblems(states, started, receipts)) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(3 * time.Second)
	p.stop(t)
	entries, keys := target.audit(t)

	// Sessions only the audit chain names: read them with one more run.
	receipts, invalid := rc.snapshot()
	var more []string
	for _, e := range entries {
		if _, ok := states[e.SessionID]; !ok && e.SessionID != "" {
			more = append(more, e.SessionID)
		}
	}
	if len(more) > 0 {
		p := startProc(t, target.bin, target.args)
		cc.base = p.base
		readStates(more)
		p.stop(t)
	}

	require.Zero(t, invalid, "webhook requests with a bad signature or payload")
	problems := eventProblems(states, started, receipts)
	problems = append(problems, auditProblems(states, entries)...)
	counts := map[string]int{}
	for _, st := range states {
		counts[st]++
	}
	t.Logf("%d sessions %v, %d webhook requests, %d audit entries", len(states), counts, len(receipts), len(entries))
	if err := audit.Verify(keys, entries, nil); err != nil {
		problems = append(problems, "audit chain does not verify: "+err.Error())
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		show := problems[:min(len(problems), 30)]
		t.Errorf("%d problems after %d kills (OPENLIVENESS_CRASH_SEED=%d):\n  %s", len(problems), kills, seed, strings.Join(show, "\n  "))
	}
}

// terminalEvents maps a final status to the terminal event types it may
// have sent (a passed session sent for review reports session.failed).
var terminalEvents = map[string][]string{
	"cancelled": {"session.cancelled"},
	"expired":   {"session.expired"},
	"failed":    {"session.failed"},
	"passed":    {"session.verified", "session.failed"},
}

func isTerminalEvent(typ string) bool {
	switch typ {
	case "session.cancelled", "session.expired", "session.failed", "session.verified":
		return true
	}
	return false
}

// eventProblems checks the webhook events against the sessions' states.
func eventProblems(states map[string]string, started map[string]bool, receipts []crashReceipt) []string {
	type key struct{ session, typ string }
	byKey := map[key]map[string]bool{} // -> event ids
	bySession := map[string][]string{}
	for _, r := range receipts {
		k := key{r.sessionID, r.eventType}
		if byKey[k] == nil {
			byKey[k] = map[string]bool{}
			bySession[r.sessionID] = append(bySession[r.sessionID], r.eventType)
		}
		byKey[k][r.eventID] = true
	}
	var problems []string
	for k, evIDs := range byKey {
		if len(evIDs) > 1 {
			problems = append(problems, fmt.Sprintf("session %s: %s delivered with %d different event ids", k.session, k.typ, len(evIDs)))
		}
	}
	for id, st := range states {
		types := bySession[id]
		switch {
		case st == "absent":
			if len(types) > 0 {
				problems = append(problems, fmt.Sprintf("session %s is not stored but sent %v", id, types))
			}
			continue
		case !slices.Contains(types, "session.created"):
			problems = append(problems, fmt.Sprintf("session %s (%s): no session.created event", id, st))
		}
		if got := slices.Contains(types, "session.started"); got != started[id] {
			problems = append(problems, fmt.Sprintf("session %s (%s): frames stored %v, session.started sent %v", id, st, started[id], got))
		}
		want := terminalEvents[st]
		var got []string
		for _, typ := range types {
			if isTerminalEvent(typ) {
				got = append(got, typ)
			}
		}
		switch {
		case want == nil && len(got) > 0:
			problems = append(problems, fmt.Sprintf("session %s is %s but sent %v", id, st, got))
		case want != nil && len(got) == 0:
			problems = append(problems, fmt.Sprintf("session %s (%s): no terminal event", id, st))
		case want != nil && (len(got) > 1 || !slices.Contains(want, got[0])):
			problems = append(problems, fmt.Sprintf("session %s is %s but sent %v", id, st, got))
		}
	}
	return problems
}

// auditProblems checks the audit entries against the sessions' states.
func auditProblems(states map[string]string, entries []audit.Entry) []string {
	bySession := map[string]map[audit.EventType]int{}
	for _, e := range entries {
		if bySession[e.SessionID] == nil {
			bySession[e.SessionID] = map[audit.EventType]int{}
		}
		bySession[e.SessionID][e.EventType]++
	}
	var problems []string
	for id, st := range states {
		got := bySession[id]
		switch {
		case st == "absent":
			if len(got) > 0 {
				problems = append(problems, fmt.Sprintf("session %s is not stored but has audit entries %v", id, got))
			}
			continue
		case got[audit.SessionCreated] == 0:
			problems = append(problems, fmt.Sprintf("session %s (%s): no SESSION_CREATED audit entry", id, st))
		}
		_, final := terminalEvents[st]
		switch {
		case final && got[audit.LivenessResult] == 0:
			problems = append(problems, fmt.Sprintf("session %s (%s): no LIVENESS_RESULT audit entry", id, st))
		case !final && got[audit.LivenessResult] > 0:
			problems = append(problems, fmt.Sprintf("session %s is %s but has a LIVENESS_RESULT audit entry", id, st))
		}
	}
	return problems
}
