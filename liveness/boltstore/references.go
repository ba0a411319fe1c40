package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openliveness/openliveness/liveness"
)

// bucketReferences holds registered reference faces: key = reference id,
// value = a referenceRecord in JSON.
var bucketReferences = []byte("references")

// referenceVersion is the version of referenceRecord.
const referenceVersion = 1

// referenceRecord is the stored form of a registered reference: its
// embedding, the model that made it, the image's SHA-256, the owner and
// the registration time. The image itself is never stored.
type referenceRecord struct {
	V         int       `json:"v"`
	ID        string    `json:"id"`
	SHA256    string    `json:"sha256"`
	Model     string    `json:"model"`
	Embedding []float32 `json:"embedding"`
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

var _ liveness.ReferenceStore = (*Store)(nil)

// PutReference stores r under r.ID, replacing any reference of that id.
func (s *Store) PutReference(_ context.Context, r *liveness.Reference) error {
	v, err := json.Marshal(referenceRecord{V: referenceVersion, ID: r.ID, SHA256: r.SHA256, Model: r.Model,
		Embedding: r.Embedding, Owner: r.Owner, CreatedAt: r.CreatedAt})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReferences).Put([]byte(r.ID), v)
	})
}

// GetReference returns the reference id, or liveness.ErrNotFound.
func (s *Store) GetReference(_ context.Context, id string) (*liveness.Reference, error) {
	var rec referenceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReferences).Get([]byte(id))
		if v == nil {
			return liveness.ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return nil, err
	}
	if rec.V != referenceVersion {
		return nil, fmt.Errorf("boltstore: reference %s: record version %d, want %d", id, rec.V, referenceVersion)
	}
	return &liveness.Reference{ID: rec.ID, SHA256: rec.SHA256, Model: rec.Model, Embedding: rec.Embedding,
		Owner: rec.Owner, CreatedAt: rec.CreatedAt}, nil
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
