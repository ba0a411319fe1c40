package apikey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// FileStore is a Store in a JSON file ({"keys":[…]}, mode 0600). Every
// change rewrites the file atomically (a temporary file renamed over it),
// and reads reload it when it changed on disk, so one process (the
// server's "keys" command) can add and revoke keys while another (the
// server) verifies them. Concurrent writers in different processes are not
// coordinated: run one "keys" command at a time. Safe for concurrent use
// within a process.
type FileStore struct {
	path string

	mu    sync.Mutex
	keys  []Key
	mtime time.Time
	size  int64
}

type fileData struct {
	Keys []Key `json:"keys"`
}

// OpenFile opens the store at path; a missing file is an empty store,
// created on the first change.
func OpenFile(path string) (*FileStore, error) {
	s := &FileStore{path: path}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the file's path.
func (s *FileStore) Path() string { return s.path }

// reloadLocked rereads the file if its modification time or size changed.
func (s *FileStore) reloadLocked() error {
	st, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.keys, s.mtime, s.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	if st.ModTime().Equal(s.mtime) && st.Size() == s.size && s.keys != nil {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	keys, err := parseFile(b)
	if err != nil {
		return fmt.Errorf("apikey: %s: %w", s.path, err)
	}
	s.keys, s.mtime, s.size = keys, st.ModTime(), st.Size()
	return nil
}

// parseFile decodes and checks the file's content.
func parseFile(b []byte) ([]Key, error) {
	var d fileData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	keys := make([]Key, 0, len(d.Keys))
	for i, k := range d.Keys {
		if len(k.Hash) != 64 || k.Prefix == "" {
			return nil, fmt.Errorf("key %d: missing prefix or hash", i+1)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// writeLocked replaces the file with keys.
func (s *FileStore) writeLocked(keys []Key) error {
	b, err := json.MarshalIndent(fileData{Keys: keys}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".keys-*.tmp")
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	s.keys = keys
	s.mtime, s.size = time.Time{}, 0 // reread (cheaply) on next access
	return s.reloadLocked()
}

// Add implements Store.
func (s *FileStore) Add(ctx context.Context, k Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return err
	}
	for _, e := range s.keys {
		if e.Prefix == k.Prefix || e.Hash == k.Hash {
			return ErrExists
		}
	}
	return s.writeLocked(append(slices.Clone(s.keys), k))
}

// ByHash implements Store.
func (s *FileStore) ByHash(ctx context.Context, hash string) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return Key{}, err
	}
	return byHash(s.keys, hash)
}

// List implements Store.
func (s *FileStore) List(ctx context.Context) ([]Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return nil, err
	}
	return slices.Clone(s.keys), nil
}

// Revoke implements Store.
func (s *FileStore) Revoke(ctx context.Context, prefix string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return err
	}
	keys := slices.Clone(s.keys)
	if err := revoke(keys, prefix, at); err != nil {
		return err
	}
	return s.writeLocked(keys)
}
