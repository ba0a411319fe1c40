// Package notify delivers the liveness engine's session events as signed
// webhooks. A Notifier implements liveness.Notifier (the interface the
// engine consumes) on top of an outbox.Dispatcher: every event is stored
// in the durable outbox before Notify returns, then delivered with retries.
//
// Events go to the server-wide endpoints (WithEndpoints), to a tenant's own
// endpoint (WithTenantEndpoints) and to a session's webhook URL, signed
// with the session secret (WithSessionSecret) in the flat
// session.completed format unless WithSessionFormat selects the session.*
// envelope. Data builds an event's payload (package liveness/event);
// WithEvidenceURLs adds a signed link to the sealed evidence
// (httpapi.EvidenceURLs is one EvidenceLinker).
//
// A Notifier is safe for concurrent use.
package notify
