package integration_test

import (
	"context"
	"image"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/adapters/pgstore"
	"github.com/openliveness/openliveness/adapters/redisstore"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/internal/cputime"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/spoof"
)

// syntheticFrames answers every frame with a live-looking face and a full
// per-frame spoof result (64×64 thumbnail), so every frame record has the
// size of a real one while the frame costs no image analysis: what is
// measured is the engine's and the store's work per frame, the part that
// could grow with the session's length (as liveness's
// BenchmarkFrameSessionLength "engine" runs).
type syntheticFrames struct{ base spoof.Thumb }

func (a *syntheticFrames) AnalyzeFrame(ctx context.Context, data []byte, _ *face.Face) (*liveness.FrameAnalysis, error) {
	n, _ := strconv.Atoi(string(data))
	r := rand.New(rand.NewPCG(uint64(n), 7))
	var lm face.Landmarks
	for i := range lm.Points {
		lm.Points[i] = face.Point{X: 200 + float64(i%20)*3 + r.Float64(), Y: 150 + float64(i/20)*3 + r.Float64(), Z: float64(i % 7)}
	}
	m := face.Measures{EARLeft: 0.3, EARRight: 0.3, EAR: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1}
	f := face.Face{Box: image.Rect(180, 120, 420, 400), Score: 10, FaceFlag: 1, Landmarks: &lm, Measures: m, Pose: face.Pose{Yaw: r.Float64() * 2, Pitch: r.Float64()}}
	sr := spoof.Result{Score: 0.8, Margin: 1.4, LaplacianVar: 140 + r.Float64()}
	sr.Thumb = a.base
	for i := range sr.Thumb {
		sr.Thumb[i] += uint8(r.IntN(9))
	}
	return &liveness.FrameAnalysis{Result: &face.Result{Width: 640, Height: 480, Faces: []face.Face{f}}, Spoof: &sr}, nil
}

// BenchmarkAdapterSessionLength measures a frame's cost at the 10th and
// the 400th frame of one session with the sessions in Redis and in
// PostgreSQL: one iteration is one session of 400 frames sent one at a
// time through the engine (synthetic analysis, as above). cpu-us is this
// process's CPU per frame (engine and client library), wall-us the
// elapsed time per frame including the round trips to the server; medians
// of frames 6–15 and 391–400, then over iterations.
//
//	cd adapters && go test -run '^$' -bench AdapterSessionLength -benchtime 3x ./integration
func BenchmarkAdapterSessionLength(b *testing.B) {
	const frames = 400
	for _, store := range []string{"redis", "postgres"} {
		b.Run(store, func(b *testing.B) {
			if os.Getenv("OPENLIVENESS_REDIS_URL") == "" || os.Getenv("OPENLIVENESS_POSTGRES_URL") == "" {
				b.Skip("OPENLIVENESS_REDIS_URL and OPENLIVENESS_POSTGRES_URL are not set (see adapters/ci/services.sh)")
			}
			c := newCluster(b, 0)
			var st liveness.Store
			if store == "redis" {
				st = redisClusterStore(b, c)
			} else {
				pool, err := pgxpool.New(context.Background(), c.postgresURL)
				require.NoError(b, err)
				b.Cleanup(pool.Close)
				_, err = pgstore.Migrate(context.Background(), pool)
				require.NoError(b, err)
				st = pgstore.NewSessionStore(pool)
			}
			ra := &syntheticFrames{}
			r := rand.New(rand.NewPCG(1, 2))
			for i := range ra.base {
				ra.base[i] = uint8(64 + r.IntN(128))
			}
			an, err := face.NewAnalyzer()
			require.NoError(b, err)
			now := time.Now()
			clock := func() time.Time { return now }
			th := challenge.DefaultThresholds()
			th.MaxStrikes = 1 << 20
			e, err := liveness.New(liveness.WithClock(clock), liveness.WithFrameAnalyzer(ra), liveness.WithStore(st), liveness.WithAnalyzer(an),
				liveness.WithThresholds(th), liveness.WithResponseWindow(time.Hour), liveness.WithMaxFrames(frames+10))
			require.NoError(b, err)
			ctx := context.Background()
			cpu := make([]time.Duration, frames)
			wall := make([]time.Duration, frames)
			var cpu10, cpu400, wall10, wall400 []float64
			for b.Loop() {
				cr, err := e.Create(ctx, liveness.CreateOptions{Sequence: []challenge.ID{challenge.OpenMouth}, TTL: time.Hour})
				require.NoError(b, err)
				for i := range frames {
					now = now.Add(40 * time.Millisecond)
					c0, w0 := cputime.Process(), time.Now()
					out, err := e.Submit(ctx, cr.Session.ID, []liveness.Frame{{Data: []byte(strconv.Itoa(i))}}, nil)
					cpu[i], wall[i] = cputime.Process()-c0, time.Since(w0)
					require.NoError(b, err)
					require.Equal(b, liveness.StatusPending, out.Session.Status, "frame %d: %s", i+1, out.Session.Reason)
				}
				cpu10, cpu400 = append(cpu10, median(cpu[5:15])), append(cpu400, median(cpu[frames-10:]))
				wall10, wall400 = append(wall10, median(wall[5:15])), append(wall400, median(wall[frames-10:]))
			}
			for _, m := range []struct {
				xs   []float64
				unit string
			}{{cpu10, "cpu-us@10"}, {cpu400, "cpu-us@400"}, {wall10, "wall-us@10"}, {wall400, "wall-us@400"}} {
				slices.Sort(m.xs)
				b.ReportMetric(m.xs[len(m.xs)/2], m.unit)
			}
		})
	}
}

func redisClusterStore(b *testing.B, c *cluster) liveness.Store {
	opt, err := redis.ParseURL(c.redisURL)
	require.NoError(b, err)
	rc := redis.NewClient(opt)
	b.Cleanup(func() { rc.Close() })
	return redisstore.New(rc, redisstore.WithPrefix(c.prefix))
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds()) / 1e3
}
