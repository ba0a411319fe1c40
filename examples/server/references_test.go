package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/client"
)

// TestReferencesKeptWithDataDir: a reference photo registered before a
// restart names a session after it, and its deletion is kept too.
func TestReferencesKeptWithDataDir(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	const key = "development-key-0001"
	srv := start(t, "-data-dir", dir, "-dev-api-key", key)
	c, err := client.New(srv.url, client.WithAPIKey(key))
	require.NoError(t, err)
	ref, err := c.AddReferenceImage(ctx, face(t))
	require.NoError(t, err)
	require.Equal(t, 0, srv.stop(), srv.stderr.String())

	srv = start(t, "-data-dir", dir, "-dev-api-key", key)
	c, err = client.New(srv.url, client.WithAPIKey(key))
	require.NoError(t, err)
	created, err := c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImageID: ref.ReferenceImageID})
	require.NoError(t, err)
	assert.NotEmpty(t, created.SessionID)
	require.NoError(t, c.DeleteReferenceImage(ctx, ref.ReferenceImageID))
	require.Equal(t, 0, srv.stop(), srv.stderr.String())

	srv = start(t, "-data-dir", dir, "-dev-api-key", key)
	c, err = client.New(srv.url, client.WithAPIKey(key))
	require.NoError(t, err)
	_, err = c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImageID: ref.ReferenceImageID})
	require.ErrorIs(t, err, client.ErrBadRequest)
}
