package webtest

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/internal/testenv"
)

// Environment variables read by [NewBrowser].
const (
	// EnvChromium overrides the Chromium binary (default /usr/bin/chromium).
	EnvChromium = "OPENLIVENESS_CHROMIUM"
	// EnvScreenshots names the directory for screenshots (default: a new
	// temporary directory, kept after the test so the files can be viewed).
	EnvScreenshots = "OPENLIVENESS_SCREENSHOTS"
)

//go:embed pages
var pagesFS embed.FS

// Scenario names what a [Job] opens.
type Scenario string

// Scenarios.
const (
	// ScenarioIframe opens a partner page on another site embedding the
	// hosted page in <iframe allow="camera">; the partner page listens for
	// liveness_result.
	ScenarioIframe Scenario = "iframe"
	// ScenarioPage opens the hosted page as the top-level page (a browser
	// tab or a WebView).
	ScenarioPage Scenario = "page"
	// ScenarioSDK opens a partner page on another site that imports
	// /sdk/liveness.js from the API and calls run().
	ScenarioSDK Scenario = "sdk"
	// ScenarioCustom opens Job.URL, clicks Job.Click (if set), and waits
	// until the text of Job.Until contains Job.UntilText.
	ScenarioCustom Scenario = "custom"
)

// Browser runs browser jobs: headless Chromium with a fake camera, driven
// by browser/driver.mjs (node and playwright-core), plus a small server of
// partner pages on http://localhost:PORT (another site than the API on
// http://127.0.0.1). It is safe for concurrent use, but jobs are heavy:
// run them one at a time on small machines.
type Browser struct {
	chromium  string
	node      string
	driverDir string
	shots     string
	pages     *httptest.Server
	mux       *http.ServeMux
	origin    string
}

// NewBrowser prepares a Browser or skips the test with a message saying
// what is missing: Chromium, node, or the driver's node_modules (install
// them with `npm ci --prefix liveness/httpapi/webtest/browser`). The
// partner page server stops when the test ends.
func NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	chromium := os.Getenv(EnvChromium)
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		testenv.Missing(tb, "skipping: Chromium not found at %s (apt-get install chromium, or set %s)", chromium, EnvChromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(tb, "skipping: node not found in PATH (apt-get install nodejs npm)")
	}
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		testenv.Missing(tb, "skipping: cannot locate the webtest package sources")
	}
	driverDir := filepath.Join(filepath.Dir(self), "browser")
	if _, err := os.Stat(filepath.Join(driverDir, "node_modules", "playwright-core", "package.json")); err != nil {
		testenv.Missing(tb, "skipping: playwright-core is not installed in %s (run: npm ci --prefix %s)", driverDir, driverDir)
	}
	shots := os.Getenv(EnvScreenshots)
	if shots == "" {
		shots, err = os.MkdirTemp("", "openliveness-screenshots-")
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		tb.Fatal(err)
	}
	sub, err := fs.Sub(pagesFS, "pages")
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(sub))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &Browser{
		chromium:  chromium,
		node:      node,
		driverDir: driverDir,
		shots:     shots,
		pages:     srv,
		mux:       mux,
		origin:    "http://localhost:" + u.Port(),
	}
}

// Bundle bundles a JavaScript or JSX entry file into one ES module with
// the driver's esbuild, resolving packages (react, react-dom) from its
// node_modules. It skips the test when esbuild is not installed.
func (b *Browser) Bundle(tb testing.TB, entry string) []byte {
	tb.Helper()
	esbuild := filepath.Join(b.driverDir, "node_modules", ".bin", "esbuild")
	if _, err := os.Stat(esbuild); err != nil {
		testenv.Missing(tb, "skipping: esbuild is not installed (run: npm ci --prefix %s)", b.driverDir)
	}
	out := filepath.Join(tb.TempDir(), "bundle.js")
	cmd := exec.Command(esbuild, entry, "--bundle", "--format=esm", "--jsx=automatic",
		"--define:process.env.NODE_ENV=\"production\"", "--log-level=error", "--outfile="+out)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(b.driverDir, "node_modules"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("esbuild %s: %v\n%s", entry, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Handle adds a handler to the partner page server (for example a page
// under test or a partner backend endpoint), as http.ServeMux.Handle.
func (b *Browser) Handle(pattern string, h http.Handler) { b.mux.Handle(pattern, h) }

// Origin returns the origin of the partner pages, "http://localhost:PORT".
// Configure the server under test with it: frame-ancestors, CORS, and the
// session's parent_origin.
func (b *Browser) Origin() string { return b.origin }

// URL returns the URL of a partner page path ("/landed.html").
func (b *Browser) URL(path string) string { return b.origin + path }

// ScreenshotDir returns where screenshots are written.
func (b *Browser) ScreenshotDir() string { return b.shots }

// Job is one browser run.
type Job struct {
	// Name prefixes the screenshot files (test names are sanitised).
	Name     string
	Scenario Scenario
	// Video is the MJPEG file the fake camera plays (looped).
	Video string
	// Target is the server under test; Session one of its sessions.
	Target  Target
	Session Session
	// DenyCamera makes getUserMedia fail with NotAllowedError.
	DenyCamera bool
	// NativeChannels defines window.ReactNativeWebView and window.LivenessResult
	// (a Flutter JavaScript channel) before the page loads, as a WebView does.
	NativeChannels bool
	// ExpectRedirect is the URL the page should navigate to after the result.
	ExpectRedirect string
	// AbortAfter makes the SDK page abort run() this long after the first
	// challenge (ScenarioSDK only).
	AbortAfter time.Duration
	// Timeout bounds the whole run (default 60 s).
	Timeout time.Duration
	// Settle keeps the page open this long after the result, to observe
	// that nothing more is sent.
	Settle time.Duration
	// Width and Height of the viewport (default 480×900).
	Width, Height int
	// For ScenarioCustom: the page, the selector to click, and the element
	// whose text must come to contain UntilText.
	URL, Click, Until, UntilText string
	// Clicks are more selectors clicked in order after Click, each once
	// visible; Frame, when set, is the iframe of URL they are all in.
	Clicks []string
	Frame  string
}

// Event is one observation the page reported (see browser/driver.mjs).
type Event struct {
	Kind string          `json:"kind"` // csp, message, react_native, flutter, a11y, text, icon, screen, sdk, sdk_challenge, sdk_error
	Data json.RawMessage `json:"data"`
	Href string          `json:"href"` // the reporting document's URL
	Top  bool            `json:"top"`  // reported by the top-level document
	T    int64           `json:"t"`    // Unix milliseconds
}

// Request is one API request the browser made.
type Request struct {
	Method  string `json:"method"`
	URL     string `json:"url"`
	T       int64  `json:"t"` // Unix milliseconds when it started
	Bytes   int    `json:"bytes"`
	Status  int    `json:"status"`
	Failure string `json:"failure"`
}

// ConsoleMessage is a console error or warning of any frame.
type ConsoleMessage struct {
	Type string `json:"type"`
	Text string `json:"text"`
	URL  string `json:"url"`
}

// Result is what a job observed.
type Result struct {
	Version      string            `json:"version"` // Chromium version
	Events       []Event           `json:"events"`
	Requests     []Request         `json:"requests"`
	Console      []ConsoleMessage  `json:"console"`
	PageErrors   []string          `json:"pageErrors"`
	Screenshots  []string          `json:"screenshots"`
	CheckHeaders map[string]string `json:"checkHeaders"` // response headers of the /check document
	FinalURL     string            `json:"finalURL"`
	FrameURLs    []string          `json:"frameURLs"`
	Error        string            `json:"error"`     // a driver failure (timeouts are not errors)
	UntilText    string            `json:"untilText"` // ScenarioCustom: the last text of Job.Until
}

// Kind returns the events of one kind, in order.
func (r *Result) Kind(kind string) []Event {
	var out []Event
	for _, e := range r.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Texts returns the successive texts of a live element of the hosted page
// ("prompt", "feedback", "status", "result-title", "error-title"...).
func (r *Result) Texts(id string) []string {
	var out []string
	for _, e := range r.Kind("text") {
		var d struct{ ID, Text string }
		if json.Unmarshal(e.Data, &d) == nil && d.ID == id {
			out = append(out, d.Text)
		}
	}
	return out
}

// LastText returns the last text of a live element, or "".
func (r *Result) LastText(id string) string {
	t := r.Texts(id)
	if len(t) == 0 {
		return ""
	}
	return t[len(t)-1]
}

// Message is a liveness_result message as received.
type Message struct {
	Origin string        // sender origin (window messages only)
	Top    bool          // received by the top-level window
	Href   string        // receiving document
	Data   LivenessEvent // the message
}

// LivenessEvent is the liveness_result message of the hosted page.
type LivenessEvent struct {
	Type      string   `json:"type"`
	Passed    bool     `json:"passed"`
	Score     *float64 `json:"score"`
	SessionID string   `json:"session_id"`
	Status    string   `json:"status"`
	Reason    string   `json:"reason"`
}

// Messages returns the liveness_result window messages, each with the
// receiving document.
func (r *Result) Messages() []Message {
	var out []Message
	for _, e := range r.Kind("message") {
		var d struct {
			Origin string
			Data   LivenessEvent
		}
		if json.Unmarshal(e.Data, &d) == nil {
			out = append(out, Message{Origin: d.Origin, Top: e.Top, Href: e.Href, Data: d.Data})
		}
	}
	return out
}

// Native returns the messages posted to a native channel ("react_native"
// or "flutter"), decoded from their JSON strings.
func (r *Result) Native(kind string) ([]LivenessEvent, error) {
	var out []LivenessEvent
	for _, e := range r.Kind(kind) {
		var s string
		if err := json.Unmarshal(e.Data, &s); err != nil {
			return nil, fmt.Errorf("%s channel got a non-string %s", kind, e.Data)
		}
		var m LivenessEvent
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("%s channel got %q: %w", kind, s, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// SDKResult is what run() resolved to, or why it rejected.
type SDKResult struct {
	Passed    bool     `json:"passed"`
	Score     *float64 `json:"score"`
	SessionID string   `json:"sessionId"`
	Status    string   `json:"status"`
	Reason    string   `json:"reason"`
	// Set when run() rejected:
	Name          string `json:"name"`
	Code          string `json:"code"`
	Message       string `json:"message"`
	CameraStopped bool   `json:"cameraStopped"`
	Rejected      bool   `json:"-"`
}

// SDK returns the SDK page's outcome, false when it reported none.
func (r *Result) SDK() (SDKResult, bool) {
	for _, e := range r.Events {
		if e.Kind == "sdk" || e.Kind == "sdk_error" {
			var s SDKResult
			if json.Unmarshal(e.Data, &s) != nil {
				return SDKResult{}, false
			}
			s.Rejected = e.Kind == "sdk_error"
			return s, true
		}
	}
	return SDKResult{}, false
}

// CSPViolations returns the securitypolicyviolation events of every frame
// and the console messages in which Chromium reports a refused resource.
func (r *Result) CSPViolations() []string {
	var out []string
	for _, e := range r.Kind("csp") {
		out = append(out, e.Href+": "+string(e.Data))
	}
	for _, c := range r.Console {
		if strings.Contains(c.Text, "Content Security Policy") || strings.Contains(c.Text, "Refused to") {
			out = append(out, c.URL+": "+c.Text)
		}
	}
	return out
}

// Run runs one job. It returns an error when the driver could not run or
// reported a failure; timeouts while waiting are not errors (the result
// then lacks what did not happen). Driver progress is logged to tb.
func (b *Browser) Run(ctx context.Context, tb testing.TB, job Job) (*Result, error) {
	tb.Helper()
	if job.Timeout == 0 {
		job.Timeout = 60 * time.Second
	}
	if job.Video == "" {
		return nil, errors.New("webtest: job without a video")
	}
	var target string
	switch job.Scenario {
	case ScenarioIframe:
		target = b.origin + "/parent.html?src=" + url.QueryEscape(job.Session.HostedURL)
	case ScenarioPage:
		target = job.Session.HostedURL
	case ScenarioSDK:
		q := url.Values{"api": {job.Target.BaseURL}, "s": {job.Session.ID}, "t": {job.Session.ClientToken}}
		if job.AbortAfter > 0 {
			q.Set("abort_after_ms", fmt.Sprint(job.AbortAfter.Milliseconds()))
		}
		target = b.origin + "/sdk.html?" + q.Encode()
	case ScenarioCustom:
		target = job.URL
	default:
		return nil, fmt.Errorf("webtest: unknown scenario %q", job.Scenario)
	}
	name := job.Name
	if name == "" {
		name = tb.Name()
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, name)
	in, err := json.Marshal(map[string]any{
		"chromium":       b.chromium,
		"video":          job.Video,
		"scenario":       job.Scenario,
		"url":            target,
		"denyCamera":     job.DenyCamera,
		"nativeChannels": job.NativeChannels,
		"expectRedirect": job.ExpectRedirect,
		"timeoutMs":      job.Timeout.Milliseconds(),
		"settleMs":       job.Settle.Milliseconds(),
		"screenshots":    b.shots,
		"name":           name,
		"width":          job.Width,
		"height":         job.Height,
		"click":          job.Click,
		"until":          job.Until,
		"untilText":      job.UntilText,
		"clicks":         job.Clicks,
		"frame":          job.Frame,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, job.Timeout+60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, "driver.mjs")
	cmd.Dir = b.driverDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("webtest: starting the driver: %w", err)
	}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		tb.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("webtest: driver: %w; output: %.2000s", err, stdout.String())
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("webtest: driver output: %w: %.2000s", err, stdout.String())
	}
	for _, s := range res.Screenshots {
		tb.Logf("screenshot: %s", s)
	}
	if res.Error != "" {
		return &res, fmt.Errorf("webtest: driver failed: %s", res.Error)
	}
	return &res, nil
}
