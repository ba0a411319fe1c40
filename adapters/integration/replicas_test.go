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
	if _, err := c.call(rs[0], "POST", "/v1/sessions", map[string]any{"challenges": []string{"BLINK"}}, &s); err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	var last verifyAnswer
	next := time.Now()
	for i, b := range bursts {
		// The server's clock is the wall clock: keep the pace of the
		// capture (size frames 120 ms apart per burst).
		time.Sleep(time.Until(next))
		next = time.Now().Add(size * 120 * time.Millisecond)
		r := rs[i%2]
		if _, err := c.call(r, "POST", "/v1/sessions/"+s.SessionID+"/verify", map[string]any{"frames_b64": b, "interval_ms": 120}, &last); err != nil {
			t.Fatalf("burst %d on replica %s: %v", i, r.name, err)
		}
		served[r.name]++
		if last.SessionStatus != "pending" {
			break
		}
	}
	if served["a"] == 0 || served["b"] == 0 {
		t.Fatalf("bursts served %v, last answer %+v: both replicas must take part", served, last)
	}
	var res result
	if _, err := c.call(rs[1], "GET", "/v1/sessions/"+s.SessionID+"/result", nil, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "passed" || res.Verdict == nil || *res.Verdict != "PASS" {
		t.Fatalf("session ended %s/%v after %d frames on replicas %v, want passed/PASS", res.Status, res.Verdict, res.Frames, served)
	}
	t.Logf("passed after %d frames, bursts per replica %v", res.Frames, served)

	// The evidence link issued by one replica works, without an API key,
	// on the other: the replicas share the evidence store and the key.
	u, err := url.Parse(res.EvidenceURL)
	if err != nil || res.EvidenceHash == "" || u.Query().Get("sig") == "" {
		t.Fatalf("result without an evidence link: %+v", res)
	}
	for _, r := range rs {
		resp, err := client.Get(r.base + u.Path + "?" + u.RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			EvidenceHash string `json:"evidence_hash"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || ev.EvidenceHash != res.EvidenceHash {
			t.Errorf("evidence link on replica %s: %d %v %+v", r.name, resp.StatusCode, err, ev)
		}
	}

	// Its events and audit entries are shared too.
	c.waitOutboxDrained(t, 30*time.Second)
	for _, typ := range []string{"session.created", "session.started", "session.verified"} {
		if !c.receiver.has(s.SessionID, typ) {
			t.Errorf("webhook %s not received", typ)
		}
	}
	l := c.auditLog(t)
	if err := l.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	es, err := l.BySession(context.Background(), s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	types := map[audit.EventType]int{}
	for _, e := range es {
		types[e.EventType]++
	}
	if types[audit.SessionCreated] != 1 || types[audit.ChallengePassed] != 1 || types[audit.LivenessResult] != 1 {
		t.Errorf("audit entries of the session %v, want one SESSION_CREATED, CHALLENGE_PASSED and LIVENESS_RESULT", types)
	}
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
		if time.Now().After(deadline) {
			t.Fatalf("replica a delivered %d webhooks in 30 s", fromA)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pendingAtKill, err := hooks.Deliveries(context.Background(), outbox.DeliveryFilter{State: outbox.StatePending})
	if err != nil {
		t.Fatal(err)
	}
	headAtKill, err := c.auditLog(t).Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.kill(t)
	killedAt := time.Now() // a has exited: it sends nothing after this
	close(killed)
	time.Sleep(time.Second) // replica b carries on alone
	close(stop)
	wg.Wait()
	if len(acks) == 0 {
		t.Fatal("no events acknowledged")
	}
	if len(pendingAtKill) == 0 {
		t.Fatal("no delivery was pending when the replica was killed: the test did not exercise the kill")
	}

	// The killed replica's leases expire (2 × 2 s + 5 s) and b takes over.
	c.waitOutboxDrained(t, 60*time.Second)
	got, invalid := c.receiver.snapshot()
	if invalid > 0 {
		t.Errorf("%d deliveries with a bad signature", invalid)
	}

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
				t.Errorf("acknowledged event %s of session %s never delivered", a.event, a.session)
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
			if r.replica != "a" || r.at.After(killedAt.Add(time.Second)) {
				t.Errorf("delivery %s received again after a 2xx from replica %s at %v (kill at %v): %+v", id, r.replica, r.at, killedAt, rs)
			}
		}
	}

	// The outbox agrees: every delivery delivered, with one 2xx attempt.
	ds, err := hooks.Deliveries(context.Background(), outbox.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(got) {
		t.Errorf("outbox holds %d deliveries, receiver saw %d", len(ds), len(got))
	}
	for _, d := range ds {
		as, err := hooks.Attempts(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for _, a := range as {
			if a.StatusCode/100 == 2 {
				ok++
			}
		}
		if d.State != outbox.StateDelivered || ok != 1 {
			t.Errorf("delivery %s: state %s with %d 2xx attempts, want delivered with one", d.ID, d.State, ok)
		}
	}

	// The audit chain is one verified chain, holding every acknowledged
	// session, and b kept appending after the kill.
	l := c.auditLog(t)
	if err := l.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	head, _ := l.Head(context.Background())
	if head.Size <= headAtKill.Size {
		t.Errorf("audit head %d at the end, %d at the kill: no appends after the kill", head.Size, headAtKill.Size)
	}
	missing := 0
	for _, a := range acks {
		if a.event != "session.created" {
			continue
		}
		es, err := l.BySession(context.Background(), a.session)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 || es[0].EventType != audit.SessionCreated {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged sessions without a SESSION_CREATED audit entry", missing)
	}
	t.Logf("%d acknowledged events, %d deliveries (%d pending at the kill), %d duplicate receipts from the killed replica, audit chain of %d entries (%d at the kill)",
		len(acks), len(ds), len(pendingAtKill), dups, head.Size, headAtKill.Size)
}
