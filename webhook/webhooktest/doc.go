// Package webhooktest provides testing tools for package webhook and for the
// code that uses it: the conformance suite every [webhook.Store]
// implementation must pass ([RunStoreTests]), a manually advanced
// [webhook.Clock] ([Clock]), and a scripted receiver ([Receiver]) to mount on
// an httptest server.
//
// A PostgreSQL or other store adapter runs the suite from its own tests:
//
//	func TestConformance(t *testing.T) {
//		webhooktest.RunStoreTests(t, webhooktest.StoreFactory{
//			New: func(t *testing.T) webhook.Store { return openTestStore(t) },
//		})
//	}
package webhooktest
