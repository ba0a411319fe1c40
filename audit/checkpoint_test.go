package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/audit"
)

func TestParseCheckpoint(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.ParseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyCheckpoint(goldenKeys(), cp); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(cp); !bytes.Equal(append(again, '\n'), data) {
		t.Fatal("checkpoint does not round-trip")
	}
	s := strings.TrimSuffix(string(data), "\n")
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"not JSON", "checkpoint"},
		{"pretty", strings.Replace(s, `"start":0,`, `"start": 0,`, 1)},
		{"unknown field", strings.Replace(s, `"start":0,`, `"start":0,"note":"x",`, 1)},
		{"missing field", strings.Replace(s, `"start":0,`, ``, 1)},
		{"negative", strings.Replace(s, `"start":0,`, `"start":-1,`, 1)},
		{"start after size", strings.Replace(s, `"start":0,`, `"start":12,`, 1)},
		{"bad hash", strings.Replace(s, `"head_hash":"sha256:`, `"head_hash":"sha512:`, 1)},
		{"bad time", strings.Replace(s, `.000000Z`, `Z`, 1)},
		{"bad key id", strings.Replace(s, `"key_id":"k2"`, `"key_id":"k 2"`, 1)},
		{"bad signature", strings.Replace(s, `"signature":"`, `"signature":"!`, 1)},
		{"two newlines", s + "\n\n"},
		{"trailing data", s + "{}"},
	} {
		if _, err := audit.ParseCheckpoint([]byte(tc.in)); !errors.Is(err, audit.ErrBadCheckpoint) {
			t.Errorf("%s: ParseCheckpoint = %v, want ErrBadCheckpoint", tc.name, err)
		}
	}
	empty := audit.Checkpoint{HeadHash: audit.Hash(nil), MerkleRoot: audit.Hash(nil), Timestamp: cp.Timestamp, KeyID: "k1", Signature: cp.Signature}
	b, _ := json.Marshal(empty)
	if _, err := audit.ParseCheckpoint(b); !errors.Is(err, audit.ErrBadCheckpoint) {
		t.Errorf("empty checkpoint with a non-genesis head: %v", err)
	}
}

// FuzzParseCheckpoint: ParseCheckpoint never panics, and a checkpoint that
// parses and verifies is the golden one.
func FuzzParseCheckpoint(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "checkpoint.json"))
	if err != nil {
		f.Fatal(err)
	}
	keys := goldenKeys()
	want, err := audit.ParseCheckpoint(data)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(bytes.TrimSuffix(data, []byte("\n")))
	f.Add([]byte(`{"start":0}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		cp, err := audit.ParseCheckpoint(in)
		if err != nil {
			if !errors.Is(err, audit.ErrBadCheckpoint) {
				t.Fatalf("error %v does not wrap ErrBadCheckpoint", err)
			}
			return
		}
		if audit.VerifyCheckpoint(keys, cp) == nil && cp != want {
			t.Fatalf("accepted a modified checkpoint %+v", cp)
		}
	})
}
