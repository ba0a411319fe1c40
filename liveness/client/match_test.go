package client_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/client"
)

func TestCreateSessionWithReference(t *testing.T) {
	c, _, _ := server(t)
	ctx := context.Background()
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImage: face(t)})
	require.NoError(t, err)
	r, err := c.Result(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Nil(t, r.Match, "no match before the challenges pass")

	_, err = c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImage: []byte("not an image")})
	require.ErrorIs(t, err, client.ErrBadRequest)
	assert.Contains(t, err.Error(), "reference image")
}

func TestReferenceImages(t *testing.T) {
	c, _, _ := server(t)
	ctx := context.Background()
	ref, err := c.AddReferenceImage(ctx, face(t))
	require.NoError(t, err)
	assert.Regexp(t, `^ref_[0-9a-f]{32}$`, ref.ReferenceImageID)
	assert.Len(t, ref.SHA256, 64)
	_, err = c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImageID: ref.ReferenceImageID})
	require.NoError(t, err)
	require.NoError(t, c.DeleteReferenceImage(ctx, ref.ReferenceImageID))
	require.ErrorIs(t, c.DeleteReferenceImage(ctx, ref.ReferenceImageID), client.ErrNotFound)
	_, err = c.CreateSession(ctx, client.CreateSessionRequest{ReferenceImageID: ref.ReferenceImageID})
	require.ErrorIs(t, err, client.ErrBadRequest)
}
