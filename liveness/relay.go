package liveness

import (
	"context"
	"time"
)

// relayQueueCap bounds the changes committed but not yet relayed by the
// relay worker; a commit beyond it waits for room (backpressure).
const relayQueueCap = 1024

// drainTimeout bounds how long Run, when it ends, waits for the relay
// worker to hand over what was committed (what it does not finish stays
// in the outbox for the next Reconcile).
const drainTimeout = 10 * time.Second

// WithSyncRelay makes every change relay its intents to the Notifier and
// the Auditor before the call that made it (Create, Submit, Cancel …)
// returns, as tests of notifiers and audit logs expect. By default the
// intents, committed with the change, are relayed just after it by the
// engine's relay worker, in commit order, so that a request does not wait
// for the webhook outbox and the audit log; Flush waits for them.
func WithSyncRelay() Option { return func(c *config) { c.syncRelay = true } }

// relayJob is the intents of one change, queued in commit order.
type relayJob struct {
	seq   uint64
	its   []Intent
	state int // jobPending until the commit returns
}

const (
	jobPending = iota
	jobCommitted
	jobAbandoned // the commit failed: nothing to relay
)

// relayQueue orders the relay of committed changes: a change takes its
// place before its commit (so that a later change of the same session,
// which can only read it once committed, always queues behind it) and is
// marked committed or abandoned after. One worker goroutine, started on
// demand and ending when the queue is empty, relays the committed prefix
// of the queue in order.
type relayQueue struct {
	jobs    []*relayJob
	last    uint64 // seq of the last job queued
	done    uint64 // every job up to this seq is relayed or abandoned
	running bool
	wake    chan struct{} // closed (and replaced) on every change of the queue
}

// broadcast wakes every waiter; e.mu held.
func (q *relayQueue) broadcast() {
	if q.wake != nil {
		close(q.wake)
	}
	q.wake = make(chan struct{})
}

// waitCh returns the channel the next broadcast closes; e.mu held.
func (q *relayQueue) waitCh() chan struct{} {
	if q.wake == nil {
		q.wake = make(chan struct{})
	}
	return q.wake
}

// queueRelay takes a place in the relay queue for the intents of a change
// about to be committed, waiting while the queue is full.
func (e *Engine) queueRelay(ctx context.Context, its []Intent) (*relayJob, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := &e.relayq
	for len(q.jobs) >= relayQueueCap {
		if err := e.waitRelay(ctx); err != nil {
			return nil, err
		}
	}
	q.last++
	j := &relayJob{seq: q.last, its: its}
	q.jobs = append(q.jobs, j)
	return j, nil
}

// settle marks j committed or abandoned and starts the relay worker if it
// is not running.
func (e *Engine) settle(j *relayJob, committed bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := &e.relayq
	j.state = jobAbandoned
	if committed {
		j.state = jobCommitted
	}
	q.broadcast()
	if !q.running {
		q.running = true
		go e.relayWorker()
	}
}

// relayWorker relays the committed prefix of the queue, in order, until
// the queue is empty. The intents of the changes taken together are
// relayed, then deleted from the outbox in one call.
func (e *Engine) relayWorker() {
	ctx := context.Background()
	e.mu.Lock()
	q := &e.relayq
	for {
		n := 0
		for n < len(q.jobs) && q.jobs[n].state != jobPending {
			n++
		}
		if n == 0 {
			if len(q.jobs) == 0 {
				q.running = false
				q.broadcast()
				e.mu.Unlock()
				return
			}
			ch := q.waitCh() // the oldest change is still committing
			e.mu.Unlock()
			<-ch
			e.mu.Lock()
			continue
		}
		batch := q.jobs[:n:n]
		q.jobs = append([]*relayJob(nil), q.jobs[n:]...)
		q.broadcast() // room in the queue
		e.mu.Unlock()

		var its []Intent
		for _, j := range batch {
			if j.state == jobCommitted {
				its = append(its, j.its...)
			}
		}
		e.relay(ctx, its, false)
		e.track(its, false)

		e.mu.Lock()
		q.done = batch[n-1].seq
		q.broadcast()
	}
}

// Flush waits until the intents of every change committed before the call
// have been relayed to the Notifier and the Auditor (or their relay
// failed, leaving them to Reconcile), or ctx ends. With WithSyncRelay it
// returns at once.
func (e *Engine) Flush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := &e.relayq
	target := q.last
	for q.done < target {
		if err := e.waitRelay(ctx); err != nil {
			return err
		}
	}
	return nil
}

// drain waits, for at most drainTimeout, for the relay worker to relay
// what was committed.
func (e *Engine) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := e.Flush(ctx); err != nil {
		e.cfg.logger.Warn("liveness: intents left to relay at shutdown (the next Reconcile relays them)", "err", err)
	}
}

// waitRelay releases e.mu until the relay queue changes or ctx ends, and
// takes it again (e.mu held).
func (e *Engine) waitRelay(ctx context.Context) error {
	ch := e.relayq.waitCh()
	e.mu.Unlock()
	defer e.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
