package outbox_test

import (
	"testing"

	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	outboxtest.RunStoreTests(t, outboxtest.StoreFactory{
		New: func(*testing.T) outbox.Store { return outbox.NewMemoryStore() },
	})
}
