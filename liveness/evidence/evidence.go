package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/openliveness/openliveness/liveness"
)

// Both stores implement what the engine asks of an evidence store,
// retention included.
var (
	_ liveness.EvidenceStore  = (*Memory)(nil)
	_ liveness.EvidenceLister = (*Memory)(nil)
	_ liveness.EvidenceStore  = (*Dir)(nil)
	_ liveness.EvidenceLister = (*Dir)(nil)
)

// Memory is a liveness.EvidenceStore in process memory. Safe for
// concurrent use.
type Memory struct {
	mu   sync.Mutex
	data map[string]map[string][]byte
	at   map[string]time.Time
	now  func() time.Time
}

// NewMemory returns an empty Memory; now is its clock
// (nil for time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{data: map[string]map[string][]byte{}, at: map[string]time.Time{}, now: now}
}

// Put implements liveness.EvidenceStore.
func (m *Memory) Put(_ context.Context, sid, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data[sid] == nil {
		m.data[sid] = map[string][]byte{}
	}
	m.data[sid][name] = bytes.Clone(data)
	m.at[sid] = m.now()
	return nil
}

// Get implements liveness.EvidenceStore.
func (m *Memory) Get(_ context.Context, sid, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[sid][name]
	if !ok {
		return nil, liveness.ErrNotFound
	}
	return bytes.Clone(b), nil
}

// Delete implements liveness.EvidenceStore.
func (m *Memory) Delete(_ context.Context, sid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, sid)
	delete(m.at, sid)
	return nil
}

// SessionsBefore implements liveness.EvidenceLister.
func (m *Memory) SessionsBefore(_ context.Context, t time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, at := range m.at {
		if at.Before(t) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Dir is a liveness.EvidenceStore in a directory: one sub-directory per
// session, files written atomically (temporary file, rename). Frames are
// not synced one by one: writing the manifest, when the session ends and
// before its end is committed, syncs the manifest, the files it lists
// (together) and the directory, so a crash can lose only frames of a
// session that had not ended (the best frontal frame is then missing from
// the face crop) and frames no manifest lists.
// Safe for concurrent use.
type Dir struct {
	dir string
}

// NewDir returns a store rooted at dir, creating it.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Dir{dir: dir}, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Put implements liveness.EvidenceStore.
func (d *Dir) Put(_ context.Context, sid, name string, data []byte) error {
	if !validName(sid) || !validName(name) {
		return liveness.ErrBadRequest
	}
	dir := filepath.Join(d.dir, sid)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	if name == "manifest.json" {
		return syncDir(dir, data)
	}
	return nil
}

// syncFanout bounds the files synced at once.
const syncFanout = 8

// syncDir fsyncs the manifest and the files it lists (every file of dir
// when the manifest lists none), several at once so that the file system
// can commit them together, then dir itself. Frames the manifest does not
// list (a best frontal frame replaced by a better one) are not evidence
// and are not synced.
func syncDir(dir string, manifest []byte) error {
	names := []string{"manifest.json"}
	var m liveness.Manifest
	if json.Unmarshal(manifest, &m) == nil && len(m.Items) > 0 {
		for _, it := range m.Items {
			if validName(it.Name) {
				names = append(names, it.Name)
			}
		}
	} else {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, en := range ents {
			if !en.IsDir() && validName(en.Name()) {
				names = append(names, en.Name())
			}
		}
	}
	errs := make([]error, len(names))
	sem := make(chan struct{}, syncFanout)
	var wg sync.WaitGroup
	for i, n := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := syncPath(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
				errs[i] = err // a frame a crash lost before the end is not an error
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return syncPath(dir)
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get implements liveness.EvidenceStore.
func (d *Dir) Get(_ context.Context, sid, name string) ([]byte, error) {
	if !validName(sid) || !validName(name) {
		return nil, liveness.ErrNotFound
	}
	b, err := os.ReadFile(filepath.Join(d.dir, sid, name))
	if os.IsNotExist(err) {
		return nil, liveness.ErrNotFound
	}
	return b, err
}

// Delete implements liveness.EvidenceStore.
func (d *Dir) Delete(_ context.Context, sid string) error {
	if !validName(sid) {
		return liveness.ErrBadRequest
	}
	return os.RemoveAll(filepath.Join(d.dir, sid))
}

// SessionsBefore implements liveness.EvidenceLister: sessions whose directory was
// last written before t.
func (d *Dir) SessionsBefore(_ context.Context, t time.Time) ([]string, error) {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, en := range ents {
		if !en.IsDir() {
			continue
		}
		info, err := en.Info()
		if err == nil && info.ModTime().Before(t) {
			ids = append(ids, en.Name())
		}
	}
	return ids, nil
}
