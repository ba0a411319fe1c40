package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
	"github.com/openliveness/openliveness/internal/golden"
)

// vector is the cross-language test vector in testdata/vector.json.
type vector struct {
	Comment               string        `json:"comment"`
	Seed                  string        `json:"ed25519_seed_hex"`
	KeyID                 string        `json:"key_id"`
	PublicKey             string        `json:"public_key_base64"`
	EntrySignContext      string        `json:"entry_sign_context"`
	CheckpointSignContext string        `json:"checkpoint_sign_context"`
	Entries               []vectorEntry `json:"entries"`
	Checkpoint            vectorCP      `json:"checkpoint"`
}

type vectorEntry struct {
	JSONL     string `json:"jsonl"`
	Canonical string `json:"canonical"`
	EntryHash string `json:"entry_hash"`
	LeafHash  string `json:"merkle_leaf_hash_hex"`
}

type vectorCP struct {
	JSON      string `json:"json"`
	Canonical string `json:"canonical"`
}

func makeVector(t *testing.T) []byte {
	l := audittest.NewLog(t)
	recs := []audit.Record{
		{SessionID: "sess-42", Type: audit.SessionCreated, Payload: []byte(`{"challenges":["BLINK","TURN_LEFT"]}`)},
		{SessionID: "sess-42", Type: audit.ConsentRecorded, Payload: []byte(`{"consent":true}`)},
		{SessionID: "sess-42", Type: audit.LivenessResult, Payload: []byte(`{"live":true,"score":0.97}`), EvidenceHash: audit.Hash([]byte("frames"))},
	}
	es := appendAll(t, l, recs)
	cp, err := l.Checkpoint(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := audittest.Signer("k1", 1)
	v := vector{
		Comment:               "openliveness audit log test vector; the rules are in docs/audit.md",
		Seed:                  strings.Repeat("01", 32),
		KeyID:                 s.KeyID(),
		PublicKey:             base64.StdEncoding.EncodeToString(s.Public()),
		EntrySignContext:      audit.EntrySignContext,
		CheckpointSignContext: audit.CheckpointSignContext,
	}
	for _, e := range es {
		line, _ := json.Marshal(e)
		d, _ := hex.DecodeString(strings.TrimPrefix(e.EntryHash, audit.HashPrefix))
		leaf := sha256.Sum256(append([]byte{0}, d...))
		v.Entries = append(v.Entries, vectorEntry{JSONL: string(line), Canonical: string(e.Canonical()), EntryHash: e.EntryHash, LeafHash: hex.EncodeToString(leaf[:])})
	}
	cpJSON, _ := json.Marshal(cp)
	v.Checkpoint = vectorCP{JSON: string(cpJSON), Canonical: string(cp.Canonical())}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVectorGolden(t *testing.T) {
	golden.Check(t, "vector.json", makeVector(t))
}

// TestVectorFromDocumentedRules recomputes testdata/vector.json the way a
// verifier in another language would, from the docs/audit.md rules alone: string
// concatenation, SHA-256, Ed25519 and the RFC 6962 tree.
func TestVectorFromDocumentedRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "vector.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(v.Seed)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if base64.StdEncoding.EncodeToString(pub) != v.PublicKey {
		t.Fatal("public key does not derive from the seed")
	}
	str := func(m map[string]any, k string) string {
		s, ok := m[k].(string)
		if !ok {
			t.Fatalf("field %s missing", k)
		}
		return s
	}
	prev := "sha256:" + strings.Repeat("0", 64)
	var leaves [][]byte
	for i, ve := range v.Entries {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(ve.JSONL))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		canonical := fmt.Sprintf(`{"seq":%s,"audit_id":"%s","session_id":"%s","event_type":"%s","timestamp":"%s","payload_hash":"%s","prev_hash":"%s","evidence_hash":"%s","key_id":"%s"}`,
			m["seq"].(json.Number), str(m, "audit_id"), str(m, "session_id"), str(m, "event_type"), str(m, "timestamp"),
			str(m, "payload_hash"), str(m, "prev_hash"), str(m, "evidence_hash"), str(m, "key_id"))
		if canonical != ve.Canonical {
			t.Fatalf("entry %d: canonical\n%s\nwant\n%s", i, canonical, ve.Canonical)
		}
		if !strings.HasPrefix(ve.JSONL, strings.TrimSuffix(canonical, "}")+`,"entry_hash":"`) {
			t.Fatalf("entry %d: the JSON line does not start with the canonical fields", i)
		}
		sum := sha256.Sum256([]byte(canonical))
		if h := "sha256:" + hex.EncodeToString(sum[:]); h != str(m, "entry_hash") || h != ve.EntryHash {
			t.Fatalf("entry %d: hash %s, line says %s", i, h, str(m, "entry_hash"))
		}
		if str(m, "prev_hash") != prev {
			t.Fatalf("entry %d: prev_hash %s, want %s", i, str(m, "prev_hash"), prev)
		}
		sig, _ := base64.StdEncoding.DecodeString(str(m, "signature"))
		if !ed25519.Verify(pub, []byte("openliveness/audit/entry/v1\n"+canonical), sig) {
			t.Fatalf("entry %d: signature does not verify", i)
		}
		leaf := sha256.Sum256(append([]byte{0x00}, sum[:]...))
		if hex.EncodeToString(leaf[:]) != ve.LeafHash {
			t.Fatalf("entry %d: leaf hash", i)
		}
		leaves = append(leaves, leaf[:])
		prev = str(m, "entry_hash")
	}
	var cp map[string]any
	dec := json.NewDecoder(strings.NewReader(v.Checkpoint.JSON))
	dec.UseNumber()
	if err := dec.Decode(&cp); err != nil {
		t.Fatal(err)
	}
	canonical := fmt.Sprintf(`{"start":%s,"size":%s,"head_hash":"%s","merkle_root":"%s","timestamp":"%s","key_id":"%s"}`,
		cp["start"].(json.Number), cp["size"].(json.Number), str(cp, "head_hash"), str(cp, "merkle_root"), str(cp, "timestamp"), str(cp, "key_id"))
	if canonical != v.Checkpoint.Canonical {
		t.Fatalf("checkpoint canonical\n%s\nwant\n%s", canonical, v.Checkpoint.Canonical)
	}
	sig, _ := base64.StdEncoding.DecodeString(str(cp, "signature"))
	if !ed25519.Verify(pub, []byte("openliveness/audit/checkpoint/v1\n"+canonical), sig) {
		t.Fatal("checkpoint signature does not verify")
	}
	if str(cp, "head_hash") != prev {
		t.Fatal("checkpoint head is not the last entry")
	}
	// Three leaves: k = 2, root = node(node(l0, l1), l2).
	node := func(l, r []byte) []byte {
		s := sha256.Sum256(append(append([]byte{0x01}, l...), r...))
		return s[:]
	}
	if len(leaves) != 3 {
		t.Fatalf("%d entries in the vector, want 3", len(leaves))
	}
	root := node(node(leaves[0], leaves[1]), leaves[2])
	if "sha256:"+hex.EncodeToString(root) != str(cp, "merkle_root") {
		t.Fatal("merkle_root does not follow the documented tree")
	}
}
