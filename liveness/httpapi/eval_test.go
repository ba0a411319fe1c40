//go:build eval

package httpapi

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/client"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/evidence"
	"github.com/openliveness/openliveness/liveness/notify"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/liveness/outbox/outboxtest"
	"github.com/openliveness/openliveness/webhook"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evalServer is the whole stack over HTTP: engine (fake clock), webhook
// dispatcher and notifier, handler; and a loopback receiver verifying
// signatures with the server's secret.
type evalServer struct {
	c     *client.Client
	clock *fakeClock
	recv  *outboxtest.Receiver
	hook  string
}

func newEvalServer(t *testing.T) *evalServer {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	recv := outboxtest.NewReceiver()
	recv.Verifier = &webhook.Verifier{Scheme: webhook.SchemeStandard, Secrets: []string{testSecret}}
	rs := httptest.NewServer(recv)
	t.Cleanup(rs.Close)
	d, err := outbox.New(outbox.WithInsecureTargets(), outbox.WithLogger(quiet))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go d.Run(ctx)
	t.Cleanup(func() { cancel(); d.Close() })
	n, err := notify.New(d, notify.WithSessionSecret(testSecret), notify.WithInsecureTargets(), notify.WithLogger(quiet))
	require.NoError(t, err)
	e := newEnv(t, envOptions{
		engine: func(clk *fakeClock) Engine {
			return newEngine(t, clk, liveness.WithNotifier(n), liveness.WithEvidenceStore(evidence.NewMemory(clk.Now)))
		},
		handler: []Option{WithWebhooks(n)},
	})
	c, err := client.New(e.srv.URL, client.WithAPIKey(e.key))
	require.NoError(t, err)
	return &evalServer{c: c, clock: e.clock, recv: recv, hook: rs.URL + "/liveness"}
}

// replay sends frames (every 3rd, as the hosted page's 8 fps bursts of a
// 25 fps camera) in bursts of 10 taken 120 ms apart, one burst per 1.2 s,
// until the session ends or the frames run out.
func (s *evalServer) replay(t *testing.T, id, token string, frames [][]byte) *client.VerifyResponse {
	t.Helper()
	browser := s.c.WithClientToken(token)
	var out *client.VerifyResponse
	var burst [][]byte
	for k := 0; k < len(frames); k += 3 {
		burst = append(burst, frames[k])
		if len(burst) < 10 && k+3 < len(frames) {
			continue
		}
		s.clock.Advance(time.Duration(len(burst)) * 120 * time.Millisecond)
		var err error
		out, err = browser.Verify(context.Background(), id, client.VerifyRequest{Frames: burst, Interval: 120 * time.Millisecond})
		burst = burst[:0]
		require.NoError(t, err)
		t.Logf("frame %d: %s passed=%v hint=%s message=%q", k+1, out.SessionStatus, out.ChallengePassed, out.Hint, out.Message)
		if out.SessionStatus != "pending" {
			break
		}
	}
	return out
}

// completed waits for the signed session.completed of a session.
func (s *evalServer) completed(t *testing.T, id string) event.Completed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, err := s.recv.Next(ctx)
		require.NoError(t, err, "no session.completed for %s", id)
		require.NoError(t, req.Verified, "webhook signature does not verify")
		c, err := event.ParseCompleted(req.Body)
		require.NoError(t, err, "webhook body %s", req.Body)
		if c.SessionID == id {
			return c
		}
	}
}

func TestEvalHTTPBlinkVideo(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	require.NoError(t, err)
	s := newEvalServer(t)
	ctx := context.Background()
	created, err := s.c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, WebhookURL: s.hook, ReferenceID: "eval-blink"})
	require.NoError(t, err)
	// The recording from 1.6 s before its first eye closure (frames
	// 139–194): a person who closes the eyes when asked, within the
	// response window.
	out := s.replay(t, created.SessionID, created.ClientToken, frames[99:])
	require.Equal(t, "passed", out.SessionStatus, "blink video over HTTP: %+v", out)
	require.True(t, out.LivenessVerified, "blink video over HTTP: %+v", out)
	require.Equal(t, "Liveness verified successfully", out.Message, "blink video over HTTP")
	r, err := s.c.Result(ctx, created.SessionID)
	require.NoError(t, err)
	require.NotNil(t, r.Verdict, "result %+v", r)
	require.Equal(t, "PASS", *r.Verdict, "result %+v", r)
	require.NotNil(t, r.Confidence, "result %+v", r)
	require.Equal(t, out.Score, *r.Confidence, "result %+v", r)
	require.NotEmpty(t, r.ModelVersion, "result %+v", r)
	require.True(t, strings.HasPrefix(r.EvidenceHash, "sha256:"), "result %+v", r)
	t.Logf("result: verdict %s score %.3f frames %d model %s", *r.Verdict, *r.Confidence, r.Frames, r.ModelVersion)
	c := s.completed(t, created.SessionID)
	assert.True(t, c.Passed, "session.completed %+v", c)
	assert.Nil(t, c.Reason, "session.completed %+v", c)
	assert.Equal(t, out.Score, c.Score, "session.completed %+v", c)
	assert.Equal(t, event.EventCompleted, c.Event, "session.completed %+v", c)
	assert.Equal(t, r.EvidenceHash, c.EvidenceHash, "session.completed %+v", c)
}

func TestEvalHTTPStillPhoto(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	require.NoError(t, err)
	stills := map[string][]byte{"video frame": frames[0], "testdata/face.jpg": faceJPEG(t)}
	for name, still := range stills {
		t.Run(name, func(t *testing.T) {
			s := newEvalServer(t)
			ctx := context.Background()
			created, err := s.c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, WebhookURL: s.hook})
			require.NoError(t, err)
			repeated := make([][]byte, 3*60)
			for i := range repeated {
				repeated[i] = still
			}
			out := s.replay(t, created.SessionID, created.ClientToken, repeated)
			require.NotEqual(t, "passed", out.SessionStatus, "a still photo passed: %+v", out)
			if out.SessionStatus == "pending" {
				s.clock.Advance(10 * time.Minute) // let it expire
			}
			r, err := s.c.Result(ctx, created.SessionID)
			require.NoError(t, err)
			require.NotNil(t, r.Verdict, "result %+v", r)
			require.Equal(t, "FAIL", *r.Verdict, "result %+v", r)
			t.Logf("still photo: status %s reason %v", r.Status, *r.Reason)
			c := s.completed(t, created.SessionID)
			assert.False(t, c.Passed, "session.completed %+v", c)
			assert.NotNil(t, c.Reason, "session.completed %+v", c)
		})
	}
}
