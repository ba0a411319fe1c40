package httpapi

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/outbox"
)

// Metrics counts what the server does and writes it in the Prometheus text
// exposition format (version 0.0.4) at /metrics:
//
//	openliveness_http_requests_total{route,method,code}
//	openliveness_http_request_duration_seconds{route,method} (histogram)
//	openliveness_frames_total{faces="0"|"1"|"2+"}
//	openliveness_frame_analysis_seconds (histogram)
//	openliveness_sessions_created_total
//	openliveness_sessions_ended_total{status,verdict}
//	openliveness_rate_limited_total
//	openliveness_shed_total
//	openliveness_webhook_attempts_total{result="delivered"|"http_error"|"network_error"}
//	openliveness_webhook_attempt_duration_seconds (histogram)
//	openliveness_panics_total
//
// and the Go runtime's goroutines and heap. A Metrics is a
// liveness.Observer (pass it to liveness.WithObserver) and wraps a webhook
// store to count delivery attempts (WebhookStore). It is safe for
// concurrent use.
type Metrics struct {
	mu              sync.Mutex
	requests        map[[3]string]uint64
	requestSeconds  map[[2]string]*histogram
	frames          map[string]uint64
	frameSeconds    *histogram
	created         uint64
	ended           map[[2]string]uint64
	limited         uint64
	shedded         uint64
	webhookAttempts map[string]uint64
	webhookSeconds  *histogram
	panics          uint64
}

var (
	latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		requests:        map[[3]string]uint64{},
		requestSeconds:  map[[2]string]*histogram{},
		frames:          map[string]uint64{},
		frameSeconds:    newHistogram(latencyBuckets),
		ended:           map[[2]string]uint64{},
		webhookAttempts: map[string]uint64{},
		webhookSeconds:  newHistogram(latencyBuckets),
	}
}

// FrameAnalysed implements liveness.Observer.
func (m *Metrics) FrameAnalysed(d time.Duration, faces int) {
	label := "2+"
	switch faces {
	case 0:
		label = "0"
	case 1:
		label = "1"
	}
	m.mu.Lock()
	m.frames[label]++
	m.frameSeconds.observe(d.Seconds())
	m.mu.Unlock()
}

// SessionEnded implements liveness.Observer.
func (m *Metrics) SessionEnded(s *liveness.Session) {
	m.mu.Lock()
	m.ended[[2]string{string(s.Status), string(s.Verdict)}]++
	m.mu.Unlock()
}

func (m *Metrics) sessionCreated() { m.mu.Lock(); m.created++; m.mu.Unlock() }
func (m *Metrics) rateLimited()    { m.mu.Lock(); m.limited++; m.mu.Unlock() }
func (m *Metrics) shed()           { m.mu.Lock(); m.shedded++; m.mu.Unlock() }
func (m *Metrics) panicked()       { m.mu.Lock(); m.panics++; m.mu.Unlock() }

// knownMethods are the method label values; any other method counts as
// "other", so invented methods cannot grow the series.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// request counts one request. route is one of the handler's patterns (or
// "other"); method and code are bucketed, so label values stay bounded.
func (m *Metrics) request(route, method string, code int, d time.Duration) {
	if !knownMethods[method] {
		method = "other"
	}
	if code < 100 || code > 599 {
		code = 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{route, method, strconv.Itoa(code)}]++
	k := [2]string{route, method}
	h := m.requestSeconds[k]
	if h == nil {
		h = newHistogram(latencyBuckets)
		m.requestSeconds[k] = h
	}
	h.observe(d.Seconds())
}

// webhookAttempt counts one delivery attempt.
func (m *Metrics) webhookAttempt(a *outbox.Attempt) {
	result := "delivered"
	switch {
	case a.StatusCode == 0:
		result = "network_error"
	case a.StatusCode < 200 || a.StatusCode > 299:
		result = "http_error"
	}
	m.mu.Lock()
	m.webhookAttempts[result]++
	m.webhookSeconds.observe(a.Latency.Seconds())
	m.mu.Unlock()
}

// WebhookStore returns s wrapped so that every attempt the dispatcher
// records is counted; give the result to outbox.WithStore.
func (m *Metrics) WebhookStore(s outbox.Store) outbox.Store { return &countingStore{Store: s, m: m} }

type countingStore struct {
	outbox.Store
	m *Metrics
}

func (c *countingStore) UpdateDelivery(ctx context.Context, d outbox.Delivery, a *outbox.Attempt) error {
	err := c.Store.UpdateDelivery(ctx, d, a)
	if err == nil && a != nil {
		c.m.webhookAttempt(a)
	}
	return err
}

// ServeHTTP writes the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	m.WriteTo(w)
}

// WriteTo writes the metrics in the Prometheus text format. The page is
// rendered in memory first: no lock is held while writing to w, so a
// client reading slowly delays nobody else.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var page bytes.Buffer
	m.render(&page)
	return page.WriteTo(w)
}

// render writes the page to b.
func (m *Metrics) render(b *bytes.Buffer) {
	cw := &countWriter{w: b}
	m.mu.Lock()
	family(cw, "openliveness_http_requests_total", "counter", "HTTP requests by route, method and status code.")
	for _, k := range sortedKeys(m.requests, func(k [3]string) string { return k[0] + "\x00" + k[1] + "\x00" + k[2] }) {
		sample(cw, "openliveness_http_requests_total", labels("route", k[0], "method", k[1], "code", k[2]), float64(m.requests[k]))
	}
	family(cw, "openliveness_http_request_duration_seconds", "histogram", "HTTP request latency by route and method.")
	for _, k := range sortedKeys(m.requestSeconds, func(k [2]string) string { return k[0] + "\x00" + k[1] }) {
		m.requestSeconds[k].write(cw, "openliveness_http_request_duration_seconds", labels("route", k[0], "method", k[1]))
	}
	family(cw, "openliveness_frames_total", "counter", "Frames analysed, by number of faces found.")
	for _, k := range []string{"0", "1", "2+"} {
		sample(cw, "openliveness_frames_total", labels("faces", k), float64(m.frames[k]))
	}
	family(cw, "openliveness_frame_analysis_seconds", "histogram", "Time to analyse one frame (face, landmarks, spoof).")
	m.frameSeconds.write(cw, "openliveness_frame_analysis_seconds", "")
	family(cw, "openliveness_sessions_created_total", "counter", "Sessions created.")
	sample(cw, "openliveness_sessions_created_total", "", float64(m.created))
	family(cw, "openliveness_sessions_ended_total", "counter", "Sessions ended, by status and verdict.")
	for _, k := range sortedKeys(m.ended, func(k [2]string) string { return k[0] + "\x00" + k[1] }) {
		sample(cw, "openliveness_sessions_ended_total", labels("status", k[0], "verdict", k[1]), float64(m.ended[k]))
	}
	family(cw, "openliveness_rate_limited_total", "counter", "Frame submissions refused by the rate limit.")
	sample(cw, "openliveness_rate_limited_total", "", float64(m.limited))
	family(cw, "openliveness_shed_total", "counter", "Verify requests answered 503 because the in-flight budgets were full.")
	sample(cw, "openliveness_shed_total", "", float64(m.shedded))
	family(cw, "openliveness_webhook_attempts_total", "counter", "Webhook delivery attempts by result.")
	for _, k := range []string{"delivered", "http_error", "network_error"} {
		sample(cw, "openliveness_webhook_attempts_total", labels("result", k), float64(m.webhookAttempts[k]))
	}
	family(cw, "openliveness_webhook_attempt_duration_seconds", "histogram", "Webhook attempt latency.")
	m.webhookSeconds.write(cw, "openliveness_webhook_attempt_duration_seconds", "")
	family(cw, "openliveness_panics_total", "counter", "Handler panics recovered (always a bug).")
	sample(cw, "openliveness_panics_total", "", float64(m.panics))
	m.mu.Unlock()

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	family(cw, "go_goroutines", "gauge", "Number of goroutines.")
	sample(cw, "go_goroutines", "", float64(runtime.NumGoroutine()))
	family(cw, "go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	sample(cw, "go_memstats_heap_alloc_bytes", "", float64(ms.HeapAlloc))
	family(cw, "go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.")
	sample(cw, "go_memstats_heap_inuse_bytes", "", float64(ms.HeapInuse))
	family(cw, "go_memstats_sys_bytes", "gauge", "Bytes obtained from the system.")
	sample(cw, "go_memstats_sys_bytes", "", float64(ms.Sys))
	family(cw, "go_gc_cycles_total", "counter", "Completed GC cycles.")
	sample(cw, "go_gc_cycles_total", "", float64(ms.NumGC))
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) WriteString(s string) {
	if c.err != nil {
		return
	}
	n, err := io.WriteString(c.w, s)
	c.n += int64(n)
	c.err = err
}

func family(w *countWriter, name, typ, help string) {
	w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

func sample(w *countWriter, name, lbls string, v float64) {
	w.WriteString(name + lbls + " " + formatFloat(v) + "\n")
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// labels formats {k1="v1",k2="v2"} with escaped values.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func sortedKeys[K comparable, V any](m map[K]V, str func(K) string) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return str(keys[i]) < str(keys[j]) })
	return keys
}

// histogram is a cumulative Prometheus histogram.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	count  uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.counts[i]++
	h.sum += v
	h.count++
}

// write writes the _bucket, _sum and _count samples; lbls is "" or
// "{k="v",...}".
func (h *histogram) write(w *countWriter, name, lbls string) {
	inner := strings.TrimSuffix(strings.TrimPrefix(lbls, "{"), "}")
	if inner != "" {
		inner += ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		sample(w, name+"_bucket", "{"+inner+`le="`+formatFloat(b)+`"}`, float64(cum))
	}
	cum += h.counts[len(h.bounds)]
	sample(w, name+"_bucket", "{"+inner+`le="+Inf"}`, float64(cum))
	sample(w, name+"_sum", lbls, h.sum)
	sample(w, name+"_count", lbls, float64(h.count))
}
