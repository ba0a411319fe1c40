package client

import (
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/wirecheck"
	"github.com/openliveness/openliveness/liveness/httpapi"
	"github.com/openliveness/openliveness/liveness/limits"
)

// TestWireContract fails when a request or response type of the client
// differs from its schema in openapi.yaml: a property renamed, added or
// dropped, a type, a required field, a null the Go type cannot hold.
func TestWireContract(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	require.NoError(t, err)
	sent, received := wirecheck.Options{Sent: true}, wirecheck.Options{Received: true}
	tests := []struct {
		schema string
		typ    reflect.Type
		o      wirecheck.Options
	}{
		{"CreateSessionRequest", reflect.TypeFor[CreateSessionRequest](), sent},
		{"CreatedSession", reflect.TypeFor[CreatedSession](), received},
		{"Session", reflect.TypeFor[Session](), received},
		{"VerifyRequest", reflect.TypeFor[verifyBody](), sent},
		{"VerifyResponse", reflect.TypeFor[VerifyResponse](), received},
		{"Result", reflect.TypeFor[Result](), received},
		{"ReviewRequest", reflect.TypeFor[ReviewRequest](), sent},
		{"Evidence", reflect.TypeFor[Evidence](), received},
		{"WebhookTestRequest", reflect.TypeFor[webhookTestBody](), sent},
		{"WebhookDelivery", reflect.TypeFor[WebhookDelivery](), received},
		{"Error", reflect.TypeFor[errorBody](), received},
		{"Limits", reflect.TypeFor[limits.JSON](), received},
		{"Match", reflect.TypeFor[Match](), received},
	}
	for _, tt := range tests {
		assert.Empty(t, wirecheck.Check(doc, tt.schema, tt.typ, tt.o), "%s vs %s", tt.typ, tt.schema)
	}
	add := doc.Paths.Find("/v1/reference-images").Post
	assert.Empty(t, wirecheck.CheckRef(add.RequestBody.Value.Content.Get("application/json").Schema, "addReferenceImage request", reflect.TypeFor[referenceBody](), sent))
	assert.Empty(t, wirecheck.CheckRef(add.Responses.Status(201).Value.Content.Get("application/json").Schema, "addReferenceImage 201", reflect.TypeFor[ReferenceImage](), received))
}
