package client_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/evidence"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

// operations maps every operationId of the OpenAPI document to the Client
// method that performs it, or to "" with the reason it has none. A new
// operation in the document fails TestClientParity until it is added here
// (and, when it is an API call, to the Client).
var operations = map[string]string{
	"createSession":        "CreateSession",
	"getSession":           "Session",
	"verifyFrames":         "Verify",
	"getResult":            "Result",
	"cancelSession":        "Cancel",
	"acceptConsent":        "AcceptConsent",
	"getEvidence":          "Evidence",
	"getEvidenceObject":    "EvidenceObject",
	"getPhoto":             "Photo",
	"reviewSession":        "Review",
	"testWebhook":          "TestWebhook",
	"getOpenAPI":           "OpenAPI",
	"health":               "Health",
	"getLimits":            "Limits",
	"metrics":              "Metrics",
	"addReferenceImage":    "AddReferenceImage",
	"deleteReferenceImage": "DeleteReferenceImage",
	// Browser-only: pages and scripts, not API calls.
	"index":      "",
	"hostedPage": "",
	"sdk":        "",
}

func TestClientParity(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "httpapi", "openapi.yaml"))
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	var ids []string
	for path, item := range doc.Paths {
		for method, op := range item {
			m, ok := op.(map[string]any)
			if !ok || method == "parameters" || method == "options" {
				continue // CORS preflights are the browser's
			}
			id, _ := m["operationId"].(string)
			require.NotEmpty(t, id, "%s %s has no operationId", method, path)
			ids = append(ids, id)
		}
	}
	require.Greater(t, len(ids), 10)
	typ := reflect.TypeFor[*client.Client]()
	for _, id := range ids {
		name, ok := operations[id]
		if !assert.True(t, ok, "operation %q of openapi.yaml has no Client method (add it to the Client and to operations)", id) || name == "" {
			continue
		}
		_, ok = typ.MethodByName(name)
		assert.True(t, ok, "operation %q: Client has no method %s", id, name)
	}
	for id := range operations {
		assert.True(t, slices.Contains(ids, id), "operations lists %q, which openapi.yaml does not have", id)
	}
}

// TestEvidencePhotoReview calls the evidence, photo and review operations
// on the real handler.
func TestEvidencePhotoReview(t *testing.T) {
	now := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := liveness.New(liveness.WithClock(func() time.Time { return now }), liveness.WithEvidenceStore(evidence.NewMemory(nil)), liveness.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	var seed [32]byte
	key, _, err := apikey.Create(context.Background(), keys, "test", rand.NewChaCha8(seed), now)
	require.NoError(t, err)
	h, err := httpapi.New(e, httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithClock(func() time.Time { return now }), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.WithAPIKey(key))
	require.NoError(t, err)
	ctx := context.Background()

	s, err := c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, ConsentText: "I agree",
		RetryURL: "https://app.example.com/again", Theme: &client.Theme{Accent: "#123456"}, Messages: map[string]map[string]string{"de": {"cancel": "Stopp"}}})
	require.NoError(t, err)
	_, err = c.WithClientToken(s.ClientToken).Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
	require.ErrorIs(t, err, client.ErrConflict, "frames before the consent is accepted")
	_, err = c.WithClientToken(s.ClientToken).AcceptConsent(ctx, s.SessionID, client.ConsentRequest{Accepted: true, ConsentHash: "sha256:00"})
	require.Error(t, err, "the hash of another text")
	accepted, err := c.WithClientToken(s.ClientToken).AcceptConsent(ctx, s.SessionID, client.ConsentRequest{Accepted: true})
	require.NoError(t, err)
	require.NotNil(t, accepted.ConsentAcceptedAt)
	_, err = c.WithClientToken(s.ClientToken).Verify(ctx, s.SessionID, client.VerifyRequest{Frames: [][]byte{face(t)}})
	require.NoError(t, err)
	view, err := c.WithClientToken(s.ClientToken).Session(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "I agree", view.ConsentText)
	assert.Equal(t, "https://app.example.com/again", view.RetryURL)
	assert.Equal(t, &client.Theme{Accent: "#123456"}, view.Theme)
	assert.Equal(t, "Stopp", view.Messages["de"]["cancel"])
	_, err = c.Cancel(ctx, s.SessionID)
	require.NoError(t, err)

	ev, err := c.Evidence(ctx, s.SessionID)
	require.NoError(t, err)
	assert.NotEmpty(t, ev.EvidenceHash)
	require.NotEmpty(t, ev.Items)
	obj, err := c.EvidenceObject(ctx, s.SessionID, ev.Items[0].Name)
	require.NoError(t, err)
	assert.NotEmpty(t, obj)
	photo, err := c.Photo(ctx, s.SessionID)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xd8}, photo[:2], "a JPEG")
	_, err = c.Review(ctx, s.SessionID, client.ReviewRequest{Decision: "PASS", Reviewer: "ops"})
	assert.ErrorIs(t, err, client.ErrConflict)

	doc, err := c.OpenAPI(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "openapi: 3.1.0")
	m, err := c.Metrics(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, m)
}
