package integration_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/liveness/outbox"
)

type created struct {
	SessionID string `json:"session_id"`
	Status    string `json:"status"`
}

type verifyAnswer struct {
	SessionStatus string `json:"session_status"`
	Verdict       string `json:"verdict"`
	Reason        string `json:"reason"`
	Message       string `json:"message"`
}

type result struct {
	Status       string  `json:"status"`
	Verdict      *string `json:"verdict"`
	Frames       int     `json:"frames"`
	EvidenceHash string  `json:"evidence_hash"`
	EvidenceURL  string  `json:"evidence_url"`
}

// blinkBursts returns blink_selfie.mjpeg as bursts of size frames taken
// every 120 ms (every third frame of the 25 fps video), as in the
// engine's evaluation, or skips the test without the shared data. They
// start 1.6 s before the first eye closure (frames 139–194): a person who
// closes the eyes when asked, within the response window.
func blinkBursts(t testing.TB, size int) [][]string {
	t.Helper()
	path := filepath.Join(coreRoot(t), "..", "shared", "facedata", "video", "blink_selfie.mjpeg")
	frames, err := facedata.Frames(path)
	if err != nil {
		testenv.Missing(t, "skipping: shared evaluation data absent (%v)", err)
	}
	var bursts [][]string
	var burst []string
	for k := 99; k < len(frames); k += 3 {
		burst = append(burst, base64.StdEncoding.EncodeToString(frames[k]))
		if len(burst) == size {
			bursts = append(bursts, burst)
			burst = nil
		}
	}
	return bursts
}

// TestSessionAcrossReplicas sends the frames of one BLINK session
// alternately to two replicas, one frame per request, so that every frame
// lands on the other replica than the one before: the session state lives
// in Redis, each replica continues where the other stopped, and the
// session passes.
func TestSessionAcrossReplicas(t *testing.T) {
	const size = 1
	bursts := blinkBursts(t, size)
	// One frame per request is four times the rate of the 800 ms cadence
	// the per-session limit (30 per 10 s) is set for.
	c := newCluster(t, 0, "-rate-limit", "100")
	rs := []*replica{c.start(t, "a"), c.start(t, "b")}

	var s created
	_, err := c.call(rs[0], "POST", "/v1/sessions", map[string]any{"challenges": []string{"BLINK"}}, &s)
	require.NoError(t, err)
	served := map[string]int{}
	var last verifyAnswer
	next := time.Now()
	for i, b := range bursts {
		// The server's clock is the wall clock: keep the pace of the
		// capture (size frames 120 ms apart per burst).
		time.Sleep(time.Until(next))
		next = time.Now().Add(size * 120 * time.Millisecond)
		r := rs[i%2]
		_, err := c.call(r, "POST", "/v1/sessions/"+s.SessionID+"/verify", map[string]any{"frames_b64": b, "interval_ms": 120}, &last)
		require.NoErrorf(t, err, "burst %d on replica %s", i, r.name)
		served[r.name]++
		if last.SessionStatus != "pending" {
			break
		}
	}
	require.NotZerof(t, served["a"], "replica a served no burst (served %v, last answer %+v)", served, last)
	require.NotZerof(t, served["b"], "replica b served no burst (served %v, last answer %+v)", served, last)
	var res result
	_, err = c.call(rs[1], "GET", "/v1/sessions/"+s.SessionID+"/result", nil, &res)
	require.NoError(t, err)
	require.Equalf(t, "passed", res.Status, "after %d frames on replicas %v", res.Frames, served)
	require.NotNilf(t, res.Verdict, "after %d frames on replicas %v", res.Frames, served)
	require.Equalf(t, "PASS", *res.Verdict, "after %d frames on replicas %v", res.Frames, served)
	t.Logf("passed after %d frames, bursts per replica %v", res.Frames, served)

	// The evidence link issued by one replica works, without an API key,
	// on the other: the replicas share the evidence store and the key.
	u, err := url.Parse(res.EvidenceURL)
	require.NoErrorf(t, err, "result %+v", res)
	require.NotEmptyf(t, res.EvidenceHash, "result %+v", res)
	require.NotEmptyf(t, u.Query().Get("sig"), "result %+v", res)
	for _, r := range rs {
		resp, err := client.Get(r.base + u.Path + "?" + u.RawQuery)
		require.NoError(t, err)
		var ev struct {
			EvidenceHash string `json:"evidence_hash"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		assert.Equalf(t, http.StatusOK, resp.StatusCode, "evidence link on replica %s", r.name)
		assert.NoErrorf(t, err, "evidence link on replica %s", r.name)
		assert.Equalf(t, res.EvidenceHash, ev.EvidenceHash, "evidence link on replica %s", r.name)
	}

	// Its events and audit entries are shared too.
	c.waitOutboxDrained(t, 30*time.Second)
	for _, typ := range []string{"session.created", "session.started", "session.verified"} {
		assert.Truef(t, c.receiver.has(s.SessionID, typ), "webhook %s not received", typ)
	}
	l := c.auditLog(t)
	require.NoError(t, l.Verify(context.Background()))
	es, err := l.BySession(context.Background(), s.SessionID)
	require.NoError(t, err)
	types := map[audit.EventType]int{}
	for _, e := range es {
		types[e.EventType]++
	}
	assert.Equalf(t, 1, types[audit.SessionCreated], "SESSION_CREATED entries (all: %v)", types)
	assert.Equalf(t, 1, types[audit.ChallengePassed], "CHALLENGE_PASSED entries (all: %v)", types)
	assert.Equalf(t, 1, types[audit.LivenessResult], "LIVENESS_RESULT entries (all: %v)", types)
}

// TestKillReplica kills one of two replicas with SIGKILL while both are
// delivering webhooks and appending to the audit chain. No acknowledged
// event is lost; a delivery is received again only when the killed
// replica was attempting it (it got the 2xx but died before recording
// it), never after a 2xx was recorded; the chain verifies.
func TestKillReplica(t *testing.T) {
	c := newCluster(t, 30*time.Millisecond)
	a, b := c.start(t, "a"), c.start(t, "b")

	type ack struct{ session, event string }
	var mu sync.Mutex
	var acks []ack
	killed := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := []*replica{a, b}[(w+i)%2]
				select {
				case <-killed:
					r = b
				default:
				}
				var s created
				if _, err := c.call(r, "POST", "/v1/sessions", map[string]any{"challenges": []string{"BLINK"}}, &s); err != nil {
					continue // a request to the dying replica
				}
				mu.Lock()
				acks = append(acks, ack{s.SessionID, "session.created"})
				mu.Unlock()
				if _, err := c.call(r, "POST", "/v1/sessions/"+s.SessionID+"/cancel", nil, nil); err != nil {
					continue
				}
				mu.Lock()
				acks = append(acks, ack{s.SessionID, "session.cancelled"})
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // a steady load, not a flood
			}
		})
	}

	// Kill a while both replicas are busy.
	hooks := pgstore.NewWebhookStore(c.pool)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, _ := c.receiver.snapshot()
		fromA := 0
		for _, rs := range got {
			for _, r := range rs {
				if r.replica == "a" {
					fromA++
				}
			}
		}
		if fromA >= 20 {
			break
		}
		require.Falsef(t, time.Now().After(deadline), "replica a delivered %d webhooks in 30 s", fromA)
		time.Sleep(50 * time.Millisecond)
	}
	pendingAtKill, err := hooks.Deliveries(context.Background(), outbox.DeliveryFilter{State: outbox.StatePending})
	require.NoError(t, err)
	headAtKill, err := c.auditLog(t).Head(context.Background())
	require.NoError(t, err)
	a.kill(t)
	killedAt := time.Now() // a has exited: it sends nothing after this
	close(killed)
	time.Sleep(time.Second) // replica b carries on alone
	close(stop)
	wg.Wait()
	require.NotEmpty(t, acks, "no events acknowledged")
	require.NotEmpty(t, pendingAtKill, "no delivery was pending when the replica was killed: the test did not exercise the kill")

	// The killed replica's leases expire (2 × 2 s + 5 s) and b takes over.
	c.waitOutboxDrained(t, 60*time.Second)
	got, invalid := c.receiver.snapshot()
	assert.Zero(t, invalid, "deliveries with a bad signature")

	// No acknowledged event lost.
	byEvent := map[ack]bool{}
	for _, rs := range got {
		for _, r := range rs {
			byEvent[ack{r.sessionID, r.eventType}] = true
		}
	}
	lost := 0
	for _, a := range acks {
		if !byEvent[a] {
			lost++
			if lost <= 5 {
				assert.Failf(t, "acknowledged event never delivered", "event %s of session %s", a.event, a.session)
			}
		}
	}

	// Duplicates only from the killed replica's attempts in flight.
	dups := 0
	for id, rs := range got {
		for _, r := range rs[:len(rs)-1] {
			dups++
			// A request a sent just before dying may be read a moment
			// later, hence the margin.
			assert.Equalf(t, "a", r.replica, "delivery %s received again after a 2xx from replica %s: %+v", id, r.replica, rs)
			assert.Falsef(t, r.at.After(killedAt.Add(time.Second)), "delivery %s received again after a 2xx at %v (kill at %v): %+v", id, r.at, killedAt, rs)
		}
	}

	// The outbox agrees: every delivery delivered, with one 2xx attempt.
	ds, err := hooks.Deliveries(context.Background(), outbox.DeliveryFilter{})
	require.NoError(t, err)
	assert.Lenf(t, ds, len(got), "outbox deliveries, receiver saw %d", len(got))
	for _, d := range ds {
		as, err := hooks.Attempts(context.Background(), d.ID)
		require.NoError(t, err)
		ok := 0
		for _, a := range as {
			if a.StatusCode/100 == 2 {
				ok++
			}
		}
		assert.Equalf(t, outbox.StateDelivered, d.State, "delivery %s", d.ID)
		assert.Equalf(t, 1, ok, "2xx attempts of delivery %s", d.ID)
	}

	// The audit chain is one verified chain, holding every acknowledged
	// session, and b kept appending after the kill.
	l := c.auditLog(t)
	require.NoError(t, l.Verify(context.Background()))
	head, _ := l.Head(context.Background())
	assert.Greater(t, head.Size, headAtKill.Size, "audit head at the end vs at the kill: no appends after the kill")
	missing := 0
	for _, a := range acks {
		if a.event != "session.created" {
			continue
		}
		es, err := l.BySession(context.Background(), a.session)
		require.NoError(t, err)
		if len(es) == 0 || es[0].EventType != audit.SessionCreated {
			missing++
		}
	}
	assert.Zero(t, missing, "acknowledged sessions without a SESSION_CREATED audit entry")
	t.Logf("%d acknowledged events, %d deliveries (%d pending at the kill), %d duplicate receipts from the killed replica, audit chain of %d entries (%d at the kill)",
		len(acks), len(ds), len(pendingAtKill), dups, head.Size, headAtKill.Size)
}
