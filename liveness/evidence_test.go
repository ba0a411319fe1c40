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

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
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
	ev := liveness.NewMemoryEvidence(clk.Now)
	e := newEngine(t, clk, liveness.WithEvidenceStore(ev), liveness.WithAuditor(log))
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, Challenges: []challenge.ID{challenge.Blink}, ConsentText: "I agree to a liveness check."})
	if err != nil {
		t.Fatal(err)
	}
	id := c.Session.ID
	frame := stillFrame(t)
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
	entries, err := log.BySession(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []audit.EventType
	for _, en := range entries {
		types = append(types, en.EventType)
	}
	want := []audit.EventType{audit.SessionCreated, audit.ConsentRecorded, audit.LivenessResult}
	if len(types) != len(want) || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("audit entries %v, want %v", types, want)
	}
	if entries[2].EvidenceHash != s.EvidenceHash || entries[1].PayloadHash != s.ConsentHash {
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
	entries, _ = log.BySession(ctx, id)
	if last := entries[len(entries)-1]; last.EventType != audit.EvidencePurged || last.EvidenceHash != s.EvidenceHash {
		t.Errorf("last audit entry %+v", last)
	}
}

func TestDirEvidence(t *testing.T) {
	d, err := liveness.NewDirEvidence(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Put(ctx, "s1", "a.jpg", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Get(ctx, "s1", "a.jpg"); err != nil || string(b) != "x" {
		t.Fatalf("get: %q %v", b, err)
	}
	for _, bad := range [][2]string{{"../s1", "a"}, {"s1", "../../etc/passwd"}, {"s1", ".hidden"}, {"", "a"}} {
		if err := d.Put(ctx, bad[0], bad[1], nil); err == nil {
			t.Errorf("Put(%q, %q) accepted", bad[0], bad[1])
		}
		if _, err := d.Get(ctx, bad[0], bad[1]); !errors.Is(err, liveness.ErrNotFound) {
			t.Errorf("Get(%q, %q): %v", bad[0], bad[1], err)
		}
	}
	ids, _ := d.SessionsBefore(ctx, time.Now().Add(time.Minute))
	if len(ids) != 1 || ids[0] != "s1" {
		t.Errorf("sessions %v", ids)
	}
	if err := d.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "s1", "a.jpg"); !errors.Is(err, liveness.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}
