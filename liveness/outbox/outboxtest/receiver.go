package outboxtest

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/openliveness/openliveness/webhook"
)

// Request is one request seen by a [Receiver]. It is a value owned by the
// caller.
type Request struct {
	Header http.Header
	Body   []byte
	// Verified is the result of the receiver's Verifier, nil when it
	// accepted the request or when the receiver has no Verifier.
	Verified error
	// Status is the status the receiver answered.
	Status int
}

// Receiver is an http.Handler that records every request and answers with a
// scripted sequence of statuses: the i-th request gets Statuses[i], and
// requests past the end get the last status (200 if the script is empty).
// A request that fails its Verifier gets 401 instead. Mount it on an
// httptest server. It is safe for concurrent use.
type Receiver struct {
	// Verifier, when not nil, checks every request.
	Verifier *webhook.Verifier
	// Header is added to every response (for example Retry-After).
	Header http.Header

	mu       sync.Mutex
	statuses []int
	requests []Request
	notify   chan Request
}

// NewReceiver returns a Receiver answering with the given statuses.
func NewReceiver(statuses ...int) *Receiver {
	return &Receiver{statuses: statuses, notify: make(chan Request, 1024)}
}

// ServeHTTP implements http.Handler.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := Request{Header: req.Header.Clone(), Body: body}
	if r.Verifier != nil {
		rec.Verified = r.Verifier.Verify(req.Header, body)
	}
	r.mu.Lock()
	i := len(r.requests)
	status := http.StatusOK
	switch {
	case i < len(r.statuses):
		status = r.statuses[i]
	case len(r.statuses) > 0:
		status = r.statuses[len(r.statuses)-1]
	}
	if rec.Verified != nil {
		status = http.StatusUnauthorized
	}
	rec.Status = status
	r.requests = append(r.requests, rec)
	r.mu.Unlock()
	for k, vs := range r.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	select {
	case r.notify <- rec:
	default:
	}
}

// Requests returns the requests seen so far, in arrival order.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Next waits for the next request not yet returned by Next (requests are
// queued, up to 1024), or for ctx to end.
func (r *Receiver) Next(ctx context.Context) (Request, error) {
	select {
	case rec := <-r.notify:
		return rec, nil
	case <-ctx.Done():
		return Request{}, ctx.Err()
	}
}
