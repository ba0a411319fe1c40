package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/testenv"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/storetest"
)

// newClient connects to the server named by OPENLIVENESS_REDIS_URL and
// skips the test when there is none.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("OPENLIVENESS_REDIS_URL")
	if url == "" {
		testenv.Missing(t, "OPENLIVENESS_REDIS_URL is not set: start Redis (see adapters/ci/services.sh) to run this test")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("OPENLIVENESS_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		testenv.Missing(t, "Redis at %s is unreachable (%v): start it (see adapters/ci/services.sh) to run this test", url, err)
	}
	return c
}

// newPrefix returns a key prefix unique to the test and deletes its keys
// when the test ends.
func newPrefix(t *testing.T, c *redis.Client) string {
	t.Helper()
	p := "oltest:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, p+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return p
}

func TestStoreConformance(t *testing.T) {
	c := newClient(t)
	storetest.Run(t, func(t *testing.T) liveness.Store {
		return redisstore.New(c, redisstore.WithPrefix(newPrefix(t, c)))
	})
}

// TestStoreMigration stores a schema 1 record as the previous version of
// the package did (a hash of version and JSON, and the pending index) and
// runs the migration conformance test.
func TestStoreMigration(t *testing.T) {
	c := newClient(t)
	storetest.RunMigration(t, func(t *testing.T, legacy map[string][]byte) liveness.Store {
		prefix := newPrefix(t, c)
		for id, rec := range legacy {
			var old struct {
				Version   int64     `json:"version"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			require.NoError(t, json.Unmarshal(rec, &old))
			require.NoError(t, c.HSet(t.Context(), prefix+"session:"+id, "v", old.Version, "d", rec).Err())
			require.NoError(t, c.ZAdd(t.Context(), prefix+"pending", redis.Z{Score: float64(old.ExpiresAt.UnixMicro()), Member: id}).Err())
		}
		return redisstore.New(c, redisstore.WithPrefix(prefix))
	})
}

// TestPruneKeepsIntents checks that retention deletes an ended session's
// header and frame log but never its outbox intents, on an injected
// clock.
func TestPruneKeepsIntents(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	prefix := newPrefix(t, c)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(func() time.Time { return now }))
	sess := session("a", now, time.Minute)
	require.NoError(t, s.Create(ctx, sess))
	sess.Status, sess.CompletedAt, sess.Frames = liveness.StatusCancelled, now, 1
	it := liveness.Intent{ID: "a/2/0", SessionID: "a", Kind: liveness.IntentAudit, AuditType: "LIVENESS_RESULT", CreatedAt: now}
	require.NoError(t, s.Commit(ctx, &liveness.Change{Session: sess, Frames: []liveness.FrameRecord{storetest.Frame(1)}, Intents: []liveness.Intent{it}}))
	n, err := s.Prune(ctx, now, 0)
	require.NoError(t, err)
	require.Zero(t, n, "ended exactly at the bound: kept")
	n, err = s.Prune(ctx, now.Add(time.Second), 0)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, c.Exists(ctx, prefix+"session:a", prefix+"frames:a").Val())
	its, err := s.Intents(ctx, now, 0)
	require.NoError(t, err)
	require.Len(t, its, 1)
}

func session(id string, created time.Time, ttl time.Duration) *liveness.Session {
	return &liveness.Session{
		ID: id, Status: liveness.StatusPending, Challenges: []challenge.ID{challenge.Blink},
		CreatedAt: created, ExpiresAt: created.Add(ttl),
	}
}

// TestKeyLifetime checks the TTL of a session's key: the session's
// remaining lifetime plus the grace while pending, the retention once
// finished.
func TestKeyLifetime(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	const grace, retention = 2 * time.Minute, 3 * time.Hour
	tests := []struct {
		name   string
		ttl    time.Duration // session lifetime from now
		status liveness.Status
		want   time.Duration
	}{
		{"pending", 5 * time.Minute, liveness.StatusPending, 5*time.Minute + grace},
		{"pending, already past its expiry", -time.Hour, liveness.StatusPending, grace},
		{"passed", 5 * time.Minute, liveness.StatusPassed, retention},
		{"expired", -time.Minute, liveness.StatusExpired, retention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := newPrefix(t, c)
			s := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(func() time.Time { return now }),
				redisstore.WithExpiryGrace(grace), redisstore.WithRetention(retention))
			sess := session("a", now, tc.ttl)
			if err := s.Create(ctx, sess); err != nil {
				t.Fatal(err)
			}
			if tc.status != liveness.StatusPending {
				sess.Status, sess.CompletedAt = tc.status, now
				if err := s.Update(ctx, sess); err != nil {
					t.Fatal(err)
				}
			}
			got, err := c.PTTL(ctx, prefix+"session:a").Result()
			if err != nil {
				t.Fatal(err)
			}
			// Redis counts down from the moment it stored the key.
			if got > tc.want || got < tc.want-5*time.Second {
				t.Errorf("key TTL %v, want %v", got, tc.want)
			}
			inIndex := c.ZScore(ctx, prefix+"pending", "a").Err() == nil
			if want := tc.status == liveness.StatusPending; inIndex != want {
				t.Errorf("in the pending index: %v, want %v", inIndex, want)
			}
		})
	}
}

// TestExpiredPendingDropsVanished checks that index entries of sessions
// whose key expired are dropped instead of returned.
func TestExpiredPendingDropsVanished(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	prefix := newPrefix(t, c)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(func() time.Time { return now }))
	for i := range 5 {
		if err := s.Create(ctx, session(fmt.Sprint("s", i), now, time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// s1 and s3 vanish as if their keys had expired.
	c.Del(ctx, prefix+"session:s1", prefix+"session:s3")
	ids, err := s.ExpiredPending(ctx, now.Add(time.Minute), 2)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[s0 s2]" {
		t.Errorf("ExpiredPending(limit 2) = %v, want [s0 s2]", ids)
	}
	ids, _ = s.ExpiredPending(ctx, now.Add(time.Minute), 0)
	if fmt.Sprint(ids) != "[s0 s2 s4]" {
		t.Errorf("ExpiredPending = %v, want [s0 s2 s4]", ids)
	}
	if n := c.ZCard(ctx, prefix+"pending").Val(); n != 3 {
		t.Errorf("pending index holds %d members, want 3", n)
	}
}

// TestTwoReplicas runs optimistic increments of one session through two
// clients with their own connections, as two replicas would: no update is
// lost.
func TestTwoReplicas(t *testing.T) {
	c1 := newClient(t)
	c2 := newClient(t)
	ctx := t.Context()
	prefix := newPrefix(t, c1)
	stores := []*redisstore.Store{redisstore.New(c1, redisstore.WithPrefix(prefix)), redisstore.New(c2, redisstore.WithPrefix(prefix))}
	if err := stores[0].Create(ctx, session("x", time.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
	const each = 25
	var wg sync.WaitGroup
	for w := range 4 {
		s := stores[w%2]
		wg.Go(func() {
			for range each {
				for {
					r, err := s.Get(ctx, "x")
					if err != nil {
						t.Error(err)
						return
					}
					r.Frames++
					err = s.Update(ctx, r)
					if errors.Is(err, liveness.ErrConflict) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	got, err := stores[1].Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got.Frames != 4*each || got.Version != 4*each+1 {
		t.Errorf("frames %d version %d, want %d and %d", got.Frames, got.Version, 4*each, 4*each+1)
	}
}

func TestStoreFailedCreateKeepsVersion(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	s := redisstore.New(c, redisstore.WithPrefix(newPrefix(t, c)))
	if err := s.Create(ctx, session("a", time.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
	dup := session("a", time.Now(), time.Minute)
	dup.Version = 7
	if err := s.Create(ctx, dup); !errors.Is(err, liveness.ErrExists) || dup.Version != 7 {
		t.Errorf("duplicate Create: %v, version %d; want ErrExists and 7", err, dup.Version)
	}
	stale := session("a", time.Now(), time.Minute)
	stale.Version = 3
	if err := s.Update(ctx, stale); !errors.Is(err, liveness.ErrConflict) || stale.Version != 3 {
		t.Errorf("stale Update: %v, version %d; want ErrConflict and 3", err, stale.Version)
	}
}

func TestUnreachableServer(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	s := redisstore.New(c)
	if _, err := s.Get(t.Context(), "a"); !errors.Is(err, redisstore.ErrRedis) {
		t.Errorf("Get with no server: %v, want ErrRedis", err)
	}
	if err := s.Update(t.Context(), session("a", time.Now(), time.Minute)); !errors.Is(err, redisstore.ErrRedis) {
		t.Errorf("Update with no server: %v, want ErrRedis", err)
	}
}
