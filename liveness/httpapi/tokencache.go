package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// tokenCache remembers which client token opened which pending session, so
// that frame submissions after the first are authenticated without reading
// the session (the engine reads it anyway, and the stored session grows
// with every frame). A session's token never changes; entries are dropped
// when the handler sees the session end, and an arbitrary entry is evicted
// when the cache is full. Safe for concurrent use.
type tokenCache struct {
	mu  sync.Mutex
	m   map[string]tokenEntry
	max int
}

// tokenEntry is the token hash of a session and the session's owner.
type tokenEntry struct {
	hash  [sha256.Size]byte
	owner string
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: map[string]tokenEntry{}, max: max}
}

// ok reports whether token was seen valid for session id.
func (c *tokenCache) ok(id, token string) bool {
	_, ok := c.lookup(id, token)
	return ok
}

// lookup reports whether token was seen valid for session id, and returns
// the session's owner.
func (c *tokenCache) lookup(id, token string) (string, bool) {
	h := sha256.Sum256([]byte(token))
	c.mu.Lock()
	want, found := c.m[id]
	c.mu.Unlock()
	if !found || subtle.ConstantTimeCompare(h[:], want.hash[:]) != 1 {
		return "", false
	}
	return want.owner, true
}

// add records token as valid for id.
func (c *tokenCache) add(id, token string) { c.addOwned(id, token, "") }

// addOwned records token as valid for id, a session of owner.
func (c *tokenCache) addOwned(id, token, owner string) {
	h := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, found := c.m[id]; !found && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = tokenEntry{hash: h, owner: owner}
}

// drop forgets session id.
func (c *tokenCache) drop(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}
