package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// NewHTTPServer returns an http.Server with the servers' timeouts and
// header limit, logging its errors to logger.
func NewHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// NewLogger returns a text or JSON slog logger at level. Durations are
// logged in milliseconds, under their key with "_ms" added ("timeout_ms":
// 30000), not as nanoseconds.
func NewLogger(w io.Writer, level slog.Level, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationMS}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationMS rewrites a duration attribute as milliseconds.
func durationMS(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, float64(a.Value.Duration().Microseconds())/1000)
}

// dispatcher is what serveUntilDone needs of the webhook dispatcher.
type dispatcher interface {
	Shutdown(ctx context.Context) error
	Close() error
}

// params describe one run.
type params struct {
	Listener   net.Listener
	Server     *http.Server
	Dispatcher dispatcher
	// Workers run in the background until shutdown (the webhook
	// dispatcher, the engine's expiry sweep, retention, checkpoints).
	Workers         []func(ctx context.Context)
	Logger          *slog.Logger
	ShutdownTimeout time.Duration
	// Drain, when set, waits for the engine to relay what the requests
	// committed (liveness.Engine.Flush) before the dispatcher stops.
	Drain func(ctx context.Context) error
}

// serveUntilDone serves until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish and their events reach the
// webhook outbox and the audit log (Drain), then webhook attempts in
// flight (what is not delivered stays in the outbox), then stops the
// workers. A failure of the listener ends the run with its error.
func serveUntilDone(ctx context.Context, p params) error {
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, w := range p.Workers {
		wg.Go(func() { w(runCtx) })
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- p.Server.Serve(p.Listener) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopRun()
		p.Dispatcher.Close()
		wg.Wait()
		return err
	}
	p.Logger.Info("shutting down", "timeout", p.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
	defer cancel()
	if err := p.Server.Shutdown(sctx); err != nil {
		p.Logger.Warn("requests still in flight at the deadline", "err", err)
	}
	if p.Drain != nil {
		if err := p.Drain(sctx); err != nil {
			p.Logger.Warn("events still to relay at the deadline (they stay in the session store's outbox)", "err", err)
		}
	}
	if err := p.Dispatcher.Shutdown(sctx); err != nil {
		p.Logger.Warn("webhook attempts aborted at the deadline (they stay queued)", "err", err)
	}
	stopRun()
	wg.Wait()
	return nil
}
