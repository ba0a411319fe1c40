package httpapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

func chacha(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// seen records the documented (method, path, status) answers the tests
// produced; TestMain checks that every documented one was produced.
var seen sync.Map

func TestMain(m *testing.M) {
	code := m.Run()
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" && !testing.Short() {
		if missing := unexercised(); len(missing) > 0 {
			fmt.Println("documented answers no test produced:")
			for _, s := range missing {
				fmt.Println("  ", s)
			}
			code = 1
		}
	}
	os.Exit(code)
}

// unexercised lists the documented answers (other than default) that no
// test produced.
func unexercised() []string {
	doc, err := spec()
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for p, item := range mapAt(doc, "paths") {
		for m, op := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			for status := range mapAt(op.(map[string]any), "responses") {
				if status == "default" {
					continue
				}
				k := m + " " + p + " " + status
				if _, ok := seen.Load(k); !ok {
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// spec is the parsed OpenAPI document.
var spec = sync.OnceValues(func() (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI(), &doc); err != nil {
		return nil, err
	}
	return doc, nil
})

func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

// resolve follows a local $ref.
func resolve(doc, node map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		node = mapAt(doc, parts...)
		if node == nil {
			return map[string]any{"x-unresolved": ref}
		}
	}
	return node
}

// specPath returns the documented path template matching p.
func specPath(doc map[string]any, p string) (string, bool) {
	segs := strings.Split(p, "/")
	for tmpl := range mapAt(doc, "paths") {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") {
				if segs[i] == "" {
					ok = false
				}
				continue
			}
			if ts[i] != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return tmpl, true
		}
	}
	return "", false
}

// checkAgainstSpec checks an answer against the document.
func checkAgainstSpec(method, rawPath string, r *response) error {
	doc, err := spec()
	if err != nil {
		return err
	}
	u, err := url.Parse(rawPath)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(u.Path, "/v1/") && (r.status == http.StatusNotFound || !isDocumentedAsset(u.Path)) {
		// The page's own assets are described with /check, and a
		// disabled page is simply absent.
		return nil
	}
	tmpl, ok := specPath(doc, u.Path)
	if !ok {
		if r.status == http.StatusNotFound {
			return nil // an unknown route
		}
		return fmt.Errorf("path %s is not documented", u.Path)
	}
	op := mapAt(doc, "paths", tmpl, strings.ToLower(method))
	if method == http.MethodHead {
		op = mapAt(doc, "paths", tmpl, "get")
	}
	if op == nil {
		if r.status == http.StatusMethodNotAllowed {
			return nil // documented globally
		}
		return fmt.Errorf("%s %s is not documented", method, tmpl)
	}
	responses := mapAt(op, "responses")
	seen.Store(strings.ToLower(method)+" "+tmpl+" "+strconv.Itoa(r.status), true)
	resp, ok := responses[strconv.Itoa(r.status)].(map[string]any)
	if !ok && r.status >= 500 {
		resp, ok = responses["default"].(map[string]any)
	}
	if !ok {
		return fmt.Errorf("status %d of %s %s is not documented", r.status, method, tmpl)
	}
	resp = resolve(doc, resp)
	content := mapAt(resp, "content")
	ct := r.header.Get("Content-Type")
	if len(content) == 0 {
		if len(r.body) > 0 {
			return fmt.Errorf("undocumented body %q", clipBody(r.body))
		}
		return nil
	}
	for mt, v := range content {
		if !strings.HasPrefix(ct, mt) {
			continue
		}
		if mt != "application/json" || method == http.MethodHead {
			return nil
		}
		schema := mapAt(v.(map[string]any), "schema")
		var body any
		if err := jsonUnmarshal(r.body, &body); err != nil {
			return err
		}
		return validate(doc, schema, body, "$")
	}
	return fmt.Errorf("content type %q not documented (have %v)", ct, keys(content))
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validate checks v against the JSON Schema subset the document uses:
// $ref, oneOf, type (with null), const, enum, properties, required,
// additionalProperties: false, items, minimum, maximum, minItems, maxItems,
// maxLength.
func validate(doc, schema map[string]any, v any, at string) error {
	schema = resolve(doc, schema)
	if u, ok := schema["x-unresolved"]; ok {
		return fmt.Errorf("%s: unresolved $ref %v", at, u)
	}
	if alts, ok := schema["oneOf"].([]any); ok {
		n := 0
		var errs []string
		for _, a := range alts {
			if err := validate(doc, a.(map[string]any), v, at); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf (%s)", at, n, strings.Join(errs, "; "))
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return isType(v, t) }) {
			return fmt.Errorf("%s: %v is not of type %v", at, v, types)
		}
	}
	if c, ok := schema["const"]; ok && !sameValue(c, v) {
		return fmt.Errorf("%s: %v, want const %v", at, v, c)
	}
	if e, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return sameValue(x, v) }) {
		return fmt.Errorf("%s: %v not in enum %v", at, v, e)
	}
	if f, ok := v.(float64); ok {
		if min, ok := number(schema["minimum"]); ok && f < min {
			return fmt.Errorf("%s: %v < minimum %v", at, f, min)
		}
		if max, ok := number(schema["maximum"]); ok && f > max {
			return fmt.Errorf("%s: %v > maximum %v", at, f, max)
		}
	}
	if s, ok := v.(string); ok {
		if max, ok := number(schema["maxLength"]); ok && float64(len([]rune(s))) > max {
			return fmt.Errorf("%s: longer than %v", at, max)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props := mapAt(schema, "properties")
		if req, ok := schema["required"].([]any); ok {
			for _, k := range req {
				if _, ok := obj[k.(string)]; !ok {
					return fmt.Errorf("%s: required property %q missing", at, k)
				}
			}
		}
		for k, pv := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, ok := schema["additionalProperties"].(bool); ok && !ap {
					return fmt.Errorf("%s: undocumented property %q", at, k)
				}
				continue
			}
			if err := validate(doc, ps, pv, at+"."+k); err != nil {
				return err
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if min, ok := number(schema["minItems"]); ok && float64(len(arr)) < min {
			return fmt.Errorf("%s: fewer than %v items", at, min)
		}
		if max, ok := number(schema["maxItems"]); ok && float64(len(arr)) > max {
			return fmt.Errorf("%s: more than %v items", at, max)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				if err := validate(doc, items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

func number(x any) (float64, bool) {
	switch x := x.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

// TestOpenAPIDocument checks the document's structure: version, every
// $ref resolves, every operation has responses.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	var walk func(n any, at string)
	walk = func(n any, at string) {
		switch n := n.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				if _, bad := resolve(doc, n)["x-unresolved"]; bad {
					t.Errorf("%s: $ref %s does not resolve", at, ref)
				}
			}
			for k, v := range n {
				walk(v, at+"/"+k)
			}
		case []any:
			for i, v := range n {
				walk(v, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(doc, "#")
	for p, item := range mapAt(doc, "paths") {
		for m, op := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			if len(mapAt(op.(map[string]any), "responses")) == 0 {
				t.Errorf("%s %s: no responses", m, p)
			}
		}
	}
}

// TestOpenAPIRoutes checks that the document and the handler have the same
// operations.
func TestOpenAPIRoutes(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine { return &scripted{} }})
	var documented []string
	for p, item := range mapAt(doc, "paths") {
		for m := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	handled := e.h.Patterns()
	for _, p := range e.h.pagePaths() {
		handled = append(handled, "GET "+p)
	}
	for _, op := range documented {
		if !slices.Contains(handled, op) {
			t.Errorf("documented %s is not served", op)
		}
	}
	for _, op := range handled {
		method, path, _ := strings.Cut(op, " ")
		if _, ok := mapAt(doc, "paths", path)[strings.ToLower(method)]; !ok && isDocumentedAsset(path) {
			t.Errorf("served %s is not documented", op)
		}
	}
}

// isDocumentedAsset: the page's own scripts, styles and icons are
// described with /check rather than listed one by one.
func isDocumentedAsset(path string) bool {
	return path == "/check" || path == "/sdk/liveness.js" || strings.HasPrefix(path, "/v1/") ||
		!strings.Contains(path[1:], ".") || strings.HasSuffix(path, ".yaml")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
