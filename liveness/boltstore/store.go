// Package boltstore is a durable liveness.Store in one bbolt file (pure Go,
// no cgo): sessions survive a restart of the process. Each session is one
// JSON value; updates compare the stored version inside a write
// transaction (optimistic concurrency), and every committed transaction is
// fsync'd, so a crash leaves either the old or the new session, never half
// of one.
//
// A Store is safe for concurrent use by the goroutines of one process; the
// file is locked against other processes (use a shared store such as Redis
// for several replicas).
package boltstore

import (
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
	// bucketPending indexes pending sessions by expiry: key = expiry
	// (unix nanoseconds, big-endian) + id.
	bucketPending = []byte("pending_by_expiry")
)

// Store is a liveness.Store and liveness.PendingLister backed by bbolt.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSessions, bucketPending} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func pendingKey(sess *liveness.Session) []byte {
	k := make([]byte, 8, 8+len(sess.ID))
	binary.BigEndian.PutUint64(k, uint64(sess.ExpiresAt.UnixNano()))
	return append(k, sess.ID...)
}

// Create implements liveness.Store.
func (s *Store) Create(ctx context.Context, sess *liveness.Session) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get([]byte(sess.ID)) != nil {
			return liveness.ErrExists
		}
		sess.Version = 1
		return put(tx, sess, nil)
	})
}

func put(tx *bolt.Tx, sess *liveness.Session, old *liveness.Session) error {
	v, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketSessions).Put([]byte(sess.ID), v); err != nil {
		return err
	}
	p := tx.Bucket(bucketPending)
	if old != nil && old.Status == liveness.StatusPending {
		if err := p.Delete(pendingKey(old)); err != nil {
			return err
		}
	}
	if sess.Status == liveness.StatusPending {
		return p.Put(pendingKey(sess), nil)
	}
	return nil
}

// Get implements liveness.Store.
func (s *Store) Get(ctx context.Context, id string) (*liveness.Session, error) {
	var sess liveness.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get([]byte(id))
		if v == nil {
			return liveness.ErrNotFound
		}
		return json.Unmarshal(v, &sess)
	})
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// Update implements liveness.Store.
func (s *Store) Update(ctx context.Context, sess *liveness.Session) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get([]byte(sess.ID))
		if v == nil {
			return liveness.ErrNotFound
		}
		var old liveness.Session
		if err := json.Unmarshal(v, &old); err != nil {
			return err
		}
		if old.Version != sess.Version {
			return liveness.ErrConflict
		}
		sess.Version++
		if err := put(tx, sess, &old); err != nil {
			sess.Version--
			return err
		}
		return nil
	})
	return err
}

// ExpiredPending implements liveness.PendingLister.
func (s *Store) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPending).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
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
