package boltstore

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// group commits concurrent writes together without waiting for a timer
// (bbolt's Batch waits up to MaxBatchDelay, 10 ms, for company): a write
// arriving while no transaction is running starts one at once, and the
// writes arriving while one runs (and fsyncs) share the next. Safe for
// concurrent use.
type group struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []*groupCall
	running bool // a goroutine is committing the pending writes
}

type groupCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// update runs fn in a read-write transaction shared with concurrent
// writes and returns once it is committed (or fails). fn may run more
// than once: it must only read and write the transaction.
func (g *group) update(fn func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return <-c.done
}

// loop commits the pending writes, a transaction at a time, until none
// is left.
func (g *group) loop() {
	g.mu.Lock()
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		g.commit(batch)
		g.mu.Lock()
	}
	g.running = false
	g.mu.Unlock()
}

// commit runs batch in one transaction. A function that fails rolls the
// transaction back: it then runs alone, for its own result, and the
// others are tried again together (as bbolt's Batch does).
func (g *group) commit(batch []*groupCall) {
	for len(batch) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := c.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range batch {
				c.done <- err
			}
			return
		}
		c := batch[failed]
		batch = append(batch[:failed:failed], batch[failed+1:]...)
		c.done <- g.db.Update(c.fn)
	}
}
