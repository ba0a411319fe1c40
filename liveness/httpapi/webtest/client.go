package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrCreate reports a failed POST /v1/sessions.
var ErrCreate = errors.New("webtest: creating a session failed")

// SessionRequest is the body of POST /v1/sessions. ParentOrigin is the
// postMessage target origin of the hosted page for this session.
type SessionRequest struct {
	ChallengeCount int      `json:"challenge_count,omitempty"`
	Challenges     []string `json:"challenges,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
	WebhookURL     string   `json:"webhook_url,omitempty"`
	RedirectURL    string   `json:"redirect_url,omitempty"`
	ParentOrigin   string   `json:"parent_origin,omitempty"`
	TTLSeconds     int      `json:"ttl_seconds,omitempty"`
	ConsentText    string   `json:"consent_text,omitempty"`
	RetryURL       string   `json:"retry_url,omitempty"`
	// Theme and Messages as in the API (theme colours; strings by language).
	Theme    map[string]string            `json:"theme,omitempty"`
	Messages map[string]map[string]string `json:"messages,omitempty"`
}

// Session is what a test needs of a created session.
type Session struct {
	ID          string   `json:"session_id"`
	ClientToken string   `json:"client_token"`
	HostedURL   string   `json:"hosted_url"`
	Challenges  []string `json:"challenges"`
}

// SessionFunc creates a session on the server under test.
type SessionFunc func(ctx context.Context, req SessionRequest) (Session, error)

// Target is a server implementing the liveness HTTP API: the mock of this
// package or the real one.
type Target struct {
	// BaseURL is the API root, where /check, /sdk/liveness.js and /v1/ live.
	BaseURL string
	// NewSession creates a session, for example [APISessions].
	NewSession SessionFunc
}

// APISessions returns a SessionFunc that calls POST {baseURL}/v1/sessions
// with the API key, as a backend does. A nil client means
// http.DefaultClient.
func APISessions(baseURL, apiKey string, client *http.Client) SessionFunc {
	if client == nil {
		client = http.DefaultClient
	}
	url := strings.TrimSuffix(baseURL, "/") + "/v1/sessions"
	return func(ctx context.Context, req SessionRequest) (Session, error) {
		body, err := json.Marshal(req)
		if err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrCreate, err)
		}
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrCreate, err)
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("X-API-Key", apiKey)
		res, err := client.Do(hr)
		if err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrCreate, err)
		}
		defer res.Body.Close()
		data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrCreate, err)
		}
		if res.StatusCode != http.StatusCreated {
			return Session{}, fmt.Errorf("%w: %s: %s", ErrCreate, res.Status, bytes.TrimSpace(data))
		}
		var s Session
		if err := json.Unmarshal(data, &s); err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrCreate, err)
		}
		if s.ID == "" || s.ClientToken == "" || s.HostedURL == "" {
			return Session{}, fmt.Errorf("%w: incomplete answer %s", ErrCreate, data)
		}
		return s, nil
	}
}
