// Package testenv decides what a test does when something it needs from
// its environment is missing: the shared evaluation data, Chromium, Node
// packages, Redis or PostgreSQL. On a developer's machine the test skips
// with the message; under CI (the CI environment variable set to "true",
// as .ci/run does) a missing prerequisite means something was not
// installed or started, so the test fails instead of passing silently.
//
// Skips that do not depend on the environment (a store without an optional
// feature, the race detector) keep calling t.Skip directly.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true or CI=1).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Missing skips tb with the formatted message, or fails it under CI.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI: required test prerequisite missing: "+format, args...)
		return
	}
	tb.Skipf(format, args...)
}
