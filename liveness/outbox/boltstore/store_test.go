package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
)

func openTemp(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	outboxtest.RunStoreTests(t, outboxtest.StoreFactory{
		New: func(t *testing.T) outbox.Store {
			return openTemp(t, filepath.Join(t.TempDir(), "outbox.db"))
		},
		Reopen: func(t *testing.T, s outbox.Store) outbox.Store {
			bs := s.(*boltstore.Store)
			path := bs.Path()
			require.NoError(t, bs.Close())
			return openTemp(t, path)
		},
	})
}
