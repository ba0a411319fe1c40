package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed check.html check.js check.css i18n.js icons/*.svg sdk/liveness.js
var files embed.FS

// FS returns the embedded files, with their paths as in this directory
// ("check.html", "sdk/liveness.js", "icons/blink.svg"...).
func FS() fs.FS { return files }

// ErrOrigin reports a frame-ancestors entry that is not an origin such as
// "https://app.example.com" (scheme, host and optional port, nothing else)
// nor one of the CSP keywords 'self' and 'none'.
var ErrOrigin = errors.New("web: invalid frame-ancestors origin")

// Options configures [NewHandler].
type Options struct {
	// FrameAncestors lists the origins allowed to embed the hosted page in
	// an iframe or a WebView frame ("https://app.example.com", or 'self').
	// Empty means 'none': the page cannot be framed.
	FrameAncestors []string
}

// Handler serves the page, its assets and the SDK. It is safe for
// concurrent use; its content never changes after NewHandler.
type Handler struct {
	csp   string
	files map[string]asset // by URL path, "/check", "/check.js"...
}

type asset struct {
	data        []byte
	contentType string
	etag        string
}

// Content types of the served files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// NewHandler returns a handler for the embedded files. It fails with
// [ErrOrigin] when a frame ancestor is not a valid origin.
func NewHandler(opts Options) (*Handler, error) {
	csp, err := ContentSecurityPolicy(opts.FrameAncestors)
	if err != nil {
		return nil, err
	}
	h := &Handler{csp: csp, files: make(map[string]asset)}
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		urlPath := "/" + p
		if p == "check.html" {
			urlPath = "/check"
		}
		h.files[urlPath] = asset{
			data:        data,
			contentType: contentTypes[path.Ext(p)],
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: reading embedded files: %w", err)
	}
	return h, nil
}

// Paths returns the URL paths the handler serves, sorted: "/check",
// "/check.css", "/check.js", "/i18n.js", "/icons/....svg", "/sdk/liveness.js".
func (h *Handler) Paths() []string {
	out := make([]string, 0, len(h.files))
	for p := range h.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP serves GET and HEAD for [Handler.Paths], 404 for other paths and
// 405 for other methods. Every answer carries the security headers; the SDK
// module also allows cross-origin loading (Access-Control-Allow-Origin: *),
// since third-party pages import it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header(), h.csp)
	a, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("ETag", a.etag)
	hd.Set("Cache-Control", "no-cache")
	if r.URL.Path == "/sdk/liveness.js" {
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// ContentSecurityPolicy returns the page's policy with the given frame
// ancestors ('none' when empty). It fails with [ErrOrigin] for an entry that
// is neither an origin nor 'self'/'none'.
func ContentSecurityPolicy(frameAncestors []string) (string, error) {
	anc := make([]string, 0, len(frameAncestors))
	for _, o := range frameAncestors {
		v, err := sourceExpression(o)
		if err != nil {
			return "", err
		}
		anc = append(anc, v)
	}
	if len(anc) == 0 {
		anc = []string{"'none'"}
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src 'self' blob:; connect-src 'self'; frame-ancestors " + strings.Join(anc, " ") +
		"; base-uri 'none'; form-action 'self'", nil
}

// sourceExpression validates one frame-ancestors entry.
func sourceExpression(o string) (string, error) {
	switch o {
	case "'self'", "'none'":
		return o, nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(o, " \t\r\n;,'\"") {
		return "", fmt.Errorf("%w: %q", ErrOrigin, o)
	}
	return u.Scheme + "://" + u.Host, nil
}

// SetSecurityHeaders sets the headers of the hosted page on h, with csp from
// [ContentSecurityPolicy].
func SetSecurityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("Permissions-Policy", "camera=(self)")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
