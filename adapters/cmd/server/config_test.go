package main

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

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
			assert.Equal(t, "redis", c.sessionsIn)
			if c.redisPrefix != "openliveness:" || c.sessionRetention != 24*time.Hour || c.auditSigner != nil ||
				c.RateLimit != 30 || c.RateWindow != 10*time.Second || c.WebhookFormat != webhook.FormatEvent {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "from the environment", env: map[string]string{
			"OPENLIVENESS_REDIS_URL": "redis://r/1", "OPENLIVENESS_POSTGRES_URL": "postgres://p/db",
			"OPENLIVENESS_WEBHOOK_SECRET": "whsec_x", "OPENLIVENESS_KEYS_FILE": "/etc/keys.json",
			"OPENLIVENESS_AUDIT_KEY": seed, "OPENLIVENESS_REPLICA": "r7",
		}, check: func(t *testing.T, c *config) {
			if c.redisURL != "redis://r/1" || c.keysFile != "/etc/keys.json" || c.replica != "r7" ||
				c.auditSigner == nil || c.auditSigner.KeyID() != "k1" {
				t.Errorf("from env: %+v", c)
			}
		}},
		{name: "audit key", args: append([]string{"-audit-key", seed, "-audit-key-id", "2026-a"}, required...), check: func(t *testing.T, c *config) {
			if c.auditSigner == nil || c.auditSigner.KeyID() != "2026-a" {
				t.Errorf("audit signer %v", c.auditSigner)
			}
		}},
		{name: "sessions in postgres", args: append([]string{"-sessions-in", "postgres"}, required...), check: func(t *testing.T, c *config) {
			assert.Equal(t, "postgres", c.sessionsIn)
		}},
		{name: "bad sessions-in", args: append([]string{"-sessions-in", "mysql"}, required...), wantErr: "-sessions-in"},
		{name: "no redis", args: required[2:], wantErr: "-redis-url"},
		{name: "no postgres", args: append(required[:2:2], required[4:]...), wantErr: "-postgres-url"},
		{name: "no secret", args: append(required[:4:4], required[6:]...), wantErr: "-webhook-secret"},
		{name: "no keys", args: required[:6], wantErr: "-dev-api-key or -keys-file"},
		{name: "short key", args: append(required[:6:6], "-dev-api-key", "short"), wantErr: "at least 16"},
		{name: "bad audit key", args: append([]string{"-audit-key", "AAAA"}, required...), wantErr: "32-byte Ed25519 seed"},
		{name: "bad audit key id", args: append([]string{"-audit-key", seed, "-audit-key-id", "a b"}, required...), wantErr: "-audit-key-id"},
		{name: "bad format", args: append([]string{"-webhook-format", "xml"}, required...), wantErr: "webhook format"},
		{name: "bad rate", args: append([]string{"-rate-limit", "0"}, required...), wantErr: "-rate-limit"},
		{name: "bad timeout", args: append([]string{"-webhook-timeout", "0s"}, required...), wantErr: "-webhook-timeout"},
		{name: "argument", args: append(required, "extra"), wantErr: "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	if code := run(t.Context(), []string{"-h"}, io.Discard, io.Discard, func(string) string { return "" }, nil); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
	if code := run(t.Context(), nil, io.Discard, io.Discard, func(string) string { return "" }, nil); code != 2 {
		t.Errorf("no configuration: exit %d, want 2", code)
	}
	// Unreachable Redis: the replica refuses to start.
	args := []string{"-redis-url", "redis://127.0.0.1:1/0", "-postgres-url", "postgres://u@127.0.0.1:1/db",
		"-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-dev-api-key", "lv_0123456789abcdef"}
	var stderr strings.Builder
	if code := run(t.Context(), args, io.Discard, &stderr, func(string) string { return "" }, nil); code != 1 || !strings.Contains(stderr.String(), "redis") {
		t.Errorf("unreachable redis: exit %d, stderr %q; want 1 and a redis error", code, stderr.String())
	}
}
