// Package redisstore keeps the state that several server replicas must
// share in Redis: liveness sessions, failure limits per reference id, the
// per-session frame rate limit of the HTTP API, and one-time values.
//
// # Sessions
//
// [Store] implements liveness.Store (docs/storage.md): a session is a
// small header plus an append-only frame log, and every change is one
// atomic Commit of the header, the frame records it appends and the
// intents (webhook events, audit entries) it causes. Persisted schema 2,
// under the prefix:
//
//	session:ID   hash: "v" version, "s" schema ("2"), "d" the header
//	             (liveness.MarshalSession; never the frames)
//	frames:ID    list of liveness.FrameRecord JSON, in frame order
//	pending      sorted set of pending session ids by ExpiresAt (µs)
//	ended        sorted set of ended session ids by CompletedAt (µs)
//	intents      hash of intent id to liveness.Intent JSON (the outbox)
//	intents:at   sorted set of intent ids by CreatedAt (µs)
//
// Commit is one Lua script, so the state change and its durable intents
// are one Redis write: it compares the stored version with the one the
// caller read (optimistic concurrency; the loser gets
// liveness.ErrConflict, re-reads and retries), replaces the header,
// appends the frames and adds the intents. The engine then relays the
// intents to the webhook outbox and the audit log (PostgreSQL with
// adapters/cmd/server) and deletes them; intents a crash left behind are
// relayed again by the engine's reconciler, at start-up and periodically,
// with the same webhook event ids (derived from the session id, the
// version and the event type) and without duplicating audit entries.
// Intents never expire by themselves. Get reads the "d" field only;
// Frames reads the list.
//
// A schema 1 record (a hash of "v" and the whole session JSON with its
// history, as this package wrote before) is migrated on first read: the
// history becomes the frame log and the header is rewritten, in one
// script that does nothing if the record changed meanwhile.
//
// Retention: the engine's Prune (liveness.WithRetention; the replica
// server runs it every 10 minutes) deletes sessions that ended before the
// cutoff with their frame logs. Keys also expire by themselves, as a
// bound: a pending session's keys live until the session's ExpiresAt plus
// a grace (default 10 minutes, [WithExpiryGrace]) that leaves the engine
// time to mark it expired and send its event; an ended session's keys
// live for the retention (default 24 hours, [WithRetention]) after its
// last change. Schema 1 records of ended sessions are not in the ended
// index and go by their key lifetime.
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
// The scripts touch the session keys, the indexes and the outbox together, so
// the package expects one Redis primary (optionally with replicas or
// Sentinel). With Redis Cluster, give a prefix holding a hash tag, such as
// "{openliveness}:", so that all keys fall in one slot.
//
// All types are safe for concurrent use; several processes may use the
// same Redis and prefix at once.
package redisstore
