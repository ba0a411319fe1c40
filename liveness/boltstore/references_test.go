package boltstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestReferenceConformance(t *testing.T) {
	storetest.RunReferences(t, func(t *testing.T) liveness.ReferenceStore {
		return open(t, filepath.Join(t.TempDir(), "sessions.db"))
	})
}

// TestReferenceSurvivesRestart registers a reference with an engine on a
// bbolt file, reopens the file in a new engine and creates a session
// naming the reference.
func TestReferenceSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	photo, err := os.ReadFile("../../testdata/face.jpg")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "sessions.db")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	s, err := boltstore.Open(path)
	require.NoError(t, err)
	e, err := liveness.New(liveness.WithStore(s), liveness.WithReferenceStore(s), liveness.WithClock(clock))
	require.NoError(t, err)
	ref, err := e.AddReference(ctx, photo, "")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = open(t, path)
	stored, err := s.GetReference(ctx, ref.ID)
	require.NoError(t, err)
	assert.Equal(t, ref.SHA256, stored.SHA256)
	assert.Equal(t, now, stored.CreatedAt)
	assert.NotEmpty(t, stored.Embedding)

	e, err = liveness.New(liveness.WithStore(s), liveness.WithReferenceStore(s), liveness.WithClock(clock))
	require.NoError(t, err)
	c, err := e.Create(ctx, liveness.CreateOptions{ReferenceImageID: ref.ID})
	require.NoError(t, err)
	require.NotNil(t, c.Session.Reference)
	assert.Equal(t, ref.ID, c.Session.Reference.ID)
	assert.Equal(t, ref.SHA256, c.Session.Reference.SHA256)
	assert.Equal(t, stored.Embedding, c.Session.Reference.Embedding)

	// Retention: a deleted reference is gone after a restart too.
	require.NoError(t, e.DeleteReference(ctx, ref.ID, ""))
	require.NoError(t, s.Close())
	s = open(t, path)
	_, err = s.GetReference(ctx, ref.ID)
	require.ErrorIs(t, err, liveness.ErrNotFound)
}
