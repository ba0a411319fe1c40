// Package outboxtest provides testing tools for package outbox and for the
// code that uses it: the conformance suite every [outbox.Store]
// implementation must pass ([RunStoreTests]), a manually advanced
// [outbox.Clock] ([Clock]), and a scripted receiver ([Receiver]) to mount on
// an httptest server.
//
// A PostgreSQL or other store adapter runs the suite from its own tests:
//
//	func TestConformance(t *testing.T) {
//		outboxtest.RunStoreTests(t, outboxtest.StoreFactory{
//			New: func(t *testing.T) outbox.Store { return openTestStore(t) },
//		})
//	}
package outboxtest
