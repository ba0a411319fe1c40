package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/liveness/apikey"
)

// Invented methods and unknown paths share one label value each: the
// metrics page does not grow with them.
func TestMetricsLabelsBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	for i := range 200 {
		r := httptest.NewRequest("GET", "http://liveness.test/", nil)
		r.Method = strings.Repeat("X", 1000) + string(rune('A'+i%26)) + strings.Repeat("Y", i)
		r.URL.Path = "/nowhere/" + strings.Repeat("z", i)
		e.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, httptest.NewRequest("GET", "http://liveness.test/metrics", nil))
	require.Equal(t, http.StatusOK, w.Code)
	page := w.Body.String()
	assert.Contains(t, page, `openliveness_http_requests_total{route="other",method="other",code="404"} 200`)
	assert.NotContains(t, page, "XXXX")
	assert.Less(t, len(page), 64<<10)
}

// stuckWriter blocks its first write until released.
type stuckWriter struct{ release chan struct{} }

func (s stuckWriter) Write(p []byte) (int, error) { <-s.release; return len(p), nil }

// A client reading /metrics slowly holds no lock: requests are counted
// while it is stuck.
func TestMetricsWriteHoldsNoLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMetrics()
		release := make(chan struct{})
		done := make(chan struct{})
		go func() { m.WriteTo(stuckWriter{release}); close(done) }()
		synctest.Wait() // the writer is stuck inside Write
		counted := make(chan struct{})
		go func() { m.request("/healthz", "GET", 200, time.Millisecond); close(counted) }()
		synctest.Wait()
		select {
		case <-counted:
		default:
			t.Fatal("a request waited for the metrics writer")
		}
		close(release)
		<-done
	})
}

// WithoutMetricsRoute leaves /metrics to a separate listener.
func TestWithoutMetricsRoute(t *testing.T) {
	keys := apikey.NewMemoryStore()
	_, _, err := apikey.Create(context.Background(), keys, "t", chacha(5), time.Now())
	require.NoError(t, err)
	h, err := New(newEngine(t, newClock()), WithKeys(apikey.Verifier{Store: keys}), WithLogger(discard()), WithoutMetricsRoute(), WithoutHostedPage())
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://liveness.test/metrics", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	var b strings.Builder
	_, err = h.Metrics().WriteTo(&b)
	require.NoError(t, err)
	assert.Contains(t, b.String(), `openliveness_http_requests_total{route="other",method="GET",code="404"} 1`)
}
