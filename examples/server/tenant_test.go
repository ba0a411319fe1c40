package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/client"
)

// -metrics-addr moves /metrics off the API listener.
func TestMetricsAddr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	maddr := l.Addr().String()
	require.NoError(t, l.Close())
	srv := start(t, "-metrics-addr", maddr)
	get := func(u string) (int, string) {
		res, err := http.Get(u)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, _ := get(srv.url + "/metrics")
	assert.Equal(t, http.StatusNotFound, code)
	code, body := get("http://" + maddr + "/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "openliveness_http_requests_total")
}

// Keys of two tenants created with "keys create -tenant" do not see each
// other's sessions; an -admin key sees both.
func TestKeysTenants(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	create := func(args ...string) string {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"keys", "create", "-data-dir", dir}, args...), &out, &errb, noEnv, nil)
		require.Equal(t, 0, code, errb.String())
		return strings.TrimSpace(out.String())
	}
	keyA, keyB, admin := create("-tenant", "a"), create("-tenant", "b"), create("-admin")
	var out bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"keys", "list", "-data-dir", dir}, &out, io.Discard, noEnv, nil))
	assert.Contains(t, out.String(), " a ")
	assert.Contains(t, out.String(), "(admin)")

	srv := start(t, "-data-dir", dir)
	ca, _ := client.New(srv.url, client.WithAPIKey(keyA))
	cb, _ := client.New(srv.url, client.WithAPIKey(keyB))
	cadm, _ := client.New(srv.url, client.WithAPIKey(admin))
	s, err := ca.CreateSession(ctx, client.CreateSessionRequest{})
	require.NoError(t, err)
	_, err = cb.Session(ctx, s.SessionID)
	assert.ErrorIs(t, err, client.ErrNotFound)
	_, err = cb.Result(ctx, s.SessionID)
	assert.ErrorIs(t, err, client.ErrNotFound)
	got, err := cadm.Session(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "pending", got.Status)
}
