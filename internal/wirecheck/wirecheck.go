// Package wirecheck compares Go types that travel as JSON with the
// schemas of an OpenAPI document, so that a test fails when a client, a
// mock server or the document drifts: a property renamed, added or
// dropped, a type changed, a required field the Go side may omit, a
// null the Go side cannot hold, an enum with other values.
package wirecheck

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Options describe how a Go type is used.
type Options struct {
	// Sent: the Go type is encoded and sent (a request of a client): a
	// required property must not be omitempty, an optional one must be
	// omitempty or a pointer (or the zero value would be sent).
	Sent bool
	// Received: the Go type is decoded (a response read by a client, a
	// request read by a server): a property that may be null must have a
	// Go type that holds null (pointer, slice, map, interface).
	Received bool
	// Omit lists documented properties the Go type deliberately lacks,
	// by dotted path ("theme.accent"), each with the reason. An entry for
	// a property the Go type has, or the document lacks, is drift too.
	Omit map[string]string
	// Enums gives, by dotted path, the values the Go side knows for a
	// property (its constants); they must equal the schema's enum.
	Enums map[string][]string
}

// Check returns the differences between Go type typ and the schema named
// schema in doc's components, one line each; none when they agree.
func Check(doc *openapi3.T, schema string, typ reflect.Type, o Options) []string {
	ref := doc.Components.Schemas[schema]
	if ref == nil {
		return []string{fmt.Sprintf("no schema %q in the document", schema)}
	}
	return CheckRef(ref, schema, typ, o)
}

// CheckRef is Check with the schema itself (an inline request or response
// schema of an operation); name labels the differences.
func CheckRef(ref *openapi3.SchemaRef, schema string, typ reflect.Type, o Options) []string {
	c := &checker{o: o, schema: schema, seen: map[string]bool{}, enumSeen: map[string]bool{}}
	c.value("", ref, typ)
	for p := range o.Omit {
		if !c.seen[p] {
			c.errorf(p, "listed in Omit but not a documented property")
		}
	}
	for p := range o.Enums {
		if !c.enumSeen[p] {
			c.errorf(p, "listed in Enums but not a documented property with an enum")
		}
	}
	sort.Strings(c.errs)
	return c.errs
}

type checker struct {
	o        Options
	schema   string
	errs     []string
	seen     map[string]bool // dotted paths of documented properties met
	enumSeen map[string]bool
}

func (c *checker) errorf(path, format string, args ...any) {
	at := c.schema
	if path != "" {
		at += "." + path
	}
	c.errs = append(c.errs, at+": "+fmt.Sprintf(format, args...))
}

// join is the dotted path of property name below path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// flat is a schema with its oneOf, anyOf and allOf alternatives merged.
type flat struct {
	types    map[string]bool
	props    map[string][]*openapi3.SchemaRef
	required map[string]bool
	items    []*openapi3.SchemaRef
	addl     []*openapi3.SchemaRef
	enum     []string
	any      bool // no type constraint at all
}

func flatten(ref *openapi3.SchemaRef) *flat {
	f := &flat{types: map[string]bool{}, props: map[string][]*openapi3.SchemaRef{}, required: map[string]bool{}}
	var walk func(r *openapi3.SchemaRef, top bool)
	walk = func(r *openapi3.SchemaRef, top bool) {
		if r == nil || r.Value == nil {
			return
		}
		s := r.Value
		if s.Type != nil {
			for _, t := range s.Type.Slice() {
				f.types[t] = true
			}
		}
		for name, p := range s.Properties {
			f.props[name] = append(f.props[name], p)
		}
		if top {
			for _, name := range s.Required {
				f.required[name] = true
			}
		}
		if s.Items != nil {
			f.items = append(f.items, s.Items)
		}
		if s.AdditionalProperties.Schema != nil {
			f.addl = append(f.addl, s.AdditionalProperties.Schema)
		}
		for _, e := range s.Enum {
			if v, ok := e.(string); ok && !slices.Contains(f.enum, v) {
				f.enum = append(f.enum, v)
			}
		}
		for _, a := range s.OneOf {
			walk(a, false)
		}
		for _, a := range s.AnyOf {
			walk(a, false)
		}
		for _, a := range s.AllOf {
			walk(a, top)
		}
	}
	walk(ref, true)
	if len(f.props) > 0 {
		f.types["object"] = true
	}
	f.any = len(f.types) == 0
	return f
}

var rawMessage = reflect.TypeFor[json.RawMessage]()
var timeType = reflect.TypeFor[time.Time]()

// value checks that typ can carry the values of ref.
func (c *checker) value(path string, ref *openapi3.SchemaRef, typ reflect.Type) {
	f := flatten(ref)
	if f.types["null"] && c.o.Received {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		default:
			c.errorf(path, "may be null, but Go type %s cannot hold null", typ)
		}
	}
	if f.enum != nil {
		if known, ok := c.o.Enums[path]; ok {
			c.enumSeen[path] = true
			a, b := slices.Clone(known), slices.Clone(f.enum)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				c.errorf(path, "enum %v in the document, %v in Go", b, a)
			}
		}
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if f.any || typ == rawMessage || typ.Kind() == reflect.Interface {
		return
	}
	want := func(kinds ...string) {
		for _, k := range kinds {
			if f.types[k] {
				return
			}
		}
		c.errorf(path, "Go type %s, document type %v", typ, keys(f.types))
	}
	switch {
	case typ == timeType:
		want("string")
	case typ.Kind() == reflect.String:
		want("string")
	case typ.Kind() == reflect.Bool:
		want("boolean")
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		want("integer")
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		want("number", "integer")
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Uint8:
		want("string") // base64
	case typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array:
		want("array")
		for _, it := range f.items {
			c.value(path+"[]", it, typ.Elem())
		}
	case typ.Kind() == reflect.Map:
		want("object")
		for _, a := range f.addl {
			c.value(path+"{}", a, typ.Elem())
		}
		for name, ps := range f.props {
			for _, p := range ps {
				c.value(join(path, name), p, typ.Elem())
			}
		}
	case typ.Kind() == reflect.Struct:
		want("object")
		c.object(path, f, typ)
	default:
		c.errorf(path, "Go type %s has no JSON form here", typ)
	}
}

// field is a JSON property of a Go struct.
type field struct {
	typ       reflect.Type
	omitempty bool
}

func jsonFields(typ reflect.Type, out map[string]field) {
	for i := range typ.NumField() {
		sf := typ.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			t := sf.Type
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() == reflect.Struct {
				jsonFields(t, out)
				continue
			}
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = field{typ: sf.Type, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")}
	}
}

// object checks the properties of a struct against f.
func (c *checker) object(path string, f *flat, typ reflect.Type) {
	fields := map[string]field{}
	jsonFields(typ, fields)
	for name, fd := range fields {
		if _, ok := f.props[name]; !ok {
			c.errorf(join(path, name), "Go field (%s) is not a documented property", fd.typ)
		}
	}
	for name, ps := range f.props {
		p := join(path, name)
		c.seen[p] = true
		fd, ok := fields[name]
		_, omitted := c.o.Omit[p]
		switch {
		case !ok && !omitted:
			c.errorf(p, "documented property missing in Go type %s", typ)
			continue
		case ok && omitted:
			c.errorf(p, "listed in Omit but the Go type has it")
		case !ok:
			continue
		}
		if c.o.Sent {
			req := f.required[name]
			switch {
			case req && fd.omitempty:
				c.errorf(p, "required by the document but omitempty in Go")
			case !req && !fd.omitempty && fd.typ.Kind() != reflect.Pointer:
				c.errorf(p, "optional in the document but always sent by Go (add omitempty)")
			}
		}
		for _, s := range ps {
			c.value(p, s, fd.typ)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
