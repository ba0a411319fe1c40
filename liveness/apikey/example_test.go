package apikey_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"time"

	"github.com/openliveness/openliveness/liveness/apikey"
)

func Example() {
	ctx := context.Background()
	store := apikey.NewMemoryStore() // or apikey.OpenFile("data/keys.json")
	key, rec, err := apikey.Create(ctx, store, "backend", rand.Reader, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(key), rec.Prefix == key[:apikey.PrefixLen]) // show key once

	if _, err := apikey.Verify(ctx, store, key); err == nil {
		fmt.Println("valid")
	}
	store.Revoke(ctx, rec.Prefix, time.Now())
	_, err = apikey.Verify(ctx, store, key)
	fmt.Println(err)
	// Output:
	// 46 true
	// valid
	// apikey: invalid API key
}
