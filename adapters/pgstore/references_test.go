package pgstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestReferenceConformance(t *testing.T) {
	storetest.RunReferences(t, func(t *testing.T) liveness.ReferenceStore {
		_, p := migrated(t)
		return pgstore.NewReferenceStore(p)
	})
}

// TestReferenceSharedByReplicas: a reference put through one pool is read
// and deleted through another.
func TestReferenceSharedByReplicas(t *testing.T) {
	db, p := migrated(t)
	a, b := pgstore.NewReferenceStore(p), pgstore.NewReferenceStore(db.pool(t))
	ref := storetest.Reference(7)
	require.NoError(t, a.PutReference(t.Context(), ref))
	got, err := b.GetReference(t.Context(), ref.ID)
	require.NoError(t, err)
	require.Equal(t, ref, got)
	require.NoError(t, b.DeleteReference(t.Context(), ref.ID))
	_, err = a.GetReference(t.Context(), ref.ID)
	require.ErrorIs(t, err, liveness.ErrNotFound)
}
