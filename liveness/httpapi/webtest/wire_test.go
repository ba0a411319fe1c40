package webtest

import (
	"context"
	"encoding/base64"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/wirecheck"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

func openAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	require.NoError(t, err)
	return doc
}

// TestWireTypes fails when the mock's request types or the session it
// hands to tests differ from openapi.yaml.
func TestWireTypes(t *testing.T) {
	doc := openAPI(t)
	statuses := []string{StatusPending, StatusPassed, StatusFailed, StatusExpired, StatusCancelled}
	tests := []struct {
		schema string
		typ    reflect.Type
		o      wirecheck.Options
	}{
		// Sent by APISessions as a backend does.
		{"CreateSessionRequest", reflect.TypeFor[SessionRequest](), wirecheck.Options{Sent: true, Omit: map[string]string{
			"mirrored": "the hosted page under test sends unmirrored frames", "reference_image_b64": "face matching is not mocked",
			"reference_image_id": "face matching is not mocked",
		}}},
		// Read by the mock.
		{"CreateSessionRequest", reflect.TypeFor[createRequest](), wirecheck.Options{Received: true, Omit: map[string]string{
			"mirrored": "the hosted page under test sends unmirrored frames", "reference_image_b64": "face matching is not mocked",
			"reference_image_id": "face matching is not mocked",
		}}},
		{"VerifyRequest", reflect.TypeFor[verifyBody](), wirecheck.Options{Received: true}},
		// What a test keeps of a created session.
		{"CreatedSession", reflect.TypeFor[Session](), wirecheck.Options{Received: true, Omit: map[string]string{
			"status": "always pending", "current_challenge": "the first of challenges", "challenge_index": "0",
			"total_challenges": "len(challenges)", "expires_in_seconds": "not needed by the tests", "expires_at": "not needed by the tests",
			"reference_id": "echo of the request",
		}}},
		{"Status", reflect.TypeFor[string](), wirecheck.Options{Enums: map[string][]string{"": statuses}}},
	}
	for _, tt := range tests {
		assert.Empty(t, wirecheck.Check(doc, tt.schema, tt.typ, tt.o), "%s vs %s", tt.typ, tt.schema)
	}
}

// schemaErrors lists the errors of a schema validation, one line each.
func schemaErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case *openapi3.SchemaError:
			if e.Origin != nil {
				walk(e.Origin)
			}
			out = append(out, "/"+strings.Join(e.JSONPointer(), "/")+": "+strings.SplitN(e.Reason, "\n", 2)[0])
		default:
			out = append(out, strings.SplitN(err.Error(), "\n", 2)[0])
		}
	}
	walk(err)
	return out
}

// TestWireResponses runs the mock through a session's life and checks
// every answer against the schema openapi.yaml documents for it.
func TestWireResponses(t *testing.T) {
	doc := openAPI(t)
	_, api, create := newTestServer(t, PassAfter(2))
	check := func(op, method, path string, code int, body map[string]any) {
		t.Helper()
		item := doc.Paths.Find(path)
		require.NotNil(t, item, path)
		o := item.GetOperation(method)
		require.NotNil(t, o, "%s %s", method, path)
		resp := o.Responses.Status(code)
		if !assert.NotNil(t, resp, "%s: status %d is not documented", op, code) {
			return
		}
		mt := resp.Value.Content.Get("application/json")
		require.NotNil(t, mt, "%s %d", op, code)
		assert.Empty(t, schemaErrors(mt.Schema.Value.VisitJSON(body, openapi3.MultiErrors())), "%s %d: %v", op, code, body)
	}
	sess, err := create(context.Background(), SessionRequest{Challenges: []string{"BLINK", "SMILE"}, TTLSeconds: 60})
	require.NoError(t, err)
	frame := base64.StdEncoding.EncodeToString(testJPEG(t))
	id := "/v1/sessions/" + sess.ID

	code, _, m := api.do("POST", "/v1/sessions", "", map[string]any{"challenge_count": 2})
	check("create without key", "POST", "/v1/sessions", code, m)
	for _, tc := range []struct {
		method, path, tmpl, auth string
		body                     any
	}{
		{"GET", id, "/v1/sessions/{id}", sess.ClientToken, nil},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", sess.ClientToken, map[string]any{"frame_b64": frame}},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", sess.ClientToken, map[string]any{"frames_b64": []string{frame, frame}, "interval_ms": 100}},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", sess.ClientToken, map[string]any{"frame_b64": "@@"}},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", "wrong", map[string]any{"frame_b64": frame}},
		{"GET", id, "/v1/sessions/{id}", sess.ClientToken, nil},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", sess.ClientToken, map[string]any{"frame_b64": frame}},
		{"POST", id + "/verify", "/v1/sessions/{id}/verify", sess.ClientToken, map[string]any{"frame_b64": frame}},
		{"GET", id, "/v1/sessions/{id}", sess.ClientToken, nil},
		{"GET", id + "/result", "/v1/sessions/{id}/result", sess.ClientToken, nil},
		{"POST", id + "/cancel", "/v1/sessions/{id}/cancel", sess.ClientToken, nil},
		{"GET", "/v1/sessions/nope", "/v1/sessions/{id}", sess.ClientToken, nil},
	} {
		code, _, m := api.do(tc.method, tc.path, tc.auth, tc.body)
		check(tc.method+" "+tc.path+" "+strconv.Quote(tc.auth), tc.method, tc.tmpl, code, m)
	}

	// A failed session, and one cancelled before any frame.
	_, api, create = newTestServer(t, func(Submission) Decision { return Decision{Outcome: Fail} }, WithChallengeWindow(5*time.Second))
	for _, cancel := range []bool{false, true} {
		sess, err := create(context.Background(), SessionRequest{ChallengeCount: 2, ReferenceID: "r-1"})
		require.NoError(t, err)
		id := "/v1/sessions/" + sess.ID
		code, _, m := api.do("GET", id, sess.ClientToken, nil)
		check("timed session", "GET", "/v1/sessions/{id}", code, m)
		if cancel {
			code, _, m = api.do("POST", id+"/cancel", sess.ClientToken, nil)
			check("cancel", "POST", "/v1/sessions/{id}/cancel", code, m)
		} else {
			code, _, m = api.do("POST", id+"/verify", sess.ClientToken, map[string]any{"frame_b64": frame})
			check("failing frame", "POST", "/v1/sessions/{id}/verify", code, m)
		}
		code, _, m = api.do("GET", id+"/result", sess.ClientToken, nil)
		check("result", "GET", "/v1/sessions/{id}/result", code, m)
	}
}
