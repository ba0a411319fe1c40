package httpapi

import (
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/internal/wirecheck"
	"github.com/openliveness/openliveness/liveness/limits"
)

// TestWireTypes: the handler's request and response types have exactly
// the properties and types openapi.yaml documents (the answers themselves
// are validated against it by every handler test, checkAgainstSpec).
func TestWireTypes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	require.NoError(t, err)
	in, out := wirecheck.Options{Received: true}, wirecheck.Options{}
	tests := []struct {
		schema string
		typ    reflect.Type
		o      wirecheck.Options
	}{
		{"CreateSessionRequest", reflect.TypeFor[createRequest](), in},
		{"VerifyRequest", reflect.TypeFor[verifyRequest](), in},
		{"ReviewRequest", reflect.TypeFor[reviewRequest](), in},
		{"WebhookTestRequest", reflect.TypeFor[webhookTestRequest](), in},
		{"CreatedSession", reflect.TypeFor[createResponse](), out},
		{"Session", reflect.TypeFor[sessionView](), out},
		{"VerifyInProgress", reflect.TypeFor[inProgress](), out},
		{"VerifyAdvanced", reflect.TypeFor[advanced](), out},
		{"VerifyComplete", reflect.TypeFor[completed](), out},
		{"VerifyFailed", reflect.TypeFor[failed](), out},
		{"Result", reflect.TypeFor[resultView](), out},
		{"Evidence", reflect.TypeFor[evidenceView](), out},
		{"WebhookDelivery", reflect.TypeFor[deliveryView](), out},
		{"Error", reflect.TypeFor[errorBody](), out},
		{"Limits", reflect.TypeFor[limits.JSON](), out},
	}
	for _, tt := range tests {
		assert.Empty(t, wirecheck.Check(doc, tt.schema, tt.typ, tt.o), "%s vs %s", tt.typ, tt.schema)
	}
}
