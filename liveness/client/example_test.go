package client_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

// A backend creates a session and sends the user to its hosted page; later
// it reads the result.
func Example() {
	// The liveness service (normally: go run ./examples/server).
	engine, err := liveness.New()
	if err != nil {
		log.Fatal(err)
	}
	keys := apikey.NewMemoryStore()
	key, _, _ := apikey.Create(context.Background(), keys, "backend", rand.Reader, time.Now())
	h, err := httpapi.New(engine, httpapi.WithKeys(apikey.Verifier{Store: keys}), httpapi.WithPublicURL("https://liveness.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The backend.
	c, err := client.New(srv.URL, client.WithAPIKey(key))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	s, err := c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, ReferenceID: "order-42"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Challenges, s.ExpiresInSeconds, len(s.HostedURL) > len("https://liveness.example.com/check?s="))

	r, err := c.Result(ctx, s.SessionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, r.Verdict == nil, r.ReferenceID)
	// Output:
	// [BLINK] 300 true
	// pending true order-42
}
