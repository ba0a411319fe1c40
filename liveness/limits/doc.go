// Package limits holds the bounds of the liveness API in one value: the
// engine checks them, liveness/httpapi checks and serves them (to the
// hosted page), the Go client and the test mock server check requests
// against them, and a test fails when openapi.yaml documents other
// numbers. It imports nothing but the challenge constants, so that the
// client can use it without the engine.
package limits
