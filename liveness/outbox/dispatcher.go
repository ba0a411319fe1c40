package outbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/webhook"
)

// Defaults of the dispatcher options.
const (
	DefaultAttemptTimeout = 5 * time.Second
	DefaultPollInterval   = time.Second
	DefaultConcurrency    = 4
	DefaultUserAgent      = "openliveness-webhook/1"
	maxResponseSnippet    = 1 << 10
	maxResponseDrain      = 64 << 10
)

// Dispatcher is the long-lived webhook sender: a durable outbox drained by
// a worker loop. Enqueue stores a delivery; Run attempts due deliveries,
// signs each attempt, logs it, and schedules retries; the store keeps every
// pending delivery across restarts. Create it with New.
//
// A Dispatcher is safe for concurrent use. Several processes may share one
// store that supports it (each claims deliveries under a lease); within
// one process run one Run loop.
type Dispatcher struct {
	store      Store
	client     *http.Client
	clock      Clock
	log        *slog.Logger
	retry      RetryPolicy
	timeout    time.Duration
	lease      time.Duration
	poll       time.Duration
	workers    int
	insecure   bool
	userAgent  string
	onDisabled func(context.Context, Endpoint)

	randMu sync.Mutex
	rand   io.Reader

	wake    chan struct{}
	running atomic.Bool

	mu       sync.Mutex // guards closed and inflight.Add
	closed   bool
	stopped  chan struct{} // closed by Close and Shutdown
	inflight sync.WaitGroup
	hard     context.Context // cancelled to abort attempts in flight
	abort    context.CancelFunc
}

// Option configures a Dispatcher.
type Option func(*options)

type options struct {
	store      Store
	client     *http.Client
	clock      Clock
	rand       io.Reader
	log        *slog.Logger
	retry      *RetryPolicy
	timeout    time.Duration
	lease      time.Duration
	poll       time.Duration
	workers    int
	insecure   bool
	userAgent  string
	onDisabled func(context.Context, Endpoint)
}

// WithStore sets the outbox store; the default is a new MemoryStore, which
// does not survive a restart. The dispatcher never closes the store.
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithHTTPClient sets the HTTP client. Its transport, which must be nil or
// an *http.Transport, is cloned and the SSRF guard installed on the clone's
// dialer; proxies are removed and redirects are never followed. TLS
// settings (such as RootCAs) are kept.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock (default SystemClock).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithRandom sets the source of randomness for ids, lease tokens and jitter
// (default crypto/rand.Reader). Reads are serialised by the dispatcher.
func WithRandom(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithRetryPolicy sets the retry schedule (default DefaultRetryPolicy).
// Endpoint.Retry overrides the delays per endpoint.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.retry = &p } }

// WithAttemptTimeout bounds each attempt, from dialling to reading the
// response (default 5 s).
func WithAttemptTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLease sets how long a claimed delivery is reserved for the worker
// attempting it (default twice the attempt timeout plus 5 s). A delivery
// whose worker died is attempted again once its lease has passed.
func WithLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// WithPollInterval sets how often Run looks for due deliveries when nothing
// wakes it (default 1 s).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithConcurrency sets how many attempts run at once (default 4).
func WithConcurrency(n int) Option { return func(o *options) { o.workers = n } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithOnEndpointDisabled sets a function called after an endpoint is
// disabled because it answered 410 Gone.
func WithOnEndpointDisabled(f func(ctx context.Context, e Endpoint)) Option {
	return func(o *options) { o.onDisabled = f }
}

// WithInsecureTargets is the development option: it allows plain http URLs
// and loopback, private and other internal targets, and removes the
// dial-time SSRF guard. It is off by default and New logs a warning when it
// is on. Never use it in production.
func WithInsecureTargets() Option { return func(o *options) { o.insecure = true } }

// New returns a Dispatcher. It fails when an option is invalid.
func New(opts ...Option) (*Dispatcher, error) {
	o := options{
		clock:     SystemClock{},
		rand:      rand.Reader,
		timeout:   DefaultAttemptTimeout,
		poll:      DefaultPollInterval,
		workers:   DefaultConcurrency,
		userAgent: DefaultUserAgent,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.store == nil {
		o.store = NewMemoryStore()
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	retry := DefaultRetryPolicy()
	if o.retry != nil {
		retry = *o.retry
	}
	if err := retry.validate(); err != nil {
		return nil, err
	}
	if o.timeout <= 0 || o.poll <= 0 || o.workers <= 0 {
		return nil, errors.New("webhook: timeout, poll interval and concurrency must be positive")
	}
	if o.lease == 0 {
		o.lease = 2*o.timeout + 5*time.Second
	}
	if o.lease <= o.timeout {
		return nil, errors.New("webhook: lease must be longer than the attempt timeout")
	}
	client, err := buildClient(o.client, !o.insecure, o.timeout)
	if err != nil {
		return nil, err
	}
	hard, abort := context.WithCancel(context.Background())
	d := &Dispatcher{
		store:      o.store,
		client:     client,
		clock:      o.clock,
		log:        o.log,
		retry:      retry,
		timeout:    o.timeout,
		lease:      o.lease,
		poll:       o.poll,
		workers:    o.workers,
		insecure:   o.insecure,
		userAgent:  o.userAgent,
		onDisabled: o.onDisabled,
		rand:       o.rand,
		wake:       make(chan struct{}, 1),
		stopped:    make(chan struct{}),
		hard:       hard,
		abort:      abort,
	}
	if o.insecure {
		d.log.Warn("webhook: development option on: plain http and loopback/private targets are allowed and the SSRF guard is off; never use this in production")
	}
	return d, nil
}

func buildClient(c *http.Client, guard bool, timeout time.Duration) (*http.Client, error) {
	var out http.Client
	if c != nil {
		out = *c
	}
	switch t := out.Transport.(type) {
	case nil:
		out.Transport = guardTransport(nil, guard, timeout)
	case *http.Transport:
		out.Transport = guardTransport(t, guard, timeout)
	default:
		if guard {
			return nil, fmt.Errorf("%w: %T", ErrUnguardedTransport, t)
		}
	}
	out.CheckRedirect = noRedirect
	out.Jar = nil
	return &out, nil
}

// NewEvent returns an envelope event with a new id and the dispatcher's
// current time.
func (d *Dispatcher) NewEvent(typ event.EventType, data event.SessionData) (event.Event, error) {
	id, err := event.NewEventID(lockedReader{d})
	if err != nil {
		return event.Event{}, err
	}
	return event.NewEvent(id, typ, d.clock.Now(), data)
}

// Enqueue stores a pending delivery of ev to e and wakes the worker loop.
// It also stores e (by ID) as the endpoint's current configuration, unless
// the stored endpoint is disabled, in which case it fails with
// ErrEndpointDisabled. It returns ErrFiltered, storing nothing, when e does
// not take this event. Once Enqueue returns nil the delivery is in the store
// and will be attempted, by this process or after a restart.
func (d *Dispatcher) Enqueue(ctx context.Context, e Endpoint, ev event.Event) (Delivery, error) {
	if d.isClosed() {
		return Delivery{}, ErrClosed
	}
	now := d.clock.Now()
	if err := e.Validate(d.insecure, now); err != nil {
		return Delivery{}, err
	}
	if e.Disabled {
		return Delivery{}, fmt.Errorf("%w: %s", ErrEndpointDisabled, e.ID)
	}
	if !e.wants(ev.Type) {
		return Delivery{}, fmt.Errorf("%w: %s does not subscribe to %s", ErrFiltered, e.ID, ev.Type)
	}
	payload, err := ev.Payload(e.format())
	if errors.Is(err, event.ErrNoPayload) {
		return Delivery{}, fmt.Errorf("%w: %w", ErrFiltered, err)
	}
	if err != nil {
		return Delivery{}, err
	}
	if err := d.syncEndpoint(ctx, e); err != nil {
		return Delivery{}, err
	}
	del, err := d.newDelivery(e, ev, payload, now)
	if err != nil {
		return Delivery{}, err
	}
	if err := d.store.AddDelivery(ctx, del); err != nil {
		return Delivery{}, fmt.Errorf("webhook: store delivery: %w", err)
	}
	d.signal()
	return del, nil
}

// syncEndpoint stores e unless the stored copy is identical or disabled.
func (d *Dispatcher) syncEndpoint(ctx context.Context, e Endpoint) error {
	cur, err := d.store.Endpoint(ctx, e.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("webhook: load endpoint: %w", err)
	case cur.Disabled:
		return fmt.Errorf("%w: %s (%s)", ErrEndpointDisabled, e.ID, cur.DisabledReason)
	default:
		a, _ := json.Marshal(cur)
		b, _ := json.Marshal(e)
		if bytes.Equal(a, b) {
			return nil
		}
	}
	if err := d.store.PutEndpoint(ctx, e); err != nil {
		return fmt.Errorf("webhook: store endpoint: %w", err)
	}
	return nil
}

func (d *Dispatcher) newDelivery(e Endpoint, ev event.Event, payload []byte, now time.Time) (Delivery, error) {
	id, err := newUUID(lockedReader{d})
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{
		ID:            id,
		EventID:       ev.ID,
		EventType:     ev.Type,
		EndpointID:    e.ID,
		URL:           e.URL,
		Format:        e.format(),
		Payload:       payload,
		State:         StatePending,
		CreatedAt:     now,
		NextAttemptAt: now,
	}, nil
}

// SetEndpoint validates e and stores it as the endpoint's configuration,
// replacing the stored one: use it to rotate secrets, change the URL or
// format, and to re-enable an endpoint disabled by a 410 (with Disabled
// false). Queued deliveries use the new configuration from their next
// attempt.
func (d *Dispatcher) SetEndpoint(ctx context.Context, e Endpoint) error {
	if err := e.Validate(d.insecure, d.clock.Now()); err != nil {
		return err
	}
	return d.store.PutEndpoint(ctx, e)
}

// Endpoint returns the stored configuration of an endpoint.
func (d *Dispatcher) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	return d.store.Endpoint(ctx, id)
}

// Deliveries returns the deliveries matching f, newest first.
func (d *Dispatcher) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	return d.store.Deliveries(ctx, f)
}

// Delivery returns one delivery by id, or ErrNotFound.
func (d *Dispatcher) Delivery(ctx context.Context, id string) (Delivery, error) {
	if id == "" {
		return Delivery{}, ErrNotFound
	}
	ds, err := d.store.Deliveries(ctx, DeliveryFilter{ID: id, Limit: 1})
	if err != nil {
		return Delivery{}, err
	}
	if len(ds) == 0 {
		return Delivery{}, fmt.Errorf("%w: delivery %s", ErrNotFound, id)
	}
	return ds[0], nil
}

// Attempts returns the attempt log of a delivery, oldest first.
func (d *Dispatcher) Attempts(ctx context.Context, deliveryID string) ([]Attempt, error) {
	return d.store.Attempts(ctx, deliveryID)
}

// SendTest sends a test event (type webhook.test) to e in the given format
// at once, in a single attempt without retries, and returns the resulting
// delivery record (delivered or failed); its attempt is in Attempts. e need
// not be stored, and a disabled endpoint can be tested. A 410 answer still
// disables the stored endpoint.
func (d *Dispatcher) SendTest(ctx context.Context, e Endpoint, format event.Format) (Delivery, error) {
	if d.isClosed() {
		return Delivery{}, ErrClosed
	}
	now := d.clock.Now()
	e.Format = format
	e.Disabled = false
	if err := e.Validate(d.insecure, now); err != nil {
		return Delivery{}, err
	}
	pass, score := true, 1.0
	ev, err := d.NewEvent(event.EventTest, event.SessionData{SessionID: "sess_test", Passed: &pass, Score: &score})
	if err != nil {
		return Delivery{}, err
	}
	payload, err := ev.Payload(e.format())
	if err != nil {
		return Delivery{}, err
	}
	del, err := d.newDelivery(e, ev, payload, now)
	if err != nil {
		return Delivery{}, err
	}
	del.Test = true
	del.Claim, err = d.token()
	if err != nil {
		return Delivery{}, err
	}
	del.NextAttemptAt = now.Add(d.lease)
	if err := d.begin(); err != nil {
		return Delivery{}, err
	}
	defer d.inflight.Done()
	if err := d.store.AddDelivery(ctx, del); err != nil {
		return Delivery{}, fmt.Errorf("webhook: store delivery: %w", err)
	}
	// The caller's ctx bounds the attempt; the record is written even if
	// ctx ends during it.
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.hard, cancel)
	defer stop()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), d.lease)
	defer scancel()
	return d.attemptAndRecord(actx, sctx, e, del, NoRetryPolicy())
}

// Run attempts due deliveries until ctx is cancelled or the dispatcher is
// closed. It wakes on Enqueue and every poll interval. When ctx is
// cancelled it stops claiming deliveries, lets the attempts in flight
// finish (each is bounded by the attempt timeout) and returns ctx.Err();
// after Close or Shutdown it returns nil. Deliveries not yet attempted stay
// in the store.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("webhook: Run is already running")
	}
	defer d.running.Store(false)
	for {
		if _, err := d.DeliverDue(ctx); err != nil {
			switch {
			case errors.Is(err, ErrClosed):
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				d.log.Error("webhook: delivery pass failed", "err", err)
			}
		}
		t := d.clock.AfterFunc(d.poll, d.signal)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-d.stopped:
			t.Stop()
			return nil
		case <-d.wake:
			t.Stop()
		}
	}
}

// DeliverDue makes one pass over the store: it claims the deliveries due
// now, attempts them (up to the concurrency limit at once), records the
// results, and repeats until nothing is due. It returns how many deliveries
// it attempted. Run calls it; tests and batch jobs can call it directly.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		if d.isClosed() {
			return total, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
		token, err := d.token()
		if err != nil {
			return total, err
		}
		now := d.clock.Now()
		batch, err := d.store.ClaimDue(ctx, now, now.Add(d.lease), token, d.workers)
		if err != nil {
			return total, fmt.Errorf("webhook: claim deliveries: %w", err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		var wg sync.WaitGroup
		for _, del := range batch {
			if err := d.begin(); err != nil {
				// Closed: the claimed deliveries stay pending and are
				// attempted after their lease.
				wg.Wait()
				return total, err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer d.inflight.Done()
				d.process(del)
			}()
		}
		wg.Wait()
		total += len(batch)
		if len(batch) < d.workers {
			return total, nil
		}
	}
}

// process attempts one claimed delivery and records the outcome. Attempts
// are not cancelled by Run's context, only by Close or an expired Shutdown.
func (d *Dispatcher) process(del Delivery) {
	// Store writes must complete even while Close aborts the request, so
	// that a 2xx already received is recorded.
	ctx, cancel := context.WithTimeout(context.Background(), d.lease)
	defer cancel()
	e, err := d.store.Endpoint(ctx, del.EndpointID)
	var reason string
	switch {
	case errors.Is(err, ErrNotFound):
		reason = "endpoint not found"
	case err != nil:
		d.log.Error("webhook: load endpoint", "endpoint", del.EndpointID, "delivery", del.ID, "err", err)
		return // retried after the lease
	case e.Disabled:
		reason = "endpoint disabled"
	default:
		if err := e.Validate(d.insecure, d.clock.Now()); err != nil {
			reason = "endpoint invalid: " + err.Error()
		}
	}
	if reason != "" {
		del.State = StateFailed
		del.LastError = reason
		del.CompletedAt = d.clock.Now()
		del.NextAttemptAt = time.Time{}
		if err := d.store.UpdateDelivery(ctx, del, nil); err != nil {
			d.log.Error("webhook: record delivery", "delivery", del.ID, "err", err)
		}
		d.log.Warn("webhook: delivery failed without attempt", "delivery", del.ID, "endpoint", del.EndpointID, "reason", reason)
		return
	}
	policy := d.retry
	switch {
	case del.Test:
		// A test delivery whose SendTest call could not record its
		// attempt gets this one attempt and no more.
		policy = NoRetryPolicy()
	case e.Retry != nil:
		policy.Delays = e.Retry
	}
	if _, err := d.attemptAndRecord(d.hard, ctx, e, del, policy); err != nil && !errors.Is(err, errAborted) {
		d.log.Error("webhook: record attempt", "delivery", del.ID, "err", err)
	}
}

var errAborted = errors.New("webhook: attempt aborted by shutdown")

// attemptAndRecord makes one attempt of del to e, updates del and stores
// it with the attempt log entry. actx bounds the attempt, sctx the store
// writes.
func (d *Dispatcher) attemptAndRecord(actx, sctx context.Context, e Endpoint, del Delivery, policy RetryPolicy) (Delivery, error) {
	n := del.Attempts + 1
	res := d.attempt(actx, e, del, n)
	if res.aborted {
		// Stopped by Close or an expired Shutdown, not by the receiver: put
		// it back as due without counting an attempt.
		del.NextAttemptAt = d.clock.Now()
		if del.Test {
			del.State = StateFailed
			del.LastError = errAborted.Error()
			del.CompletedAt = del.NextAttemptAt
			del.NextAttemptAt = time.Time{}
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(sctx), time.Second)
		defer cancel()
		if err := d.store.UpdateDelivery(uctx, del, nil); err != nil {
			return del, errors.Join(errAborted, err)
		}
		return del, errAborted
	}
	a := res.Attempt
	del.Attempts = n
	del.LastAttemptAt = a.At
	del.LastStatus = a.StatusCode
	del.LastError = a.Error
	now := d.clock.Now()
	switch res.outcome {
	case outcomeDelivered:
		del.State = StateDelivered
		del.CompletedAt = now
		del.NextAttemptAt = time.Time{}
	case outcomeRetry:
		if wait, ok := policy.Next(n, d.uniform(), res.retryAfter); ok {
			del.NextAttemptAt = now.Add(wait)
			a.Retry = del.NextAttemptAt
		} else {
			del.State = StateFailed
			del.CompletedAt = now
			del.NextAttemptAt = time.Time{}
			a.Error += "; retries exhausted"
			del.LastError = a.Error
		}
	case outcomeFail, outcomeGone:
		del.State = StateFailed
		del.CompletedAt = now
		del.NextAttemptAt = time.Time{}
	}
	if err := d.store.UpdateDelivery(sctx, del, &a); err != nil {
		return del, fmt.Errorf("webhook: record attempt: %w", err)
	}
	del.Claim = ""
	level := slog.LevelInfo
	if del.State == StateFailed {
		level = slog.LevelWarn
	}
	d.log.Log(sctx, level, "webhook: attempt", "delivery", del.ID, "event", del.EventID, "endpoint", e.ID,
		"attempt", n, "status", a.StatusCode, "latency", a.Latency, "err", a.Error, "state", del.State, "next", a.Retry)
	if res.outcome == outcomeGone {
		d.disable(sctx, e.ID, fmt.Sprintf("410 Gone on delivery %s", del.ID))
	}
	return del, nil
}

// disable marks the stored endpoint disabled after a 410.
func (d *Dispatcher) disable(ctx context.Context, id, reason string) {
	e, err := d.store.Endpoint(ctx, id)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			d.log.Error("webhook: load endpoint to disable", "endpoint", id, "err", err)
		}
		return
	}
	if e.Disabled {
		return
	}
	e.Disabled = true
	e.DisabledAt = d.clock.Now()
	e.DisabledReason = reason
	if err := d.store.PutEndpoint(ctx, e); err != nil {
		d.log.Error("webhook: disable endpoint", "endpoint", id, "err", err)
		return
	}
	d.log.Warn("webhook: endpoint disabled", "endpoint", id, "reason", reason)
	if d.onDisabled != nil {
		d.onDisabled(ctx, e)
	}
}

type attemptResult struct {
	Attempt
	outcome    outcome
	retryAfter time.Duration
	aborted    bool
}

var errAttemptTimeout = errors.New("attempt timed out")

// attempt sends one signed request.
func (d *Dispatcher) attempt(ctx context.Context, e Endpoint, del Delivery, n int) attemptResult {
	start := d.clock.Now()
	res := attemptResult{Attempt: Attempt{DeliveryID: del.ID, N: n, At: start, URL: e.URL}}
	fail := func(err error) attemptResult {
		res.Error = err.Error()
		res.outcome = classify(0, err)
		return res
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := d.clock.AfterFunc(d.timeout, func() { cancel(errAttemptTimeout) })
	defer timer.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(del.Payload))
	if err != nil {
		r := fail(err)
		r.outcome = outcomeFail
		return r
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", d.userAgent)
	h.Set(webhook.EventIDHeader, del.EventID)
	h.Set(webhook.EventTypeHeader, string(del.EventType))
	h.Set(webhook.DefaultDeliveryIDHeader, del.ID)
	h.Set(webhook.AttemptHeader, strconv.Itoa(n))
	signer := webhook.Signer{Schemes: e.Schemes, Headers: e.Headers, Secrets: e.Secrets}
	if err := signer.Sign(h, del.ID, start, del.Payload); err != nil {
		r := fail(err)
		r.outcome = outcomeFail
		return r
	}
	resp, err := d.client.Do(req)
	if err != nil {
		res.Latency = d.clock.Now().Sub(start)
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errAttemptTimeout):
			return fail(fmt.Errorf("timeout after %v: %w", d.timeout, err))
		case d.hard.Err() != nil:
			res.aborted = true
			return res
		}
		return fail(err)
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseSnippet))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	resp.Body.Close()
	res.Latency = d.clock.Now().Sub(start)
	res.StatusCode = resp.StatusCode
	res.Response = string(bytes.ToValidUTF8(snippet, []byte("\uFFFD")))
	res.outcome = classify(resp.StatusCode, nil)
	if res.outcome != outcomeDelivered {
		res.Error = "HTTP " + resp.Status
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), start); ok && res.outcome == outcomeRetry {
			res.retryAfter = ra
		}
	}
	return res
}

// Shutdown stops Run and new Enqueue and SendTest calls, and waits for the
// attempts in flight to finish. If ctx ends first, it aborts them (their
// deliveries stay pending, due at once) and returns ctx.Err(). Pending
// deliveries remain in the store for the next start. The store is not
// closed.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.markClosed()
	done := make(chan struct{})
	go func() { d.inflight.Wait(); close(done) }()
	select {
	case <-done:
		d.abort()
		return nil
	case <-ctx.Done():
		d.abort()
		<-done
		return ctx.Err()
	}
}

// Close stops the dispatcher at once: it aborts attempts in flight (their
// deliveries stay pending) and waits for its goroutines to return. Pending
// deliveries remain in the store. It always returns nil.
func (d *Dispatcher) Close() error {
	d.markClosed()
	d.abort()
	d.inflight.Wait()
	return nil
}

func (d *Dispatcher) markClosed() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		close(d.stopped)
	}
}

func (d *Dispatcher) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// begin registers an attempt in flight, unless closed.
func (d *Dispatcher) begin() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	d.inflight.Add(1)
	return nil
}

// signal wakes Run without blocking.
func (d *Dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// lockedReader serialises reads of the dispatcher's random source.
type lockedReader struct{ d *Dispatcher }

func (r lockedReader) Read(p []byte) (int, error) {
	r.d.randMu.Lock()
	defer r.d.randMu.Unlock()
	return io.ReadFull(r.d.rand, p)
}

// uniform returns a uniform sample in [0, 1), or 0.5 (no jitter) if the
// random source fails.
func (d *Dispatcher) uniform() float64 {
	var b [8]byte
	if _, err := (lockedReader{d}).Read(b[:]); err != nil {
		return 0.5
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

// token returns a random lease token.
func (d *Dispatcher) token() (string, error) {
	var b [12]byte
	if _, err := (lockedReader{d}).Read(b[:]); err != nil {
		return "", fmt.Errorf("webhook: lease token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newUUID returns a random (version 4) UUID.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("webhook: uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}
