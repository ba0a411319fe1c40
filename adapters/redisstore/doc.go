// Package redisstore keeps the state that several server replicas must
// share in Redis: liveness sessions, failure limits per reference id, the
// per-session frame rate limit of the HTTP API, and one-time values.
//
// # Sessions
//
// [Store] implements liveness.Store and liveness.PendingLister. A session is
// one Redis hash holding its version ("v") and its JSON encoding ("d").
// Create and Update are Lua scripts, so each is one atomic step on the
// server: Update compares the stored version with the one the caller read
// and writes the new encoding only when they are equal (optimistic
// concurrency), so frames of one session that land on two replicas never
// lose an update; the loser gets liveness.ErrConflict, re-reads and
// retries. A sorted set indexes pending sessions by expiry for
// ExpiredPending.
//
// Keys expire by themselves. A pending session's key lives until the
// session's ExpiresAt plus a grace (default 10 minutes, [WithExpiryGrace])
// that leaves the engine time to mark it expired and send its event; a
// finished session's key lives for the retention (default 24 hours,
// [WithRetention]) after its last change, so results stay readable.
//
// # Limits and one-time values
//
// [FailureLimiter] implements liveness.FailureLimiter and [RateLimiter]
// implements the rate limiter of liveness/httpapi; both keep a sorted set
// of event times per key (a sliding window), updated by a Lua script, so a
// limit holds across every replica using the same Redis. [OnceSet] records
// single-use values (nonces, idempotency keys) with SET NX and a TTL.
//
// # Keys and deployment
//
// Every key starts with a prefix (default "openliveness:", [WithPrefix]).
// The scripts touch the session keys and the pending index together, so
// the package expects one Redis primary (optionally with replicas or
// Sentinel). With Redis Cluster, give a prefix holding a hash tag, such as
// "{openliveness}:", so that all keys fall in one slot.
//
// All types are safe for concurrent use; several processes may use the
// same Redis and prefix at once.
package redisstore
