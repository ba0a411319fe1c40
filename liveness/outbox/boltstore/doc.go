// Package boltstore is a durable, embedded [outbox.Store] in a single file,
// built on bbolt (go.etcd.io/bbolt, pure Go). Every write is one bbolt
// transaction, synced to disk before it returns, so a delivery that Enqueue
// accepted, and every attempt recorded, survives a crash or power loss.
//
// The file holds four buckets: endpoints and deliveries (JSON values by
// id), a due index of pending deliveries ordered by next attempt time, and
// the attempt logs. The file is opened with mode 0600 because endpoint
// secrets are stored in it; only one process can open it at a time.
package boltstore
