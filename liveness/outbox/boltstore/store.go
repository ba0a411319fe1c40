package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/liveness/outbox"
)

var (
	bucketEndpoints  = []byte("endpoints")
	bucketDeliveries = []byte("deliveries")
	bucketDue        = []byte("due")
	bucketAttempts   = []byte("attempts")
)

// Store is a [outbox.Store] backed by a bbolt file. It is safe for
// concurrent use by the goroutines of one process.
type Store struct {
	db *bolt.DB
}

var _ outbox.Store = (*Store)(nil)

// Open opens (creating if needed) the store file at path. opts may be nil:
// the default waits up to 5 s for the file lock held by another process.
func Open(path string, opts *bolt.Options) (*Store, error) {
	if opts == nil {
		opts = &bolt.Options{Timeout: 5 * time.Second}
	}
	db, err := bolt.Open(path, 0o600, opts)
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEndpoints, bucketDeliveries, bucketDue, bucketAttempts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file. Methods called after Close fail.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

// PutEndpoint implements outbox.Store.
func (s *Store) PutEndpoint(ctx context.Context, e outbox.Endpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.ID == "" {
		return fmt.Errorf("%w: empty id", outbox.ErrBadEndpoint)
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("boltstore: encode endpoint: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEndpoints).Put([]byte(e.ID), v)
	})
}

// Endpoint implements outbox.Store.
func (s *Store) Endpoint(ctx context.Context, id string) (outbox.Endpoint, error) {
	if err := ctx.Err(); err != nil {
		return outbox.Endpoint{}, err
	}
	var e outbox.Endpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEndpoints).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: endpoint %q", outbox.ErrNotFound, id)
		}
		return json.Unmarshal(v, &e)
	})
	return e, err
}

// AddDelivery implements outbox.Store.
func (s *Store) AddDelivery(ctx context.Context, d outbox.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.ID == "" || bytes.IndexByte([]byte(d.ID), 0) >= 0 {
		return fmt.Errorf("boltstore: delivery id empty or with a NUL byte")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDeliveries).Get([]byte(d.ID)) != nil {
			return fmt.Errorf("%w: delivery %s", outbox.ErrDuplicate, d.ID)
		}
		return putDelivery(tx, nil, &d)
	})
}

// ClaimDue implements outbox.Store.
func (s *Store) ClaimDue(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]outbox.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []outbox.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		due := tx.Bucket(bucketDue)
		deliveries := tx.Bucket(bucketDeliveries)
		end := timeKey(now)
		var ids [][]byte
		c := due.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
			if limit > 0 && len(ids) == limit {
				break
			}
			ids = append(ids, slices.Clone(k[8:]))
		}
		for _, id := range ids {
			old, err := getDelivery(deliveries, id)
			if err != nil {
				return err
			}
			d := old
			d.NextAttemptAt = leaseUntil
			d.Claim = token
			if err := putDelivery(tx, &old, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateDelivery implements outbox.Store.
func (s *Store) UpdateDelivery(ctx context.Context, d outbox.Delivery, a *outbox.Attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		old, err := getDelivery(tx.Bucket(bucketDeliveries), []byte(d.ID))
		if err != nil {
			return err
		}
		if old.Claim != d.Claim {
			return fmt.Errorf("%w: delivery %s", outbox.ErrLeaseLost, d.ID)
		}
		d.Claim = ""
		if err := putDelivery(tx, &old, &d); err != nil {
			return err
		}
		if a == nil {
			return nil
		}
		at := *a
		at.DeliveryID = d.ID
		v, err := json.Marshal(at)
		if err != nil {
			return fmt.Errorf("boltstore: encode attempt: %w", err)
		}
		b := tx.Bucket(bucketAttempts)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(attemptKey(d.ID, seq), v)
	})
}

// Deliveries implements outbox.Store. It scans every delivery: the file
// is meant for one service's outbox, pruned with Prune.
func (s *Store) Deliveries(ctx context.Context, f outbox.DeliveryFilter) ([]outbox.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []outbox.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDeliveries)
		if f.ID != "" {
			v := b.Get([]byte(f.ID))
			if v == nil {
				return nil
			}
			var d outbox.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("boltstore: decode delivery %s: %w", f.ID, err)
			}
			if f.Match(&d) {
				out = append(out, d)
			}
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d outbox.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("boltstore: decode delivery %s: %w", k, err)
			}
			if f.Match(&d) {
				out = append(out, d)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, outbox.CompareDeliveries)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Attempts implements outbox.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]outbox.Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []outbox.Attempt
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDeliveries).Get([]byte(deliveryID)) == nil {
			return fmt.Errorf("%w: delivery %s", outbox.ErrNotFound, deliveryID)
		}
		prefix := attemptPrefix(deliveryID)
		c := tx.Bucket(bucketAttempts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a outbox.Attempt
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("boltstore: decode attempt: %w", err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// Prune deletes delivered and failed deliveries completed before the given
// time, with their attempt logs, and returns how many it deleted. Pending
// deliveries are never pruned.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDeliveries)
		var victims [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var d outbox.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("boltstore: decode delivery %s: %w", k, err)
			}
			if d.State != outbox.StatePending && d.CompletedAt.Before(before) {
				victims = append(victims, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		att := tx.Bucket(bucketAttempts)
		for _, id := range victims {
			if err := b.Delete(id); err != nil {
				return err
			}
			prefix := attemptPrefix(string(id))
			var keys [][]byte
			c := att.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, slices.Clone(k))
			}
			for _, k := range keys {
				if err := att.Delete(k); err != nil {
					return err
				}
			}
		}
		n = len(victims)
		return nil
	})
	return n, err
}

func getDelivery(b *bolt.Bucket, id []byte) (outbox.Delivery, error) {
	var d outbox.Delivery
	v := b.Get(id)
	if v == nil {
		return d, fmt.Errorf("%w: delivery %s", outbox.ErrNotFound, id)
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return d, fmt.Errorf("boltstore: decode delivery %s: %w", id, err)
	}
	return d, nil
}

// putDelivery writes d and keeps the due index in step: old (nil for a new
// delivery) is the stored version being replaced.
func putDelivery(tx *bolt.Tx, old, d *outbox.Delivery) error {
	due := tx.Bucket(bucketDue)
	if old != nil && old.State == outbox.StatePending {
		if err := due.Delete(dueKey(old)); err != nil {
			return err
		}
	}
	if d.State == outbox.StatePending {
		if err := due.Put(dueKey(d), nil); err != nil {
			return err
		}
	}
	v, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("boltstore: encode delivery: %w", err)
	}
	return tx.Bucket(bucketDeliveries).Put([]byte(d.ID), v)
}

// timeKey encodes t so that byte order is time order, before and after 1970.
func timeKey(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano())^(1<<63))
	return b[:]
}

func dueKey(d *outbox.Delivery) []byte {
	return append(timeKey(d.NextAttemptAt), d.ID...)
}

func attemptPrefix(id string) []byte {
	return append([]byte(id), 0)
}

func attemptKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(attemptPrefix(id), seq)
}
