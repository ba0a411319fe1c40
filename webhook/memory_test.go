package webhook_test

import (
	"testing"

	"github.com/openliveness/openliveness/webhook"
	"github.com/openliveness/openliveness/webhook/webhooktest"
)

func TestMemoryStoreConformance(t *testing.T) {
	webhooktest.RunStoreTests(t, webhooktest.StoreFactory{
		New: func(*testing.T) webhook.Store { return webhook.NewMemoryStore() },
	})
}
