package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steps records the order of the shutdown steps.
type steps struct {
	mu  sync.Mutex
	got []string
}

func (s *steps) add(step string) {
	s.mu.Lock()
	s.got = append(s.got, step)
	s.mu.Unlock()
}

func (s *steps) Shutdown(context.Context) error { s.add("dispatcher"); return nil }
func (s *steps) Close() error                   { s.add("dispatcher closed"); return nil }

// TestShutdownDrainsRelay: at shutdown the engine's relay is drained
// after the requests in flight and before the webhook dispatcher stops,
// within the shutdown deadline.
func TestShutdownDrainsRelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	st := &steps{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = serveUntilDone(ctx, params{
		Listener:   ln,
		Server:     &http.Server{Handler: http.NotFoundHandler()},
		Dispatcher: st,
		Workers:    []func(context.Context){func(ctx context.Context) { <-ctx.Done(); st.add("workers") }},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Drain: func(ctx context.Context) error {
			_, ok := ctx.Deadline()
			assert.True(t, ok, "the drain is bounded by the shutdown timeout")
			st.add("drain")
			return nil
		},
		ShutdownTimeout: time.Second,
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"drain", "dispatcher", "workers"}, st.got)
}
