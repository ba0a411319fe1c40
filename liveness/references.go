package liveness

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
)

// Stored reference faces: an integrator registers a reference photo once
// (AddReference) and names it in later sessions
// (CreateOptions.ReferenceImageID), instead of sending the photo each time.

// ReferenceStore keeps registered reference faces: the image's SHA-256 and
// its embedding, never the image. Implementations must be safe for
// concurrent use. GetReference and DeleteReference return ErrNotFound for
// an unknown id.
type ReferenceStore interface {
	PutReference(ctx context.Context, r *Reference) error
	GetReference(ctx context.Context, id string) (*Reference, error)
	DeleteReference(ctx context.Context, id string) error
}

// WithReferenceStore sets where registered reference faces are kept. The
// default is a MemoryReferenceStore, which replicas do not share.
func WithReferenceStore(s ReferenceStore) Option { return func(c *config) { c.references = s } }

// MemoryReferenceStore is a ReferenceStore in process memory. It is safe
// for concurrent use.
type MemoryReferenceStore struct {
	mu   sync.Mutex
	refs map[string]Reference
}

// NewMemoryReferenceStore returns an empty MemoryReferenceStore.
func NewMemoryReferenceStore() *MemoryReferenceStore {
	return &MemoryReferenceStore{refs: map[string]Reference{}}
}

// PutReference stores a copy of r under r.ID.
func (m *MemoryReferenceStore) PutReference(_ context.Context, r *Reference) error {
	c := *r
	c.Embedding = append([]float32(nil), r.Embedding...)
	m.mu.Lock()
	m.refs[r.ID] = c
	m.mu.Unlock()
	return nil
}

// GetReference returns a copy of the reference id.
func (m *MemoryReferenceStore) GetReference(_ context.Context, id string) (*Reference, error) {
	m.mu.Lock()
	r, ok := m.refs[id]
	m.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	r.Embedding = append([]float32(nil), r.Embedding...)
	return &r, nil
}

// DeleteReference removes the reference id.
func (m *MemoryReferenceStore) DeleteReference(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.refs[id]; !ok {
		return ErrNotFound
	}
	delete(m.refs, id)
	return nil
}

func (e *Engine) referenceStore() ReferenceStore {
	e.verify.storeOnce.Do(func() {
		e.verify.store = e.cfg.references
		if e.verify.store == nil {
			e.verify.store = NewMemoryReferenceStore()
		}
	})
	return e.verify.store
}

// AddReference registers a reference photo (JPEG or PNG holding one face)
// for owner (a tenant id, as in CreateOptions.Owner; "" for none) and
// returns it with its new id ("ref_" and 32 hex digits). Only the image's
// SHA-256 and embedding are kept. A reference with an owner can be used and
// deleted only by that owner (or by a caller passing no owner, such as an
// admin). Errors: ErrBadRequest for an image without exactly one face.
func (e *Engine) AddReference(ctx context.Context, image []byte, owner string) (*Reference, error) {
	r, err := e.reference(ctx, image)
	if err != nil {
		return nil, err
	}
	var b [16]byte
	if _, err := io.ReadFull(e.cfg.rand, b[:]); err != nil {
		return nil, err
	}
	r.ID = "ref_" + hex.EncodeToString(b[:])
	r.CreatedAt = e.cfg.clock().UTC()
	r.Owner = owner
	if err := e.referenceStore().PutReference(ctx, r); err != nil {
		return nil, err
	}
	out := *r
	out.Embedding = nil
	return &out, nil
}

// DeleteReference removes a registered reference of owner ("" for any
// owner). Sessions created with it keep their copy. Errors: ErrNotFound,
// also for another owner's reference.
func (e *Engine) DeleteReference(ctx context.Context, id, owner string) error {
	r, err := e.referenceStore().GetReference(ctx, id)
	if err != nil {
		return err
	}
	if !ownsReference(r, owner) {
		return ErrNotFound
	}
	return e.referenceStore().DeleteReference(ctx, id)
}

// ownsReference reports whether a caller of owner may use or delete r:
// references and callers without an owner are not scoped.
func ownsReference(r *Reference, owner string) bool {
	return owner == "" || r.Owner == "" || r.Owner == owner
}

// storedReference returns the registered reference id for a new session
// of owner; another owner's reference is unknown to it.
func (e *Engine) storedReference(ctx context.Context, id, owner string) (*Reference, error) {
	if !strings.HasPrefix(id, "ref_") || len(id) > 64 {
		return nil, badRequest("reference_image_id", ErrUnknownReference)
	}
	r, err := e.referenceStore().GetReference(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !ownsReference(r, owner)) {
		return nil, badRequest("reference_image_id", ErrUnknownReference)
	}
	return r, err
}
