package webhook_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/golden"
	"github.com/openliveness/openliveness/webhook"
)

// Published vectors: the body scheme is GitHub's X-Hub-Signature-256
// example; the Standard Webhooks one is the specification's.
func TestKnownVectors(t *testing.T) {
	assert.Equal(t, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		webhook.SignBody([]byte("It's a Secret to Everybody"), []byte("Hello, World!")), "SignBody")
	// python3: hmac.new(b"It's a Secret to Everybody", b"1700000000.Hello, World!", sha256).hexdigest()
	assert.Equal(t, "sha256=76c83fd0acdf22faed320674fe8e04d528cfe8a17905e720a9611e40677c03b7",
		webhook.SignTimestamped([]byte("It's a Secret to Everybody"), 1700000000, []byte("Hello, World!")), "SignTimestamped")
	key, err := webhook.StandardKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	require.NoError(t, err)
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		webhook.SignStandard(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)), "SignStandard")
}

// TestSignedHeadersGolden pins the exact headers of each scheme selection.
func TestSignedHeadersGolden(t *testing.T) {
	body := []byte(`{"id":"evt_1","object":"event","type":"session.verified","created":1748779200,"data":{"session_id":"sess_1"}}`)
	at := time.Unix(1748779200, 0)
	var out bytes.Buffer
	for _, tc := range []struct {
		name    string
		schemes webhook.Scheme
		secrets webhook.Secrets
		headers webhook.HeaderNames
	}{
		{"default", 0, webhook.Secrets{{Value: secretA}}, webhook.HeaderNames{}},
		{"all", webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}, webhook.HeaderNames{}},
		{"renamed", webhook.SchemeTimestamped, webhook.Secrets{{Value: secretA}}, webhook.HeaderNames{TimestampedSignature: "X-Sig", Timestamp: "X-Ts", DeliveryID: "X-Id"}},
		{"overlap", webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard,
			webhook.Secrets{{Value: secretB}, {Value: secretA, Expires: at.Add(time.Hour)}}, webhook.HeaderNames{}},
		{"after overlap", webhook.SchemeBody, webhook.Secrets{{Value: secretB}, {Value: secretA, Expires: at}}, webhook.HeaderNames{}},
	} {
		s := webhook.Signer{Schemes: tc.schemes, Secrets: tc.secrets, Headers: tc.headers}
		h := http.Header{}
		require.NoError(t, s.Sign(h, "6f1c3b9e-0d1a-4c7e-9b2f-3a5d7e9f1b2c", at, body), tc.name)
		fmt.Fprintf(&out, "# %s\n", tc.name)
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range h {
				if !yield(k) {
					return
				}
			}
		}) {
			fmt.Fprintf(&out, "%s: %s\n", k, strings.Join(h[k], " | "))
		}
	}
	golden.Check(t, "golden/signed_headers.txt", out.Bytes())
}

func TestSignerErrors(t *testing.T) {
	at := time.Unix(1748779200, 0)
	tests := []struct {
		name string
		s    webhook.Signer
		id   string
		want error
	}{
		{"no secrets", webhook.Signer{}, "id", webhook.ErrNoSecret},
		{"all expired", webhook.Signer{Secrets: webhook.Secrets{{Value: secretA, Expires: at}}}, "id", webhook.ErrNoSecret},
		{"standard without id", webhook.Signer{Secrets: webhook.Secrets{{Value: secretA}}}, "", webhook.ErrBadSignature},
		{"standard with raw secret", webhook.Signer{Schemes: webhook.SchemeStandard, Secrets: webhook.Secrets{{Value: "not-base64!"}}}, "id", webhook.ErrBadSecret},
		{"unknown scheme", webhook.Signer{Schemes: 0x10, Secrets: webhook.Secrets{{Value: secretA}}}, "id", webhook.ErrBadSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.s.Sign(http.Header{}, tc.id, at, nil), tc.want)
		})
	}
	// The body scheme alone needs no id and takes any secret text.
	s := webhook.Signer{Schemes: webhook.SchemeBody, Secrets: webhook.Secrets{{Value: "plain shared secret"}}}
	require.NoError(t, s.Sign(http.Header{}, "", at, nil), "body scheme with a plain secret")
}

func signed(t *testing.T, schemes webhook.Scheme, secrets webhook.Secrets, at time.Time, body []byte) http.Header {
	t.Helper()
	h := http.Header{}
	s := webhook.Signer{Schemes: schemes, Secrets: secrets}
	require.NoError(t, s.Sign(h, "0b8e5a57-2a5e-4c4e-8f0e-0f3c9e7f7a11", at, body))
	return h
}

func TestVerify(t *testing.T) {
	now := time.Unix(1748779200, 0)
	body := []byte(`{"event":"session.completed","session_id":"s","passed":true}`)
	all := webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard
	good := signed(t, all, webhook.Secrets{{Value: secretA}}, now, body)
	at := func(d time.Duration) http.Header {
		return signed(t, all, webhook.Secrets{{Value: secretA}}, now.Add(d), body)
	}
	edit := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	bodySig := good.Get("X-Liveness-Signature")
	tsSig := good.Get("X-Liveness-Timestamped-Signature")
	stdSig := good.Get("Webhook-Signature")
	type tc struct {
		name    string
		h       http.Header
		body    []byte
		secrets []string
		want    error
	}
	schemes := map[webhook.Scheme][]tc{
		webhook.SchemeBody: {
			{"valid", good, body, nil, nil},
			{"second secret matches", good, body, []string{secretB, secretA}, nil},
			{"wrong secret", good, body, []string{secretB}, webhook.ErrBadSignature},
			{"modified body", good, append(slices.Clone(body), ' '), nil, webhook.ErrBadSignature},
			{"missing", edit(good, "X-Liveness-Signature", ""), body, nil, webhook.ErrNoSignature},
			{"uppercase hex", edit(good, "X-Liveness-Signature", "sha256="+strings.ToUpper(bodySig[7:])), body, nil, nil},
			{"among others", edit(good, "X-Liveness-Signature", "sha256=00, sha1=abc,"+bodySig), body, nil, nil},
			{"truncated", edit(good, "X-Liveness-Signature", bodySig[:len(bodySig)-2]), body, nil, webhook.ErrBadSignature},
			{"wrong prefix", edit(good, "X-Liveness-Signature", "sha1="+bodySig[7:]), body, nil, webhook.ErrBadSignature},
			{"old replayed any time", at(-24 * time.Hour), body, nil, nil},
		},
		webhook.SchemeTimestamped: {
			{"valid", good, body, nil, nil},
			{"wrong secret", good, body, []string{secretB}, webhook.ErrBadSignature},
			{"modified body", good, body[1:], nil, webhook.ErrBadSignature},
			{"missing", edit(good, "X-Liveness-Timestamped-Signature", ""), body, nil, webhook.ErrNoSignature},
			{"no timestamp", edit(good, "X-Liveness-Timestamp", ""), body, nil, webhook.ErrBadTimestamp},
			{"bad timestamp", edit(good, "X-Liveness-Timestamp", "-5"), body, nil, webhook.ErrBadTimestamp},
			{"timestamp changed", edit(good, "X-Liveness-Timestamp", strconv.FormatInt(now.Unix()+1, 10)), body, nil, webhook.ErrBadSignature},
			{"300 s old", at(-300 * time.Second), body, nil, nil},
			{"301 s old", at(-301 * time.Second), body, nil, webhook.ErrTimestampOutOfRange},
			{"300 s ahead", at(300 * time.Second), body, nil, nil},
			{"301 s ahead", at(301 * time.Second), body, nil, webhook.ErrTimestampOutOfRange},
			{"two signatures", edit(good, "X-Liveness-Timestamped-Signature", "sha256="+strings.Repeat("0", 64)+","+tsSig), body, nil, nil},
		},
		webhook.SchemeStandard: {
			{"valid", good, body, nil, nil},
			{"wrong secret", good, body, []string{secretB}, webhook.ErrBadSignature},
			{"modified body", good, []byte(strings.Replace(string(body), "true", "fals", 1)), nil, webhook.ErrBadSignature},
			{"missing", edit(good, "Webhook-Signature", ""), body, nil, webhook.ErrNoSignature},
			{"no id", edit(good, "Webhook-Id", ""), body, nil, webhook.ErrBadSignature},
			{"other id", edit(good, "Webhook-Id", "msg_other"), body, nil, webhook.ErrBadSignature},
			{"no timestamp", edit(good, "Webhook-Timestamp", ""), body, nil, webhook.ErrBadTimestamp},
			{"bad timestamp", edit(good, "Webhook-Timestamp", "12a"), body, nil, webhook.ErrBadTimestamp},
			{"301 s old", at(-301 * time.Second), body, nil, webhook.ErrTimestampOutOfRange},
			{"301 s ahead", at(301 * time.Second), body, nil, webhook.ErrTimestampOutOfRange},
			{"rotation list", edit(good, "Webhook-Signature", "v1,"+strings.Repeat("A", 43)+"= v1a,xyz "+stdSig), body, nil, nil},
			{"v2 only", edit(good, "Webhook-Signature", "v2,"+stdSig[3:]), body, nil, webhook.ErrBadSignature},
			{"bad secret", good, body, []string{"whsec_***"}, webhook.ErrBadSecret},
			{"bad and good secret", good, body, []string{"whsec_***", secretA}, nil},
		},
	}
	for scheme, cases := range schemes {
		for _, c := range cases {
			t.Run(scheme.String()+"/"+c.name, func(t *testing.T) {
				secrets := c.secrets
				if secrets == nil {
					secrets = []string{secretA}
				}
				v := webhook.Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return now }}
				err := v.Verify(c.h, c.body)
				if c.want == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, c.want)
				}
			})
		}
	}
	for _, v := range []webhook.Verifier{
		{Scheme: webhook.SchemeBody},
		{Scheme: 0, Secrets: []string{secretA}},
		{Scheme: webhook.SchemeBody | webhook.SchemeStandard, Secrets: []string{secretA}},
	} {
		assert.Error(t, v.Verify(good, body), "misconfigured verifier %+v accepted", v)
	}
	// Custom tolerance.
	v := webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{secretA}, Tolerance: 10 * time.Second, Now: func() time.Time { return now }}
	assert.ErrorIs(t, v.Verify(at(-11*time.Second), body), webhook.ErrTimestampOutOfRange, "10 s tolerance, 11 s old")
}

func TestRotation(t *testing.T) {
	now := time.Unix(1748779200, 0)
	s := webhook.Secrets{{Value: secretA}}
	over := s.RotateOverlap(secretB, now, time.Hour)
	require.Len(t, over.Active(now.Add(59*time.Minute)), 2, "during overlap")
	got := over.Active(now.Add(time.Hour))
	require.Len(t, got, 1, "after overlap")
	require.Equal(t, secretB, got[0].Value, "after overlap")
	imm := s.RotateImmediate(secretB)
	require.Len(t, imm, 1, "immediate rotation")
	require.Equal(t, secretB, imm[0].Value, "immediate rotation")
	require.True(t, imm[0].Expires.IsZero(), "immediate rotation = %+v", imm)
	require.Len(t, s.RotateOverlap(secretB, now, 0), 1, "zero overlap")
	// A second rotation during an overlap keeps the earlier expiry and drops
	// secrets already expired.
	third := "whsec_dGhpcmQtc2VjcmV0LWZvci1yb3RhdGlvbi4uLg=="
	again := over.RotateOverlap(third, now.Add(30*time.Minute), 2*time.Hour)
	require.Len(t, again, 3, "rotation during overlap")
	require.True(t, again[2].Expires.Equal(now.Add(time.Hour)), "rotation during overlap = %+v", again)
	require.True(t, again[1].Expires.Equal(now.Add(150*time.Minute)), "rotation during overlap = %+v", again)
	later := again.RotateOverlap(secretA, now.Add(2*time.Hour), time.Minute)
	require.Len(t, later, 3, "rotation after first expiry")
	require.Equal(t, secretA, later[0].Value, "rotation after first expiry")
	// Receivers verify both sides of an overlap.
	body := []byte("{}")
	h := signed(t, webhook.SchemeBody|webhook.SchemeStandard, over, now, body)
	for _, sec := range []string{secretA, secretB} {
		for _, sc := range []webhook.Scheme{webhook.SchemeBody, webhook.SchemeStandard} {
			v := webhook.Verifier{Scheme: sc, Secrets: []string{sec}, Now: func() time.Time { return now }}
			assert.NoError(t, v.Verify(h, body), "%v with one side of the overlap", sc)
		}
	}
}

func TestSecrets(t *testing.T) {
	s, err := webhook.GenerateSecret(seeded(3))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s, "whsec_"), "secret %q", s)
	key, err := webhook.StandardKey(s)
	require.NoError(t, err, "StandardKey(%q)", s)
	require.Len(t, key, 32)
	for _, bad := range []string{"whsec_", "whsec_!!", "", "whsec_YQ"} {
		_, err := webhook.StandardKey(bad)
		assert.ErrorIs(t, err, webhook.ErrBadSecret, "StandardKey(%q)", bad)
	}
	_, err = webhook.GenerateSecret(strings.NewReader("short"))
	assert.Error(t, err, "GenerateSecret from a short reader succeeded")
}

func TestSchemeNames(t *testing.T) {
	for _, tc := range []struct {
		text string
		want webhook.Scheme
	}{
		{"body", webhook.SchemeBody},
		{"body+standard", webhook.DefaultSchemes},
		{"timestamped, standard", webhook.SchemeTimestamped | webhook.SchemeStandard},
	} {
		got, err := webhook.ParseScheme(tc.text)
		assert.NoError(t, err, "ParseScheme(%q)", tc.text)
		assert.Equal(t, tc.want, got, "ParseScheme(%q)", tc.text)
		again, _ := webhook.ParseScheme(got.String())
		assert.Equal(t, got, again, "round trip of %v", got)
	}
	for _, bad := range []string{"", "sha1", "body+"} {
		if _, err := webhook.ParseScheme(bad); bad != "body+" {
			assert.ErrorIs(t, err, webhook.ErrBadSecret, "ParseScheme(%q)", bad)
		}
	}
}
