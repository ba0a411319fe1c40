package httpapi_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/httpapi"
)

func TestEvidenceURLs(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	u := &httpapi.EvidenceURLs{Secret: []byte("s3cret"), BaseURL: "https://lv.example.com/", TTL: 10 * time.Minute, Now: clock}
	raw, exp := u.URL("abc-123")
	require.Contains(t, raw, "https://lv.example.com/v1/sessions/abc-123/evidence?")
	require.True(t, exp.Equal(now.Add(10*time.Minute)), "expires %v", exp)
	pu, err := url.Parse(raw)
	require.NoError(t, err)
	q := pu.Query()
	require.NoError(t, u.Check("abc-123", q.Get("exp"), q.Get("sig")), "fresh URL")
	for name, c := range map[string][3]string{
		"other session": {"abc-124", q.Get("exp"), q.Get("sig")},
		"longer expiry": {"abc-123", "99999999999", q.Get("sig")},
		"no signature":  {"abc-123", q.Get("exp"), ""},
		"bad expiry":    {"abc-123", "soon", q.Get("sig")},
	} {
		assert.ErrorIs(t, u.Check(c[0], c[1], c[2]), httpapi.ErrURLSignature, name)
	}
	other := &httpapi.EvidenceURLs{Secret: []byte("other"), Now: clock}
	assert.ErrorIs(t, other.Check("abc-123", q.Get("exp"), q.Get("sig")), httpapi.ErrURLSignature, "other secret")
	now = now.Add(10 * time.Minute)
	assert.ErrorIs(t, u.Check("abc-123", q.Get("exp"), q.Get("sig")), httpapi.ErrURLExpired, "expired URL")
}
