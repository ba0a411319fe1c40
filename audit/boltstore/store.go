package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/openliveness/openliveness/audit"
	bolt "go.etcd.io/bbolt"
)

// Bucket names and the format marker. Entries are keyed by their seq as 8
// big-endian bytes and stored as the JSON of audit.Entry; the session index
// maps uvarint(len(session_id)) || session_id || seq to nothing.
var (
	bucketEntries  = []byte("audit_entries")
	bucketSessions = []byte("audit_sessions")
	bucketMeta     = []byte("audit_meta")
	keyFormat      = []byte("format")
	formatV1       = []byte("openliveness-audit-v1")
)

// scanPage is how many entries Scan reads per read transaction.
const scanPage = 256

// ErrFormat is returned by Open for a file whose audit buckets were written
// in an unknown format.
var ErrFormat = errors.New("boltstore: unknown format")

// Store is an audit.Store and audit.SessionIndex in a bbolt file. Each Append
// is one bbolt read-write transaction, committed with fsync: after a crash an
// entry and its index record are either both present or both absent. A Store
// is safe for concurrent use; bbolt's file lock keeps other processes out
// while it is open.
type Store struct {
	db *bolt.DB

	// afterPut, when set (tests only), runs inside the append transaction
	// after the entry is written and before the index is.
	afterPut func()
}

type options struct {
	lockTimeout time.Duration
}

// Option configures Open.
type Option func(*options)

// WithLockTimeout sets how long Open waits for another process to release
// the file (default 1s; 0 waits forever).
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// Open opens or creates the bbolt file at path and its audit buckets.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: time.Second}
	for _, f := range opts {
		f(&o)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.lockTimeout, FreelistType: bolt.FreelistArrayType})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch f := meta.Get(keyFormat); {
		case f == nil:
			if err := meta.Put(keyFormat, formatV1); err != nil {
				return err
			}
		case !bytes.Equal(f, formatV1):
			return fmt.Errorf("%w %q", ErrFormat, f)
		}
		for _, name := range [][]byte{bucketEntries, bucketSessions} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file. Iterations in progress end with an error.
func (s *Store) Close() error { return s.db.Close() }

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

func sessionPrefix(id string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(id)+10), uint64(len(id)))
	return append(b, id...)
}

// Append implements audit.Store.
func (s *Store) Append(ctx context.Context, e audit.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("boltstore: encode entry %d: %w", e.Seq, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		var n uint64
		if k, _ := b.Cursor().Last(); k != nil {
			n = binary.BigEndian.Uint64(k) + 1
		}
		if e.Seq != n {
			return fmt.Errorf("%w: seq %d, store holds %d entries", audit.ErrConflict, e.Seq, n)
		}
		key := seqKey(e.Seq)
		if err := b.Put(key, val); err != nil {
			return err
		}
		if s.afterPut != nil {
			s.afterPut()
		}
		return tx.Bucket(bucketSessions).Put(append(sessionPrefix(e.SessionID), key...), nil)
	})
	if err != nil && !errors.Is(err, audit.ErrConflict) {
		return fmt.Errorf("boltstore: append seq %d: %w", e.Seq, err)
	}
	return err
}

func decode(k, v []byte) (audit.Entry, error) {
	var e audit.Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("boltstore: decode entry %x: %w", k, err)
	}
	if len(k) != 8 || binary.BigEndian.Uint64(k) != e.Seq {
		return e, fmt.Errorf("boltstore: entry stored under key %x has seq %d", k, e.Seq)
	}
	return e, nil
}

// Last implements audit.Store.
func (s *Store) Last(ctx context.Context) (audit.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return audit.Entry{}, false, err
	}
	var (
		e  audit.Entry
		ok bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketEntries).Cursor().Last()
		if k == nil {
			return nil
		}
		var err error
		e, err = decode(k, v)
		ok = err == nil
		return err
	})
	return e, ok, err
}

// Scan implements audit.Store. It reads scanPage entries per read
// transaction and holds no transaction while the consumer runs.
func (s *Store) Scan(ctx context.Context, from uint64) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		next := from
		for {
			if err := ctx.Err(); err != nil {
				yield(audit.Entry{}, err)
				return
			}
			page := make([]audit.Entry, 0, scanPage)
			err := s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucketEntries).Cursor()
				for k, v := c.Seek(seqKey(next)); k != nil && len(page) < scanPage; k, v = c.Next() {
					e, err := decode(k, v)
					if err != nil {
						return err
					}
					page = append(page, e)
				}
				return nil
			})
			if err != nil {
				yield(audit.Entry{}, fmt.Errorf("boltstore: scan: %w", err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < scanPage {
				return
			}
			next = page[len(page)-1].Seq + 1
		}
	}
}

// BySession implements audit.SessionIndex.
func (s *Store) BySession(ctx context.Context, sessionID string) ([]audit.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix := sessionPrefix(sessionID)
	var out []audit.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		c := tx.Bucket(bucketSessions).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			seq := k[len(prefix):]
			if len(seq) != 8 {
				return fmt.Errorf("session index key %x is malformed", k)
			}
			e, err := decode(seq, entries.Get(seq))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: session %q: %w", sessionID, err)
	}
	return out, nil
}
