package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openliveness/openliveness/liveness"
)

// Defaults of the options.
const (
	DefaultPrefix      = "openliveness:"
	DefaultRetention   = 24 * time.Hour
	DefaultExpiryGrace = 10 * time.Minute
)

// ErrRedis wraps every error reported by the Redis client, so callers can
// tell a failing server from a store outcome such as liveness.ErrConflict.
var ErrRedis = errors.New("redisstore: redis")

// Option configures a Store, a FailureLimiter, a RateLimiter or an OnceSet.
// Options that do not apply to a type are ignored by it.
type Option func(*config)

type config struct {
	prefix    string
	now       func() time.Time
	retention time.Duration
	grace     time.Duration
}

func newConfig(opts []Option) config {
	c := config{prefix: DefaultPrefix, retention: DefaultRetention, grace: DefaultExpiryGrace}
	for _, o := range opts {
		o(&c)
	}
	if c.retention <= 0 {
		c.retention = DefaultRetention
	}
	if c.grace <= 0 {
		c.grace = DefaultExpiryGrace
	}
	return c
}

// WithPrefix sets the prefix of every key (default DefaultPrefix).
// Deployments sharing one Redis use distinct prefixes.
func WithPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithClock sets the clock. The Store uses it to compute key lifetimes
// (default time.Now); the RateLimiter uses it for event times (default:
// the Redis server's clock, which every replica shares).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRetention sets how long a finished session stays readable after its
// last change (default 24 hours).
func WithRetention(d time.Duration) Option { return func(c *config) { c.retention = d } }

// WithExpiryGrace sets how long a pending session's key outlives the
// session's ExpiresAt (default 10 minutes), so that an engine sweep can
// still mark it expired and send its event. It must exceed the engine's
// sweep interval.
func WithExpiryGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// Store is a liveness.Store and liveness.PendingLister in Redis. It is safe
// for concurrent use, also by several processes sharing the Redis server
// and prefix.
type Store struct {
	c   redis.UniversalClient
	cfg config
}

var (
	_ liveness.Store         = (*Store)(nil)
	_ liveness.PendingLister = (*Store)(nil)
)

// New returns a Store over c. The Store does not close c.
func New(c redis.UniversalClient, opts ...Option) *Store {
	cfg := newConfig(opts)
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &Store{c: c, cfg: cfg}
}

func (s *Store) sessionKey(id string) string { return s.cfg.prefix + "session:" + id }
func (s *Store) pendingKey() string          { return s.cfg.prefix + "pending" }

// createScript stores a new session unless its key exists.
// KEYS: session, pending index. ARGV: data, ttl ms, pending flag, expiry
// score, id.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5]) end
return 1
`)

// updateScript replaces a session if its stored version is the expected one.
// KEYS: session, pending index. ARGV: expected version, new version, data,
// ttl ms, pending flag, expiry score, id. Returns -1 missing, 0 conflict,
// 1 stored.
var updateScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
else
  redis.call('ZREM', KEYS[2], ARGV[7])
end
return 1
`)

// expiredScript lists pending sessions due by ARGV[1], at most ARGV[2] (0:
// all), dropping index members whose session key has vanished.
// KEYS: pending index. ARGV: max score, limit, session key prefix.
var expiredScript = redis.NewScript(`
local out = {}
local limit = tonumber(ARGV[2])
local offset = 0
while true do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', offset, 100)
  if #ids == 0 then return out end
  for _, id in ipairs(ids) do
    if redis.call('EXISTS', ARGV[3] .. id) == 1 then
      out[#out + 1] = id
      offset = offset + 1
      if limit > 0 and #out >= limit then return out end
    else
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
`)

// lifetime returns the TTL of a session's key in milliseconds and whether
// it belongs in the pending index.
func (s *Store) lifetime(sess *liveness.Session) (ttl int64, pending bool) {
	d := s.cfg.retention
	pending = sess.Status == liveness.StatusPending
	if pending {
		d = max(sess.ExpiresAt.Sub(s.cfg.now()), 0) + s.cfg.grace
	}
	return max(d.Milliseconds(), 1), pending
}

func score(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Create implements liveness.Store.
func (s *Store) Create(ctx context.Context, sess *liveness.Session) error {
	old := sess.Version
	sess.Version = 1
	b, err := json.Marshal(sess)
	if err != nil {
		sess.Version = old
		return fmt.Errorf("redisstore: encode session: %w", err)
	}
	ttl, pending := s.lifetime(sess)
	n, err := createScript.Run(ctx, s.c, []string{s.sessionKey(sess.ID), s.pendingKey()},
		b, ttl, flag(pending), score(sess.ExpiresAt), sess.ID).Int()
	if err != nil {
		sess.Version = old
		return fmt.Errorf("%w: create session: %w", ErrRedis, err)
	}
	if n == 0 {
		sess.Version = old
		return liveness.ErrExists
	}
	return nil
}

// Get implements liveness.Store.
func (s *Store) Get(ctx context.Context, id string) (*liveness.Session, error) {
	b, err := s.c.HGet(ctx, s.sessionKey(id), "d").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, liveness.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("%w: get session: %w", ErrRedis, err)
	}
	var sess liveness.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, fmt.Errorf("redisstore: decode session %s: %w", id, err)
	}
	return &sess, nil
}

// Update implements liveness.Store.
func (s *Store) Update(ctx context.Context, sess *liveness.Session) error {
	expected := sess.Version
	sess.Version++
	b, err := json.Marshal(sess)
	if err != nil {
		sess.Version = expected
		return fmt.Errorf("redisstore: encode session: %w", err)
	}
	ttl, pending := s.lifetime(sess)
	n, err := updateScript.Run(ctx, s.c, []string{s.sessionKey(sess.ID), s.pendingKey()},
		strconv.FormatInt(expected, 10), strconv.FormatInt(sess.Version, 10), b, ttl,
		flag(pending), score(sess.ExpiresAt), sess.ID).Int()
	switch {
	case err != nil:
		sess.Version = expected
		return fmt.Errorf("%w: update session: %w", ErrRedis, err)
	case n < 0:
		sess.Version = expected
		return liveness.ErrNotFound
	case n == 0:
		sess.Version = expected
		return liveness.ErrConflict
	}
	return nil
}

// ExpiredPending implements liveness.PendingLister. Index entries of
// sessions whose key already expired are removed on the way.
func (s *Store) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := expiredScript.Run(ctx, s.c, []string{s.pendingKey()},
		score(now), max(limit, 0), s.cfg.prefix+"session:").StringSlice()
	if err != nil {
		return nil, fmt.Errorf("%w: list expired sessions: %w", ErrRedis, err)
	}
	return ids, nil
}
