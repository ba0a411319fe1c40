// Package boltstore is a durable liveness.Store in one bbolt file (pure Go,
// no cgo): sessions survive a restart of the process, and so do the
// intents (webhook events, audit entries) of every committed change.
//
// The file holds the persisted schema of docs/storage.md: a bucket of
// session headers (liveness.MarshalSession), a bucket of frame records
// keyed by session id and frame index, the outbox of intents, and two
// time indexes (pending sessions by expiry, ended sessions by end time).
// A Commit is one bbolt transaction: the header's version is compared and
// replaced, frame records and intents are added, and the indexes are
// moved, so a crash leaves either all of a change or none of it. Commits
// of concurrent frames share a transaction (bbolt's Batch), so one fsync
// serves several sessions. Open migrates records of schema 1 (one JSON
// session with its history) in place.
//
// A Store is safe for concurrent use by the goroutines of one process; the
// file is locked against other processes (use a shared store such as Redis
// for several replicas).
//
// A Store is also a liveness.ReferenceStore: registered reference faces
// are kept in their own bucket of the same file (references.go).
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/liveness"
)

var (
	bucketSessions = []byte("sessions")
	// bucketFrames holds frame records: key = session id, 0x00, frame
	// index (uint32, big-endian).
	bucketFrames = []byte("frames")
	// bucketPending indexes pending sessions by expiry: key = expiry
	// (unix nanoseconds, big-endian) + id.
	bucketPending = []byte("pending_by_expiry")
	// bucketEnded indexes ended sessions by CompletedAt, same key form.
	bucketEnded = []byte("ended_by_time")
	// bucketIntents is the outbox: key = intent id.
	bucketIntents = []byte("intents")
	bucketMeta    = []byte("meta")
	keySchema     = []byte("schema")
)

// Store is a liveness.Store backed by bbolt.
type Store struct {
	db *bolt.DB
}

var _ liveness.Store = (*Store)(nil)

// Open opens or creates the store at path, migrating older records.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSessions, bucketFrames, bucketPending, bucketEnded, bucketIntents, bucketMeta, bucketReferences} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrate(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	return &Store{db: db}, nil
}

// migrate rewrites schema 1 records as a header and a frame log, in the
// transaction that opens the store.
func migrate(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if v := meta.Get(keySchema); v != nil && string(v) == fmt.Sprint(liveness.SchemaVersion) {
		return nil
	}
	type old struct {
		id []byte
		v  []byte
	}
	var todo []old
	sb := tx.Bucket(bucketSessions)
	err := sb.ForEach(func(k, v []byte) error {
		if liveness.NeedsMigration(v) {
			todo = append(todo, old{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range todo {
		s, frames, err := liveness.UnmarshalSession(o.v)
		if err != nil {
			return fmt.Errorf("migrating session %s: %w", o.id, err)
		}
		for i := range frames {
			fb, err := json.Marshal(&frames[i])
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketFrames).Put(frameKey(s.ID, i), fb); err != nil {
				return err
			}
		}
		if err := putHeader(tx, s, nil); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, fmt.Append(nil, liveness.SchemaVersion))
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func timeKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return append(k, id...)
}

func frameKey(id string, i int) []byte {
	k := make([]byte, 0, len(id)+5)
	k = append(k, id...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

// putHeader stores sess and moves it in the time indexes (old is the
// header it replaces, nil for a new or migrated one).
func putHeader(tx *bolt.Tx, sess, old *liveness.Session) error {
	v, err := liveness.MarshalSession(sess)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketSessions).Put([]byte(sess.ID), v); err != nil {
		return err
	}
	p, e := tx.Bucket(bucketPending), tx.Bucket(bucketEnded)
	if old != nil {
		if old.Status == sess.Status && old.ExpiresAt.Equal(sess.ExpiresAt) && old.CompletedAt.Equal(sess.CompletedAt) {
			return nil // the indexes are right: leave their pages clean
		}
		if err := p.Delete(timeKey(old.ExpiresAt, old.ID)); err != nil {
			return err
		}
		if err := e.Delete(timeKey(old.CompletedAt, old.ID)); err != nil {
			return err
		}
	}
	switch {
	case sess.Status == liveness.StatusPending:
		return p.Put(timeKey(sess.ExpiresAt, sess.ID), nil)
	case sess.Status.Final():
		return e.Put(timeKey(sess.CompletedAt, sess.ID), nil)
	}
	return nil
}

// Get implements liveness.Store.
func (s *Store) Get(ctx context.Context, id string) (*liveness.Session, error) {
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketSessions).Get([]byte(id)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, liveness.ErrNotFound
	}
	sess, _, err := liveness.UnmarshalSession(v)
	return sess, err
}

// Frames implements liveness.Store.
func (s *Store) Frames(ctx context.Context, id string, from int) ([]liveness.FrameRecord, error) {
	var raw [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSessions).Get([]byte(id)) == nil {
			return liveness.ErrNotFound
		}
		prefix := append([]byte(id), 0)
		c := tx.Bucket(bucketFrames).Cursor()
		for k, v := c.Seek(frameKey(id, max(0, from))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			raw = append(raw, bytes.Clone(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]liveness.FrameRecord, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("boltstore: frame record: %w", err)
		}
	}
	return out, nil
}

// Commit implements liveness.Store: one transaction, shared with
// concurrent commits (bbolt Batch).
func (s *Store) Commit(ctx context.Context, c *liveness.Change) error {
	next, err := c.Next()
	if err != nil {
		return err
	}
	fbs := make([][]byte, len(c.Frames))
	for i := range c.Frames {
		var err error
		if fbs[i], err = json.Marshal(&c.Frames[i]); err != nil {
			return err
		}
	}
	ibs := make([][]byte, len(c.Intents))
	for i := range c.Intents {
		var err error
		if ibs[i], err = json.Marshal(&c.Intents[i]); err != nil {
			return err
		}
	}
	id := []byte(next.ID)
	// The function may run more than once (Batch retries the others when
	// one fails): it only reads and writes the transaction.
	err = s.db.Batch(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(id)
		var old *liveness.Session
		switch {
		case c.Create && v != nil:
			return liveness.ErrExists
		case c.Create:
		case v == nil:
			return liveness.ErrNotFound
		default:
			var err error
			if old, _, err = liveness.UnmarshalSession(v); err != nil {
				return err
			}
			if old.Version != c.Session.Version {
				return liveness.ErrConflict
			}
		}
		fb := tx.Bucket(bucketFrames)
		at := next.Frames - len(fbs)
		for i, b := range fbs {
			if err := fb.Put(frameKey(next.ID, at+i), b); err != nil {
				return err
			}
		}
		ib := tx.Bucket(bucketIntents)
		for i, b := range ibs {
			if err := ib.Put([]byte(c.Intents[i].ID), b); err != nil {
				return err
			}
		}
		return putHeader(tx, &next, old)
	})
	if err != nil {
		return err
	}
	c.Session.Version = next.Version
	return nil
}

// Intents implements liveness.Store.
func (s *Store) Intents(ctx context.Context, before time.Time, limit int) ([]liveness.Intent, error) {
	var out []liveness.Intent
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIntents).ForEach(func(k, v []byte) error {
			var it liveness.Intent
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("boltstore: intent %s: %w", k, err)
			}
			if !it.CreatedAt.After(before) {
				out = append(out, it)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	liveness.SortIntents(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeleteIntents implements liveness.Store.
func (s *Store) DeleteIntents(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		for _, id := range ids {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExpiredPending implements liveness.Store.
func (s *Store) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.before(bucketPending, now, true, limit)
}

// before lists the ids of an index up to t (inclusive when incl).
func (s *Store) before(bucket []byte, t time.Time, incl bool, limit int) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 8 {
				break
			}
			at := int64(binary.BigEndian.Uint64(k))
			if at > t.UnixNano() || (!incl && at == t.UnixNano()) {
				break
			}
			ids = append(ids, string(k[8:]))
			if limit > 0 && len(ids) >= limit {
				break
			}
		}
		return nil
	})
	return ids, err
}

// Prune implements liveness.Store: it deletes sessions from the start of
// the ended index, with their frame records, in transactions of at most
// 500 sessions.
func (s *Store) Prune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	n := 0
	for limit <= 0 || n < limit {
		chunk := 500
		if limit > 0 {
			chunk = min(chunk, limit-n)
		}
		ids, err := s.before(bucketEnded, endedBefore, false, chunk)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			for _, id := range ids {
				if err := deleteSession(tx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(ids)
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func deleteSession(tx *bolt.Tx, id string) error {
	sb := tx.Bucket(bucketSessions)
	v := sb.Get([]byte(id))
	if v == nil {
		return nil
	}
	sess, _, err := liveness.UnmarshalSession(v)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketEnded).Delete(timeKey(sess.CompletedAt, id)); err != nil {
		return err
	}
	prefix := append([]byte(id), 0)
	c := tx.Bucket(bucketFrames).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return sb.Delete([]byte(id))
}
