package liveness_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) liveness.Store { return liveness.NewMemoryStore() })
}

func TestMemoryReferenceStoreConformance(t *testing.T) {
	storetest.RunReferences(t, func(t *testing.T) liveness.ReferenceStore { return liveness.NewMemoryReferenceStore() })
}

// TestUnmarshalSessionV1 migrates the schema 1 fixture: the header as it
// was, its history as frame records, and a schema 2 round trip.
func TestUnmarshalSessionV1(t *testing.T) {
	id, rec := storetest.LegacyV1()
	require.True(t, liveness.NeedsMigration(rec))
	s, frames, err := liveness.UnmarshalSession(rec)
	require.NoError(t, err)
	assert.Equal(t, id, s.ID)
	assert.Equal(t, 3, s.Frames)
	assert.Equal(t, 5*time.Second, s.ChallengeWindow)
	require.Len(t, frames, 3)
	assert.Equal(t, 0, frames[0].Faces)
	assert.InDelta(t, 0.31, frames[1].EARRight, 0)
	assert.Equal(t, [][2]float32{{210.5, 130.25}, {370, 290.75}}, frames[1].Pts)

	b, err := liveness.MarshalSession(s)
	require.NoError(t, err)
	assert.False(t, liveness.NeedsMigration(b))
	assert.NotContains(t, string(b), "history")
	again, more, err := liveness.UnmarshalSession(b)
	require.NoError(t, err)
	assert.Nil(t, more)
	assert.Equal(t, s, again)

	_, _, err = liveness.UnmarshalSession([]byte(`{"schema":3,"session_id":"x"}`))
	require.ErrorIs(t, err, liveness.ErrSchema)
}
