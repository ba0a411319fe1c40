package server

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

func TestRegisterFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			assert.Equal(t, DefaultConfig().Addr, c.Addr)
			assert.Equal(t, webhook.SchemeBody|webhook.SchemeStandard, c.WebhookSchemes)
			assert.Equal(t, outbox.DefaultRetryPolicy().Delays, c.WebhookRetry.Delays)
			assert.Equal(t, 30*24*time.Hour, c.EvidenceRetention)
		}},
		{name: "flags and variables", args: []string{"-cors-origins", "https://a.example, https://b.example", "-log-format", "json", "-webhook-retry", "1s,1m"},
			env: map[string]string{"OPENLIVENESS_WEBHOOK_FORMAT": "completed", "OPENLIVENESS_LOG_LEVEL": "warn"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"https://a.example", "https://b.example"}, c.CORSOrigins)
				assert.True(t, c.LogJSON)
				assert.Equal(t, []time.Duration{time.Second, time.Minute}, c.WebhookRetry.Delays)
				assert.Equal(t, event.FormatCompleted, c.WebhookFormat)
				assert.Equal(t, "WARN", c.LogLevel.String())
			}},
		{name: "bad format", args: []string{"-webhook-format", "xml"}, wantErr: "-webhook-format"},
		{name: "bad log format", args: []string{"-log-format", "yaml"}, wantErr: "-log-format"},
		{name: "bad schemes", args: []string{"-webhook-schemes", "hmac"}, wantErr: "-webhook-schemes"},
		{name: "bad retry", args: []string{"-webhook-retry", "0s"}, wantErr: "-webhook-retry"},
		{name: "tls pair", args: []string{"-tls-key", "k.pem"}, wantErr: "-tls-cert and -tls-key"},
		{name: "tls both", args: []string{"-tls-key", "k.pem", "-tls-cert", "c.pem", "-tls-self-signed"}, wantErr: "exclude"},
		{name: "short key", args: []string{"-dev-api-key", "short"}, wantErr: "at least 16"},
		{name: "bad variable", env: map[string]string{"OPENLIVENESS_RATE_LIMIT": "lots"}, wantErr: "OPENLIVENESS_RATE_LIMIT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(&bytes.Buffer{})
			finish := RegisterFlags(fs, DefaultConfig())
			err := ParseFlags(fs, tc.args, func(k string) string { return tc.env[k] })
			var c Config
			if err == nil {
				c, err = finish()
			}
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestSharedFlags(t *testing.T) {
	names := SharedFlags()
	for _, want := range []string{"addr", "tls-cert", "tls-key", "tls-self-signed", "webhook-schemes", "webhook-retry", "metrics-addr", "tenant-webhooks", "webhook-timeout"} {
		assert.Contains(t, names, want)
	}
}

// TestRunInMemory starts a server on loopback with everything in memory
// and stops it.
func TestRunInMemory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.AuditCheckpoints = 0
	var out bytes.Buffer
	cfg.Stdout = &out
	addr := make(chan string, 1)
	cfg.Ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("not started")
	}
	res, err := http.Get("http://" + a + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "development API key (new at every start")
	assert.Contains(t, out.String(), "kept in memory")

	bad := cfg
	bad.RateLimit = 0
	assert.ErrorContains(t, Run(context.Background(), bad), "-rate-limit")
}
