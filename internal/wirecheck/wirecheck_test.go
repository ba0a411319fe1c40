package wirecheck

import (
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const doc = `
openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Status: {type: string, enum: [pending, passed]}
    Req:
      type: object
      required: [name]
      properties:
        name: {type: string}
        count: {type: integer}
        tags: {type: array, items: {type: string}}
        status: {$ref: '#/components/schemas/Status'}
        left: {type: [integer, 'null']}
`

type good struct {
	Name   string   `json:"name"`
	Count  int      `json:"count,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	Status string   `json:"status,omitempty"`
	Left   *int     `json:"left,omitempty"`
}

type drifted struct {
	Name   string   `json:"name,omitempty"` // required but omitempty
	Count  string   `json:"count"`          // wrong type, always sent
	Tag    []string `json:"tag,omitempty"`  // renamed
	Status string   `json:"status,omitempty"`
	Left   int      `json:"left,omitempty"` // cannot hold null
}

func TestCheck(t *testing.T) {
	d, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	require.NoError(t, err)
	both := Options{Sent: true, Received: true, Enums: map[string][]string{"status": {"pending", "passed"}}}
	assert.Empty(t, Check(d, "Req", reflect.TypeFor[good](), both))

	errs := Check(d, "Req", reflect.TypeFor[drifted](), Options{Sent: true, Received: true, Enums: map[string][]string{"status": {"pending"}}})
	for _, want := range []string{
		"Req.name: required by the document but omitempty in Go",
		"Req.count: optional in the document but always sent by Go (add omitempty)",
		"Req.count: Go type string, document type [integer]",
		"Req.tag: Go field ([]string) is not a documented property",
		"Req.tags: documented property missing in Go type wirecheck.drifted",
		"Req.left: may be null, but Go type int cannot hold null",
		"Req.status: enum [passed pending] in the document, [pending] in Go",
	} {
		assert.Contains(t, errs, want)
	}
	assert.Len(t, errs, 7, "%q", errs)

	omit := Check(d, "Req", reflect.TypeFor[struct {
		Name string `json:"name"`
	}](), Options{Omit: map[string]string{"count": "not needed", "tags": "", "status": "", "left": "", "nope": ""}})
	assert.Equal(t, []string{"Req.nope: listed in Omit but not a documented property"}, omit)
	assert.Equal(t, []string{`no schema "Nope" in the document`}, Check(d, "Nope", reflect.TypeFor[good](), Options{}))
}
