// Package server runs the openliveness server: the engine, the REST API,
// the hosted page and the SDK, webhooks, metrics and the audit log, wired
// once for every main that serves them (examples/server with memory or
// bbolt stores, adapters/cmd/server with Redis and PostgreSQL).
//
// A main registers the shared flags (RegisterFlags), adds its own, parses
// them with their environment variables (ParseFlags: OPENLIVENESS_ and the
// flag's name in upper case with '_' for '-'), sets Config.Stores to open
// its backends and calls Run. Run takes the Config by value and changes
// nothing it has handed on: the evidence URL signer, for example, is built
// complete once the listen address is known.
//
// On cancellation of its context Run stops accepting connections, lets the
// requests in flight finish, then the webhook attempts in flight (what is
// not delivered stays in the outbox), stops the background workers and
// returns.
package server
