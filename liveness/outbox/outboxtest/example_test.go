package outboxtest_test

import (
	"fmt"
	"time"

	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
)

func ExampleClock() {
	c := outboxtest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	fired := make(chan time.Time, 1)
	c.AfterFunc(5*time.Second, func() { fired <- c.Now() })
	c.Advance(4 * time.Second)
	fmt.Println("pending after 4 s:", c.Pending())
	c.Advance(time.Second)
	fmt.Println("fired at", (<-fired).Format(time.TimeOnly))
	// Output:
	// pending after 4 s: 1
	// fired at 12:00:05
}
