// Package webtest tests the browser side of the liveness HTTP API (the
// hosted page /check and the SDK /sdk/liveness.js of package web) in a real
// browser, against any server implementing the API.
//
// [Server] is an in-memory mock of the API whose frame verdicts come from a
// [Judge], so tests can script passes, failures, throttling (429) and
// dropped requests, and inspect every [Submission] (frames, bursts,
// timing). [APISessions] creates sessions on any server, as a backend does;
// a [Target] pairs a base URL with it, so the same browser tests run
// against the mock or the real handler.
//
// [Browser] runs a [Job] in Debian's headless Chromium with a fake camera
// playing an MJPEG file ([WriteStillMJPEG] makes one from a photo), driven
// by browser/driver.mjs with playwright-core (install with
// `npm ci --prefix liveness/httpapi/webtest/browser`). It serves partner
// pages on http://localhost (another site than the API on 127.0.0.1): one
// embedding the hosted page in an iframe, one using the SDK. The browser
// tests carry the build tag "browser":
//
//	go test -tags browser -run Browser -count=1 ./liveness/httpapi/webtest/
//
// and skip with a message when Chromium, node, node_modules or the shared
// face data are absent. Screenshots go to $OPENLIVENESS_SCREENSHOTS (default
// a new temporary directory); their paths are logged.
//
// To run a job against another server, configure it with the partner
// origin [Browser.Origin] (frame-ancestors, CORS for the SDK) and build a
// Target:
//
//	b := webtest.NewBrowser(t)
//	ts := httptest.NewServer(realHandler) // frame ancestors and CORS: b.Origin()
//	target := webtest.Target{BaseURL: ts.URL, NewSession: webtest.APISessions(ts.URL, apiKey, ts.Client())}
//	sess, _ := target.NewSession(ctx, webtest.SessionRequest{Challenges: []string{"BLINK"}, ParentOrigin: b.Origin()})
//	res, err := b.Run(ctx, t, webtest.Job{Scenario: webtest.ScenarioIframe, Video: video, Target: target, Session: sess})
//	// res.Messages(), res.SDK(), res.LastText("result-title"), res.CSPViolations()...
package webtest
