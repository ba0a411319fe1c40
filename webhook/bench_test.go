package webhook_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/openliveness/openliveness/webhook"
)

// benchBody is a typical verified-session envelope, about 1 KiB.
var benchBody = func() []byte {
	b := []byte(`{"id":"evt_0123456789abcdef0123456789abcdef","object":"event","type":"session.verified","created":1748779200,"data":{"session_id":"sess_8f2k","passed":true,"score":0.97,"metadata":{"note":"`)
	b = append(b, bytes.Repeat([]byte("x"), 1024-len(b)-4)...)
	return append(b, `"}}}`...)
}()

func BenchmarkSign(b *testing.B) {
	at := time.Unix(1748779200, 0)
	for _, bc := range []struct {
		name    string
		schemes webhook.Scheme
		secrets webhook.Secrets
	}{
		{"body", webhook.SchemeBody, webhook.Secrets{{Value: secretA}}},
		{"timestamped", webhook.SchemeTimestamped, webhook.Secrets{{Value: secretA}}},
		{"standard", webhook.SchemeStandard, webhook.Secrets{{Value: secretA}}},
		{"default", webhook.DefaultSchemes, webhook.Secrets{{Value: secretA}}},
		{"default_rotating", webhook.DefaultSchemes, webhook.Secrets{{Value: secretB}, {Value: secretA, Expires: at.Add(time.Hour)}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := webhook.Signer{Schemes: bc.schemes, Secrets: bc.secrets}
			h := http.Header{}
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Sign(h, "6f1c3b9e-0d1a-4c7e-9b2f-3a5d7e9f1b2c", at, benchBody); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	at := time.Unix(1748779200, 0)
	all := webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard
	h := http.Header{}
	s := webhook.Signer{Schemes: all, Secrets: webhook.Secrets{{Value: secretA}}}
	if err := s.Sign(h, "6f1c3b9e-0d1a-4c7e-9b2f-3a5d7e9f1b2c", at, benchBody); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name    string
		scheme  webhook.Scheme
		secrets []string
	}{
		{"body", webhook.SchemeBody, []string{secretA}},
		{"timestamped", webhook.SchemeTimestamped, []string{secretA}},
		{"standard", webhook.SchemeStandard, []string{secretA}},
		{"standard_two_secrets", webhook.SchemeStandard, []string{secretB, secretA}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := webhook.Verifier{Scheme: bc.scheme, Secrets: bc.secrets, Now: func() time.Time { return at }}
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(h, benchBody); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
