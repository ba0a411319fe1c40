package apikey

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a Store in process memory, for tests and development keys.
// The zero value is not usable; call NewMemoryStore. It is safe for
// concurrent use.
type MemoryStore struct {
	mu   sync.RWMutex
	keys []Key // creation order
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Add implements Store.
func (m *MemoryStore) Add(ctx context.Context, k Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.keys {
		if e.Prefix == k.Prefix || e.Hash == k.Hash {
			return ErrExists
		}
	}
	m.keys = append(m.keys, k)
	return nil
}

// ByHash implements Store.
func (m *MemoryStore) ByHash(ctx context.Context, hash string) (Key, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return byHash(m.keys, hash)
}

// List implements Store.
func (m *MemoryStore) List(ctx context.Context) ([]Key, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.keys), nil
}

// Revoke implements Store.
func (m *MemoryStore) Revoke(ctx context.Context, prefix string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return revoke(m.keys, prefix, at)
}

func byHash(keys []Key, hash string) (Key, error) {
	for _, k := range keys {
		if k.Hash == hash {
			return k, nil
		}
	}
	return Key{}, ErrNotFound
}

func revoke(keys []Key, prefix string, at time.Time) error {
	for i := range keys {
		if keys[i].Prefix != prefix {
			continue
		}
		if keys[i].Revoked() {
			return ErrRevoked
		}
		keys[i].RevokedAt = at.UTC()
		return nil
	}
	return ErrNotFound
}
