package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

const defaultMaxBody = 1 << 20

var errReadBody = errors.New("webhook: cannot read request body")

// Middleware returns a handler that verifies each request with v before
// calling next. The body is read in full (up to MaxBodyBytes), verified, and
// put back as r.Body so next sees the exact raw bytes; a rejected request
// never reaches next.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := v.MaxBodyBytes
		if limit <= 0 {
			limit = defaultMaxBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		r.Body.Close()
		if err != nil {
			err = fmt.Errorf("%w: %w", errReadBody, err)
		} else if int64(len(body)) > limit {
			err = fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
		}
		if err == nil {
			err = v.Verify(r.Header, body)
		}
		if err != nil {
			v.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		next.ServeHTTP(w, r)
	})
}

func (v *Verifier) fail(w http.ResponseWriter, r *http.Request, err error) {
	if v.ErrorHandler != nil {
		v.ErrorHandler(w, r, err)
		return
	}
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		http.Error(w, ErrBodyTooLarge.Error(), http.StatusRequestEntityTooLarge)
	case errors.Is(err, errReadBody):
		http.Error(w, errReadBody.Error(), http.StatusBadRequest)
	case isVerifyFailure(err):
		http.Error(w, err.Error(), http.StatusUnauthorized)
	default:
		// A misconfigured verifier.
		http.Error(w, "webhook: cannot verify request", http.StatusInternalServerError)
	}
}
