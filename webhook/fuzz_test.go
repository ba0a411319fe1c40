package webhook

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// headerSeeds returns the header values of the golden signed headers, so the
// header fuzzers start from real signatures.
func headerSeeds(t testing.TB) []string {
	f, err := os.Open(filepath.Join("testdata", "golden", "signed_headers.txt"))
	if err != nil {
		t.Fatal(err)
	}
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
		if len(macs) > maxSignatures {
			t.Fatalf("%d signatures, cap %d", len(macs), maxSignatures)
		}
		for _, m := range macs {
			if len(m) != 32 {
				t.Fatalf("signature of %d bytes", len(m))
			}
			if !strings.Contains(strings.ToLower(v), strings.ToLower(hexSig(m)[7:])) {
				t.Fatalf("signature %x not in the header", m)
			}
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
		if len(macs) > maxSignatures {
			t.Fatalf("%d signatures, cap %d", len(macs), maxSignatures)
		}
		for _, m := range macs {
			if len(m) != 32 {
				t.Fatalf("signature of %d bytes", len(m))
			}
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"1748779200", "0", "-1", "+5", " 1", "999999999999999999", "1e9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseTimestamp(s)
		if !ok {
			return
		}
		want, err := strconv.ParseInt(s, 10, 64)
		if err != nil || want != n || n < 0 || s[0] == '+' {
			t.Fatalf("parseTimestamp(%q) = %d, strconv says %d, %v", s, n, want, err)
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
		if sc == 0 || sc&^allSchemes != 0 {
			t.Fatalf("ParseScheme(%q) = %v", s, sc)
		}
		if again, err := ParseScheme(sc.String()); err != nil || again != sc {
			t.Fatalf("round trip of %v: %v, %v", sc, again, err)
		}
	})
}

func FuzzStandardKey(f *testing.F) {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := StandardKey(s); err == nil && len(k) == 0 {
			t.Fatalf("StandardKey(%q) returned an empty key", s)
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
	if err := s.Sign(good, "a1b2c3d4-0000-4000-8000-000000000000", now, signedBody); err != nil {
		f.Fatal(err)
	}
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
		if err == nil && !bytes.Equal(body, signedBody) {
			t.Fatalf("%v accepted a modified body %q", scheme, body)
		}
		if mode&4 == 0 && bytes.Equal(body, signedBody) && err != nil {
			t.Fatalf("%v rejected the signed body: %v", scheme, err)
		}
	})
}
