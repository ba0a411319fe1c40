package web

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/openliveness/openliveness/challenge"
)

func TestHandlerServesAssetsWithHeaders(t *testing.T) {
	h, err := NewHandler(Options{FrameAncestors: []string{"https://app.example.com", "'self'"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, contentType string
		cors              bool
	}{
		{"/check", "text/html; charset=utf-8", false},
		{"/check.js", "text/javascript; charset=utf-8", false},
		{"/check.css", "text/css; charset=utf-8", false},
		{"/i18n.js", "text/javascript; charset=utf-8", false},
		{"/icons/blink.svg", "image/svg+xml", false},
		{"/sdk/liveness.js", "text/javascript; charset=utf-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path+"?s=1&t=2", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			hd := rec.Header()
			want := map[string]string{
				"Content-Type":           tt.contentType,
				"Permissions-Policy":     "camera=(self)",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"Cache-Control":          "no-cache",
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
					"media-src 'self' blob:; connect-src 'self'; frame-ancestors https://app.example.com 'self'; base-uri 'none'; form-action 'self'",
			}
			for k, v := range want {
				if got := hd.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := hd.Get("Access-Control-Allow-Origin"); (got == "*") != tt.cors {
				t.Errorf("Access-Control-Allow-Origin = %q, want cross-origin %v", got, tt.cors)
			}
			if rec.Body.Len() == 0 {
				t.Error("empty body")
			}
			// Revalidation with the ETag.
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("If-None-Match", hd.Get("ETag"))
			rec2 := httptest.NewRecorder()
			h.ServeHTTP(rec2, req)
			if rec2.Code != http.StatusNotModified {
				t.Errorf("revalidation status %d, want 304", rec2.Code)
			}
		})
	}
}

func TestHandlerRejects(t *testing.T) {
	h, err := NewHandler(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/check.html", http.StatusNotFound},
		{http.MethodGet, "/doc.go", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodPost, "/check", http.StatusMethodNotAllowed},
		{http.MethodHead, "/check", http.StatusOK},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
		if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s: CSP %q", tt.method, tt.path, rec.Header().Get("Content-Security-Policy"))
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	tests := []struct {
		in      []string
		want    string // the frame-ancestors value
		wantErr bool
	}{
		{nil, "'none'", false},
		{[]string{"'self'"}, "'self'", false},
		{[]string{"https://a.example", "http://localhost:8080/"}, "https://a.example http://localhost:8080", false},
		{[]string{"https://a.example; script-src *"}, "", true},
		{[]string{"https://a.example/path"}, "", true},
		{[]string{"*"}, "", true},
		{[]string{"javascript:alert(1)"}, "", true},
		{[]string{"https://user@a.example"}, "", true},
		{[]string{"https://a.example?x"}, "", true},
		{[]string{""}, "", true},
		{[]string{"'unsafe-inline'"}, "", true},
	}
	for _, tt := range tests {
		got, err := ContentSecurityPolicy(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrOrigin) {
				t.Errorf("%q: err = %v, want ErrOrigin", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !strings.Contains(got, "; frame-ancestors "+tt.want+"; ") {
			t.Errorf("%q: %q lacks frame-ancestors %s", tt.in, got, tt.want)
		}
	}
}

func FuzzContentSecurityPolicy(f *testing.F) {
	for _, s := range []string{"https://a.example", "'self'", "http://[::1]:80", "https://a.example; x", "https://a.example 'unsafe-inline'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		csp, err := ContentSecurityPolicy([]string{origin})
		if err != nil {
			return
		}
		// Whatever the input, the policy keeps its nine directives and a
		// single frame-ancestors source.
		parts := strings.Split(csp, "; ")
		if len(parts) != 9 {
			t.Fatalf("%q gave %d directives: %q", origin, len(parts), csp)
		}
		if f := strings.Fields(parts[6]); len(f) != 2 || f[0] != "frame-ancestors" {
			t.Fatalf("%q gave %q", origin, parts[6])
		}
	})
}

// TestAssetsSelfContained checks what the CSP would otherwise block at run
// time or what would leak a request off the server: inline scripts, inline
// styles and event handlers, and absolute URLs in src, href, imports and CSS.
func TestAssetsSelfContained(t *testing.T) {
	checks := []struct {
		ext string
		bad *regexp.Regexp
	}{
		{".html", regexp.MustCompile(`\sstyle=|\son[a-z]+=|(?:src|href)="(?:[a-z]+:)?//|<style`)},
		{".css", regexp.MustCompile(`url\(|@import`)},
		{".js", regexp.MustCompile(`(?m)^\s*import\s[^;]*from\s+'(?:https?:)?//|\bimport\(\s*'(?:https?:)?//|\beval\(|new Function\(|innerHTML|document\.write|setAttribute\('style'`)},
		{".svg", regexp.MustCompile(`<script|href=|\son[a-z]+=|style=`)},
	}
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".html") {
			for _, m := range scriptTag.FindAllSubmatch(data, -1) {
				if !strings.Contains(string(m[1]), ` src="`) || strings.TrimSpace(string(m[2])) != "" {
					t.Errorf("%s: inline script %q", p, m[0])
				}
			}
		}
		for _, c := range checks {
			if strings.HasSuffix(p, c.ext) {
				if m := c.bad.Find(data); m != nil {
					t.Errorf("%s: %q is not allowed under the page's CSP or leaves the server", p, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var scriptTag = regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)

// TestStrings checks that every string key the page uses exists in
// i18n.js, and that every challenge has a text and an icon.
func TestStrings(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	i18n := read("i18n.js")
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+'?([a-zA-Z0-9_.]+)'?:`).FindAllStringSubmatch(i18n, -1) {
		defined[m[1]] = true
	}
	if len(defined) < 50 {
		t.Fatalf("found only %d strings in i18n.js", len(defined))
	}
	var used []string
	for _, m := range regexp.MustCompile(`data-i18n(?:-label)?="([^"]+)"`).FindAllStringSubmatch(read("check.html"), -1) {
		used = append(used, m[1])
	}
	for _, m := range regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'\s*[,)]`).FindAllStringSubmatch(read("check.js"), -1) {
		used = append(used, m[1])
	}
	if len(used) < 20 {
		t.Fatalf("found only %d string uses", len(used))
	}
	for _, k := range used {
		if !defined[k] {
			t.Errorf("string %q is used but not defined in i18n.js", k)
		}
	}
	for _, id := range challenge.IDs() {
		if !defined["challenge."+id.String()] {
			t.Errorf("no text for challenge %s", id)
		}
		if _, err := fs.Stat(FS(), "icons/"+strings.ToLower(id.String())+".svg"); err != nil {
			t.Errorf("no icon for challenge %s: %v", id, err)
		}
		if !strings.Contains(read("check.js"), id.String()+": '"+strings.ToLower(id.String())+"'") {
			t.Errorf("check.js does not map %s to its icon", id)
		}
	}
	for _, hint := range []string{"no_face", "several_faces", "many_faces", "move_closer", "frontal", "face_camera", "more_light", "hold", "baseline", "slow_blink", "connection"} {
		if !defined["hint."+hint] {
			t.Errorf("no text for hint %q", hint)
		}
	}
}
