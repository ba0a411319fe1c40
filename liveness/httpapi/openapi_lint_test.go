package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lintOpenAPI validates an OpenAPI document with kin-openapi (a maintained
// OpenAPI 3.0/3.1 loader and validator, pinned in go.mod): it must load,
// resolve every $ref and pass the library's document validation.
func lintOpenAPI(doc []byte) error {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}

func TestOpenAPIValidator(t *testing.T) {
	require.NoError(t, lintOpenAPI(OpenAPI()))
}

// The validator must catch the error once shipped in openapi.yaml: an
// unquoted comma in a YAML flow mapping split reference_id's description
// and made a property named "echoed in results and webhooks." with a null
// value.
func TestOpenAPIValidatorCatchesBogusProperty(t *testing.T) {
	const (
		quoted   = `reference_id: {type: string, maxLength: 256, description: 'Your own reference (user or order id), echoed in results and webhooks.'}`
		unquoted = `reference_id: {type: string, maxLength: 256, description: Your own reference (user or order id), echoed in results and webhooks.}`
	)
	doc := OpenAPI()
	require.Equal(t, 1, bytes.Count(doc, []byte(quoted)), "openapi.yaml no longer has reference_id's description as this test expects")
	broken := bytes.Replace(doc, []byte(quoted), []byte(unquoted), 1)
	err := lintOpenAPI(broken)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "echoed in results and webhooks.")
}
