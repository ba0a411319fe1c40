package webhook

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// headerSeeds returns the header values of the golden signed headers, so the
// header fuzzers start from real signatures.
func headerSeeds(t testing.TB) []string {
	f, err := os.Open(filepath.Join("testdata", "golden", "signed_headers.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), ": "); ok {
			out = append(out, v)
		}
	}
	return out
}

func FuzzParseHexSignatures(f *testing.F) {
	for _, s := range headerSeeds(f) {
		f.Add(s)
	}
	f.Add("sha256=" + strings.Repeat("A", 64) + " , ,sha256=")
	f.Fuzz(func(t *testing.T, v string) {
		macs := parseHexSignatures([]string{v, v})
		require.LessOrEqual(t, len(macs), maxSignatures, "signature cap")
		for _, m := range macs {
			require.Len(t, m, 32)
			require.Contains(t, strings.ToLower(v), strings.ToLower(hexSig(m)[7:]), "signature not in the header")
		}
	})
}

func FuzzParseStandardSignatures(f *testing.F) {
	for _, s := range headerSeeds(f) {
		f.Add(s)
	}
	f.Add("v1,abc v1a,zzz v1," + strings.Repeat("/", 43) + "=")
	f.Fuzz(func(t *testing.T, v string) {
		macs := parseStandardSignatures([]string{v})
		require.LessOrEqual(t, len(macs), maxSignatures, "signature cap")
		for _, m := range macs {
			require.Len(t, m, 32)
		}
	})
}

func FuzzParseScheme(f *testing.F) {
	for _, s := range []string{"body", "body+standard", "timestamped,standard", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScheme(s)
		if err != nil {
			return
		}
		require.NotZero(t, sc, "ParseScheme(%q)", s)
		require.Zero(t, sc&^allSchemes, "ParseScheme(%q) = %v", s, sc)
		again, err := ParseScheme(sc.String())
		require.NoError(t, err, "round trip of %v", sc)
		require.Equal(t, sc, again, "round trip")
	})
}

func FuzzStandardKey(f *testing.F) {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := StandardKey(s); err == nil {
			require.NotEmpty(t, k, "StandardKey(%q)", s)
		}
	})
}

// FuzzVerify checks that Verify never panics and never accepts a body other
// than the one signed, whatever the headers (signed ones, or fuzzed ones).
func FuzzVerify(f *testing.F) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	signedBody := []byte(`{"event":"session.completed","session_id":"s","passed":true}`)
	now := time.Unix(1748779200, 0)
	good := http.Header{}
	s := Signer{Schemes: allSchemes, Secrets: Secrets{{Value: secret}}}
	require.NoError(f, s.Sign(good, "a1b2c3d4-0000-4000-8000-000000000000", now, signedBody))
	f.Add(signedBody, uint8(0), "", "", "")
	f.Add(signedBody[1:], uint8(1), "", "", "")
	f.Add(append(signedBody, 0), uint8(2), "", "", "")
	for _, v := range headerSeeds(f) {
		f.Add(signedBody, uint8(7), v, "1748779200", "x")
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, sig, ts, id string) {
		h := good.Clone()
		if mode&4 != 0 {
			// Replace the headers of every scheme with fuzzed values.
			h.Set(DefaultSignatureHeader, sig)
			h.Set(DefaultTimestampedSignatureHeader, sig)
			h.Set(StandardSignatureHeader, sig)
			h.Set(DefaultTimestampHeader, ts)
			h.Set(StandardTimestampHeader, ts)
			h.Set(StandardIDHeader, id)
		}
		scheme := []Scheme{SchemeBody, SchemeTimestamped, SchemeStandard}[int(mode&3)%3]
		v := Verifier{Scheme: scheme, Secrets: []string{secret, "another-secret-of-some-length"}, Now: func() time.Time { return now }}
		err := v.Verify(h, body)
		if err == nil {
			require.Equal(t, signedBody, body, "%v accepted a modified body", scheme)
		}
		if mode&4 == 0 && bytes.Equal(body, signedBody) {
			require.NoError(t, err, "%v rejected the signed body", scheme)
		}
	})
}
