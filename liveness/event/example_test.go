package event_test

import (
	"fmt"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
)

func ExampleEvent_Payload() {
	pass, score := false, 0.12
	ev, err := event.NewEvent("evt_1", event.SessionFailed, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		event.SessionData{SessionID: "sess_1", Passed: &pass, Score: &score, Reason: "spoof_suspected"})
	if err != nil {
		panic(err)
	}
	envelope, _ := ev.Payload(event.FormatEvent)
	flat, _ := ev.Payload(event.FormatCompleted)
	fmt.Println(string(envelope))
	fmt.Println(string(flat))
	// Output:
	// {"id":"evt_1","object":"event","type":"session.failed","created":1748779200,"data":{"session_id":"sess_1","passed":false,"score":0.12,"reason":"spoof_suspected"}}
	// {"event":"session.completed","event_id":"evt_1","session_id":"sess_1","passed":false,"score":0.12,"reason":"spoof_suspected","timestamp":"2025-06-01T12:00:00Z"}
}
