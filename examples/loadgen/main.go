// Command loadgen measures the reference server under load: many
// concurrent sessions, each posting real 640×480 JPEG frames at the
// hosted page's cadence, for a bounded time, against a server on this
// machine only (loopback).
//
// Usage:
//
//	go run ./examples/server -dev-api-key dev-key-for-load-tests &
//	go run ./examples/loadgen -key dev-key-for-load-tests -duration 20s -sessions 60
//
// or, with the server in the same process (exact heap measurements):
//
//	go run ./examples/loadgen -inprocess -duration 20s -sessions 60
//
// (add -data-dir DIR to keep the in-process server's sessions in bbolt
// and its evidence in files, as the server's -data-dir does)
//
// Frames come from ../shared/facedata/video/*.mjpeg when present (real
// 640×480 webcam and selfie videos, every session starting at its own
// offset), otherwise from testdata/face.jpg placed on a 640×480 canvas at
// a slowly moving position. Each session sends one frame every -interval
// (800 ms, the page's default) or, with -burst N, N frames taken
// -burst-interval apart per request (with -burst-sessions M, only M more
// sessions send bursts, as BLINK sessions do, besides the -sessions ones
// sending single frames); a session that ends is replaced by a
// new one. The report gives frames analysed per second, the latency of
// verify requests (p50, p90, p99, max), errors by status, the server's
// mean analysis time per frame and the heap per session.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/boltstore"
	"github.com/openliveness/openliveness/liveness/evidence"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	url           string
	key           string
	inprocess     bool
	dataDir       string
	duration      time.Duration
	sessions      int
	interval      time.Duration
	burst         int
	burstInterval time.Duration
	burstSessions int
	frames        string
	timeout       time.Duration
	maxFrames     int
	cpuProfile    string
	warmup        time.Duration
	timeline      bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	fs.StringVar(&o.key, "key", os.Getenv("OPENLIVENESS_API_KEY"), "API key (OPENLIVENESS_API_KEY)")
	fs.BoolVar(&o.inprocess, "inprocess", false, "run the server in this process on a loopback port (ignores -url and -key)")
	fs.StringVar(&o.dataDir, "data-dir", "", "with -inprocess: keep sessions (bbolt) and evidence files in this new or empty directory, as the server's -data-dir does (default: memory)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send frames (at most 10m)")
	fs.IntVar(&o.sessions, "sessions", 40, "concurrent sessions")
	fs.DurationVar(&o.interval, "interval", 800*time.Millisecond, "time between requests of one session")
	fs.IntVar(&o.burst, "burst", 1, "frames per request")
	fs.DurationVar(&o.burstInterval, "burst-interval", 100*time.Millisecond, "capture interval of a burst's frames")
	fs.IntVar(&o.burstSessions, "burst-sessions", 0, "with -burst: this many more sessions send bursts while the -sessions ones send one frame per request (0: every session sends bursts)")
	fs.StringVar(&o.frames, "frames", "", "a .mjpeg or .jpg file (default: the shared videos, else testdata/face.jpg)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.BoolVar(&o.timeline, "timeline", false, "also print the requests, median and maximum latency of each second")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "first part of the run left out of the latency figures (sessions starting, first frames)")
	fs.IntVar(&o.maxFrames, "max-frames", 600, "most distinct frames kept in memory")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (with -inprocess: the server too)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.duration <= 0 || o.duration > 10*time.Minute || o.sessions < 1 || o.sessions > 2000 || o.burst < 1 || o.burst > 20 || o.interval <= 0 || o.burstSessions < 0 || o.burstSessions > 2000 {
		fmt.Fprintln(stderr, "loadgen: -duration must be in (0, 10m], -sessions in [1, 2000], -burst in [1, 20], -burst-sessions in [0, 2000], -interval > 0")
		return 2
	}
	if err := loadgen(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

// stats collects the measurements. Safe for concurrent use.
type stats struct {
	mu        sync.Mutex
	latencies []sample // in completion order
	errors    map[string]int
	frames    atomic.Int64
	requests  atomic.Int64
	sessions  atomic.Int64
	ended     map[string]int
}

// sample is one verify request: when it was sent and how long it took.
type sample struct {
	at time.Time
	d  time.Duration
}

func (s *stats) observe(at time.Time, d time.Duration) {
	s.mu.Lock()
	s.latencies = append(s.latencies, sample{at, d})
	s.mu.Unlock()
}

func (s *stats) fail(what string) {
	s.mu.Lock()
	s.errors[what]++
	s.mu.Unlock()
}

func (s *stats) end(status string) {
	s.mu.Lock()
	s.ended[status]++
	s.mu.Unlock()
}

func loadgen(ctx context.Context, o options, stdout, stderr io.Writer) error {
	if !o.inprocess {
		if err := checkLoopback(o.url); err != nil {
			return err
		}
	}
	frames, source, err := loadFrames(o.frames, o.maxFrames)
	if err != nil {
		return err
	}
	// Requests are encoded once: the generator shares the CPUs with the
	// server, so it must cost little.
	bodies := make([][]byte, len(frames))
	enc := make([]string, len(frames))
	for i, f := range frames {
		enc[i] = base64.StdEncoding.EncodeToString(f)
		bodies[i], _ = json.Marshal(map[string]string{"frame_b64": enc[i]})
	}
	frames = nil
	if o.burst == 1 {
		enc = nil
	}
	defer runtime.KeepAlive(bodies)
	defer runtime.KeepAlive(enc)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}

	var heapBefore uint64
	if o.inprocess {
		srvURL, key, stop, err := inProcessServer(o.dataDir)
		if err != nil {
			return err
		}
		defer stop()
		o.url, o.key = srvURL, key
		heapBefore = heapAfterGC()
	} else if o.key == "" {
		return errors.New("-key is required (the server's development API key), or use -inprocess")
	}
	if err := checkLoopback(o.url); err != nil {
		return err
	}
	base := strings.TrimRight(o.url, "/")
	hc := &http.Client{
		Timeout:   o.timeout,
		Transport: &http.Transport{MaxIdleConns: (o.sessions + o.burstSessions) * 2, MaxIdleConnsPerHost: (o.sessions + o.burstSessions) * 2, IdleConnTimeout: time.Minute},
	}
	metricsBefore, _ := scrape(hc, base)

	st := &stats{errors: map[string]int{}, ended: map[string]int{}}
	load0 := loadAvg()
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	total := o.sessions + o.burstSessions
	for w := 0; w < total; w++ {
		wo := o
		if o.burstSessions > 0 && w < o.sessions {
			wo.burst = 1 // the burst sessions are the extra ones
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the sessions over one interval so they do not beat in step.
			offset := time.Duration(w) * o.interval / time.Duration(total)
			select {
			case <-time.After(offset):
			case <-runCtx.Done():
				return
			}
			worker(runCtx, hc, base, wo, w*len(frames)/total, bodies, enc, st)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	load1 := loadAvg()
	metricsAfter, _ := scrape(hc, base)

	var heapPerSession string
	if o.inprocess {
		after := heapAfterGC()
		n := st.sessions.Load()
		heapPerSession = fmt.Sprintf("%.1f KiB per session (heap after GC: %.1f MiB → %.1f MiB, %d sessions created; in process, exact)",
			float64(int64(after)-int64(heapBefore))/float64(n)/1024, float64(heapBefore)/(1<<20), float64(after)/(1<<20), n)
	} else if metricsBefore != nil && metricsAfter != nil {
		n := st.sessions.Load()
		d := metricsAfter["go_memstats_heap_alloc_bytes"] - metricsBefore["go_memstats_heap_alloc_bytes"]
		heapPerSession = fmt.Sprintf("%.1f KiB per session (server heap_alloc %.1f MiB → %.1f MiB over %d sessions; includes garbage not yet collected)",
			d/float64(n)/1024, metricsBefore["go_memstats_heap_alloc_bytes"]/(1<<20), metricsAfter["go_memstats_heap_alloc_bytes"]/(1<<20), n)
	}

	if o.timeline {
		st.mu.Lock()
		bySec := map[int][]time.Duration{}
		for _, x := range st.latencies {
			sec := int(x.at.Sub(start) / time.Second)
			bySec[sec] = append(bySec[sec], x.d)
		}
		st.mu.Unlock()
		for sec := 0; sec <= int(elapsed/time.Second); sec++ {
			ds := bySec[sec]
			slices.Sort(ds)
			if len(ds) > 0 {
				fmt.Fprintf(stdout, "  t=%2ds %3d requests  p50 %s  max %s\n", sec, len(ds), ms(ds[len(ds)/2]), ms(ds[len(ds)-1]))
			}
		}
	}
	st.mu.Lock()
	var all, lat []time.Duration
	for _, x := range st.latencies {
		all = append(all, x.d)
		if x.at.Sub(start) >= o.warmup {
			lat = append(lat, x.d)
		}
	}
	st.mu.Unlock()
	slices.Sort(lat)
	slices.Sort(all)
	quantile := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[int(p*float64(len(ds)-1))]
	}
	pct := func(p float64) time.Duration { return quantile(lat, p) }
	frameCount := st.frames.Load()
	if o.burstSessions > 0 {
		fmt.Fprintf(stdout, "loadgen: %d sessions of one frame per request and %d of %d-frame bursts, one request every %s per session, %s\n", o.sessions, o.burstSessions, o.burst, o.interval, elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "loadgen: %d sessions, one request every %s per session, %d frame(s) per request, %s\n", o.sessions, o.interval, o.burst, elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(stdout, "frames:   %s\n", source)
	fmt.Fprintf(stdout, "machine:  %d CPUs, GOMAXPROCS %d, load average %s → %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), load0, load1)
	fmt.Fprintf(stdout, "analysed: %d frames in %d requests = %.1f frames/s\n", frameCount, st.requests.Load(), float64(frameCount)/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency:  p50 %s  p90 %s  p99 %s  max %s (verify requests, client side, after %s of warm-up)\n",
		ms(pct(0.5)), ms(pct(0.9)), ms(pct(0.99)), ms(pct(1)), o.warmup)
	fmt.Fprintf(stdout, "          p50 %s  p90 %s  p99 %s  max %s (all %d requests, warm-up included)\n",
		ms(quantile(all, 0.5)), ms(quantile(all, 0.9)), ms(quantile(all, 0.99)), ms(quantile(all, 1)), len(all))
	if metricsBefore != nil && metricsAfter != nil {
		n := metricsAfter["openliveness_frame_analysis_seconds_count"] - metricsBefore["openliveness_frame_analysis_seconds_count"]
		sum := metricsAfter["openliveness_frame_analysis_seconds_sum"] - metricsBefore["openliveness_frame_analysis_seconds_sum"]
		if n > 0 {
			fmt.Fprintf(stdout, "server:   %.1f ms mean analysis per frame (%d frames, from /metrics)\n", sum/n*1000, int(n))
		}
	}
	if metricsBefore != nil && metricsAfter != nil {
		fmt.Fprintf(stdout, "server:   verify p50 %s, p90 %s, p99 %s (histogram buckets, server side)\n",
			serverQuantile(metricsBefore, metricsAfter, 0.5), serverQuantile(metricsBefore, metricsAfter, 0.9), serverQuantile(metricsBefore, metricsAfter, 0.99))
	}
	fmt.Fprintf(stdout, "sessions: %d created, ended: %v\n", st.sessions.Load(), st.ended)
	if heapPerSession != "" {
		fmt.Fprintf(stdout, "memory:   %s\n", heapPerSession)
	}
	if len(st.errors) > 0 {
		fmt.Fprintf(stdout, "errors:   %v\n", st.errors)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

// worker runs sessions one after another until ctx ends.
func worker(ctx context.Context, hc *http.Client, base string, o options, next int, bodies [][]byte, enc []string, st *stats) {
	for ctx.Err() == nil {
		id, token, err := createSession(ctx, hc, base, o.key)
		if err != nil {
			if ctx.Err() == nil {
				st.fail("create: " + err.Error())
				time.Sleep(o.interval)
			}
			continue
		}
		st.sessions.Add(1)
		tick := time.NewTicker(o.interval)
		status := "pending"
		for status == "pending" {
			var body []byte
			if o.burst == 1 {
				body = bodies[next%len(bodies)]
				next++
			} else {
				burst := make([]string, o.burst)
				for i := range burst {
					burst[i] = enc[next%len(enc)]
					next++
				}
				body, _ = json.Marshal(map[string]any{"frames_b64": burst, "interval_ms": o.burstInterval.Milliseconds()})
			}
			t0 := time.Now()
			code, s, err := post(ctx, hc, base+"/v1/sessions/"+id+"/verify", token, body)
			d := time.Since(t0)
			switch {
			case ctx.Err() != nil:
				status = "stopped"
			case err != nil:
				st.fail("verify: " + err.Error())
			case code == http.StatusOK:
				st.observe(t0, d)
				st.requests.Add(1)
				st.frames.Add(int64(o.burst))
				status = s
			case code == http.StatusConflict || code == http.StatusGone:
				status = "ended (" + strconv.Itoa(code) + ")"
			default:
				st.fail("verify: HTTP " + strconv.Itoa(code))
			}
			if status != "pending" {
				break
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				status = "stopped"
			}
		}
		tick.Stop()
		if status != "stopped" {
			st.end(status)
		}
	}
}

func createSession(ctx context.Context, hc *http.Client, base, key string) (string, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/sessions", strings.NewReader(`{"challenge_count":5}`))
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var out struct {
		SessionID   string `json:"session_id"`
		ClientToken string `json:"client_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "", "", err
	}
	if res.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("HTTP %d: %s", res.StatusCode, out.Error)
	}
	return out.SessionID, out.ClientToken, nil
}

func post(ctx context.Context, hc *http.Client, u, token string, body []byte) (int, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var out struct {
		SessionStatus string `json:"session_status"`
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	json.Unmarshal(b, &out)
	return res.StatusCode, out.SessionStatus, nil
}

// checkLoopback refuses targets other than this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url %q is not an http URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: loopback targets only (127.0.0.1, ::1, localhost)", raw)
	}
	return nil
}

// verifyBucket starts the histogram lines of the server-side latency of
// verify requests.
const verifyBucket = `openliveness_http_request_duration_seconds_bucket{route="/v1/sessions/{id}/verify",method="POST",le="`

// serverQuantile estimates a quantile of the server-side verify latency
// between two scrapes: the upper bound of the histogram bucket holding it.
func serverQuantile(before, after map[string]float64, q float64) string {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range after {
		le, ok := strings.CutPrefix(k, "verify_le:")
		if !ok {
			continue
		}
		b := bucket{n: v - before[k]}
		if le == "+Inf" {
			b.le = math.Inf(1)
		} else if f, err := strconv.ParseFloat(le, 64); err == nil {
			b.le = f
		} else {
			continue
		}
		bs = append(bs, b)
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "n/a"
	}
	total := bs[len(bs)-1].n
	for _, b := range bs {
		if b.n >= q*total {
			if math.IsInf(b.le, 1) {
				return "> 10 s"
			}
			return "≤ " + strconv.FormatFloat(b.le*1000, 'f', -1, 64) + " ms"
		}
	}
	return "n/a"
}

// scrape reads the numeric samples without labels from /metrics, and the
// verify latency histogram.
func scrape(hc *http.Client, base string) (map[string]float64, error) {
	res, err := hc.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: HTTP %d", res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || (strings.Contains(l, "{") && !strings.HasPrefix(l, verifyBucket)) {
			continue
		}
		name, v, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		if strings.HasPrefix(name, verifyBucket) {
			name = "verify_le:" + strings.TrimSuffix(strings.TrimPrefix(name, verifyBucket), `"}`)
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// inProcessServer starts the engine and handler on a loopback port.
func inProcessServer(dataDir string) (string, string, func(), error) {
	quiet := slog.New(slog.DiscardHandler)
	metrics := httpapi.NewMetrics()
	opts := []liveness.Option{liveness.WithLogger(quiet), liveness.WithObserver(metrics)}
	closeStore := func() {}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", "", nil, err
		}
		ss, err := boltstore.Open(filepath.Join(dataDir, "sessions.db"))
		if err != nil {
			return "", "", nil, err
		}
		ev, err := evidence.NewDir(filepath.Join(dataDir, "evidence"))
		if err != nil {
			ss.Close()
			return "", "", nil, err
		}
		opts = append(opts, liveness.WithStore(ss), liveness.WithEvidenceStore(ev))
		closeStore = func() { ss.Close() }
	}
	e, err := liveness.New(opts...)
	if err != nil {
		closeStore()
		return "", "", nil, err
	}
	keys := apikey.NewMemoryStore()
	key, err := apikey.Generate(rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	if _, err := apikey.Import(context.Background(), keys, key, "loadgen", time.Now()); err != nil {
		return "", "", nil, err
	}
	h, err := httpapi.New(e, httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithLogger(quiet), httpapi.WithMetrics(metrics))
	if err != nil {
		return "", "", nil, err
	}
	srv := httptest.NewServer(h)
	return srv.URL, key, func() { srv.Close(); closeStore() }, nil
}

// loadFrames returns 640×480 JPEG frames and a description of them.
func loadFrames(path string, max int) ([][]byte, string, error) {
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			return nil, "", err
		}
		videos, _ := filepath.Glob(filepath.Join(root, "..", "shared", "facedata", "video", "*.mjpeg"))
		if len(videos) > 0 {
			var all [][]byte
			per := max / len(videos)
			for _, v := range videos {
				fr, err := readMJPEG(v)
				if err != nil {
					return nil, "", err
				}
				all = append(all, fr[:min(per, len(fr))]...)
			}
			return all, fmt.Sprintf("%d frames of %d shared videos (640×480, the first %d of each)", len(all), len(videos), per), nil
		}
		path = filepath.Join(root, "testdata", "face.jpg")
	}
	if strings.HasSuffix(path, ".mjpeg") {
		fr, err := readMJPEG(path)
		fr = fr[:min(max, len(fr))]
		return fr, fmt.Sprintf("%d frames of %s", len(fr), path), err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	fr, err := canvasFrames(b, min(48, max))
	return fr, fmt.Sprintf("%s on a 640×480 canvas, %d positions", path, len(fr)), err
}

func readMJPEG(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := face.NewMJPEGReader(bufio.NewReader(f), 0)
	var out [][]byte
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
}

// canvasFrames places a photo on n 640×480 frames, moving it a little from
// frame to frame.
func canvasFrames(photo []byte, n int) ([][]byte, error) {
	img, err := face.Decode(photo, nil)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	out := make([][]byte, n)
	for i := range out {
		canvas := image.NewRGBA(image.Rect(0, 0, 640, 480))
		draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.RGBA{96, 100, 110, 255}), image.Point{}, draw.Src)
		dx := (640-b.Dx())/2 + (i%8 - 4)
		dy := (480-b.Dy())/2 + (i/8%6 - 3)
		draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(dx, dy)), img, b.Min, draw.Src)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		out[i] = buf.Bytes()
	}
	return out, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
