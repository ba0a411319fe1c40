package boltstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestGroupCommit: concurrent writes all commit, and one that fails gets
// its own error without taking the others down.
func TestGroupCommit(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "g.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	g := &group{db: db}
	bad := errors.New("refused")
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = g.update(func(tx *bolt.Tx) error {
				if i == 7 {
					return bad
				}
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				return b.Put(fmt.Appendf(nil, "k%02d", i), []byte{1})
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i == 7 {
			assert.ErrorIs(t, err, bad)
			continue
		}
		assert.NoError(t, err, "write %d", i)
	}
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, n-1, tx.Bucket([]byte("b")).Stats().KeyN)
		return nil
	}))
}
