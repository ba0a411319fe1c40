package audit

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxConflictRetries bounds how often Append rebuilds an entry after the
// store reports that another writer got there first.
const maxConflictRetries = 64

// Log is the append-only, hash-chained, signed evidence log. Create it with
// Open. A Log is safe for concurrent use: appends are serialised so the log
// stays a single chain, and several Logs (in one or several processes)
// sharing a Store that reports ErrConflict also keep a single chain.
type Log struct {
	store  Store
	keys   *Keyring
	now    func() time.Time
	newID  func() string
	logger *slog.Logger

	mu     sync.Mutex // serialises appends and guards the fields below
	signer *Signer
	head   Head
	stale  bool // head must be reloaded from the store before use
}

// Head identifies the end of a log: its number of entries and the
// entry_hash of the last one (Genesis for an empty log). It is a plain value.
type Head struct {
	Size uint64 `json:"size"`
	Hash string `json:"hash"`
}

// Option configures a Log in Open.
type Option func(*Log)

// WithStore sets where entries are kept (default: a new MemoryStore).
func WithStore(s Store) Option { return func(l *Log) { l.store = s } }

// WithSigner sets the key that signs new entries and checkpoints (required).
// Its public key is added to the keyring.
func WithSigner(s *Signer) Option { return func(l *Log) { l.signer = s } }

// WithKeyring sets the public keys used to verify entries, including those
// signed by retired keys (default: a keyring holding only the signer's key).
// The Log adds keys to it on Rotate.
func WithKeyring(k *Keyring) Option { return func(l *Log) { l.keys = k } }

// WithClock sets the clock that timestamps entries (default time.Now).
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// WithIDGenerator sets the generator of audit ids (default: 32 random
// hexadecimal digits from crypto/rand). It is called with appends
// serialised; ids must use the id alphabet.
func WithIDGenerator(f func() string) Option { return func(l *Log) { l.newID = f } }

// WithLogger sets where the Log reports retries and store failures
// (default: discard).
func WithLogger(lg *slog.Logger) Option { return func(l *Log) { l.logger = lg } }

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b[:])
}

// Open returns a Log over the store, continuing its chain. It reads the last
// stored entry and checks that its entry_hash matches its content (use
// Log.Verify for the whole log).
func Open(ctx context.Context, opts ...Option) (*Log, error) {
	l := &Log{now: time.Now, newID: randomID}
	for _, o := range opts {
		o(l)
	}
	if l.signer == nil {
		return nil, ErrNoSigner
	}
	if l.store == nil {
		l.store = NewMemoryStore()
	}
	if l.keys == nil {
		l.keys = NewKeyring()
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	if err := l.keys.Add(l.signer.keyID, l.signer.pub); err != nil {
		return nil, err
	}
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// reload reads the head from the store. Callers hold l.mu or own l.
func (l *Log) reload(ctx context.Context) error {
	last, ok, err := l.store.Last(ctx)
	if err != nil {
		return fmt.Errorf("audit: reading the head: %w", err)
	}
	if !ok {
		l.head, l.stale = Head{Size: 0, Hash: Genesis}, false
		return nil
	}
	if err := last.checkSyntax(); err != nil {
		return verifyErr(-1, last.Seq, idOf(&last), Malformed, "last stored entry: %v", err)
	}
	if last.ComputeHash() != last.EntryHash {
		return verifyErr(-1, last.Seq, last.AuditID, Modified, "last stored entry: entry_hash does not match the content")
	}
	l.head, l.stale = Head{Size: last.Seq + 1, Hash: last.EntryHash}, false
	return nil
}

// Append adds a record to the log and returns the stored entry. Appends are
// serialised. If the store fails, nothing is appended and the Log re-reads
// the head before the next append; if the store reports ErrConflict (another
// writer appended first) the entry is rebuilt on the new head and retried.
func (l *Log) Append(ctx context.Context, r Record) (Entry, error) {
	payload, err := r.payloadHash()
	if err != nil {
		return Entry{}, err
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.appendLocked(ctx, r, payload)
}

func (l *Log) appendLocked(ctx context.Context, r Record, payload string) (Entry, error) {
	for attempt := 0; ; attempt++ {
		if l.stale {
			if err := l.reload(ctx); err != nil {
				return Entry{}, err
			}
		}
		e := Entry{
			Seq:          l.head.Size,
			AuditID:      l.newID(),
			SessionID:    r.SessionID,
			EventType:    r.Type,
			Timestamp:    formatTime(l.now()),
			PayloadHash:  payload,
			PrevHash:     l.head.Hash,
			EvidenceHash: r.EvidenceHash,
			KeyID:        l.signer.keyID,
		}
		if !validID(e.AuditID) {
			return Entry{}, fmt.Errorf("%w: generated audit id %q", ErrInvalidRecord, e.AuditID)
		}
		canonical := e.Canonical()
		e.EntryHash = Hash(canonical)
		e.Signature = l.signer.sign(EntrySignContext, canonical)

		l.stale = true // until the store confirms; also covers a panicking store
		err := l.store.Append(ctx, e)
		if err == nil {
			l.head, l.stale = Head{Size: e.Seq + 1, Hash: e.EntryHash}, false
			return e, nil
		}
		if errors.Is(err, ErrConflict) && attempt < maxConflictRetries {
			l.logger.DebugContext(ctx, "audit: append conflict, retrying on the new head", "seq", e.Seq, "attempt", attempt+1)
			continue
		}
		l.logger.WarnContext(ctx, "audit: append failed", "seq", e.Seq, "err", err)
		return Entry{}, fmt.Errorf("audit: append seq %d: %w", e.Seq, err)
	}
}

// Rotate makes s the signing key. It first appends a KEY_ROTATED entry,
// signed by the outgoing key, whose payload is the JSON
// {"key_id":"<new id>","public_key":"<standard base64 of the 32-byte key>"};
// then adds s's public key to the keyring and signs everything after with s.
// Entries signed by the old key stay verifiable with the keyring.
func (l *Log) Rotate(ctx context.Context, s *Signer) (Entry, error) {
	if s == nil {
		return Entry{}, ErrNoSigner
	}
	payload := []byte(`{"key_id":"` + s.keyID + `","public_key":"` + base64.StdEncoding.EncodeToString(s.pub) + `"}`)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.keys.Add(s.keyID, s.pub); err != nil {
		return Entry{}, err
	}
	e, err := l.appendLocked(ctx, Record{Type: KeyRotated}, Hash(payload))
	if err != nil {
		return Entry{}, err
	}
	l.signer = s
	return e, nil
}

// Keyring returns the keyring the Log verifies with.
func (l *Log) Keyring() *Keyring { return l.keys }

// Head returns the current head, read from the store.
func (l *Log) Head(ctx context.Context) (Head, error) {
	last, ok, err := l.store.Last(ctx)
	if err != nil {
		return Head{}, fmt.Errorf("audit: reading the head: %w", err)
	}
	if !ok {
		return Head{Size: 0, Hash: Genesis}, nil
	}
	return Head{Size: last.Seq + 1, Hash: last.EntryHash}, nil
}

// Entries returns up to limit entries starting at seq from (all of them when
// limit <= 0).
func (l *Log) Entries(ctx context.Context, from uint64, limit int) ([]Entry, error) {
	var out []Entry
	for e, err := range l.store.Scan(ctx, from) {
		if err != nil {
			return nil, fmt.Errorf("audit: reading entries: %w", err)
		}
		out = append(out, e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// BySession returns the entries of one session in seq order.
func (l *Log) BySession(ctx context.Context, sessionID string) ([]Entry, error) {
	if idx, ok := l.store.(SessionIndex); ok {
		out, err := idx.BySession(ctx, sessionID)
		if err != nil {
			return nil, fmt.Errorf("audit: reading session %q: %w", sessionID, err)
		}
		return out, nil
	}
	var out []Entry
	for e, err := range l.store.Scan(ctx, 0) {
		if err != nil {
			return nil, fmt.Errorf("audit: reading session %q: %w", sessionID, err)
		}
		if e.SessionID == sessionID {
			out = append(out, e)
		}
	}
	return out, nil
}

// entriesUpTo reads the entries with seq in [from, to).
func (l *Log) entriesUpTo(ctx context.Context, from, to uint64) ([]Entry, error) {
	out := make([]Entry, 0, to-from)
	if from == to {
		return out, nil
	}
	for e, err := range l.store.Scan(ctx, from) {
		if err != nil {
			return nil, fmt.Errorf("audit: reading entries: %w", err)
		}
		out = append(out, e)
		if e.Seq+1 >= to {
			break
		}
	}
	return out, nil
}

// CheckpointOptions are the per-call knobs of Log.Checkpoint; a plain value.
type CheckpointOptions struct {
	// Start is the seq where the Merkle range begins (default 0: the whole
	// log). Periodic checkpoints may start where the previous one ended.
	Start uint64
}

// Checkpoint signs the current head and the Merkle root of the entries from
// opts.Start to the head. It reads the entries of the range from the store
// and verifies them (one signature check per entry; periodic checkpoints
// keep this cheap by starting where the previous one ended), so it never
// signs over a damaged range.
func (l *Log) Checkpoint(ctx context.Context, opts *CheckpointOptions) (Checkpoint, error) {
	var start uint64
	if opts != nil {
		start = opts.Start
	}
	head, err := l.Head(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	if start > head.Size {
		return Checkpoint{}, fmt.Errorf("%w: start %d is after the head (size %d)", ErrBadCheckpoint, start, head.Size)
	}
	entries, err := l.entriesUpTo(ctx, start, head.Size)
	if err != nil {
		return Checkpoint{}, err
	}
	if uint64(len(entries)) != head.Size-start || (len(entries) > 0 && entries[len(entries)-1].EntryHash != head.Hash) {
		return Checkpoint{}, fmt.Errorf("%w: the store returned %d entries for [%d, %d) not ending at the head", ErrBadCheckpoint, len(entries), start, head.Size)
	}
	if err := Verify(l.keys, entries, &VerifyOptions{Start: start}); err != nil {
		return Checkpoint{}, err
	}
	root, err := MerkleRoot(entries)
	if err != nil {
		return Checkpoint{}, err
	}
	l.mu.Lock()
	signer := l.signer
	l.mu.Unlock()
	cp := Checkpoint{
		Start:      start,
		Size:       head.Size,
		HeadHash:   head.Hash,
		MerkleRoot: root,
		Timestamp:  formatTime(l.now()),
		KeyID:      signer.keyID,
	}
	cp.Signature = signer.sign(CheckpointSignContext, cp.Canonical())
	return cp, nil
}

// RunCheckpoints makes a checkpoint on every tick (for example from a
// time.Ticker) when the log has grown since the last published checkpoint
// (and is not empty), and hands it to publish, which should
// anchor it outside the log. Each checkpoint's Merkle range starts where the
// previous published one ended (the first one at seq 0); its head hash still
// commits to the whole log. A failed publish is logged and retried on the
// next tick. RunCheckpoints returns ctx.Err() when ctx is done.
func (l *Log) RunCheckpoints(ctx context.Context, tick <-chan time.Time, publish func(context.Context, Checkpoint) error) error {
	var published uint64
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
		head, err := l.Head(ctx)
		if err != nil {
			l.logger.WarnContext(ctx, "audit: checkpoint", "err", err)
			continue
		}
		if head.Size == published {
			continue
		}
		cp, err := l.Checkpoint(ctx, &CheckpointOptions{Start: published})
		if err == nil {
			err = publish(ctx, cp)
		}
		if err != nil {
			l.logger.WarnContext(ctx, "audit: checkpoint", "start", published, "err", err)
			continue
		}
		published = cp.Size
	}
}

// Verify reads the whole log from the store into memory and verifies it (see
// the package function Verify) against the given checkpoints.
func (l *Log) Verify(ctx context.Context, checkpoints ...Checkpoint) error {
	entries, err := l.Entries(ctx, 0, 0)
	if err != nil {
		return err
	}
	return Verify(l.keys, entries, &VerifyOptions{Checkpoints: checkpoints})
}

// Export writes the whole log as JSON Lines (see WriteJSONL and Import).
func (l *Log) Export(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriter(w)
	for e, err := range l.store.Scan(ctx, 0) {
		if err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if err := writeLine(bw, &e); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	}
	return bw.Flush()
}

// InclusionPath returns the audit path proving that the entry with the given
// seq is in the Merkle range of cp (see VerifyInclusion). It reads the range
// from the store and fails if the log no longer matches cp.
func (l *Log) InclusionPath(ctx context.Context, seq uint64, cp Checkpoint) ([]string, error) {
	if seq < cp.Start || seq >= cp.Size {
		return nil, fmt.Errorf("%w: seq %d is outside the checkpoint range [%d, %d)", ErrBadProof, seq, cp.Start, cp.Size)
	}
	entries, err := l.entriesUpTo(ctx, cp.Start, cp.Size)
	if err != nil {
		return nil, err
	}
	if err := Verify(l.keys, entries, &VerifyOptions{Start: cp.Start, Checkpoints: []Checkpoint{cp}}); err != nil {
		return nil, err
	}
	return InclusionPath(entries, int(seq-cp.Start))
}
