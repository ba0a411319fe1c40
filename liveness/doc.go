// Package liveness is the engine of openliveness: it runs challenge-response
// liveness sessions. A backend creates a session (a random sequence of
// challenges from package challenge), a client sends camera frames, and
// each frame goes through face analysis (package face), the challenge
// detectors and the presentation-attack signals (package spoof). The
// session ends passed, failed, expired or cancelled, with a score in 0..1
// and a verdict (PASS, FAIL or REQUIRES_MANUAL_REVIEW), and every change is
// handed to a Notifier (webhooks).
//
// The engine needs no HTTP: a Go program creates sessions and feeds frames
// directly (see the examples). Package liveness/httpapi mounts it as a REST
// API with the hosted capture page.
//
// # Sessions and state
//
// A session's state lives in a Store with optimistic concurrency: every
// stored change increments Session.Version, and an update based on an
// older version fails with ErrConflict and is retried on fresh state. The
// detectors' state is not stored as such: each session keeps a compact
// record per analysed frame (the measures, a landmark subset, a 32×32 face
// thumbnail and the per-frame spoof result), and any process can rebuild
// the detectors by replaying them, so frames of one session may land on
// different replicas. Within a process, the rebuilt state is cached and
// frames of one session are serialised.
//
// # Scoring
//
// When the last challenge passes (and at least MinFrames frames were
// analysed), score = spoof × (0.5 + 0.5 × challenges), where spoof is the
// session's presentation-attack score (the mean per-frame liveness score)
// and challenges the mean confidence of the passed challenges. The verdict
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
