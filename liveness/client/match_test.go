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
