package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/httpapi"
)

// Every replica builds its engine and handler over the same Redis. (Not
// run as a test: it needs a Redis server.)
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	engine, err := liveness.New(
		liveness.WithStore(redisstore.New(rdb, redisstore.WithRetention(24*time.Hour))),
		liveness.WithFailureLimiter(redisstore.NewFailureLimiter(rdb, 5, 3*time.Minute)),
	)
	if err != nil {
		log.Fatal(err)
	}
	handler, err := httpapi.New(engine,
		httpapi.WithRateLimiter(redisstore.NewRateLimiter(rdb, 30, 10*time.Second)),
		// httpapi.WithKeys(...), and the other options of the server
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = handler
}

// A nonce of a signed URL is accepted once, whichever replica sees it.
// (Not run as a test: it needs a Redis server.)
func ExampleOnceSet_Once() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	nonces := redisstore.NewOnceSet(rdb)

	first, err := nonces.Once(context.Background(), "evidence-url:7f3a9c", 15*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	if !first {
		fmt.Println("this link was already used")
	}
}
