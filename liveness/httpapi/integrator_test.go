package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// TestUnknownFields: a field the API does not have is refused by name on
// every JSON body, never dropped silently.
func TestUnknownFields(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, token := e.create(nil)
	tests := []struct {
		name  string
		r     req
		field string
	}{
		{"create typo", req{method: "POST", path: "/v1/sessions", key: e.key, body: `{"challenge_cout":2}`}, `"challenge_cout"`},
		{"create nested theme", req{method: "POST", path: "/v1/sessions", key: e.key, body: `{"theme":{"colour":"#fff"}}`}, `"colour"`},
		{"verify", req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: token, body: `{"frame":"abc"}`}, `"frame"`},
		{"review", req{method: "POST", path: "/v1/sessions/" + id + "/review", key: e.key, body: `{"decision":"PASS","reviewer":"a","note":"x"}`}, `"note"`},
		{"webhook test", req{method: "POST", path: "/v1/webhooks/test", key: e.key, body: `{"url":"https://example.com","fromat":"event"}`}, `"fromat"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.r)
			require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			assert.Contains(t, r.str("error"), tt.field)
		})
	}
}

// TestMetadataRefused: metadata is not stored, and says so.
func TestMetadataRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: `{"metadata":{"user":"u_42"}}`}).expect(t, http.StatusBadRequest)
	assert.Contains(t, r.str("error"), "metadata: not supported")
	assert.Contains(t, r.str("error"), "reference_id")
}

// TestJSONNotHTMLEscaped: hosted_url keeps its "&" in the raw body.
func TestJSONNotHTMLEscaped(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key}).expect(t, http.StatusCreated)
	assert.NotContains(t, string(r.body), `\u0026`)
	assert.Contains(t, string(r.body), "&t=ct_")
}

// TestRequestID: every answer has an X-Request-Id, the client's own when
// valid, and the log line carries it.
func TestRequestID(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, envOptions{handler: []Option{WithLogger(logger)}})
	r := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "abc-123.X_y"}}).expect(t, http.StatusOK)
	assert.Equal(t, "abc-123.X_y", r.header.Get("X-Request-Id"))
	assert.Contains(t, logs.String(), `"request_id":"abc-123.X_y"`)

	for _, bad := range []string{"", "has space", strings.Repeat("a", 65), "quote\"d"} {
		r = e.do(req{method: "GET", path: "/v1/sessions/nope", key: e.key, header: map[string]string{"X-Request-Id": bad}}).expect(t, http.StatusNotFound)
		got := r.header.Get("X-Request-Id")
		assert.Regexp(t, `^[0-9a-f]{16}$`, got, "for %q", bad)
	}
	assert.Equal(t, "", RequestID(context.Background()))
}

// TestIndex: / links the API document, the health check and the page.
func TestIndex(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "GET", path: "/"}).expect(t, http.StatusOK)
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	for _, link := range []string{`href="openapi.yaml"`, `href="healthz"`, `href="check"`, `href="sdk/liveness.js"`} {
		assert.Contains(t, string(r.body), link)
	}
	e.do(req{method: "GET", path: "/nothing-here"}).expect(t, http.StatusNotFound)
	e.do(req{method: "POST", path: "/"}).expect(t, http.StatusMethodNotAllowed)
}

// TestHostedPageFields: the client token sees the consent, the retry link,
// the theme and the declared retention; bad values are refused.
func TestHostedPageFields(t *testing.T) {
	for _, tt := range []struct {
		name      string
		retention []Option
		want      string
	}{
		{"30 days", []Option{WithEvidenceRetention(30 * 24 * time.Hour)}, `"privacy":{"evidence_retention_days":30}`},
		{"36 hours round up", []Option{WithEvidenceRetention(36 * time.Hour)}, `"privacy":{"evidence_retention_days":2}`},
		{"no limit", []Option{WithEvidenceRetention(0)}, `"privacy":{"evidence_retention_days":null}`},
		{"not declared", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{handler: tt.retention})
			id, token := e.create(map[string]any{
				"consent_text": "I agree <b>&</b>", "retry_url": "https://app.example.com/again?x=1&y=2",
				"theme":    map[string]string{"accent": "#0a7", "text": "#112233ff"},
				"messages": map[string]map[string]string{"de": {"intro.start": "Los"}, "pt-BR": {"cancel": "Sair\nagora"}},
			})
			r := e.do(req{method: "GET", path: "/v1/sessions/" + id, token: token}).expect(t, http.StatusOK)
			assert.Equal(t, "I agree <b>&</b>", r.str("consent_text"))
			assert.Equal(t, "https://app.example.com/again?x=1&y=2", r.str("retry_url"))
			assert.Equal(t, map[string]any{"accent": "#0a7", "text": "#112233ff"}, r.json["theme"])
			assert.Equal(t, map[string]any{"de": map[string]any{"intro.start": "Los"}, "pt-BR": map[string]any{"cancel": "Sair\nagora"}}, r.json["messages"])
			if tt.want == "" {
				assert.NotContains(t, string(r.body), "privacy")
			} else {
				assert.Contains(t, string(r.body), tt.want)
			}
		})
	}
	e := newEnv(t, envOptions{})
	for body, msg := range map[string]string{
		`{"retry_url":"javascript:alert(1)"}`:                      "retry_url",
		`{"retry_url":"/relative"}`:                                "retry_url",
		`{"theme":{"accent":"red"}}`:                               "theme.accent",
		`{"theme":{"text":"#12345"}}`:                              "theme.text",
		`{"theme":{"background":"#fff;x:y"}}`:                      "theme.background",
		`{"theme":{"surface":"url(x)"}}`:                           "theme.surface",
		`{"theme":{"accent_text":"#ggg"}}`:                         "theme.accent_text",
		`{"messages":{"german":{"a":"b"}}}`:                        "messages",
		`{"messages":{"de":{"a b":"c"}}}`:                          "messages.de",
		`{"messages":{"de":{"a":"\u0007"}}}`:                       "messages.de.a",
		`{"messages":{"de":{"a":1}}}`:                              "messages",
		`{"consent_text":"` + strings.Repeat("x", 16<<10+1) + `"}`: "consent_text",
	} {
		r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: body}).expect(t, http.StatusBadRequest)
		assert.Contains(t, r.str("error"), msg, body)
	}
}

// TestWebhookURLHint: an http or private webhook_url names the development
// switch that allows it.
func TestWebhookURLHint(t *testing.T) {
	d, err := outbox.New(outbox.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer d.Close()
	n, err := notify.New(d, notify.WithSessionSecret(testSecret))
	require.NoError(t, err)
	e := newEnv(t, envOptions{handler: []Option{WithWebhooks(n)}})
	for _, u := range []string{"http://hooks.example.com/x", "https://127.0.0.1/x"} {
		r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]string{"webhook_url": u}}).expect(t, http.StatusBadRequest)
		assert.Contains(t, r.str("error"), "-webhook-allow-private", u)
	}
}
