package liveness_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/liveness"
)

func TestEvidenceURLs(t *testing.T) {
	clk := newClock()
	u := &liveness.EvidenceURLs{Secret: []byte("s3cret"), BaseURL: "https://lv.example.com/", TTL: 10 * time.Minute, Now: clk.Now}
	raw, exp := u.URL("abc-123")
	if !strings.HasPrefix(raw, "https://lv.example.com/v1/sessions/abc-123/evidence?") || !exp.Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatalf("URL %s expires %v", raw, exp)
	}
	pu, _ := url.Parse(raw)
	q := pu.Query()
	if err := u.Check("abc-123", q.Get("exp"), q.Get("sig")); err != nil {
		t.Fatalf("fresh URL: %v", err)
	}
	for name, c := range map[string][3]string{
		"other session": {"abc-124", q.Get("exp"), q.Get("sig")},
		"longer expiry": {"abc-123", "99999999999", q.Get("sig")},
		"no signature":  {"abc-123", q.Get("exp"), ""},
		"bad expiry":    {"abc-123", "soon", q.Get("sig")},
	} {
		if err := u.Check(c[0], c[1], c[2]); !errors.Is(err, liveness.ErrURLSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	other := &liveness.EvidenceURLs{Secret: []byte("other"), Now: clk.Now}
	if err := other.Check("abc-123", q.Get("exp"), q.Get("sig")); !errors.Is(err, liveness.ErrURLSignature) {
		t.Errorf("other secret: %v", err)
	}
	clk.Advance(10 * time.Minute)
	if err := u.Check("abc-123", q.Get("exp"), q.Get("sig")); !errors.Is(err, liveness.ErrURLExpired) {
		t.Errorf("expired URL: %v", err)
	}
}
