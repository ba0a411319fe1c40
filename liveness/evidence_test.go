package liveness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/evidence"
)

func TestEvidenceAndAudit(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	signer, err := audit.NewSigner("k1", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(ctx, audit.WithSigner(signer), audit.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ev := evidence.NewMemory(clk.Now)
	e := newEngine(t, clk, liveness.WithEvidenceStore(ev), liveness.WithAuditor(log))
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, Challenges: []challenge.ID{challenge.Blink}, ConsentText: "I agree to a liveness check."})
	if err != nil {
		t.Fatal(err)
	}
	id := c.Session.ID
	frame := stillFrame(t)
	_, err = e.Submit(ctx, id, []liveness.Frame{{Data: frame}}, nil)
	require.ErrorIs(t, err, liveness.ErrConsentRequired, "frames before the consent is accepted")
	clk.Advance(time.Second)
	accepted, err := e.AcceptConsent(ctx, id, c.Session.ConsentHash)
	require.NoError(t, err)
	require.Equal(t, clk.Now().UTC(), accepted.ConsentAcceptedAt)
	var s *liveness.Session
	for i := 0; i < 10; i++ {
		clk.Advance(200 * time.Millisecond)
		out, err := e.Submit(ctx, id, []liveness.Frame{{Data: frame}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s = out.Session; s.Status.Final() {
			break
		}
	}
	if s.Status != liveness.StatusFailed || s.EvidenceHash == "" {
		t.Fatalf("session %s, evidence hash %q", s.Status, s.EvidenceHash)
	}
	// The evidence hash is the SHA-256 of the stored manifest.
	m, raw, err := e.Evidence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if s.EvidenceHash != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("evidence hash %s does not match the manifest", s.EvidenceHash)
	}
	if m.SessionID != id || len(m.Frames) != s.Frames || m.Verdict != liveness.VerdictFail || m.ConsentHash == "" || m.ModelVersion == "" {
		t.Errorf("manifest %+v", m)
	}
	kinds := map[string]int{}
	for _, it := range m.Items {
		kinds[it.Kind]++
		b, err := e.EvidenceObject(ctx, id, it.Name)
		if err != nil {
			t.Fatalf("%s: %v", it.Name, err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != it.SHA256 {
			t.Errorf("%s: stored object does not match its hash", it.Name)
		}
	}
	if kinds[liveness.KindBestFrontal] != 1 || kinds[liveness.KindFace] != 1 {
		t.Errorf("evidence kinds %v", kinds)
	}
	photo, err := e.Photo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := jpeg.Decode(bytes.NewReader(photo)); err != nil || img.Bounds().Dx() != 256 {
		t.Errorf("photo: %v", err)
	}

	// The audit chain holds the session's story and verifies.
	relayed(t, e)
	entries, err := log.BySession(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []audit.EventType
	for _, en := range entries {
		types = append(types, en.EventType)
	}
	want := []audit.EventType{audit.SessionCreated, audit.ConsentRecorded, audit.ConsentRecorded, audit.LivenessResult}
	require.Equal(t, want, types, "audit entries")
	assert.Equal(t, audit.Hash([]byte(`{"accepted":true,"consent_hash":"`+s.ConsentHash+`","accepted_at":"`+accepted.ConsentAcceptedAt.Format(time.RFC3339Nano)+`"}`)), entries[2].PayloadHash)
	if entries[3].EvidenceHash != s.EvidenceHash || entries[1].PayloadHash != s.ConsentHash {
		t.Errorf("audit hashes: %+v", entries)
	}
	if err := log.Verify(ctx); err != nil {
		t.Fatal(err)
	}

	// Retention: frames go, hashes stay, EVIDENCE_PURGED is written.
	if n, err := e.PurgeEvidence(ctx, clk.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("purge before the cutoff: %d %v", n, err)
	}
	clk.Advance(31 * 24 * time.Hour)
	if n, err := e.PurgeEvidence(ctx, clk.Now().Add(-30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := e.Photo(ctx, id); !errors.Is(err, liveness.ErrNotFound) {
		t.Errorf("photo after purge: %v", err)
	}
	s2, _ := e.Get(ctx, id)
	if s2.EvidenceHash != s.EvidenceHash || s2.EvidencePurgedAt.IsZero() {
		t.Errorf("after purge: %+v", s2)
	}
	relayed(t, e)
	entries, _ = log.BySession(ctx, id)
	if last := entries[len(entries)-1]; last.EventType != audit.EvidencePurged || last.EvidenceHash != s.EvidenceHash {
		t.Errorf("last audit entry %+v", last)
	}
}

func TestManualReviewAndFailureLimit(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	rec := &recorder{}
	// Every completed session lands in the review band: pass at 1.01.
	e := newEngine(t, clk, liveness.WithScoreBands(1.01, 0.0), liveness.WithNotifier(rec), liveness.WithMinFrames(1),
		liveness.WithFailureLimiter(liveness.NewMemoryFailureLimiter(2, 3*time.Minute)))

	// A session can only be reviewed in the band.
	c, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ReferenceID: "user-1"})
	if _, err := e.Review(ctx, c.Session.ID, liveness.ReviewDecision{Verdict: liveness.VerdictPass, Reviewer: "ana"}); !errors.Is(err, liveness.ErrNotInReview) {
		t.Errorf("review of a pending session: %v", err)
	}
	if _, err := e.Review(ctx, c.Session.ID, liveness.ReviewDecision{Verdict: "MAYBE", Reviewer: "ana"}); !errors.Is(err, liveness.ErrBadRequest) {
		t.Errorf("bad decision: %v", err)
	}

	// Failure limit: two failures of user-1, then a cool-down.
	for i := 0; i < 2; i++ {
		c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ReferenceID: "user-1"})
		if err != nil {
			t.Fatal(err)
		}
		frame := stillFrame(t)
		for k := 0; k < 10; k++ {
			clk.Advance(100 * time.Millisecond)
			out, err := e.Submit(ctx, c.Session.ID, []liveness.Frame{{Data: frame}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Session.Status.Final() {
				break
			}
		}
	}
	_, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ReferenceID: "user-1"})
	var tm *liveness.TooManyFailuresError
	if !errors.As(err, &tm) || tm.RetryAfter <= 0 || tm.RetryAfter > 3*time.Minute {
		t.Fatalf("third session after two failures: %v", err)
	}
	if _, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ReferenceID: "user-2"}); err != nil {
		t.Errorf("another reference is not limited: %v", err)
	}
	clk.Advance(tm.RetryAfter)
	if _, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, ReferenceID: "user-1"}); err != nil {
		t.Errorf("after the cool-down: %v", err)
	}
}

func TestMemoryFailureLimiter(t *testing.T) {
	l := liveness.NewMemoryFailureLimiter(3, time.Minute)
	ctx := context.Background()
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if w, _ := l.Check(ctx, "r", t0.Add(time.Duration(i)*time.Second)); w != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Failed(ctx, "r", t0.Add(time.Duration(i)*time.Second))
	}
	if w, _ := l.Check(ctx, "r", t0.Add(10*time.Second)); w != 50*time.Second {
		t.Errorf("wait %v, want 50s (until the first failure leaves the window)", w)
	}
	if w, _ := l.Check(ctx, "r", t0.Add(time.Minute)); w != 0 {
		t.Errorf("after the window: %v", w)
	}
}

func TestReviewSettles(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	rec := &recorder{}
	store := liveness.NewMemoryStore()
	signer, _ := audit.NewSigner("k1", ed25519.NewKeyFromSeed(make([]byte, 32)))
	log, _ := audit.Open(ctx, audit.WithSigner(signer), audit.WithClock(clk.Now))
	e := newEngine(t, clk, liveness.WithStore(store), liveness.WithNotifier(rec), liveness.WithAuditor(log))
	for _, tc := range []struct {
		decision liveness.Verdict
		status   liveness.Status
		event    string
	}{{liveness.VerdictPass, liveness.StatusPassed, liveness.EventVerified}, {liveness.VerdictFail, liveness.StatusFailed, liveness.EventFailed}} {
		c, _ := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1})
		// A session that ended in the review band.
		s, _ := store.Get(ctx, c.Session.ID)
		s.Status, s.Verdict, s.Score = liveness.StatusPassed, liveness.VerdictReview, 0.4
		if err := store.Commit(ctx, &liveness.Change{Session: s}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Review(ctx, s.ID, liveness.ReviewDecision{Verdict: tc.decision}); !errors.Is(err, liveness.ErrBadRequest) {
			t.Errorf("review without a reviewer: %v", err)
		}
		got, err := e.Review(ctx, s.ID, liveness.ReviewDecision{Verdict: tc.decision, Reviewer: "ana@example.com", Reason: "checked the photo"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Verdict != tc.decision || got.Status != tc.status || got.ReviewedBy != "ana@example.com" || got.ReviewedAt.IsZero() {
			t.Errorf("after review: %+v", got)
		}
		relayed(t, e)
		if ty := rec.types(); ty[len(ty)-1] != tc.event {
			t.Errorf("event %v, want %s", ty, tc.event)
		}
		entries, _ := log.BySession(ctx, s.ID)
		if last := entries[len(entries)-1]; last.EventType != audit.ManualReview {
			t.Errorf("audit %v", last.EventType)
		}
		if _, err := e.Review(ctx, s.ID, liveness.ReviewDecision{Verdict: liveness.VerdictPass, Reviewer: "bob"}); !errors.Is(err, liveness.ErrNotInReview) {
			t.Errorf("second review: %v", err)
		}
	}
}
