package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	stdflag "flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/server"
	"github.com/openliveness/openliveness/webhook"
)

// envValues holds, for every server flag, a valid value other than its
// default. A new flag must get an entry: the test below fails until then.
var envValues = map[string]string{
	"addr":                      "127.0.0.1:9999",
	"public-url":                "https://liveness.example.com",
	"dev-api-key":               "a-development-key-0123",
	"webhook-url":               "https://hooks.example.com/x",
	"webhook-secret":            "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
	"webhook-format":            "completed",
	"session-webhook-format":    "event",
	"webhook-allow-private":     "true",
	"frame-ancestors":           "https://app.example.com",
	"cors-origins":              "*",
	"rate-limit":                "7",
	"rate-window":               "1m0s",
	"log-level":                 "DEBUG",
	"log-format":                "json",
	"evidence-retention":        "48h0m0s",
	"shutdown-timeout":          "5s",
	"data-dir":                  "/tmp/openliveness-env-test",
	"audit-checkpoint-interval": "10m0s",
	"webhook-schemes":           "timestamped",
	"webhook-retry":             "once",
	"tls-cert":                  "cert.pem",
	"tls-key":                   "key.pem",
	"tls-self-signed":           "true",
	"metrics-addr":              "127.0.0.1:9099",
	"tenant-webhooks":           "/tmp/tenant-webhooks.json",
	"webhook-timeout":           "2s",
}

// TestFlagSet: this server has the shared flags of liveness/server (the
// ones adapters/cmd/server has too) and only its data directory besides.
func TestFlagSet(t *testing.T) {
	fs, _ := newFlagSet(&bytes.Buffer{})
	var names []string
	fs.VisitAll(func(f *stdflag.Flag) { names = append(names, f.Name) })
	want := append(server.SharedFlags(), backendFlags...)
	assert.ElementsMatch(t, want, names)
}

// TestEveryFlagHasEnv: every flag is named in -h with its variable, and the
// variable sets it.
func TestEveryFlagHasEnv(t *testing.T) {
	var help bytes.Buffer
	fs, _ := newFlagSet(&help)
	require.NoError(t, server.ApplyEnv(fs, noEnv))
	fs.PrintDefaults()
	n := 0
	var names []string
	fs.VisitAll(func(f *stdflag.Flag) { names = append(names, f.Name) })
	for _, name := range names {
		n++
		env := server.EnvName(name)
		assert.Contains(t, help.String(), "$"+env, "-h does not show %s", env)
		want, ok := envValues[name]
		if !assert.True(t, ok, "flag -%s has no entry in envValues", name) {
			continue
		}
		fs2, _ := newFlagSet(&bytes.Buffer{})
		require.NoError(t, server.ParseFlags(fs2, nil, func(k string) string {
			if k == env {
				return want
			}
			return ""
		}), name)
		assert.Equal(t, want, fs2.Lookup(name).Value.String(), "%s=%s", env, want)
		assert.NotEqual(t, fs.Lookup(name).DefValue, want, "envValues[%q] is the default", name)
	}
	assert.Equal(t, len(envValues), n, "envValues names a flag that does not exist")

	// A value a flag refuses is an error naming the variable.
	_, err := parseConfig(nil, func(k string) string {
		if k == "OPENLIVENESS_RATE_LIMIT" {
			return "lots"
		}
		return ""
	}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OPENLIVENESS_RATE_LIMIT")
	// The command line wins over the variable.
	cfg, err := parseConfig([]string{"-rate-limit", "3"}, func(k string) string {
		if k == "OPENLIVENESS_RATE_LIMIT" {
			return "1"
		}
		return ""
	}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.RateLimit)
}

func TestParseRetry(t *testing.T) {
	for in, want := range map[string][]time.Duration{
		"default": outbox.DefaultRetryPolicy().Delays,
		"once":    {5 * time.Second},
		"none":    nil,
		"1s, 1m":  {time.Second, time.Minute},
	} {
		p, err := server.ParseRetry(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, p.Delays, in)
	}
	for _, bad := range []string{"", "twice", "5s,-1s", "0s", ","} {
		_, err := server.ParseRetry(bad)
		assert.Error(t, err, bad)
	}
	_, err := parseConfig([]string{"-webhook-schemes", "hmac"}, noEnv, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-webhook-schemes")
	_, err = parseConfig([]string{"-tls-cert", "x.pem"}, noEnv, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-tls-key")
	cfg, err := parseConfig([]string{"-webhook-schemes", "body+timestamped", "-webhook-retry", "none"}, noEnv, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, webhook.SchemeBody|webhook.SchemeTimestamped, cfg.WebhookSchemes)
	assert.Empty(t, cfg.WebhookRetry.Delays)
}

// TestWebhookSchemesFlag: the server-wide endpoint signs with the chosen
// scheme.
func TestWebhookSchemesFlag(t *testing.T) {
	got := make(chan http.Header, 4)
	rs := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	})
	srv := start(t, "-webhook-allow-private", "-webhook-url", rs+"/hook", "-webhook-schemes", "timestamped", "-webhook-secret", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
	key := keyLine.FindStringSubmatch(srv.stdout.String())
	require.NotNil(t, key, srv.stdout.String())
	req, _ := http.NewRequest("POST", srv.url+"/v1/sessions", nil)
	req.Header.Set("X-API-Key", key[1])
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	select {
	case h := <-got:
		assert.NotEmpty(t, h.Get(webhook.DefaultTimestampedSignatureHeader), "headers %v", h)
		assert.Empty(t, h.Get(webhook.StandardSignatureHeader), "standard scheme used although not chosen")
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook")
	}
}

// TestDevKeyStable: with -data-dir the development key survives a restart.
func TestDevKeyStable(t *testing.T) {
	dir := t.TempDir()
	first := start(t, "-data-dir", dir)
	m1 := keyLine.FindStringSubmatch(first.stdout.String())
	require.NotNil(t, m1, first.stdout.String())
	first.stop()
	second := start(t, "-data-dir", dir)
	m2 := keyLine.FindStringSubmatch(second.stdout.String())
	require.NotNil(t, m2, second.stdout.String())
	assert.Equal(t, m1[1], m2[1])
	assert.Contains(t, second.stdout.String(), filepath.Join(dir, server.DevKeyFile))
}

// TestBannerCommandPastes runs the banner's try: line in a shell.
func TestBannerCommandPastes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	srv := start(t)
	line := regexp.MustCompile(`try: (curl .*)`).FindStringSubmatch(srv.stdout.String())
	require.NotNil(t, line, srv.stdout.String())
	out, err := exec.Command("sh", "-c", line[1]).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `"hosted_url":"`+srv.url+`/check?s=`)
	assert.Contains(t, string(out), "&t=ct_")
}

// TestKeysDefaultDir: keys create writes below the user's data directory,
// not into the working directory.
func TestKeysDefaultDir(t *testing.T) {
	home := t.TempDir()
	wd, _ := os.Getwd()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	require.Equal(t, 0, run(context.Background(), []string{"keys", "create"}, &out, &errb, getenv, nil), errb.String())
	assert.FileExists(t, filepath.Join(home, ".local", "share", "openliveness", "keys.json"))
	assert.NoDirExists(t, filepath.Join(wd, "data"))
	assert.Equal(t, filepath.Join("/x", "openliveness"), defaultKeysDir(func(k string) string {
		return map[string]string{"XDG_DATA_HOME": "/x", "HOME": home}[k]
	}))
	assert.Equal(t, "/d", defaultKeysDir(func(k string) string {
		return map[string]string{"OPENLIVENESS_DATA_DIR": "/d", "HOME": home}[k]
	}))
}

// TestTLSSelfSigned: the server answers HTTPS with the certificate whose
// fingerprint it printed, and keeps it across restarts with -data-dir.
func TestTLSSelfSigned(t *testing.T) {
	dir := t.TempDir()
	fingerprint := func(r *running) (string, string) {
		out := r.stdout.String()
		u := regexp.MustCompile(`server on (https://\S+)`).FindStringSubmatch(out)
		f := regexp.MustCompile(`SHA-256 fingerprint: ([0-9A-F:]{95})`).FindStringSubmatch(out)
		require.NotNil(t, u, out)
		require.NotNil(t, f, out)
		return u[1], f[1]
	}
	srv := start(t, "-tls-self-signed", "-data-dir", dir)
	url, fp := fingerprint(srv)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Get(url + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	sum := sha256.Sum256(res.TLS.PeerCertificates[0].Raw)
	assert.Equal(t, fp, strings.ToUpper(strings.ReplaceAll(fmt.Sprintf("% x", sum[:]), " ", ":")))
	assert.NoError(t, res.TLS.PeerCertificates[0].VerifyHostname("127.0.0.1"))
	assert.NoError(t, res.TLS.PeerCertificates[0].VerifyHostname("localhost"))
	assert.Contains(t, srv.stdout.String(), "curl -s -k ")
	srv.stop()

	again := start(t, "-tls-self-signed", "-data-dir", dir)
	_, fp2 := fingerprint(again)
	assert.Equal(t, fp, fp2)
}

func httptestServer(t *testing.T, f http.HandlerFunc) string {
	s := httptest.NewServer(f)
	t.Cleanup(s.Close)
	return s.URL
}
