// Package audittest holds helpers for testing code that uses package audit:
// TestStore, the conformance suite every audit.Store implementation must
// pass, and deterministic fixtures (a stepping clock, sequential ids and
// signers from fixed seeds) for reproducible logs and Example output.
//
// A new store adapter runs the suite from its own tests:
//
//	func TestConformance(t *testing.T) {
//		audittest.TestStore(t, func(t *testing.T) audit.Store {
//			return newEmptyStore(t)
//		})
//	}
package audittest
