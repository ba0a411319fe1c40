package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Errors of EvidenceURLs.Check.
var (
	ErrURLExpired   = errors.New("httpapi: evidence URL expired")
	ErrURLSignature = errors.New("httpapi: invalid evidence URL signature")
)

// EvidenceURLs makes and checks time-limited signed URLs to a session's
// evidence: {BaseURL}/v1/sessions/{id}/evidence?exp={unix}&sig={mac}, where
// mac is base64url(HMAC-SHA256(Secret, "evidence\n{id}\n{exp}")). Every
// replica that serves evidence must share the Secret. A value is immutable
// and safe for concurrent use.
type EvidenceURLs struct {
	Secret  []byte
	BaseURL string        // e.g. "https://liveness.example.com"; no trailing slash
	TTL     time.Duration // how long a URL stays valid (default 15 minutes)
	Now     func() time.Time
}

func (u *EvidenceURLs) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *EvidenceURLs) mac(id string, exp int64) string {
	m := hmac.New(sha256.New, u.Secret)
	m.Write([]byte("evidence\n" + id + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL returns a signed URL to the evidence of session id and when it
// expires.
func (u *EvidenceURLs) URL(id string) (string, time.Time) {
	ttl := u.TTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	exp := u.now().Add(ttl).Truncate(time.Second)
	q := url.Values{"exp": {strconv.FormatInt(exp.Unix(), 10)}, "sig": {u.mac(id, exp.Unix())}}
	return strings.TrimSuffix(u.BaseURL, "/") + "/v1/sessions/" + url.PathEscape(id) + "/evidence?" + q.Encode(), exp
}

// EvidenceURLKey derives the evidence-URL key from a server secret (the
// webhook secret in the reference servers), so replicas sharing the secret
// accept each other's links without another setting.
func EvidenceURLKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("openliveness evidence URLs"))
	return m.Sum(nil)
}

// Check verifies the exp and sig query values of a URL for session id.
func (u *EvidenceURLs) Check(id, exp, sig string) error {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || sig == "" {
		return ErrURLSignature
	}
	if !hmac.Equal([]byte(u.mac(id, e)), []byte(sig)) {
		return ErrURLSignature
	}
	if !u.now().Before(time.Unix(e, 0)) {
		return ErrURLExpired
	}
	return nil
}
