package liveness_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

// A Go program can run sessions without HTTP: create a session, then feed
// it the camera's frames. Here the "camera" shows a printed photo that
// never moves, and the session fails on the repeated frames.
func ExampleEngine() {
	e, err := liveness.New() // in-memory store, embedded models
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := e.Create(ctx, liveness.CreateOptions{ChallengeCount: 1, Challenges: []challenge.ID{challenge.Blink}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("challenges:", c.Session.Challenges)

	frame := exampleFrame() // JPEG bytes from the camera
	// A burst of 12 frames taken 100 ms apart (SubmitOptions.Interval).
	burst := make([]liveness.Frame, 12)
	for i := range burst {
		burst[i] = liveness.Frame{Data: frame}
	}
	out, err := e.Submit(ctx, c.Session.ID, burst, &liveness.SubmitOptions{Interval: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", out.Session.Status, "reason:", out.Session.Reason, "verdict:", out.Session.Verdict)
	// Output:
	// challenges: [BLINK]
	// status: failed reason: spoof_detected verdict: FAIL
}
