package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/openliveness/openliveness/webhook"
	"github.com/openliveness/openliveness/webhook/boltstore"
	"github.com/openliveness/openliveness/webhook/webhooktest"
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
	webhooktest.RunStoreTests(t, webhooktest.StoreFactory{
		New: func(t *testing.T) webhook.Store {
			return openTemp(t, filepath.Join(t.TempDir(), "outbox.db"))
		},
		Reopen: func(t *testing.T, s webhook.Store) webhook.Store {
			bs := s.(*boltstore.Store)
			path := bs.Path()
			if err := bs.Close(); err != nil {
				t.Fatal(err)
			}
			return openTemp(t, path)
		},
	})
}
