package event_test

import (
	"io"
	"math/rand/v2"
)

// seeded returns a deterministic random source.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}
