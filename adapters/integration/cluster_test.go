package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// buildDir holds the server binary; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildServer compiles adapters/cmd/server once per test binary.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "openliveness-server-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "server")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "../cmd/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ../cmd/server: %v\n%s", err, out)
	}
	return bin, nil
})

// cluster is one Redis key prefix and one PostgreSQL schema shared by
// server replicas, with a webhook receiver.
type cluster struct {
	bin         string
	redisURL    string
	prefix      string
	postgresURL string // with the test schema as search_path
	pool        *pgxpool.Pool
	apiKey      string
	secret      string
	auditSeed   []byte
	receiver    *receiver
	hookURL     *httptest.Server
	extraFlags  []string
}

// newCluster prepares the shared stores and the receiver, or skips the
// test when Redis or PostgreSQL is not configured or unreachable.
func newCluster(t testing.TB, receiverDelay time.Duration, extraFlags ...string) *cluster {
	t.Helper()
	redisURL, pgURL := os.Getenv("OPENLIVENESS_REDIS_URL"), os.Getenv("OPENLIVENESS_POSTGRES_URL")
	if redisURL == "" || pgURL == "" {
		testenv.Missing(t, "OPENLIVENESS_REDIS_URL and OPENLIVENESS_POSTGRES_URL must be set: start the servers (see adapters/ci/services.sh) to run the integration tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ropt, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(ropt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.Missing(t, "Redis at %s is unreachable (%v): start it (see adapters/ci/services.sh)", redisURL, err)
	}
	admin, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		testenv.Missing(t, "PostgreSQL at %s is unreachable (%v): start it (see adapters/ci/services.sh)", pgURL, err)
	}
	defer admin.Close(context.Background())

	c := &cluster{redisURL: redisURL}
	tag := strings.ToLower(rand.Text()[:12])
	c.prefix = "olit:" + tag + ":"
	schema := "it_" + tag
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if a, err := pgx.Connect(ctx, pgURL); err == nil {
			a.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			a.Close(ctx)
		}
		iter := rdb.Scan(ctx, 0, c.prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	u, err := url.Parse(pgURL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "16")
	u.RawQuery = q.Encode()
	c.postgresURL = u.String()
	c.pool, err = pgxpool.New(context.Background(), c.postgresURL)
	require.NoError(t, err)
	t.Cleanup(c.pool.Close)

	c.bin, err = buildServer()
	require.NoError(t, err)
	c.apiKey = "lv_" + strings.Repeat("k", 43)
	c.secret, err = webhook.GenerateSecret(rand.Reader)
	require.NoError(t, err)
	c.auditSeed = make([]byte, ed25519.SeedSize)
	rand.Read(c.auditSeed)
	c.receiver = &receiver{delay: receiverDelay, verifier: &webhook.Verifier{Scheme: webhook.SchemeBody, Secrets: []string{c.secret}}, byID: map[string][]receipt{}}
	c.hookURL = httptest.NewServer(c.receiver)
	t.Cleanup(c.hookURL.Close)
	c.extraFlags = extraFlags
	return c
}

// replica is one running server process.
type replica struct {
	name string
	cmd  *exec.Cmd
	base string // http://ADDR
	logs *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs a replica and waits until it listens.
func (c *cluster) start(t testing.TB, name string) *replica {
	t.Helper()
	args := append([]string{
		"-addr", "127.0.0.1:0", "-replica", name,
		"-redis-url", c.redisURL, "-redis-prefix", c.prefix, "-postgres-url", c.postgresURL,
		"-dev-api-key", c.apiKey, "-webhook-url", c.hookURL.URL, "-webhook-secret", c.secret,
		"-webhook-allow-private", "-webhook-timeout", "2s",
		"-audit-key", base64.StdEncoding.EncodeToString(c.auditSeed),
		"-log-level", "warn", "-shutdown-timeout", "5s",
	}, c.extraFlags...)
	r := &replica{name: name, cmd: exec.Command(c.bin, args...), logs: &lockedBuffer{}, done: make(chan struct{})}
	r.cmd.Stderr = r.logs
	stdout, err := r.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, r.cmd.Start())
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("replica %s log:\n%s", name, r.logs.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			// "openliveness replica NAME on ADDR (public URL ...)"
			if f := strings.Fields(sc.Text()); len(f) >= 5 && f[0] == "openliveness" && f[3] == "on" {
				addr <- f[4]
			}
		}
	}()
	select {
	case a := <-addr:
		r.base = "http://" + a
	case <-r.done:
		require.FailNowf(t, "replica exited at start", "replica %s:\n%s", name, r.logs.String())
	case <-time.After(60 * time.Second):
		require.FailNowf(t, "replica did not start", "replica %s:\n%s", name, r.logs.String())
	}
	return r
}

// kill ends the replica with SIGKILL: no shutdown, no cleanup.
func (r *replica) kill(t testing.TB) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGKILL))
	<-r.done
}

var client = &http.Client{Timeout: 60 * time.Second}

// call sends an API request and decodes the JSON answer into out.
func (c *cluster) call(r *replica, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-API-Key", c.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	return resp.StatusCode, nil
}

// auditLog opens the shared audit chain for reading and verification.
func (c *cluster) auditLog(t testing.TB) *audit.Log {
	t.Helper()
	signer, err := audit.NewSigner("k1", ed25519.NewKeyFromSeed(c.auditSeed))
	require.NoError(t, err)
	l, err := audit.Open(context.Background(), audit.WithStore(pgstore.NewAuditStore(c.pool)), audit.WithSigner(signer))
	require.NoError(t, err)
	return l
}

// receipt is one request received by the webhook receiver.
type receipt struct {
	at        time.Time
	replica   string // from the User-Agent
	eventType string
	sessionID string
}

// receiver is a webhook endpoint that checks signatures and records every
// delivery by its delivery id.
type receiver struct {
	delay    time.Duration
	verifier *webhook.Verifier

	mu      sync.Mutex
	byID    map[string][]receipt
	invalid int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := rc.verifier.Verify(r.Header, body); err != nil {
		rc.mu.Lock()
		rc.invalid++
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev event.Event
	json.Unmarshal(body, &ev)
	ua := r.Header.Get("User-Agent")
	name := ua[strings.LastIndexByte(ua, '(')+1:]
	rec := receipt{at: time.Now(), replica: strings.TrimSuffix(name, ")"), eventType: string(ev.Type), sessionID: ev.Data.SessionID}
	time.Sleep(rc.delay) // keep deliveries in flight
	rc.mu.Lock()
	id := r.Header.Get(webhook.DefaultDeliveryIDHeader)
	rc.byID[id] = append(rc.byID[id], rec)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// snapshot returns a copy of the receipts by delivery id.
func (rc *receiver) snapshot() (map[string][]receipt, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string][]receipt, len(rc.byID))
	for k, v := range rc.byID {
		out[k] = append([]receipt(nil), v...)
	}
	return out, rc.invalid
}

// has reports whether an event of the type for the session was received.
func (rc *receiver) has(sessionID, eventType string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range rc.byID {
		for _, r := range rs {
			if r.sessionID == sessionID && r.eventType == eventType {
				return true
			}
		}
	}
	return false
}

// waitOutboxDrained waits until no delivery of the shared outbox is
// pending.
func (c *cluster) waitOutboxDrained(t testing.TB, timeout time.Duration) {
	t.Helper()
	store := pgstore.NewWebhookStore(c.pool)
	deadline := time.Now().Add(timeout)
	for {
		pending, err := store.Deliveries(context.Background(), outbox.DeliveryFilter{State: outbox.StatePending})
		require.NoError(t, err)
		if len(pending) == 0 {
			return
		}
		require.Falsef(t, time.Now().After(deadline), "%d deliveries still pending after %v", len(pending), timeout)
		time.Sleep(200 * time.Millisecond)
	}
}

// coreRoot returns the directory of the core module's go.mod, above this
// module's.
func coreRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/openliveness/openliveness\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "the core module's go.mod was not found above the working directory")
		dir = parent
	}
}
