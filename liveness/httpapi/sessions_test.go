package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name      string
		body      any
		wantCount int
		wantOnly  []string
		check     func(t *testing.T, r *response)
	}{
		{name: "empty body", body: nil, wantCount: 5},
		{name: "empty object", body: `{}`, wantCount: 5},
		{name: "count", body: map[string]any{"challenge_count": 3}, wantCount: 3},
		{name: "count 8", body: map[string]any{"challenge_count": 8}, wantCount: 8},
		{name: "single allowed challenge", body: map[string]any{"challenges": []string{"BLINK"}}, wantCount: 1, wantOnly: []string{"BLINK"}},
		{name: "allow-list, case-insensitive", body: map[string]any{"challenges": []string{"smile", "TURN_LEFT"}, "challenge_count": 4}, wantCount: 4, wantOnly: []string{"SMILE", "TURN_LEFT"}},
		{name: "all fields", body: map[string]any{
			"challenge_count": 2, "reference_id": "order-42", "redirect_url": "https://app.example.com/done?x=1",
			"parent_origin": "https://App.Example.com", "ttl_seconds": 60, "mirrored": true,
			"retry_url": "https://app.example.com/again", "theme": map[string]string{"accent": "#0a7"}, "consent_text": "I agree",
		}, wantCount: 2, check: func(t *testing.T, r *response) {
			assert.Equal(t, "order-42", r.str("reference_id"))
			assert.Equal(t, 60.0, r.json["expires_in_seconds"])
			if r.str("expires_at") != "2036-02-03T10:01:00Z" {
				t.Errorf("expires_at = %s", r.str("expires_at"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: tt.body}).expect(t, http.StatusCreated)
			id := r.str("session_id")
			if !uuidV4.MatchString(id) {
				t.Errorf("session_id %q is not a UUIDv4", id)
			}
			if r.header.Get("Location") != "/v1/sessions/"+id {
				t.Errorf("Location = %q", r.header.Get("Location"))
			}
			ch := r.json["challenges"].([]any)
			if len(ch) != tt.wantCount || r.json["total_challenges"] != float64(tt.wantCount) {
				t.Errorf("challenges %v, total %v, want %d", ch, r.json["total_challenges"], tt.wantCount)
			}
			for _, c := range ch {
				if tt.wantOnly != nil && !slices.Contains(tt.wantOnly, c.(string)) {
					t.Errorf("challenge %v not in the allow-list %v", c, tt.wantOnly)
				}
			}
			if r.str("current_challenge") != ch[0] || r.json["challenge_index"] != 0.0 || r.str("status") != "pending" {
				t.Errorf("current %v index %v", r.json["current_challenge"], r.json["challenge_index"])
			}
			tok := r.str("client_token")
			if !strings.HasPrefix(tok, "ct_") {
				t.Errorf("client_token %q", tok)
			}
			want := "https://liveness.example.com/check?s=" + id + "&t=" + url.QueryEscape(tok)
			if r.str("hosted_url") != want {
				t.Errorf("hosted_url = %s, want %s", r.str("hosted_url"), want)
			}
			if tt.check != nil {
				tt.check(t, r)
			} else if r.json["expires_in_seconds"] != 300.0 {
				t.Errorf("expires_in_seconds = %v", r.json["expires_in_seconds"])
			}
		})
	}
}

func TestCreateSessionErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	long := strings.Repeat("x", 300)
	tests := []struct {
		name   string
		body   any
		key    string
		status int
		msg    string
	}{
		{"no key", `{}`, "-", http.StatusUnauthorized, "missing API key"},
		{"bad key", `{}`, "lv_" + strings.Repeat("0", 43), http.StatusUnauthorized, "invalid API key"},
		{"count 0", map[string]any{"challenge_count": 0}, "", 400, "challenge_count"},
		{"count 9", map[string]any{"challenge_count": 9}, "", 400, "challenge_count"},
		{"count not a number", `{"challenge_count":"3"}`, "", 400, "challenge_count: must be an integer"},
		{"count fractional", `{"challenge_count":2.5}`, "", 400, "challenge_count"},
		{"unknown challenge", map[string]any{"challenges": []string{"DANCE"}}, "", 400, `unknown challenge "DANCE"`},
		{"single challenge repeated", map[string]any{"challenges": []string{"BLINK"}, "challenge_count": 2}, "", 400, "challenge_count must be 1"},
		{"ttl too short", map[string]any{"ttl_seconds": 5}, "", 400, "ttl"},
		{"ttl too long", map[string]any{"ttl_seconds": 7200}, "", 400, "ttl"},
		{"ttl negative", map[string]any{"ttl_seconds": -1}, "", 400, "ttl_seconds"},
		{"reference too long", map[string]any{"reference_id": long}, "", 400, "reference_id"},
		{"reference control chars", map[string]any{"reference_id": "a\nb"}, "", 400, "reference_id"},
		{"webhook without dispatcher", map[string]any{"webhook_url": "https://example.com/h"}, "", 400, "webhooks are not configured"},
		{"redirect javascript", map[string]any{"redirect_url": "javascript:alert(1)"}, "", 400, "redirect_url"},
		{"redirect relative", map[string]any{"redirect_url": "/done"}, "", 400, "redirect_url"},
		{"parent origin with path", map[string]any{"parent_origin": "https://app.example.com/page"}, "", 400, "parent_origin"},
		{"parent origin not http", map[string]any{"parent_origin": "file:///x"}, "", 400, "parent_origin"},
		{"invalid JSON", `{"challenge_count":`, "", 400, "invalid JSON"},
		{"not an object", `[1,2]`, "", 400, "JSON object"},
		{"trailing data", `{} {}`, "", 400, "data after"},
		{"form body", "", "ct", 400, "invalid JSON"},
		{"body too large", `{"reference_id":"` + strings.Repeat("a", 9<<20) + `"}`, "", 413, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req{method: "POST", path: "/v1/sessions", key: e.key, body: tt.body}
			switch tt.key {
			case "-":
				r.key = ""
			case "ct":
				r.body, r.header = "reference_id=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			case "":
			default:
				r.key = tt.key
			}
			res := e.do(r).expect(t, tt.status)
			if !strings.Contains(res.str("error"), tt.msg) {
				t.Errorf("error %q does not mention %q", res.str("error"), tt.msg)
			}
		})
	}
	t.Run("method not allowed", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions", key: e.key}).expect(t, http.StatusMethodNotAllowed)
		if r.header.Get("Allow") != "POST" {
			t.Errorf("Allow = %q", r.header.Get("Allow"))
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		key, rec, _ := apikey.Create(context.Background(), e.keys, "old", chacha(7), e.clock.Now())
		e.do(req{method: "POST", path: "/v1/sessions", key: key}).expect(t, http.StatusCreated)
		e.keys.Revoke(context.Background(), rec.Prefix, e.clock.Now())
		e.do(req{method: "POST", path: "/v1/sessions", key: key}).expect(t, http.StatusUnauthorized)
	})
}

func TestHostedURLFromRequest(t *testing.T) {
	e := newEnv(t, envOptions{noPublicURL: true})
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key}).expect(t, http.StatusCreated)
	if !strings.HasPrefix(r.str("hosted_url"), e.srv.URL+"/check?s=") {
		t.Errorf("hosted_url = %s, want it on %s", r.str("hosted_url"), e.srv.URL)
	}
}

func TestGetSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, tok := e.create(map[string]any{"challenges": []string{"BLINK", "SMILE"}, "challenge_count": 3,
		"reference_id": "user-7", "redirect_url": "https://app.example.com/done", "parent_origin": "https://app.example.com"})
	other, otherTok := e.create(nil)

	public := []string{"session_id", "status", "challenges", "current_challenge", "challenge_index", "total_challenges",
		"expires_in_seconds", "redirect_url", "parent_origin", "mirrored"}
	private := []string{"reference_id", "score", "verdict", "reason", "model_version", "frames", "created_at", "expires_at", "completed_at"}

	t.Run("client token", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, http.StatusOK)
		for _, k := range public {
			if _, ok := r.json[k]; !ok {
				t.Errorf("missing %s", k)
			}
		}
		for _, k := range private {
			if _, ok := r.json[k]; ok {
				t.Errorf("client token sees %s", k)
			}
		}
		if r.str("redirect_url") != "https://app.example.com/done" || r.str("parent_origin") != "https://app.example.com" || r.json["total_challenges"] != 3.0 {
			t.Errorf("body %s", r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
		}
	})
	t.Run("api key", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, http.StatusOK)
		for _, k := range append(public, private...) {
			if _, ok := r.json[k]; !ok {
				t.Errorf("missing %s", k)
			}
		}
		if r.str("reference_id") != "user-7" || r.json["verdict"] != nil || r.json["score"] != nil || r.str("model_version") == "" {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("api key wins over a wrong token", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key, token: otherTok}).expect(t, http.StatusOK)
	})
	errs := []struct {
		name   string
		r      req
		status int
	}{
		{"no credentials", req{path: "/v1/sessions/" + id}, 401},
		{"token of another session", req{path: "/v1/sessions/" + id, token: otherTok}, 401},
		{"garbage token", req{path: "/v1/sessions/" + id, token: "ct_nope"}, 401},
		{"oversized token", req{path: "/v1/sessions/" + id, token: strings.Repeat("t", 1000)}, 401},
		{"basic auth", req{path: "/v1/sessions/" + id, header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}, 401},
		{"bad key", req{path: "/v1/sessions/" + id, key: "lv_bad_key_bad_key"}, 401},
		{"unknown session, key", req{path: "/v1/sessions/00000000-0000-4000-8000-000000000000", key: e.key}, 404},
		{"unknown session, token", req{path: "/v1/sessions/00000000-0000-4000-8000-000000000000", token: tok}, 401},
		{"unknown route", req{path: "/v1/nothing", key: e.key}, 404},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.method = "GET"
			e.do(tt.r).expect(t, tt.status)
		})
	}
	_ = other
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(301 * time.Second)
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, http.StatusOK)
		if r.str("status") != "expired" || r.json["expires_in_seconds"] != 0.0 || r.json["current_challenge"] != nil {
			t.Errorf("body %s", r.body)
		}
		r = e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, http.StatusOK)
		if r.json["verdict"] != "FAIL" || r.json["reason"] != "expired" || r.json["completed_at"] == nil {
			t.Errorf("body %s", r.body)
		}
	})
}

func TestResultAndCancel(t *testing.T) {
	store := liveness.NewMemoryStore()
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		return newEngine(t, clk, liveness.WithStore(store))
	}})
	ctx := context.Background()
	// A session that passed, stored as the engine stores it.
	now := e.clock.Now()
	done := &liveness.Session{
		ID: "5b0c5d0e-7a61-4c4e-9d2a-1f0e3c4b5a69", Status: liveness.StatusPassed, Challenges: []challenge.ID{challenge.Blink},
		Index: 1, CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(4 * time.Minute), CompletedAt: now,
		Score: 0.87, Verdict: liveness.VerdictPass, ModelVersion: "test-model", ReferenceID: "order-1", Frames: 12,
		Passed: []liveness.PassedChallenge{{Challenge: challenge.Blink, Confidence: 0.9, Frame: 10, At: now}},
	}
	if err := store.Commit(ctx, &liveness.Change{Session: done, Create: true}); err != nil {
		t.Fatal(err)
	}

	t.Run("result of a passed session", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions/" + done.ID + "/result", key: e.key}).expect(t, 200)
		if r.str("status") != "passed" || r.str("verdict") != "PASS" || r.json["confidence"] != 0.87 || r.str("model_version") != "test-model" ||
			r.str("reference_id") != "order-1" || r.str("completed_at") != now.Format(time.RFC3339) || r.json["reason"] != nil {
			t.Errorf("result %s", r.body)
		}
		if p := r.json["passed_challenges"].([]any); len(p) != 1 || p[0].(map[string]any)["challenge"] != "BLINK" {
			t.Errorf("passed_challenges %v", p)
		}
	})
	id, tok := e.create(nil)
	t.Run("result of a pending session", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, 200)
		if r.str("status") != "pending" || r.json["verdict"] != nil || r.json["confidence"] != nil || r.json["completed_at"] != nil {
			t.Errorf("result %s", r.body)
		}
	})
	t.Run("result needs the API key", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", token: tok}).expect(t, 401)
		e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result"}).expect(t, 401)
	})
	t.Run("result of an unknown session", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/sessions/nope/result", key: e.key}).expect(t, 404)
	})
	t.Run("cancel", func(t *testing.T) {
		r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/cancel", key: e.key}).expect(t, 200)
		if r.str("status") != "cancelled" || r.str("reason") != "cancelled" || r.str("verdict") != "FAIL" {
			t.Errorf("cancel %s", r.body)
		}
		r = e.do(req{method: "POST", path: "/v1/sessions/" + id + "/cancel", key: e.key}).expect(t, 409)
		if r.str("code") != string(liveness.CodeNotPending) {
			t.Errorf("error %q", r.str("error"))
		}
		r = e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, 200)
		if r.str("verdict") != "FAIL" || r.str("reason") != "cancelled" {
			t.Errorf("result %s", r.body)
		}
	})
	t.Run("cancel a passed session", func(t *testing.T) {
		r := e.do(req{method: "POST", path: "/v1/sessions/" + done.ID + "/cancel", key: e.key}).expect(t, 409)
		if r.str("code") != string(liveness.CodeNotPending) {
			t.Errorf("error %q", r.str("error"))
		}
	})
	t.Run("cancel with the client token", func(t *testing.T) {
		id2, tok2 := e.create(nil)
		r := e.do(req{method: "POST", path: "/v1/sessions/" + id2 + "/cancel", token: tok2}).expect(t, 200)
		if _, ok := r.json["reference_id"]; ok || r.str("status") != "cancelled" {
			t.Errorf("cancel %s", r.body)
		}
		e.do(req{method: "POST", path: "/v1/sessions/" + id2 + "/cancel", token: tok}).expect(t, 401)
	})
	t.Run("cancel unknown", func(t *testing.T) {
		e.do(req{method: "POST", path: "/v1/sessions/00000000-0000-4000-8000-000000000000/cancel", key: e.key}).expect(t, 404)
	})
	t.Run("cancel expired", func(t *testing.T) {
		id3, _ := e.create(map[string]any{"ttl_seconds": 10})
		e.clock.Advance(11 * time.Second)
		r := e.do(req{method: "POST", path: "/v1/sessions/" + id3 + "/cancel", key: e.key}).expect(t, 410)
		if r.str("code") != string(liveness.CodeExpired) {
			t.Errorf("error %q", r.str("error"))
		}
		e.do(req{method: "POST", path: "/v1/sessions/" + id3 + "/cancel", key: e.key}).expect(t, 410)
	})
}

// blockedRefs is a failure limiter that has seen too many failures for
// every reference id.
type blockedRefs struct{}

func (blockedRefs) Check(context.Context, string, time.Time) (time.Duration, error) {
	return 41500 * time.Millisecond, nil
}
func (blockedRefs) Failed(context.Context, string, time.Time) error { return nil }

func TestCreateTooManyFailures(t *testing.T) {
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		return newEngine(t, clk, liveness.WithFailureLimiter(blockedRefs{}))
	}})
	r := e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"reference_id": "user-1"}}).expect(t, 429)
	if r.header.Get("Retry-After") != "42" || !strings.Contains(r.str("error"), "reference_id") {
		t.Errorf("Retry-After %q, error %q", r.header.Get("Retry-After"), r.str("error"))
	}
	// Without a reference id there is nothing to limit.
	e.do(req{method: "POST", path: "/v1/sessions", key: e.key}).expect(t, 201)
}

func TestConsentText(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.create(map[string]any{"consent_text": "I agree to a liveness check."})
	r := e.do(req{method: "GET", path: "/v1/sessions/" + id, key: e.key}).expect(t, 200)
	if !strings.HasPrefix(r.str("consent_hash"), "sha256:") {
		t.Errorf("consent_hash %q", r.str("consent_hash"))
	}
	e.do(req{method: "POST", path: "/v1/sessions", key: e.key, body: map[string]any{"consent_text": strings.Repeat("x", 17<<10)}}).expect(t, 400)
}
