package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/openliveness/openliveness/audit"
)

// exampleLog opens a Log with a fixed key, clock and ids, so the output is
// reproducible. Real deployments keep the private key in a secret store and
// use the default clock and ids.
func exampleLog() (*audit.Log, *audit.Keyring) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	signer, err := audit.NewSigner("key-2025", ed25519.NewKeyFromSeed(seed))
	if err != nil {
		panic(err)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	log, err := audit.Open(context.Background(),
		audit.WithSigner(signer),
		audit.WithStore(audit.NewMemoryStore()),
		audit.WithClock(func() time.Time { now = now.Add(time.Second); return now }),
		audit.WithIDGenerator(func() string { n++; return fmt.Sprintf("evt-%d", n) }),
	)
	if err != nil {
		panic(err)
	}
	return log, audit.NewKeyring(signer)
}

func Example() {
	ctx := context.Background()
	log, keys := exampleLog()

	for _, r := range []audit.Record{
		{SessionID: "sess-1", Type: audit.SessionCreated, Payload: []byte(`{"challenges":["BLINK","SMILE"]}`)},
		{SessionID: "sess-1", Type: audit.ConsentRecorded, Payload: []byte(`{"consent":true}`)},
		{SessionID: "sess-1", Type: audit.LivenessResult, Payload: []byte(`{"live":true}`), EvidenceHash: audit.Hash([]byte("frames"))},
	} {
		e, err := log.Append(ctx, r)
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Seq, e.AuditID, e.EventType, e.Timestamp, e.EntryHash[:19])
	}

	entries, _ := log.Entries(ctx, 0, 0)
	fmt.Println("verify:", audit.Verify(keys, entries, nil))

	entries[1].Timestamp = "2025-03-01T11:00:00.000000Z" // backdate the consent
	fmt.Println("verify:", audit.Verify(keys, entries, nil))
	// Output:
	// 0 evt-1 SESSION_CREATED 2025-03-01T12:00:01.000000Z sha256:5dd1b05bc0fe
	// 1 evt-2 CONSENT_RECORDED 2025-03-01T12:00:02.000000Z sha256:82877b26f476
	// 2 evt-3 LIVENESS_RESULT 2025-03-01T12:00:03.000000Z sha256:d4fde18d0c77
	// verify: <nil>
	// verify: audit: entry 1 (seq 1, audit_id evt-2): modified: entry_hash does not match the content
}

func ExampleVerify() {
	ctx := context.Background()
	log, keys := exampleLog()
	for i := range 5 {
		log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.ChallengePassed, Payload: []byte{byte(i)}})
	}
	entries, _ := log.Entries(ctx, 0, 0)

	// Someone deletes the entry at index 2.
	tampered := append(append([]audit.Entry(nil), entries[:2]...), entries[3:]...)
	err := audit.Verify(keys, tampered, nil)
	var ve *audit.VerifyError
	if errors.As(err, &ve) {
		fmt.Println(ve.Index, ve.Problem)
	}
	fmt.Println(err)
	// Output:
	// 2 removed
	// audit: entry 2 (seq 2, audit_id evt-4): removed: has seq 3; entry 2 is missing
}

func ExampleLog_Checkpoint() {
	ctx := context.Background()
	log, keys := exampleLog()
	for i := range 4 {
		log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.ChallengePassed, Payload: []byte{byte(i)}})
	}
	cp, err := log.Checkpoint(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(cp.Start, cp.Size, cp.HeadHash[:19], cp.MerkleRoot[:19])
	// The operator anchors the checkpoint elsewhere. Later the log has lost
	// its last entry:
	entries, _ := log.Entries(ctx, 0, 3)
	fmt.Println(audit.Verify(keys, entries, &audit.VerifyOptions{Checkpoints: []audit.Checkpoint{cp}}))
	// Output:
	// 0 4 sha256:4306177fddbd sha256:e236a87e4021
	// audit: entry 3 (seq 3): truncated: the log ends before seq 3; the checkpoint head is seq 3 (1 entry missing)
}

func ExampleImport() {
	ctx := context.Background()
	log, keys := exampleLog()
	log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.SessionCreated})
	log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.DocSigned, Payload: []byte("contract.pdf hash")})

	var buf bytes.Buffer
	if err := log.Export(ctx, &buf); err != nil {
		panic(err)
	}
	exported := buf.Bytes()
	entries, err := audit.Import(bytes.NewReader(exported), keys, nil)
	fmt.Println(len(entries), err)

	edited := bytes.Replace(exported, []byte("DOC_SIGNED"), []byte("DOC_REVOKED"), 1)
	_, err = audit.Import(bytes.NewReader(edited), keys, nil)
	fmt.Println(err)
	// Output:
	// 2 <nil>
	// audit: entry 1 (seq 1, audit_id evt-2): modified: entry_hash does not match the content
}

func ExampleVerifyInclusion() {
	ctx := context.Background()
	log, keys := exampleLog()
	var signed audit.Entry
	for i := range 6 {
		e, _ := log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.ChallengePassed, Payload: []byte{byte(i)}})
		if i == 4 {
			signed = e
		}
	}
	cp, _ := log.Checkpoint(ctx, nil)

	// The path lets a third party check one entry against the anchored
	// checkpoint without seeing the rest of the log.
	path, _ := log.InclusionPath(ctx, signed.Seq, cp)
	fmt.Println(len(path), audit.VerifyInclusion(keys, signed, cp, path))
	// Output:
	// 2 <nil>
}

func ExampleLog_Rotate() {
	ctx := context.Background()
	log, _ := exampleLog()
	log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.SessionCreated})

	next, _ := audit.NewSigner("key-2026", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize)))
	rot, _ := log.Rotate(ctx, next)
	e, _ := log.Append(ctx, audit.Record{SessionID: "sess-1", Type: audit.ManualReview})
	fmt.Println(rot.EventType, rot.KeyID, "->", e.KeyID)
	fmt.Println(log.Keyring().IDs(), log.Verify(ctx))
	// Output:
	// KEY_ROTATED key-2025 -> key-2026
	// [key-2025 key-2026] <nil>
}

func ExampleEntry_Canonical() {
	e := audit.Entry{
		Seq: 0, AuditID: "evt-1", SessionID: "sess-1", EventType: audit.SessionCreated,
		Timestamp:   "2025-03-01T12:00:01.000000Z",
		PayloadHash: audit.Hash(nil), PrevHash: audit.Genesis, KeyID: "key-2025",
	}
	fmt.Println(string(e.Canonical()))
	fmt.Println(e.ComputeHash())
	// Output:
	// {"seq":0,"audit_id":"evt-1","session_id":"sess-1","event_type":"SESSION_CREATED","timestamp":"2025-03-01T12:00:01.000000Z","payload_hash":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","prev_hash":"sha256:0000000000000000000000000000000000000000000000000000000000000000","evidence_hash":"","key_id":"key-2025"}
	// sha256:dba2bccfb4edac71e69d2e942e52f0483053cf8a5ee529615878892e1aa4331c
}
