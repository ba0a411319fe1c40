package httpapi

import (
	"fmt"
	"net/http"
	"strings"
)

// corsPolicy answers cross-origin requests of the SDK on a customer's page.
// Only the session routes the browser uses take part; the API key header
// is never allowed cross-origin (the browser never holds a key).
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

const corsAllowHeaders = "Authorization, Content-Type"

func newCORSPolicy(list []string) (corsPolicy, error) {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range list {
		if o == "*" {
			p.any = true
			continue
		}
		origin, ok := parseOrigin(o)
		if !ok {
			return p, fmt.Errorf("httpapi: CORS origin %q is not an origin such as https://app.example.com", o)
		}
		p.origins[origin] = true
	}
	return p, nil
}

func (p corsPolicy) allowed(origin string) bool {
	if origin == "" {
		return false
	}
	return p.any || p.origins[strings.ToLower(origin)]
}

// apply adds the CORS headers of an actual request from an allowed origin.
func (p corsPolicy) apply(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if !p.allowed(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Retry-After")
}

// preflight answers OPTIONS: 204 with the allowed methods and headers for
// an allowed origin, 403 otherwise.
func (p corsPolicy) preflight(w http.ResponseWriter, r *http.Request, methods map[string]http.HandlerFunc) {
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	if !p.allowed(origin) {
		writeError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if _, ok := methods[method]; !ok {
		writeError(w, http.StatusForbidden, "method not allowed for cross-origin requests")
		return
	}
	for _, hd := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		switch strings.ToLower(strings.TrimSpace(hd)) {
		case "", "authorization", "content-type":
		default:
			writeError(w, http.StatusForbidden, "header not allowed for cross-origin requests")
			return
		}
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", method)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
