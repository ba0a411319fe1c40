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

// WithRetention sets how long a finished session's keys live after its
// last change (default 24 hours), a bound behind the engine's own
// retention (liveness.WithRetention and Store.Prune), which deletes ended
// sessions on its schedule.
func WithRetention(d time.Duration) Option { return func(c *config) { c.retention = d } }

// WithExpiryGrace sets how long a pending session's key outlives the
// session's ExpiresAt (default 10 minutes), so that an engine sweep can
// still mark it expired and send its event. It must exceed the engine's
// sweep interval.
func WithExpiryGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// Store is a liveness.Store in Redis: session headers, frame logs, the
// outbox of intents, the expiry and retention indexes (persisted schema 2,
// see the package documentation). It is safe for concurrent use, also by
// several processes sharing the Redis server and prefix.
type Store struct {
	c   redis.UniversalClient
	cfg config
}

var _ liveness.Store = (*Store)(nil)

// New returns a Store over c. The Store does not close c.
func New(c redis.UniversalClient, opts ...Option) *Store {
	cfg := newConfig(opts)
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &Store{c: c, cfg: cfg}
}

func (s *Store) sessionKey(id string) string { return s.cfg.prefix + "session:" + id }
func (s *Store) framesKey(id string) string  { return s.cfg.prefix + "frames:" + id }
func (s *Store) pendingKey() string          { return s.cfg.prefix + "pending" }
func (s *Store) endedKey() string            { return s.cfg.prefix + "ended" }
func (s *Store) intentsKey() string          { return s.cfg.prefix + "intents" }
func (s *Store) intentsAtKey() string        { return s.cfg.prefix + "intents:at" }

// schema is the value of a session hash's "s" field in the persisted
// schema this package writes; a hash without it is a schema 1 record.
const schema = "2"

// commitScript applies one liveness.Change atomically.
// KEYS: session, frames, pending index, ended index, intents hash, intents
// time index. ARGV: create flag, expected version, new version, header,
// ttl ms, pending flag, expiry score, id, ended flag, end score, index of
// the first new frame, number of frames n, the n frames, then (id, score,
// intent) triples. Returns 1 stored, 0 exists (create) or conflict, -1
// missing, -2 a schema 1 record to migrate first.
var commitScript = redis.NewScript(`
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  redis.call('DEL', KEYS[2])
else
  local v = redis.call('HGET', KEYS[1], 'v')
  if not v then return -1 end
  if redis.call('HGET', KEYS[1], 's') ~= '` + schema + `' then return -2 end
  if v ~= ARGV[2] then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'd', ARGV[4], 's', '` + schema + `')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local id = ARGV[8]
if ARGV[6] == '1' then redis.call('ZADD', KEYS[3], ARGV[7], id) else redis.call('ZREM', KEYS[3], id) end
if ARGV[9] == '1' then redis.call('ZADD', KEYS[4], ARGV[10], id) else redis.call('ZREM', KEYS[4], id) end
local at = tonumber(ARGV[11])
local n = tonumber(ARGV[12])
if at < redis.call('LLEN', KEYS[2]) then
  if at <= 0 then redis.call('DEL', KEYS[2]) else redis.call('LTRIM', KEYS[2], 0, at - 1) end
end
for i = 1, n do redis.call('RPUSH', KEYS[2], ARGV[12 + i]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
local k = 13 + n
while k + 2 <= #ARGV do
  redis.call('HSET', KEYS[5], ARGV[k], ARGV[k + 2])
  redis.call('ZADD', KEYS[6], ARGV[k + 1], ARGV[k])
  k = k + 3
end
return 1
`)

// migrateScript rewrites a schema 1 record as a schema 2 header and frame
// log, unless it changed since it was read.
// KEYS: session, frames. ARGV: version read, header, frames...
var migrateScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] or redis.call('HGET', KEYS[1], 's') == '` + schema + `' then return 0 end
redis.call('DEL', KEYS[2])
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 's', '` + schema + `')
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 and #ARGV >= 3 then redis.call('PEXPIRE', KEYS[2], ttl) end
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

// pruneScript deletes sessions that ended before ARGV[1] (exclusive
// score), at most ARGV[2] (0: all), with their frame logs; it returns how
// many session keys it deleted (keys that expired by themselves are only
// dropped from the index).
// KEYS: ended index, pending index. ARGV: score bound, limit, key prefix.
var pruneScript = redis.NewScript(`
local limit = tonumber(ARGV[2])
local ids
if limit > 0 then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, limit)
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
end
local n = 0
for _, id in ipairs(ids) do
  n = n + redis.call('DEL', ARGV[3] .. 'session:' .. id)
  redis.call('DEL', ARGV[3] .. 'frames:' .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return n
`)

// lifetime returns the TTL of a session's keys in milliseconds and whether
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

// Commit implements liveness.Store: the header, the appended frame
// records and the intents in one script, so one Redis write holds the
// state change and its durable intents.
func (s *Store) Commit(ctx context.Context, c *liveness.Change) error {
	next, err := c.Next()
	if err != nil {
		return err
	}
	hb, err := liveness.MarshalSession(&next)
	if err != nil {
		return fmt.Errorf("redisstore: encode session: %w", err)
	}
	ttl, pending := s.lifetime(&next)
	ended := next.Status.Final() && !next.CompletedAt.IsZero()
	args := []any{flag(c.Create), strconv.FormatInt(c.Session.Version, 10), strconv.FormatInt(next.Version, 10), hb, ttl,
		flag(pending), score(next.ExpiresAt), next.ID, flag(ended), score(next.CompletedAt),
		next.Frames - len(c.Frames), len(c.Frames)}
	for i := range c.Frames {
		b, err := json.Marshal(&c.Frames[i])
		if err != nil {
			return fmt.Errorf("redisstore: encode frame: %w", err)
		}
		args = append(args, b)
	}
	for i := range c.Intents {
		b, err := json.Marshal(&c.Intents[i])
		if err != nil {
			return fmt.Errorf("redisstore: encode intent: %w", err)
		}
		args = append(args, c.Intents[i].ID, score(c.Intents[i].CreatedAt), b)
	}
	keys := []string{s.sessionKey(next.ID), s.framesKey(next.ID), s.pendingKey(), s.endedKey(), s.intentsKey(), s.intentsAtKey()}
	for range 3 {
		n, err := commitScript.Run(ctx, s.c, keys, args...).Int()
		switch {
		case err != nil:
			return fmt.Errorf("%w: commit session: %w", ErrRedis, err)
		case n == 1:
			c.Session.Version = next.Version
			return nil
		case n == 0 && c.Create:
			return liveness.ErrExists
		case n == 0:
			return liveness.ErrConflict
		case n == -1:
			return liveness.ErrNotFound
		}
		// A schema 1 record: migrate it, then commit again.
		if _, _, err := s.read(ctx, next.ID); err != nil {
			return err
		}
	}
	return liveness.ErrConflict
}

// read returns a session's header, migrating a schema 1 record first; the
// frames are those of the migration (nil for a schema 2 record).
func (s *Store) read(ctx context.Context, id string) (*liveness.Session, []liveness.FrameRecord, error) {
	vals, err := s.c.HMGet(ctx, s.sessionKey(id), "d", "s", "v").Result()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: get session: %w", ErrRedis, err)
	}
	d, ok := vals[0].(string)
	if !ok {
		return nil, nil, liveness.ErrNotFound
	}
	sess, frames, err := liveness.UnmarshalSession([]byte(d))
	if err != nil {
		return nil, nil, fmt.Errorf("redisstore: session %s: %w", id, err)
	}
	if vals[1] == schema {
		return sess, nil, nil
	}
	// Schema 1: move the history into the frame log.
	v, _ := vals[2].(string)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		sess.Version = n
	}
	sess.Frames = max(sess.Frames, len(frames))
	hb, err := liveness.MarshalSession(sess)
	if err != nil {
		return nil, nil, err
	}
	args := []any{v, hb}
	for i := range frames {
		b, err := json.Marshal(&frames[i])
		if err != nil {
			return nil, nil, err
		}
		args = append(args, b)
	}
	if err := migrateScript.Run(ctx, s.c, []string{s.sessionKey(id), s.framesKey(id)}, args...).Err(); err != nil {
		return nil, nil, fmt.Errorf("%w: migrate session: %w", ErrRedis, err)
	}
	return sess, frames, nil
}

// Get implements liveness.Store: one hash read, never the frame log.
func (s *Store) Get(ctx context.Context, id string) (*liveness.Session, error) {
	sess, _, err := s.read(ctx, id)
	return sess, err
}

// Frames implements liveness.Store.
func (s *Store) Frames(ctx context.Context, id string, from int) ([]liveness.FrameRecord, error) {
	var schemaCmd *redis.StringCmd
	var framesCmd *redis.StringSliceCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		schemaCmd = p.HGet(ctx, s.sessionKey(id), "s")
		framesCmd = p.LRange(ctx, s.framesKey(id), int64(max(from, 0)), -1)
		return nil
	})
	switch v, herr := schemaCmd.Result(); {
	case errors.Is(herr, redis.Nil):
		// No schema field: a schema 1 record, or no session at all.
		_, frames, err := s.read(ctx, id)
		if err != nil {
			return nil, err
		}
		if from >= len(frames) {
			return []liveness.FrameRecord{}, nil
		}
		return frames[max(from, 0):], nil
	case herr != nil:
		return nil, fmt.Errorf("%w: get frames: %w", ErrRedis, herr)
	case v != schema:
		return nil, fmt.Errorf("%w: %s", liveness.ErrSchema, v)
	case err != nil && !errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("%w: get frames: %w", ErrRedis, err)
	}
	raw := framesCmd.Val()
	out := make([]liveness.FrameRecord, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal([]byte(b), &out[i]); err != nil {
			return nil, fmt.Errorf("redisstore: frame %d of %s: %w", from+i, id, err)
		}
	}
	return out, nil
}

// Intents implements liveness.Store.
func (s *Store) Intents(ctx context.Context, before time.Time, limit int) ([]liveness.Intent, error) {
	rng := &redis.ZRangeBy{Min: "-inf", Max: score(before)}
	if limit > 0 {
		rng.Count = int64(limit)
	}
	ids, err := s.c.ZRangeByScore(ctx, s.intentsAtKey(), rng).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: list intents: %w", ErrRedis, err)
	}
	if len(ids) == 0 {
		return []liveness.Intent{}, nil
	}
	vals, err := s.c.HMGet(ctx, s.intentsKey(), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: read intents: %w", ErrRedis, err)
	}
	out := make([]liveness.Intent, 0, len(vals))
	for i, v := range vals {
		b, ok := v.(string)
		if !ok {
			continue // deleted meanwhile
		}
		var it liveness.Intent
		if err := json.Unmarshal([]byte(b), &it); err != nil {
			return nil, fmt.Errorf("redisstore: intent %s: %w", ids[i], err)
		}
		if !it.CreatedAt.After(before) {
			out = append(out, it)
		}
	}
	liveness.SortIntents(out)
	return out, nil
}

// DeleteIntents implements liveness.Store.
func (s *Store) DeleteIntents(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.intentsKey(), ids...)
		p.ZRem(ctx, s.intentsAtKey(), members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: delete intents: %w", ErrRedis, err)
	}
	return nil
}

// ExpiredPending implements liveness.Store. Index entries of sessions
// whose key already expired are removed on the way.
func (s *Store) ExpiredPending(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := expiredScript.Run(ctx, s.c, []string{s.pendingKey()},
		score(now), max(limit, 0), s.cfg.prefix+"session:").StringSlice()
	if err != nil {
		return nil, fmt.Errorf("%w: list expired sessions: %w", ErrRedis, err)
	}
	return ids, nil
}

// Prune implements liveness.Store: it deletes sessions that ended before
// endedBefore with their frame logs. Sessions stored before schema 2
// are not in the index of ended sessions; their keys expire by
// themselves (WithRetention).
func (s *Store) Prune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	n, err := pruneScript.Run(ctx, s.c, []string{s.endedKey(), s.pendingKey()}, score(endedBefore), max(limit, 0), s.cfg.prefix).Int()
	if err != nil {
		return 0, fmt.Errorf("%w: prune sessions: %w", ErrRedis, err)
	}
	return n, nil
}

// Create stores a new session: Commit of a Change with Create and no
// frames or intents.
func (s *Store) Create(ctx context.Context, sess *liveness.Session) error {
	return s.Commit(ctx, &liveness.Change{Session: sess, Create: true})
}

// Update stores a changed header: Commit of a Change without frames or
// intents.
func (s *Store) Update(ctx context.Context, sess *liveness.Session) error {
	return s.Commit(ctx, &liveness.Change{Session: sess})
}
