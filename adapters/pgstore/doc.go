// Package pgstore keeps the durable state that several server replicas
// must share in PostgreSQL: the webhook outbox ([WebhookStore], a
// outbox.Store), the audit chain ([AuditStore], an audit.Store),
// evidence objects ([EvidenceStore], a liveness.EvidenceStore),
// registered reference faces ([ReferenceStore], a
// liveness.ReferenceStore: embedding, model, image hash, owner and
// creation time as a versioned JSON record, never the image) and,
// optionally, the sessions themselves ([SessionStore], a liveness.Store).
//
// # Schema
//
// The tables are created by [Migrate] from SQL files embedded in the
// package, applied in version order inside one transaction under an
// advisory lock and recorded in the table openliveness_migrations, so that
// replicas starting together apply each migration exactly once; running
// it again changes nothing. Tables are created in the first schema of the
// connection's search_path: give the server a schema of its own, for
// example with "?search_path=openliveness" in the connection URL (the
// schema must exist).
//
// # Webhook outbox
//
// Workers on every replica claim due deliveries with SELECT … FOR UPDATE
// SKIP LOCKED and set their lease in the same statement, so a delivery is
// held by one worker at a time and each attempt happens once; a worker
// whose lease passed (it died) loses the delivery to the next claim, and
// its late update is refused with outbox.ErrLeaseLost.
//
// # Sessions
//
// [SessionStore] keeps the persisted session schema 2 (docs/storage.md) in
// three tables (migration 0004_sessions): sessions (one row per header:
// version, schema, the header JSON, and the status and times the indexes
// need), session_frames (one row per frame record) and session_intents
// (the outbox of webhook events and audit entries). Commit is one
// transaction: the header row is updated only if its version is the one
// read (optimistic concurrency; a concurrent commit makes it match no
// row and the caller gets liveness.ErrConflict), then the appended frames
// and the intents are inserted. Prune deletes ended sessions, their frames
// following by ON DELETE CASCADE; intents are deleted by the relay.
//
// # Audit chain
//
// Appends are serialised by the database: one statement updates the single
// row of audit_head (size and hash of the last entry) if it still names
// the entry's seq and prev_hash, and inserts the entry only then. The row
// lock orders concurrent appends; the loser matches no row and gets
// audit.ErrConflict, after which audit.Log rebuilds the entry on the new
// head. The chain therefore stays single across any number of processes.
//
// All types are safe for concurrent use; they use a *pgxpool.Pool, which
// the caller creates and closes.
package pgstore
