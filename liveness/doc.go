// Package liveness is the engine of openliveness: it runs challenge-response
// liveness sessions. A backend creates a session (a random sequence of
// challenges from package challenge), a client sends camera frames, and
// each frame goes through face analysis (package face), the challenge
// detectors and the presentation-attack signals (package spoof). The
// session ends passed, failed, expired or cancelled, with a score in 0..1
// and a verdict (PASS, FAIL or REQUIRES_MANUAL_REVIEW), and every change is
// handed to a Notifier (webhooks: package liveness/notify).
//
// Around the engine: liveness/notify delivers its events as signed
// webhooks, liveness/evidence holds the evidence stores (the engine
// defines EvidenceStore and EvidenceLister, the interfaces it consumes),
// liveness/httpapi serves the REST API and signs evidence URLs, and
// liveness/server wires a complete server.
//
// The engine needs no HTTP: a Go program creates sessions and feeds frames
// directly (see the examples). Package liveness/httpapi mounts it as a REST
// API with the hosted capture page.
//
// # Sessions and state
//
// A session's state lives in a Store as a small header (the Session) and
// an append-only log of FrameRecords. Every change is one atomic Commit of
// the new header, the frame records it appends and the webhook events and
// audit entries it causes (Intents), with optimistic concurrency: every
// commit increments Session.Version, and a change based on an older
// version fails with ErrConflict and is retried on fresh state. Committed
// intents are relayed to the Notifier and the Auditor just after the call
// returns, in commit order, by the engine's relay worker (Engine.Flush
// waits for it; WithSyncRelay relays before returning), and relayed again
// by Engine.Reconcile after a crash. The detectors' state is not stored as
// such: each analysed frame appends a compact record (the measures, a
// landmark subset, a 64×64 face thumbnail and the per-frame spoof result),
// and any process can rebuild the detectors by replaying the log, so
// frames of one session may land on different replicas. Within a process,
// the detectors are cached and frames of one session are serialised, so a
// frame reads only the header. See docs/storage.md.
//
// # Scoring
//
// When the last challenge passes (and at least MinFrames frames were
// analysed), the score is the calibrated probability that a live person
// completed the session: a logistic function of the session's mean
// per-frame log-odds of live (ScoreFeatures.LiveProbability). The verdict
// is PASS at or above the pass threshold (default 0.5),
// REQUIRES_MANUAL_REVIEW down to the review threshold (0.3) and FAIL below,
// where the session ends failed with reason low_score. A confident
// presentation attack, or a session-level signal (frozen or looped frames,
// planar motion, a swapped face), fails the session at once with reason
// spoof_detected.
//
// # Concurrency
//
// An Engine is safe for concurrent use. MemoryStore is safe for concurrent
// use. Sessions returned by the Engine are copies.
package liveness
