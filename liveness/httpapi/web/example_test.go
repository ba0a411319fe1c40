package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/openliveness/openliveness/liveness/httpapi/web"
)

func ExampleNewHandler() {
	h, err := web.NewHandler(web.Options{FrameAncestors: []string{"https://app.example.com"}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	for _, p := range h.Paths() {
		mux.Handle(p, h)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/check?s=abc&t=xyz", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Header().Get("Permissions-Policy"))
	// Output:
	// 200 text/html; charset=utf-8
	// camera=(self)
}

func ExampleContentSecurityPolicy() {
	csp, err := web.ContentSecurityPolicy([]string{"https://app.example.com"})
	if err != nil {
		panic(err)
	}
	fmt.Println(csp)
	// Output:
	// default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors https://app.example.com; base-uri 'none'; form-action 'self'
}
