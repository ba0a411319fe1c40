package boltstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/audit/audittest"
	bolt "go.etcd.io/bbolt"
)

var ctx = context.Background()

// crashChildEnv names the database a child test process appends to until it
// is killed (see TestCrashDuringAppends).
const crashChildEnv = "OPENLIVENESS_AUDIT_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashChild appends to the log at path forever, printing the seq of every
// entry once Append has returned (that is, once it is durable).
func crashChild(path string) int {
	st, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	l, err := audit.Open(ctx, audit.WithStore(st), audit.WithSigner(audittest.Signer("k1", 1)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; ; i++ {
		e, err := l.Append(ctx, audit.Record{SessionID: fmt.Sprintf("sess-%d", i%5), Type: audit.ChallengePassed, Payload: []byte(strconv.Itoa(i))})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("ok %d\n", e.Seq)
	}
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func TestConformance(t *testing.T) {
	audittest.TestStore(t, func(t *testing.T) audit.Store {
		st, _ := openTemp(t)
		return st
	})
}

func TestReopenContinuesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	var all []audit.Entry
	for round := range 3 {
		st, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		l := audittest.NewLog(t, audit.WithStore(st), audit.WithIDGenerator(audittest.IDs(fmt.Sprintf("r%d", round))))
		for _, r := range audittest.Records(4) {
			e, err := l.Append(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, e)
		}
		if err := l.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := audittest.NewLog(t, audit.WithStore(st))
	got, err := l.Entries(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("%d entries after reopening, want %d", len(got), len(all))
	}
	for i := range got {
		if got[i] != all[i] {
			t.Fatalf("entry %d differs after reopening", i)
		}
	}
	sess, err := l.BySession(ctx, "sess-1")
	if err != nil || len(sess) != 3 {
		t.Fatalf("BySession after reopening = %d entries, %v; want 3", len(sess), err)
	}
}

func TestPanicInsideTheTransactionLeavesNoPartialEntry(t *testing.T) {
	st, _ := openTemp(t)
	l := audittest.NewLog(t, audit.WithStore(st))
	for _, r := range audittest.Records(3) {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The entry is written, then the process "crashes" before the session
	// index is: bbolt must roll both back.
	st.afterPut = func() { panic("crash inside the transaction") }
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the injected panic did not happen")
			}
		}()
		l.Append(ctx, audit.Record{SessionID: "sess-crash", Type: audit.LivenessResult})
	}()
	st.afterPut = nil
	if last, _, err := st.Last(ctx); err != nil || last.Seq != 2 {
		t.Fatalf("after the crash the last entry is seq %d (%v), want 2", last.Seq, err)
	}
	if got, _ := st.BySession(ctx, "sess-crash"); len(got) != 0 {
		t.Fatalf("the session index kept %d entries of the rolled-back append", len(got))
	}
	e, err := l.Append(ctx, audit.Record{SessionID: "sess-after", Type: audit.LivenessResult})
	if err != nil || e.Seq != 3 {
		t.Fatalf("append after the crash = seq %d, %v; want seq 3", e.Seq, err)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCrashDuringAppends runs a child process that appends in a loop, kills
// it with SIGKILL at different moments, and checks after every kill that the
// file reopens, the chain verifies, every acknowledged entry is there and at
// most one more entry (committed but not yet acknowledged) follows.
func TestCrashDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	keys := audit.NewKeyring(audittest.Signer("k1", 1))
	var size uint64
	for round, kill := range []int{1, 7, 23, 4, 2, 11, 3, 16} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		acked, lines := int64(-1), 0
		read := func() bool { // one complete line; a line cut by the kill is ignored
			line, err := r.ReadString('\n')
			if err != nil {
				return false
			}
			seq, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(line, "ok "), "\n"), 10, 64)
			if err != nil {
				t.Fatalf("child wrote %q", line)
			}
			acked = seq
			lines++
			return true
		}
		for lines < kill && read() {
		}
		if lines < kill {
			cmd.Wait()
			t.Fatalf("round %d: child stopped after %d appends: %s", round, lines, stderr.String())
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for read() { // what the child acknowledged before it died
		}
		if err := cmd.Wait(); err == nil {
			t.Fatalf("round %d: child exited normally", round)
		}

		st, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopening after the kill: %v", round, err)
		}
		l, err := audit.Open(ctx, audit.WithStore(st), audit.WithSigner(audittest.Signer("k1", 1)))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		es, err := l.Entries(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := audit.Verify(keys, es, nil); err != nil {
			t.Fatalf("round %d: chain broken after the kill: %v", round, err)
		}
		n := uint64(len(es))
		if n < uint64(acked)+1 || n > uint64(acked)+2 {
			t.Fatalf("round %d: %d entries after the kill, last acknowledged seq %d", round, n, acked)
		}
		if n <= size {
			t.Fatalf("round %d: the log did not grow (%d entries)", round, n)
		}
		size = n
		t.Logf("round %d: killed after %d acknowledged appends; %d entries, last acknowledged seq %d", round, lines, n, acked)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejectsOtherFormats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyFormat, []byte("openliveness-audit-v0"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); !errors.Is(err, ErrFormat) {
		t.Fatalf("Open of another format = %v, want ErrFormat", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "dir", "x.db")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func TestCorruptValueIsReported(t *testing.T) {
	st, _ := openTemp(t)
	for _, e := range audittest.Entries(t, 3) {
		if err := st.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).Put(seqKey(1), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	var scanErr error
	n := 0
	for _, err := range st.Scan(ctx, 0) {
		if err != nil {
			scanErr = err
			break
		}
		n++
	}
	if scanErr == nil {
		t.Fatalf("Scan over a corrupt value yielded %d entries and no error", n)
	}
	if _, err := st.BySession(ctx, "sess-1"); err == nil {
		t.Fatal("BySession over a corrupt value succeeded")
	}
}

func BenchmarkAppend(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l := audittest.NewLog(b, audit.WithStore(st))
	rec := audit.Record{SessionID: "sess-1", Type: audit.ChallengePassed, Payload: []byte(`{"challenge":"BLINK","ear":0.18}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 1000
	for _, e := range audittest.Entries(b, n) {
		if err := st.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		for _, err := range st.Scan(ctx, 0) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("scanned %d entries", count)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
}
