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
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go d.Run(ctx)
	t.Cleanup(func() { cancel(); d.Close() })
	n, err := notify.New(d, notify.WithSessionSecret(testSecret), notify.WithInsecureTargets(), notify.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{
		engine: func(clk *fakeClock) Engine {
			return newEngine(t, clk, liveness.WithNotifier(n), liveness.WithEvidenceStore(evidence.NewMemory(clk.Now)))
		},
		handler: []Option{WithWebhooks(n)},
	})
	c, err := client.New(e.srv.URL, client.WithAPIKey(e.key))
	if err != nil {
		t.Fatal(err)
	}
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
		if err != nil {
			t.Fatal(err)
		}
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
		if err != nil {
			t.Fatalf("no session.completed for %s: %v", id, err)
		}
		if req.Verified != nil {
			t.Fatalf("webhook signature does not verify: %v", req.Verified)
		}
		c, err := event.ParseCompleted(req.Body)
		if err != nil {
			t.Fatalf("webhook body %s: %v", req.Body, err)
		}
		if c.SessionID == id {
			return c
		}
	}
}

func TestEvalHTTPBlinkVideo(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	if err != nil {
		t.Fatal(err)
	}
	s := newEvalServer(t)
	ctx := context.Background()
	created, err := s.c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, WebhookURL: s.hook, ReferenceID: "eval-blink"})
	if err != nil {
		t.Fatal(err)
	}
	// The recording from 1.6 s before its first eye closure (frames
	// 139–194): a person who closes the eyes when asked, within the
	// response window.
	out := s.replay(t, created.SessionID, created.ClientToken, frames[99:])
	if out.SessionStatus != "passed" || !out.LivenessVerified || out.Message != "Liveness verified successfully" {
		t.Fatalf("blink video over HTTP: %+v", out)
	}
	r, err := s.c.Result(ctx, created.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict == nil || *r.Verdict != "PASS" || r.Confidence == nil || *r.Confidence != out.Score || r.ModelVersion == "" ||
		!strings.HasPrefix(r.EvidenceHash, "sha256:") {
		t.Fatalf("result %+v", r)
	}
	t.Logf("result: verdict %s score %.3f frames %d model %s", *r.Verdict, *r.Confidence, r.Frames, r.ModelVersion)
	c := s.completed(t, created.SessionID)
	if !c.Passed || c.Reason != nil || c.Score != out.Score || c.Event != event.EventCompleted || c.EvidenceHash != r.EvidenceHash {
		t.Errorf("session.completed %+v", c)
	}
}

func TestEvalHTTPStillPhoto(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	if err != nil {
		t.Fatal(err)
	}
	stills := map[string][]byte{"video frame": frames[0], "testdata/face.jpg": faceJPEG(t)}
	for name, still := range stills {
		t.Run(name, func(t *testing.T) {
			s := newEvalServer(t)
			ctx := context.Background()
			created, err := s.c.CreateSession(ctx, client.CreateSessionRequest{Challenges: []string{"BLINK"}, WebhookURL: s.hook})
			if err != nil {
				t.Fatal(err)
			}
			repeated := make([][]byte, 3*60)
			for i := range repeated {
				repeated[i] = still
			}
			out := s.replay(t, created.SessionID, created.ClientToken, repeated)
			if out.SessionStatus == "passed" {
				t.Fatalf("a still photo passed: %+v", out)
			}
			if out.SessionStatus == "pending" {
				s.clock.Advance(10 * time.Minute) // let it expire
			}
			r, err := s.c.Result(ctx, created.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict == nil || *r.Verdict != "FAIL" {
				t.Fatalf("result %+v", r)
			}
			t.Logf("still photo: status %s reason %v", r.Status, *r.Reason)
			c := s.completed(t, created.SessionID)
			if c.Passed || c.Reason == nil {
				t.Errorf("session.completed %+v", c)
			}
		})
	}
}
