// Package event defines the session events the liveness engine sends by
// webhook: their types (session.created … session.expired, webhook.test),
// the envelope payload [Event] ({"id","object","type","created","data"})
// and the flat session.completed payload [Completed] sent to endpoints with
// [FormatCompleted] for terminal events. A Go receiver parses a verified
// body with [ParseEvent] or [ParseCompleted] and drops stale replays with
// [Completed.CheckFresh]; the package imports only the standard library and
// package webhook, never the engine.
//
// Payloads never carry images, only an evidence hash and an expiring
// evidence URL ([Evidence]). Values are plain data, safe to copy and to use
// from several goroutines.
package event
