package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/liveness"
)

// bucketReferences holds registered reference faces: key = reference id,
// value = liveness.MarshalReference's record.
var bucketReferences = []byte("references")

var _ liveness.ReferenceStore = (*Store)(nil)

// PutReference stores r under r.ID, replacing any reference of that id.
func (s *Store) PutReference(_ context.Context, r *liveness.Reference) error {
	v, err := liveness.MarshalReference(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReferences).Put([]byte(r.ID), v)
	})
}

// GetReference returns the reference id, or liveness.ErrNotFound.
func (s *Store) GetReference(_ context.Context, id string) (*liveness.Reference, error) {
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = tx.Bucket(bucketReferences).Get([]byte(id))
		if v == nil {
			return liveness.ErrNotFound
		}
		v = append([]byte(nil), v...) // valid only inside the transaction
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := liveness.UnmarshalReference(v)
	if err != nil {
		return nil, fmt.Errorf("boltstore: reference %s: %w", id, err)
	}
	return r, nil
}

// DeleteReference removes the reference id, or returns liveness.ErrNotFound.
func (s *Store) DeleteReference(_ context.Context, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReferences)
		if b.Get([]byte(id)) == nil {
			return liveness.ErrNotFound
		}
		return b.Delete([]byte(id))
	})
}
