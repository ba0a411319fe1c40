package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/boltstore"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
)

func openTemp(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
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
			if err := bs.Close(); err != nil {
				t.Fatal(err)
			}
			return openTemp(t, path)
		},
	})
}
