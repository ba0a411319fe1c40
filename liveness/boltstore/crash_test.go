package boltstore_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/audit"
	auditbolt "github.com/openliveness/openliveness/audit/boltstore"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	hookbolt "github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/webhook"
)

// crashEnv names the data directory of the child process of
// TestCrashConsistency.
const crashEnv = "BOLTSTORE_CRASH_CHILD"

// synth answers "rest" and "smile" frames with a face, without images.
type synth struct{}

func (synth) AnalyzeFrame(_ context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	m := face.Measures{EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1}
	if len(data) > 0 && data[0] == 's' {
		m.MAR, m.Smile = 0.06, 0.5
	}
	var lm face.Landmarks
	for i := range lm.Points {
		lm.Points[i] = face.Point{X: 200 + float64(i%20)*3 + float64(len(data)%3), Y: 150 + float64(i/20)*3}
	}
	f := face.Face{Box: image.Rect(180, 120, 420, 400), Score: 10, FaceFlag: 1, Landmarks: &lm, Measures: m}
	return &liveness.FrameAnalysis{Result: &face.Result{Width: 640, Height: 480, Faces: []face.Face{f}}}, nil
}

// stack is the -data-dir server's storage: sessions, the webhook outbox
// and the audit log, each a bbolt file.
type stack struct {
	sessions *boltstore.Store
	hooks    *hookbolt.Store
	audits   *auditbolt.Store
	log      *audit.Log
	d        *outbox.Dispatcher
	engine   *liveness.Engine
}

func openStack(dir, hookURL string, now func() time.Time) (*stack, error) {
	st := &stack{}
	var err error
	if st.sessions, err = boltstore.Open(filepath.Join(dir, "sessions.db")); err != nil {
		return nil, err
	}
	if st.hooks, err = hookbolt.Open(filepath.Join(dir, "webhooks.db"), nil); err != nil {
		return nil, err
	}
	if st.audits, err = auditbolt.Open(filepath.Join(dir, "audit.db")); err != nil {
		return nil, err
	}
	signer, err := audit.NewSigner("crash", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		return nil, err
	}
	if st.log, err = audit.Open(context.Background(), audit.WithStore(st.audits), audit.WithSigner(signer)); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	if st.d, err = outbox.New(outbox.WithStore(st.hooks), outbox.WithInsecureTargets(), outbox.WithLogger(quiet)); err != nil {
		return nil, err
	}
	n, err := notify.New(st.d, notify.WithInsecureTargets(), notify.WithLogger(quiet),
		notify.WithEndpoints(outbox.Endpoint{ID: "server", URL: hookURL, Secrets: webhook.Secrets{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}))
	if err != nil {
		return nil, err
	}
	st.engine, err = liveness.New(liveness.WithStore(st.sessions), liveness.WithNotifier(n), liveness.WithAuditor(st.log),
		liveness.WithFrameAnalyzer(synth{}), liveness.WithClock(now), liveness.WithLogger(quiet), liveness.WithMinFrames(1))
	return st, err
}

func (st *stack) close() {
	st.d.Close()
	st.sessions.Close()
	st.hooks.Close()
	st.audits.Close()
}

// TestCrashConsistency kills a process running sessions on the bbolt
// stores with SIGKILL at random moments (creates, frames, cancels,
// expiries and webhook deliveries under way) and checks, after each
// restart and reconciliation, that every stored state change has its
// webhook event and its audit entries, that no event or entry exists for
// a change that was not stored, that no event was queued twice, and that
// the audit chain verifies.
func TestCrashConsistency(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	kills := 12
	if testing.Short() {
		kills = 3
	}
	if v, err := strconv.Atoi(os.Getenv("CRASH_KILLS")); err == nil {
		kills = v
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashConsistency$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := os.CreateTemp(t.TempDir(), "child")
		require.NoError(t, err)
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(300+r.IntN(900)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		b, _ := os.ReadFile(out.Name())
		require.NotContains(t, string(b), "FAIL", "child %d: %s", k, b)
		verifyCrash(t, dir)
	}
}

// crashChild runs sessions until it is killed.
func crashChild(dir string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	start := time.Now()
	now := func() time.Time { return start.Add(20 * time.Since(start)) } // a 10 s session lasts 0.5 s
	st, err := openStack(dir, srv.URL+"/hook", now)
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
	ctx := context.Background()
	go st.d.Run(ctx)
	go st.engine.Run(ctx)
	go func() {
		for range time.Tick(20 * time.Millisecond) {
			st.engine.ExpireDue(ctx)
		}
	}()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for {
				c, err := st.engine.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Smile}, ChallengeCount: 1, TTL: 10 * time.Second})
				if err != nil {
					fmt.Println("FAIL create", err)
					continue
				}
				id := c.Session.ID
				switch r.IntN(4) {
				case 0: // cancel after a frame or two
					st.engine.Submit(ctx, id, []liveness.Frame{{Data: []byte("rest")}}, nil)
					st.engine.Cancel(ctx, id)
				case 1: // left to expire
				default: // frames until it ends
					for i := 0; i < 12; i++ {
						f := "rest"
						if i >= 4 {
							f = "smile"
						}
						out, err := st.engine.Submit(ctx, id, []liveness.Frame{{Data: []byte(f + strconv.Itoa(i))}}, nil)
						if err != nil || out.Session.Status.Final() {
							break
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// verifyCrash restarts on dir, reconciles and checks the invariants.
func verifyCrash(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	far := time.Now().Add(24 * time.Hour)
	st, err := openStack(dir, "http://127.0.0.1:9/hook", time.Now)
	require.NoError(t, err)
	relayed, err := st.engine.Reconcile(ctx, far)
	require.NoError(t, err)
	left, err := st.sessions.Intents(ctx, far, 0)
	require.NoError(t, err)
	assert.Empty(t, left, "intents left after reconciliation")
	require.NoError(t, st.log.Verify(ctx), "audit chain")
	dels, err := st.d.Deliveries(ctx, outbox.DeliveryFilter{})
	require.NoError(t, err)
	st.close()

	// Every stored header, read from the file.
	db, err := bolt.Open(filepath.Join(dir, "sessions.db"), 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var heads []*liveness.Session
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("sessions")).ForEach(func(k, v []byte) error {
			s, _, err := liveness.UnmarshalSession(v)
			heads = append(heads, s)
			return err
		})
	}))
	require.NoError(t, db.Close())

	st, err = openStack(dir, "http://127.0.0.1:9/hook", time.Now)
	require.NoError(t, err)
	defer st.close()
	byEvent := map[string]int{}
	for _, d := range dels {
		byEvent[d.EventID]++
	}
	expected := map[string]bool{}
	ended := 0
	statuses := map[liveness.Status]int{}
	for _, s := range heads {
		statuses[s.Status]++
		created := liveness.EventID(s.ID, 1, liveness.EventCreated)
		expected[created] = true
		assert.Equal(t, 1, byEvent[created], "session %s: session.created", s.ID)
		if s.Frames > 0 {
			n := 0
			for v := int64(2); v <= s.Version; v++ {
				id := liveness.EventID(s.ID, v, liveness.EventStarted)
				expected[id] = true
				n += byEvent[id]
			}
			assert.Equal(t, 1, n, "session %s: session.started", s.ID)
		}
		want := []audit.EventType{audit.SessionCreated}
		for range s.Passed {
			want = append(want, audit.ChallengePassed)
		}
		if s.Status.Final() {
			ended++
			typ := map[liveness.Status]string{liveness.StatusCancelled: liveness.EventCancelled, liveness.StatusExpired: liveness.EventExpired, liveness.StatusFailed: liveness.EventFailed}[s.Status]
			if s.Status == liveness.StatusPassed {
				typ = liveness.EventFailed
				if s.Verdict == liveness.VerdictPass {
					typ = liveness.EventVerified
				}
			}
			id := liveness.EventID(s.ID, s.Version, typ)
			expected[id] = true
			assert.Equal(t, 1, byEvent[id], "session %s (%s): %s", s.ID, s.Status, typ)
			want = append(want, audit.LivenessResult)
		}
		ents, err := st.log.BySession(ctx, s.ID)
		require.NoError(t, err)
		var got []audit.EventType
		for _, e := range ents {
			got = append(got, e.EventType)
		}
		assert.Equal(t, want, got, "session %s (%s): audit entries", s.ID, s.Status)
	}
	for _, d := range dels {
		assert.True(t, expected[d.EventID], "event %s (%s) of a change that was not stored", d.EventID, d.EventType)
	}
	head, err := st.log.Head(ctx)
	require.NoError(t, err)
	n := 0
	for _, s := range heads {
		n += 1 + len(s.Passed)
		if s.Status.Final() {
			n++
		}
	}
	assert.EqualValues(t, n, head.Size, "audit entries of changes that were not stored")
	t.Logf("%d sessions (%d ended: %v), %d deliveries, %d audit entries; %d intents relayed after the restart", len(heads), ended, statuses, len(dels), head.Size, relayed)
}
