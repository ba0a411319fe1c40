// Package boltstore keeps an audit log in an embedded bbolt file: a durable
// audit.Store (and audit.SessionIndex) for single-node deployments.
//
// Every Append is one fsync'd bbolt transaction that checks the sequence
// number, writes the entry and its session index record, and commits
// atomically, so a crash never leaves a half-written entry: after reopening,
// the log ends at the last acknowledged entry or the one after it. The file
// is locked while open; two processes cannot share it.
//
//	st, err := boltstore.Open("audit.db")
//	...
//	defer st.Close()
//	log, err := audit.Open(ctx, audit.WithStore(st), audit.WithSigner(signer))
package boltstore
