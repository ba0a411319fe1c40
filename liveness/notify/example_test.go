package notify_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/notify"
)

// The webhook data of a terminal event: passed only for verdict PASS, the
// score and the reason; the reference id as metadata; never frame data.
func ExampleData() {
	s := &liveness.Session{
		ID: "7d4f2a3e-1b2c-4d5e-8f90-0123456789ab", Status: liveness.StatusPassed,
		Verdict: liveness.VerdictReview, Score: 0.41, ReferenceID: "order-42",
		Challenges: []challenge.ID{challenge.Blink, challenge.Smile},
	}
	d := notify.Data(liveness.Event{Type: liveness.EventFailed, Session: s, Time: time.Now()})
	b, _ := json.Marshal(d)
	fmt.Println(string(b))
	// Output:
	// {"session_id":"7d4f2a3e-1b2c-4d5e-8f90-0123456789ab","passed":false,"score":0.41,"reason":"requires_manual_review","challenges":["BLINK","SMILE"],"metadata":{"reference_id":"order-42"}}
}
