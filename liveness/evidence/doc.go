// Package evidence holds the evidence stores of the liveness engine: Memory
// (process memory, for tests and single-process demos) and Dir (a directory,
// one sub-directory per session, written atomically and synced when the
// manifest is written). Both implement liveness.EvidenceStore and
// liveness.EvidenceLister (retention); the interfaces stay with the engine,
// which consumes them. A PostgreSQL store is in the adapters module
// (adapters/pgstore.EvidenceStore).
//
// Object names are content-addressed by the engine, so a Put never
// overwrites different content. Get returns liveness.ErrNotFound for a
// missing or purged object.
package evidence
