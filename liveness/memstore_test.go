package liveness_test

import (
	"testing"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) liveness.Store { return liveness.NewMemoryStore() })
}
