package audit_test

import (
	"bytes"
	"testing"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
)

func BenchmarkAppend(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		l := audittest.NewLog(b)
		rec := audit.Record{SessionID: "sess-1", Type: audit.ChallengePassed, Payload: []byte(`{"challenge":"BLINK","ear":0.18}`)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Append(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// perEntry reports the time per entry of a benchmark over n entries.
func perEntry(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
}

func BenchmarkVerify(b *testing.B) {
	const n = 1000
	es := audittest.Entries(b, n)
	keys := keyring()
	b.ReportAllocs()
	for b.Loop() {
		if err := audit.Verify(keys, es, nil); err != nil {
			b.Fatal(err)
		}
	}
	perEntry(b, n)
}

func BenchmarkImport(b *testing.B) {
	const n = 1000
	es := audittest.Entries(b, n)
	var buf bytes.Buffer
	if err := audit.WriteJSONL(&buf, es); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	keys := keyring()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := audit.Import(bytes.NewReader(data), keys, nil); err != nil {
			b.Fatal(err)
		}
	}
	perEntry(b, n)
}

func BenchmarkMerkleRoot(b *testing.B) {
	const n = 1000
	es := audittest.Entries(b, n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := audit.MerkleRoot(es); err != nil {
			b.Fatal(err)
		}
	}
	perEntry(b, n)
}
