package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
	"github.com/openliveness/openliveness/internal/golden"
)

// goldenLog builds the deterministic log of testdata/log.jsonl: eight
// records, a key rotation from k1 to k2, two more records.
func goldenLog(t testing.TB) (*audit.Log, []audit.Entry) {
	t.Helper()
	l := audittest.NewLog(t)
	var es []audit.Entry
	add := func(recs []audit.Record) {
		for _, r := range recs {
			e, err := l.Append(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
	}
	add(audittest.Records(8))
	rot, err := l.Rotate(ctx, audittest.Signer("k2", 2))
	if err != nil {
		t.Fatal(err)
	}
	es = append(es, rot)
	add(audittest.Records(2))
	return l, es
}

func goldenKeys() *audit.Keyring {
	return audit.NewKeyring(audittest.Signer("k1", 1), audittest.Signer("k2", 2))
}

func TestExportGolden(t *testing.T) {
	l, es := goldenLog(t)
	var buf bytes.Buffer
	if err := l.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "log.jsonl", buf.Bytes())
	var again bytes.Buffer
	if err := audit.WriteJSONL(&again, es); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Fatal("WriteJSONL and Log.Export disagree")
	}
	got, err := audit.Import(bytes.NewReader(buf.Bytes()), goldenKeys(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, es) {
		t.Fatal("Import did not return the exported entries")
	}
	cp, err := l.Checkpoint(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "checkpoint.json", append(b, '\n'))
}

func TestImportStrictness(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	keys := goldenKeys()
	lines := strings.SplitAfter(string(data), "\n")
	lines = lines[:len(lines)-1] // after the final newline
	first := strings.TrimSuffix(lines[0], "\n")
	for _, tc := range []struct {
		name string
		in   string
		idx  int // -1: accepted
	}{
		{"as exported", string(data), -1},
		{"without the final newline", strings.TrimSuffix(string(data), "\n"), -1},
		{"empty", "", -1},
		{"CRLF", strings.ReplaceAll(string(data), "\n", "\r\n"), 0},
		{"blank line", lines[0] + lines[1] + "\n" + lines[2], 2},
		{"trailing blank line", string(data) + "\n", len(lines)},
		{"space after the object", lines[0] + strings.Replace(lines[1], "}\n", "} \n", 1), 1},
		{"space inside", strings.Replace(first, `"seq":0,`, `"seq": 0,`, 1) + "\n", 0},
		{"fields reordered", strings.Replace(first, `{"seq":0,"audit_id":"aud-000001"`, `{"audit_id":"aud-000001","seq":0`, 1) + "\n", 0},
		{"unknown field", strings.Replace(first, `{"seq":0,`, `{"seq":0,"x":1,`, 1) + "\n", 0},
		{"duplicate field", strings.Replace(first, `{"seq":0,`, `{"seq":0,"seq":0,`, 1) + "\n", 0},
		{"escaped character", strings.Replace(first, `"aud-000001"`, `"aud-00000\u0031"`, 1) + "\n", 0},
		{"seq as a string", strings.Replace(first, `"seq":0`, `"seq":"0"`, 1) + "\n", 0},
		{"seq with exponent", strings.Replace(first, `"seq":0`, `"seq":0e0`, 1) + "\n", 0},
		{"byte order mark", "\ufeff" + string(data), 0},
		{"two objects on a line", first + first + "\n", 0},
		{"array", "[" + first + "]\n", 0},
		{"line too long", lines[0] + strings.Repeat(" ", 5000) + "\n", 1},
		{"not JSON", "hello\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.Import(strings.NewReader(tc.in), keys, nil)
			if tc.idx < 0 {
				if err != nil {
					t.Fatal(err)
				}
				if n := strings.Count(tc.in, "}"); len(got) != n {
					t.Fatalf("imported %d entries, want %d", len(got), n)
				}
				return
			}
			wantVerifyError(t, err, tc.idx, audit.Malformed)
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportReportsWriteErrors(t *testing.T) {
	l, es := goldenLog(t)
	if err := l.Export(ctx, failingWriter{}); err == nil {
		t.Fatal("Export to a failing writer succeeded")
	}
	if err := audit.WriteJSONL(failingWriter{}, es); err == nil {
		t.Fatal("WriteJSONL to a failing writer succeeded")
	}
}

// FuzzImport feeds arbitrary bytes, seeded with the golden log and pieces of
// it, to Import. It must never panic, and whatever it accepts must be the
// golden log itself (when checked against its checkpoint) or a prefix of it
// (without a checkpoint): no modified log is ever accepted.
func FuzzImport(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "log.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	cpData, err := os.ReadFile(filepath.Join("testdata", "checkpoint.json"))
	if err != nil {
		f.Fatal(err)
	}
	keys := goldenKeys()
	cp, err := audit.ParseCheckpoint(cpData)
	if err != nil {
		f.Fatal(err)
	}
	want, err := audit.Import(bytes.NewReader(data), keys, &audit.VerifyOptions{Checkpoints: []audit.Checkpoint{cp}})
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	f.Add(data)
	f.Add(bytes.Join(lines[:3], nil))
	f.Add(bytes.Join([][]byte{lines[1], lines[0], lines[2]}, nil))
	f.Add(bytes.Join([][]byte{lines[0], lines[2], lines[3]}, nil))
	f.Add(bytes.Join([][]byte{lines[0], lines[1], lines[1]}, nil))
	f.Add(bytes.ReplaceAll(data, []byte("sess-1"), []byte("sess-2")))
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := audit.Import(bytes.NewReader(in), keys, &audit.VerifyOptions{Checkpoints: []audit.Checkpoint{cp}})
		if err == nil {
			if !slices.Equal(got, want) {
				t.Fatalf("accepted a log that differs from the checkpointed one:\n%q", in)
			}
			if !bytes.Equal(in, data) && !bytes.Equal(in, bytes.TrimSuffix(data, []byte("\n"))) {
				t.Fatalf("accepted a different spelling of the log:\n%q", in)
			}
		}
		got, err = audit.Import(bytes.NewReader(in), keys, nil)
		if err == nil && (len(got) > len(want) || !slices.Equal(got, want[:len(got)])) {
			t.Fatalf("accepted a log that is not a prefix of the genuine one:\n%q", in)
		}
		var ve *audit.VerifyError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("Import error %v is not a *VerifyError", err)
		}
	})
}
