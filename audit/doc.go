// Package audit is a tamper-evident evidence log: append-only entries,
// chained by SHA-256 hashes and signed with Ed25519, with periodic signed
// checkpoints that an operator anchors outside the log.
//
// # Entries
//
// An Entry records one event of a liveness session (SESSION_CREATED,
// CONSENT_RECORDED, CHALLENGE_PASSED, LIVENESS_RESULT, MANUAL_REVIEW,
// DOC_SIGNED, EVIDENCE_PURGED, and KEY_ROTATED written by Log.Rotate). The
// log keeps hashes of payloads and evidence, not the data, so evidence can be
// purged (and the purge recorded) while the log stays verifiable.
//
// Every hash is written "sha256:" followed by 64 lower-case hexadecimal
// digits. An entry's entry_hash is the hash of its canonical form (see
// Entry.Canonical: compact JSON of every field except entry_hash and
// signature, in a fixed order; valid values never need escaping). Its
// prev_hash is the previous entry's entry_hash, or Genesis ("sha256:" and 64
// zeros) for the first entry. Its signature is Ed25519 over
// EntrySignContext followed by the canonical form, in standard base64.
// Timestamps are UTC with microseconds (TimeLayout).
//
// # Keys
//
// A Signer holds the one private key that signs new entries; a Keyring holds
// the public keys, by key id, that verify them. Log.Rotate switches to a new
// Signer and records the change in the log; old entries stay verifiable
// because their keys stay in the keyring.
//
// # Verification
//
// Verify (and Log.Verify, Import) walks a log and returns a *VerifyError
// naming the first entry that is malformed, modified, signed by an unknown
// key, preceded by a gap (removed), out of place (inserted, reordered) or not
// linked to its predecessor, together with its index and audit id.
// Truncation at the end of the log is detected against a Checkpoint.
//
// # Checkpoints
//
// A Checkpoint signs the head (size and last entry_hash) and the RFC 6962
// Merkle root over a range of entries. Anchored externally, it lets a
// verifier detect truncation and rewriting, and lets anyone check that one
// entry is in the log with a short proof (InclusionPath, VerifyInclusion).
// Log.RunCheckpoints makes them periodically.
//
// # Storage
//
// A Log writes through a Store: MemoryStore here, a bbolt file in
// audit/boltstore, others written against the conformance suite in
// audit/audittest. Export and Import move a log as JSON Lines.
//
// The exact byte formats, with a test vector, are documented in
// docs/audit.md of the repository and in testdata/vector.json.
package audit
