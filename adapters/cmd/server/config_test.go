package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/server"
	"github.com/openliveness/openliveness/webhook"
)

func TestParseConfig(t *testing.T) {
	seed := base64.StdEncoding.EncodeToString(make([]byte, 32))
	required := []string{"-redis-url", "redis://127.0.0.1:6379/0", "-postgres-url", "postgres://u@h/db",
		"-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-dev-api-key", "lv_0123456789abcdef"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "minimal", args: required, check: func(t *testing.T, c *config) {
			assert.Equal(t, "openliveness:", c.redisPrefix)
			assert.Equal(t, 24*time.Hour, c.sessionRetention)
			assert.Nil(t, c.auditSigner)
			assert.Equal(t, 30, c.RateLimit)
			assert.Equal(t, 10*time.Second, c.RateWindow)
			assert.Equal(t, event.FormatEvent, c.WebhookFormat)
			assert.Zero(t, c.EvidenceRetention)
			assert.Equal(t, "redis", c.sessionsIn)
		}},
		{name: "sessions in postgres", args: append([]string{"-sessions-in", "postgres"}, required...), check: func(t *testing.T, c *config) {
			assert.Equal(t, "postgres", c.sessionsIn)
		}},
		{name: "bad sessions-in", args: append([]string{"-sessions-in", "mysql"}, required...), wantErr: "-sessions-in"},
		{name: "from the environment", env: map[string]string{
			"OPENLIVENESS_REDIS_URL": "redis://r/1", "OPENLIVENESS_POSTGRES_URL": "postgres://p/db",
			"OPENLIVENESS_WEBHOOK_SECRET": "whsec_x", "OPENLIVENESS_KEYS_FILE": "/etc/keys.json",
			"OPENLIVENESS_AUDIT_KEY": seed, "OPENLIVENESS_REPLICA": "r7", "OPENLIVENESS_WEBHOOK_RETRY": "once",
			"OPENLIVENESS_TLS_SELF_SIGNED": "true", "OPENLIVENESS_METRICS_ADDR": "127.0.0.1:9090",
		}, check: func(t *testing.T, c *config) {
			assert.Equal(t, "redis://r/1", c.redisURL)
			assert.Equal(t, "/etc/keys.json", c.keysFile)
			assert.Equal(t, "r7", c.Replica)
			require.NotNil(t, c.auditSigner)
			assert.Equal(t, "k1", c.auditSigner.KeyID())
			assert.Equal(t, outbox.RetryOncePolicy().Delays, c.WebhookRetry.Delays)
			assert.True(t, c.TLSSelfSigned)
			assert.Equal(t, "127.0.0.1:9090", c.MetricsAddr)
		}},
		{name: "audit key", args: append([]string{"-audit-key", seed, "-audit-key-id", "2026-a"}, required...), check: func(t *testing.T, c *config) {
			require.NotNil(t, c.auditSigner)
			assert.Equal(t, "2026-a", c.auditSigner.KeyID())
		}},
		{name: "schemes", args: append([]string{"-webhook-schemes", "timestamped"}, required...), check: func(t *testing.T, c *config) {
			assert.Equal(t, webhook.SchemeTimestamped, c.WebhookSchemes)
		}},
		{name: "no redis", args: required[2:], wantErr: "-redis-url"},
		{name: "no postgres", args: append(required[:2:2], required[4:]...), wantErr: "-postgres-url"},
		{name: "no secret", args: append(required[:4:4], required[6:]...), wantErr: "-webhook-secret"},
		{name: "no keys", args: required[:6], wantErr: "-dev-api-key or -keys-file"},
		{name: "short key", args: append(required[:6:6], "-dev-api-key", "short"), wantErr: "at least 16"},
		{name: "bad audit key", args: append([]string{"-audit-key", "AAAA"}, required...), wantErr: "32-byte Ed25519 seed"},
		{name: "bad audit key id", args: append([]string{"-audit-key", seed, "-audit-key-id", "a b"}, required...), wantErr: "-audit-key-id"},
		{name: "bad format", args: append([]string{"-webhook-format", "xml"}, required...), wantErr: "-webhook-format"},
		{name: "bad rate", args: append([]string{"-rate-limit", "0"}, required...), wantErr: "-rate-limit"},
		{name: "bad timeout", args: append([]string{"-webhook-timeout", "0s"}, required...), wantErr: "-webhook-timeout"},
		{name: "tls pair", args: append([]string{"-tls-cert", "c.pem"}, required...), wantErr: "-tls-key"},
		{name: "argument", args: append(required, "extra"), wantErr: "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

// TestFlagSet: this server has the shared flags of liveness/server (the
// ones examples/server has too: its TestFlagSet checks the same list) and
// only its backends' besides; every flag shows its variable in -h.
func TestFlagSet(t *testing.T) {
	var help bytes.Buffer
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &help)
	require.ErrorIs(t, err, errHelp)
	var names []string
	for _, line := range strings.Split(help.String(), "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(line), "-"); ok {
			name := strings.Fields(f)[0]
			names = append(names, name)
		}
	}
	assert.ElementsMatch(t, append(server.SharedFlags(), backendFlags...), names)
	for _, name := range names {
		assert.Contains(t, help.String(), "$"+server.EnvName(name), "-h does not show the variable of -%s", name)
	}
}

func TestRunExitCodes(t *testing.T) {
	noEnv := func(string) string { return "" }
	assert.Equal(t, 0, run(t.Context(), []string{"-h"}, io.Discard, io.Discard, noEnv, nil), "-h")
	assert.Equal(t, 2, run(t.Context(), nil, io.Discard, io.Discard, noEnv, nil), "no configuration")
	// Unreachable Redis: the replica refuses to start.
	args := []string{"-redis-url", "redis://127.0.0.1:1/0", "-postgres-url", "postgres://u@127.0.0.1:1/db",
		"-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-dev-api-key", "lv_0123456789abcdef"}
	var stderr strings.Builder
	assert.Equal(t, 1, run(t.Context(), args, io.Discard, &stderr, noEnv, nil), "unreachable redis")
	assert.Contains(t, stderr.String(), "redis")
}
