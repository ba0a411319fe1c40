package liveness_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness"
)

func TestReferenceRecord(t *testing.T) {
	in := &liveness.Reference{ID: "ref_1", SHA256: "ab", Model: "m", Embedding: []float32{0.5, -1},
		Owner: "tenant-a", CreatedAt: time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)}
	b, err := liveness.MarshalReference(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":1,"id":"ref_1","sha256":"ab","model":"m","embedding":[0.5,-1],"owner":"tenant-a","created_at":"2026-12-02T05:00:00Z"}`, string(b))
	out, err := liveness.UnmarshalReference(b)
	require.NoError(t, err)
	assert.Equal(t, in, out)

	_, err = liveness.UnmarshalReference([]byte(`{"v":2,"id":"ref_1"}`))
	require.ErrorIs(t, err, liveness.ErrSchema)
	_, err = liveness.UnmarshalReference([]byte(`{`))
	require.Error(t, err)
}
