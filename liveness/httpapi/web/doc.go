// Package web holds the browser side of the liveness HTTP API, embedded in
// the binary: the hosted capture page (/check?s={session_id}&t={client_token})
// and the browser SDK (/sdk/liveness.js, an ES module). No build step: the
// files in this directory are served as they are.
//
// [NewHandler] serves them with the page's security headers: a
// Content-Security-Policy without inline script and with frame-ancestors
// from configuration, Permissions-Policy: camera=(self), nosniff and
// no-referrer. Mount it at the API root (the page and the SDK reach the API
// with relative URLs, so a path prefix works when the API shares it):
//
//	h, err := web.NewHandler(web.Options{FrameAncestors: []string{"https://app.example.com"}})
//	if err != nil { ... }
//	for _, p := range h.Paths() { // "/check", "/check.js", "/sdk/liveness.js"...
//		mux.Handle(p, h)
//	}
//
// Files: check.html, check.js and check.css (the page), i18n.js (every
// string of the page in en, de, fr, es, pt, hi, zh-Hans and ar), icons/*.svg
// and sdk/liveness.js.
//
// The directory is also the npm package @openliveness/web (package.json):
// the SDK, the strings and a React component (react/index.js), with
// TypeScript declarations (*.d.ts) checked by `npm run check` (tsc
// --noEmit). Only the page's files above are embedded and served.
package web
