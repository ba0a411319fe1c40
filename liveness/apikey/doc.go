// Package apikey issues and checks the API keys of the openliveness REST
// API.
//
// A key is "lv_" followed by 43 base62 characters (32 random bytes). It is
// shown once, when it is created: stores keep only its SHA-256 hash and
// its prefix (the first 11 characters, "lv_" and 8 more), which is enough
// to list and revoke keys without being able to use them. Keys carry 256
// bits of entropy, so a fast hash is sufficient: there is nothing to
// brute-force.
//
//	key, rec, err := apikey.Create(ctx, store, "backend", rand.Reader, time.Now())
//	fmt.Println(key) // give it to the integrator; it cannot be shown again
//	rec, err = apikey.Verify(ctx, store, key) // on every request
//
// MemoryStore keeps keys in memory (tests, development); FileStore keeps
// them in a JSON file, which the reference server's "keys" command edits
// while the server reads it.
package apikey
