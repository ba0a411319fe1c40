package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/apikey"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// scripted is a real engine whose Submit answers can be scripted, to reach
// outcomes that need a live person in front of a camera (a passed
// challenge, a passed session) and engine failures. It records what the
// handler submitted.
type scripted struct {
	*liveness.Engine
	mu     sync.Mutex
	submit func(s *liveness.Session, frames []liveness.Frame, opts *liveness.SubmitOptions) (*liveness.Outcome, error)
	got    [][]liveness.Frame
	opts   []*liveness.SubmitOptions
	gets   atomic.Int64
}

// Get counts the handler's reads of sessions.
func (s *scripted) Get(ctx context.Context, id string) (*liveness.Session, error) {
	s.gets.Add(1)
	return s.Engine.Get(ctx, id)
}

func (s *scripted) Submit(ctx context.Context, id string, frames []liveness.Frame, opts *liveness.SubmitOptions) (*liveness.Outcome, error) {
	s.mu.Lock()
	s.got = append(s.got, frames)
	s.opts = append(s.opts, opts)
	f := s.submit
	s.mu.Unlock()
	if f == nil {
		return s.Engine.Submit(ctx, id, frames, opts)
	}
	sess, err := s.Engine.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return f(sess, frames, opts)
}

func (s *scripted) set(f func(*liveness.Session, []liveness.Frame, *liveness.SubmitOptions) (*liveness.Outcome, error)) {
	s.mu.Lock()
	s.submit = f
	s.mu.Unlock()
}

func (s *scripted) last() ([]liveness.Frame, *liveness.SubmitOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return nil, nil
	}
	return s.got[len(s.got)-1], s.opts[len(s.opts)-1]
}

func newScriptedEnv(t *testing.T, opts ...Option) (*env, *scripted) {
	var sc *scripted
	e := newEnv(t, envOptions{engine: func(clk *fakeClock) Engine {
		sc = &scripted{Engine: newEngine(t, clk)}
		return sc
	}, handler: opts})
	return e, sc
}

func TestVerifyRealFrames(t *testing.T) {
	e := newEnv(t, envOptions{})
	face, gray := faceJPEG(t), grayJPEG(t)
	id, tok := e.create(map[string]any{"challenges": []string{"BLINK"}})
	verify := func(body any) *response {
		t.Helper()
		e.clock.Advance(200 * time.Millisecond)
		return e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: body})
	}
	t.Run("no face", func(t *testing.T) {
		r := verify(map[string]any{"frame_b64": b64(gray)}).expect(t, 200)
		if r.json["face_detected"] != false || r.str("hint") != "no_face" || r.str("feedback") != "No face detected" ||
			r.str("message") != msgKeepTrying || r.str("current_challenge") != "BLINK" || r.json["challenge_passed"] != false {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("face", func(t *testing.T) {
		r := verify(map[string]any{"frame_b64": b64(face)}).expect(t, 200)
		if r.json["face_detected"] != true || r.str("session_status") != "pending" || r.str("current_challenge") != "BLINK" ||
			r.str("message") != "Challenge not passed yet — keep trying" || r.str("hint") == "" || r.str("hint") == "no_face" {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("unpadded base64 burst", func(t *testing.T) {
		enc := strings.TrimRight(b64(face), "=")
		r := verify(map[string]any{"frames_b64": []string{enc, enc}, "interval_ms": 100}).expect(t, 200)
		if r.json["face_detected"] != true {
			t.Errorf("body %s", r.body)
		}
	})
	// The same photo again and again: the session-level signals (frozen
	// frames) fail it as a presentation attack.
	var last *response
	for i := 0; i < 12; i++ {
		last = verify(map[string]any{"frame_b64": b64(face)}).expect(t, 200)
		if last.str("session_status") != "pending" {
			break
		}
	}
	want := map[string]any{"challenge_passed": false, "session_status": "failed", "reason": "spoof_detected",
		"message": "Liveness check failed — please use a live camera", "challenge_time_left_ms": nil, "challenge_window_ms": 5000.0}
	if fmt.Sprint(last.json) != fmt.Sprint(want) {
		t.Fatalf("still photo: %s, want %v", last.body, want)
	}
	t.Run("after the end", func(t *testing.T) {
		r := verify(map[string]any{"frame_b64": b64(face)}).expect(t, 409)
		if r.str("code") != string(liveness.CodeNotPending) {
			t.Errorf("error %q", r.str("error"))
		}
		// Even a malformed body: the state is checked first.
		verify(`{`).expect(t, 409)
		r = e.do(req{method: "GET", path: "/v1/sessions/" + id + "/result", key: e.key}).expect(t, 200)
		if r.str("verdict") != "FAIL" || r.str("reason") != "spoof_detected" {
			t.Errorf("result %s", r.body)
		}
		// The confidence of a spoof failure is low, and the evidence is named.
		assert.LessOrEqual(t, r.json["confidence"], 0.05)
		assert.Contains(t, r.json["attack_signals"], "frozen_frame")
	})
}

func TestVerifyErrors(t *testing.T) {
	e, sc := newScriptedEnv(t, WithMaxFrameBytes(128<<10), WithMaxBodyBytes(1<<20))
	sc.set(func(s *liveness.Session, _ []liveness.Frame, _ *liveness.SubmitOptions) (*liveness.Outcome, error) {
		return &liveness.Outcome{Session: s, Step: challenge.Step{Hint: challenge.HintStart, Message: "Close your eyes for a second, then open them"}}, nil
	})
	face := faceJPEG(t)
	if len(face) > 128<<10 {
		t.Fatalf("face.jpg is %d bytes; the test expects it under the 128 KiB frame limit", len(face))
	}
	big := make([]byte, 140<<10)
	copy(big, face)
	id, tok := e.create(nil)
	corrupt := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0x42}, 100)...)
	many := make([]string, MaxBurstFrames+1)
	for i := range many {
		many[i] = "AAAA"
	}
	tests := []struct {
		name string
		body any
		msg  string
		code int // default 400
	}{
		{"empty body", "", "empty", 0},
		{"invalid JSON", `{"frame_b64":`, "invalid JSON", 0},
		{"not an object", `"abc"`, "JSON object", 0},
		{"no frame", `{}`, "frame_b64 or frames_b64 is required", 0},
		{"null frame", `{"frame_b64":null}`, "required", 0},
		{"both", map[string]any{"frame_b64": b64(face), "frames_b64": []string{b64(face)}}, "not both", 0},
		{"frame not a string", `{"frame_b64":42}`, "frame_b64: must be a string", 0},
		{"frames not an array", `{"frames_b64":"abc"}`, "frames_b64: must be an array", 0},
		{"empty string", map[string]any{"frame_b64": ""}, "empty", 0},
		{"bad base64", map[string]any{"frame_b64": "@@@@"}, "invalid base64", 0},
		{"data URI", map[string]any{"frame_b64": "data:image/jpeg;base64," + b64(face)}, "data: URI", 0},
		{"PNG", map[string]any{"frame_b64": b64(pngFrame(t))}, "not a JPEG", 0},
		{"text", map[string]any{"frame_b64": b64([]byte("hello world"))}, "not a JPEG", 0},
		{"frame too large", map[string]any{"frame_b64": b64(big)}, "larger than", 413},
		{"body too large", `{"frame_b64":"` + strings.Repeat("A", 2<<20) + `"}`, "too large", 413},
		{"empty burst", map[string]any{"frames_b64": []string{}}, "empty", 0},
		{"burst too long", map[string]any{"frames_b64": many, "interval_ms": 100}, "at most 20", 0},
		{"burst without interval", map[string]any{"frames_b64": []string{b64(face), b64(face)}}, "interval_ms is required", 0},
		{"interval negative", map[string]any{"frames_b64": []string{b64(face), b64(face)}, "interval_ms": -1}, "interval_ms", 0},
		{"interval too long", map[string]any{"frames_b64": []string{b64(face), b64(face)}, "interval_ms": 2001}, "interval_ms", 0},
		{"bad frame in a burst", map[string]any{"frames_b64": []string{b64(face), "!!"}, "interval_ms": 100}, "frames_b64[1]", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(time.Second) // stay under the rate limit
			code := tt.code
			if code == 0 {
				code = 400
			}
			r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: tt.body}).expect(t, code)
			if !strings.Contains(r.str("error"), tt.msg) {
				t.Errorf("error %q does not mention %q", r.str("error"), tt.msg)
			}
		})
	}
	// A corrupt JPEG passes the handler's checks and is refused by the
	// engine's decoder.
	sc.set(nil)
	e.clock.Advance(time.Second)
	r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: map[string]any{"frame_b64": b64(corrupt)}}).expect(t, 400)
	assert.Equal(t, string(liveness.CodeBadFrame), r.str("code"), "corrupt JPEG: %s", r.body)
	auth := []struct {
		name   string
		r      req
		status int
	}{
		{"no credentials", req{path: "/v1/sessions/" + id + "/verify"}, 401},
		{"wrong token", req{path: "/v1/sessions/" + id + "/verify", token: "ct_x"}, 401},
		{"unknown session with key", req{path: "/v1/sessions/x/verify", key: e.key}, 404},
		{"unknown session with token", req{path: "/v1/sessions/x/verify", token: tok}, 401},
		{"GET", req{method: "GET", path: "/v1/sessions/" + id + "/verify", token: tok}, 405},
	}
	for _, tt := range auth {
		t.Run(tt.name, func(t *testing.T) {
			if tt.r.method == "" {
				tt.r.method = "POST"
			}
			tt.r.body = map[string]any{"frame_b64": b64(face)}
			e.do(tt.r).expect(t, tt.status)
		})
	}
	t.Run("api key", func(t *testing.T) {
		sc.set(func(s *liveness.Session, _ []liveness.Frame, _ *liveness.SubmitOptions) (*liveness.Outcome, error) {
			return &liveness.Outcome{Session: s, Step: challenge.Step{Hint: challenge.HintStart, Message: "Blink"}}, nil
		})
		e.clock.Advance(time.Second)
		e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", key: e.key, body: map[string]any{"frame_b64": b64(face)}}).expect(t, 200)
		frames, opts := sc.last()
		if len(frames) != 1 || !bytes.Equal(frames[0].Data, face) || opts == nil || opts.Interval != 0 || opts.Slots == nil {
			t.Errorf("submitted %d frames, opts %+v", len(frames), opts)
		}
	})
	t.Run("burst reaches the engine", func(t *testing.T) {
		e.clock.Advance(time.Second)
		gray := grayJPEG(t)
		e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok,
			body: map[string]any{"frames_b64": []string{b64(face), b64(gray), b64(face)}, "interval_ms": 120}}).expect(t, 200)
		frames, opts := sc.last()
		if len(frames) != 3 || !bytes.Equal(frames[1].Data, gray) || opts == nil || opts.Interval != 120*time.Millisecond {
			t.Errorf("submitted %d frames, opts %+v", len(frames), opts)
		}
	})
}

func TestVerifyExpiredAndCancelled(t *testing.T) {
	e := newEnv(t, envOptions{})
	frame := map[string]any{"frame_b64": b64(grayJPEG(t))}
	id, tok := e.create(map[string]any{"ttl_seconds": 10})
	e.clock.Advance(10 * time.Second)
	r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, 410)
	if r.str("code") != string(liveness.CodeExpired) {
		t.Errorf("error %q", r.str("error"))
	}
	id2, tok2 := e.create(nil)
	e.do(req{method: "POST", path: "/v1/sessions/" + id2 + "/cancel", key: e.key}).expect(t, 200)
	r = e.do(req{method: "POST", path: "/v1/sessions/" + id2 + "/verify", token: tok2, body: frame}).expect(t, 409)
	if r.str("code") != string(liveness.CodeNotPending) {
		t.Errorf("error %q", r.str("error"))
	}
}

func TestVerifyRateLimit(t *testing.T) {
	e2 := newEnv(t, envOptions{clockOpts: func(clk *fakeClock) []Option {
		return []Option{WithRateLimiter(NewMemoryRateLimiter(3, 10*time.Second, clk.Now))}
	}})
	clk := e2.clock
	id, tok := e2.create(nil)
	other, otherTok := e2.create(nil)
	bad := map[string]any{"frame_b64": "@@"} // counted, then refused as 400: no engine work
	for i := 0; i < 3; i++ {
		e2.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: bad}).expect(t, 400)
		clk.Advance(time.Second)
	}
	r := e2.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: map[string]any{"frame_b64": b64(faceJPEG(t))}}).expect(t, 429)
	if r.header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After = %q, want 7 (first submission at 0 s, now 3 s)", r.header.Get("Retry-After"))
	}
	if !strings.Contains(r.str("error"), "at most 3 per 10s") {
		t.Errorf("error %q", r.str("error"))
	}
	// Another session has its own budget.
	e2.do(req{method: "POST", path: "/v1/sessions/" + other + "/verify", token: otherTok, body: bad}).expect(t, 400)
	// Unauthenticated requests do not spend the session's budget.
	clk.Advance(7 * time.Second)
	for i := 0; i < 5; i++ {
		e2.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: "ct_wrong", body: bad}).expect(t, 401)
	}
	e2.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: bad}).expect(t, 400)
	if !strings.Contains(metricsText(t, e2), "openliveness_rate_limited_total 1\n") {
		t.Error("rate-limited request not counted")
	}
}

// failingLimiter stands for a shared limiter whose store is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("redis: connection refused")
}

func TestVerifyLimiterDownLetsThrough(t *testing.T) {
	e := newEnv(t, envOptions{handler: []Option{WithRateLimiter(failingLimiter{})}})
	id, tok := e.create(nil)
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: map[string]any{"frame_b64": b64(grayJPEG(t))}}).expect(t, 200)
}

// outcome builds a scripted outcome on the stored session s.
func outcome(s *liveness.Session, status liveness.Status, index int, passed, face bool, step challenge.Step, mod func(*liveness.Session)) *liveness.Outcome {
	c := *s
	c.Status, c.Index = status, index
	if mod != nil {
		mod(&c)
	}
	return &liveness.Outcome{Session: &c, ChallengePassed: passed, FaceDetected: face, Step: step}
}

func TestVerifyShapes(t *testing.T) {
	e, sc := newScriptedEnv(t)
	frame := map[string]any{"frame_b64": b64(faceJPEG(t))}
	type script = func(s *liveness.Session) *liveness.Outcome
	tests := []struct {
		name string
		f    script
	}{
		{"in_progress", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 0, false, true, challenge.Step{Confidence: 0.5, Hint: challenge.HintReopen, Message: "Now open your eyes"}, nil)
		}},
		{"in_progress_no_face", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 1, false, false, challenge.Step{Hint: challenge.HintNoFace, Message: "No face detected"}, nil)
		}},
		{"advanced", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 1, true, true, challenge.Step{Passed: true, Confidence: 1, Hint: challenge.HintPassed, Message: "Done"}, nil)
		}},
		{"hold_still", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 3, true, true, challenge.Step{Confidence: 1, Hint: challenge.HintHold, Message: "Hold still"}, nil)
		}},
		{"hold_still_next_frame", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 3, false, true, challenge.Step{Hint: challenge.HintHold, Message: "Hold still"}, nil)
		}},
		{"complete", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPassed, 3, true, true, challenge.Step{Passed: true, Done: true}, func(c *liveness.Session) {
				c.Score, c.Verdict = 0.912, liveness.VerdictPass
			})
		}},
		{"review", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPassed, 3, true, true, challenge.Step{Passed: true}, func(c *liveness.Session) {
				c.Score, c.Verdict = 0.41, liveness.VerdictReview
			})
		}},
		{"spoof", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusFailed, 1, true, true, challenge.Step{}, func(c *liveness.Session) {
				c.Reason, c.Verdict, c.Score = liveness.ReasonSpoof, liveness.VerdictFail, 0.1
			})
		}},
		{"low_score", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusFailed, 3, true, true, challenge.Step{}, func(c *liveness.Session) {
				c.Reason, c.Verdict, c.Score = liveness.ReasonLowScore, liveness.VerdictFail, 0.2
			})
		}},
		{"frame_limit", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusFailed, 1, false, true, challenge.Step{}, func(c *liveness.Session) {
				c.Reason, c.Verdict = liveness.ReasonFrameLimit, liveness.VerdictFail
			})
		}},
		{"in_progress_timed", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusPending, 1, false, true, challenge.Step{Confidence: 0.2, Hint: challenge.HintStart, Message: "Smile"}, func(c *liveness.Session) {
				c.ChallengeDeadline = e.clock.Now().Add(3120 * time.Millisecond)
			})
		}},
		{"challenge_timeout", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusFailed, 1, false, true, challenge.Step{}, func(c *liveness.Session) {
				c.Reason, c.Verdict = liveness.ReasonChallengeTimeout, liveness.VerdictFail
			})
		}},
		{"unexpected_action", func(s *liveness.Session) *liveness.Outcome {
			return outcome(s, liveness.StatusFailed, 2, false, true, challenge.Step{}, func(c *liveness.Session) {
				c.Reason, c.Verdict, c.Strikes = liveness.ReasonUnexpectedAction, liveness.VerdictFail, 2
			})
		}},
	}
	var golden bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, tok := e.create(map[string]any{"challenges": []string{"BLINK", "SMILE", "TURN_LEFT"}, "challenge_count": 3})
			sc.set(func(s *liveness.Session, _ []liveness.Frame, _ *liveness.SubmitOptions) (*liveness.Outcome, error) {
				s.Challenges = []challenge.ID{challenge.Blink, challenge.Smile, challenge.TurnLeft}
				return tt.f(s), nil
			})
			r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, 200)
			fmt.Fprintf(&golden, "%s: %s", tt.name, r.body)
		})
	}
	path := filepath.Join("testdata", "verify_shapes.golden")
	if *update {
		if err := os.WriteFile(path, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(golden.Bytes(), want) {
		t.Errorf("responses differ from %s (run with -update after checking):\n%s", path, golden.String())
	}
}

// TestVerifyContractShapes pins the exact keys and fixed values the
// contract lists for each shape.
func TestVerifyContractShapes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "verify_shapes.golden"))
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, js, _ := strings.Cut(line, ": ")
		var m map[string]any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		shapes[name] = m
	}
	want := map[string]map[string]any{
		"in_progress": {"challenge_passed": false, "face_detected": true, "session_status": "pending", "current_challenge": "BLINK", "confidence": 0.5, "message": "Challenge not passed yet — keep trying", "hint": "reopen", "feedback": "Now open your eyes"},
		"advanced":    {"challenge_passed": true, "session_status": "pending", "next_challenge": "SMILE", "challenge_index": 1.0, "total_challenges": 3.0, "message": "Great! Now: SMILE"},
		"hold_still":  {"challenge_passed": true, "session_status": "pending", "current_challenge": nil, "message": "Hold still", "hint": "hold"},
		"complete":    {"challenge_passed": true, "session_status": "passed", "score": 0.912, "liveness_verified": true, "message": "Liveness verified successfully", "verdict": "PASS"},
		"review":      {"challenge_passed": true, "session_status": "passed", "liveness_verified": false, "verdict": "REQUIRES_MANUAL_REVIEW", "message": "Liveness check complete — pending review"},
		"spoof":       {"challenge_passed": false, "session_status": "failed", "reason": "spoof_detected", "message": "Liveness check failed — please use a live camera", "challenge_time_left_ms": nil, "challenge_window_ms": 5000.0},
		// The response window of the current challenge: null while none is timed.
		"in_progress_timed": {"current_challenge": "SMILE", "challenge_time_left_ms": 3120.0, "challenge_window_ms": 5000.0},
		"challenge_timeout": {"session_status": "failed", "reason": "challenge_timeout", "challenge_time_left_ms": nil},
		"unexpected_action": {"session_status": "failed", "reason": "unexpected_action"},
	}
	for name, fields := range want {
		got, ok := shapes[name]
		if !ok {
			t.Errorf("no %s shape", name)
			continue
		}
		for k, v := range fields {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], v)
			}
			if _, ok := got[k]; !ok {
				t.Errorf("%s: no %s", name, k)
			}
		}
	}
	if len(shapes["spoof"]) != 6 || len(shapes["complete"]) != 6 {
		t.Errorf("spoof and complete carry extra fields: %v / %v", shapes["spoof"], shapes["complete"])
	}
}

func TestVerifyEngineErrors(t *testing.T) {
	e, sc := newScriptedEnv(t)
	frame := map[string]any{"frame_b64": b64(faceJPEG(t))}
	tests := []struct {
		name   string
		err    error
		status int
		code   liveness.Code
	}{
		{"unavailable", fmt.Errorf("%w: model failed", liveness.ErrUnavailable), 502, liveness.CodeUnavailable},
		{"unavailable error", &liveness.Error{Code: liveness.CodeUnavailable, Err: errors.New("model failed")}, 502, liveness.CodeUnavailable},
		{"expired", liveness.ErrExpired, 410, liveness.CodeExpired},
		{"passed", &liveness.StateError{Status: liveness.StatusPassed}, 409, liveness.CodeNotPending},
		{"not pending", &liveness.Error{Code: liveness.CodeNotPending, Status: liveness.StatusFailed}, 409, liveness.CodeNotPending},
		{"expired state", &liveness.StateError{Status: liveness.StatusExpired}, 410, liveness.CodeExpired},
		{"not found", liveness.ErrNotFound, 404, liveness.CodeNotFound},
		{"bad frame", &liveness.Error{Code: liveness.CodeBadFrame, Frame: 2, Err: face.ErrCorruptImage}, 400, liveness.CodeBadFrame},
		{"large frame", &liveness.Error{Code: liveness.CodeBadFrame, Frame: 1, Err: face.ErrImageTooLarge}, 413, liveness.CodeBadFrame},
		{"bad request", &liveness.Error{Code: liveness.CodeBadRequest, Field: "interval_ms", Min: 0, Max: 2000}, 400, liveness.CodeBadRequest},
		{"internal", errors.New("disk on fire"), 500, liveness.CodeInternal},
		{"canceled", context.Canceled, 503, liveness.CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, tok := e.create(nil)
			sc.set(func(*liveness.Session, []liveness.Frame, *liveness.SubmitOptions) (*liveness.Outcome, error) {
				return nil, tt.err
			})
			r := e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, tt.status)
			assert.Equal(t, string(tt.code), r.str("code"))
			assert.NotEmpty(t, r.str("error"))
			assert.NotContains(t, string(r.body), "disk", "internal error text leaked")
		})
	}
	t.Run("panic", func(t *testing.T) {
		id, tok := e.create(nil)
		sc.set(func(*liveness.Session, []liveness.Frame, *liveness.SubmitOptions) (*liveness.Outcome, error) {
			panic("bug")
		})
		e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, 500)
		if !strings.Contains(metricsText(t, e), "openliveness_panics_total 1\n") {
			t.Error("panic not counted")
		}
		// The server still answers.
		e.do(req{method: "GET", path: "/v1/sessions/" + id, token: tok}).expect(t, 200)
	})
}

func metricsText(t testing.TB, e *env) string {
	t.Helper()
	r := e.do(req{method: "GET", path: "/metrics"}).expect(t, 200)
	return string(r.body)
}

// TestVerifyConcurrencyLimit runs in a synctest bubble: requests waiting
// for a slot are durably blocked, so the count is exact without sleeping.
func TestVerifyConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		sc := &scripted{Engine: newEngine(t, clk)}
		keys := apikey.NewMemoryStore()
		key, _, _ := apikey.Create(context.Background(), keys, "t", chacha(2), clk.Now())
		h, err := New(sc, WithKeys(apikey.Verifier{Store: keys}), WithLogger(discard()), WithConcurrency(2), WithTenantConcurrency(2), WithoutHostedPage())
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		inside, most := 0, 0
		release := make(chan struct{})
		sc.set(func(s *liveness.Session, _ []liveness.Frame, opts *liveness.SubmitOptions) (*liveness.Outcome, error) {
			if err := opts.Slots.Acquire(context.Background()); err != nil {
				return nil, err
			}
			defer opts.Slots.Release()
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			<-release
			mu.Lock()
			inside--
			mu.Unlock()
			return outcome(s, liveness.StatusPending, 0, false, false, challenge.Step{Hint: challenge.HintNoFace, Message: "No face detected"}, nil), nil
		})
		body := []byte(`{"frame_b64":"` + b64(grayJPEG(t)) + `"}`)
		const n = 5
		codes := make(chan int, n)
		for i := 0; i < n; i++ {
			c, err := sc.Create(context.Background(), liveness.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				w := serve(h, "POST", "/v1/sessions/"+c.Session.ID+"/verify", body, map[string]string{"X-API-Key": key})
				codes <- w.Code
			}()
		}
		synctest.Wait() // every request is either analysing or waiting for a slot
		mu.Lock()
		if inside != 2 {
			t.Errorf("%d requests analysed at once, want 2", inside)
		}
		mu.Unlock()
		close(release)
		for i := 0; i < n; i++ {
			if c := <-codes; c != 200 {
				t.Errorf("status %d", c)
			}
		}
		if most != 2 {
			t.Errorf("at most %d requests analysed at once, want 2", most)
		}
	})
}

func TestVerifyTokenCache(t *testing.T) {
	e, sc := newScriptedEnv(t)
	sc.set(func(s *liveness.Session, _ []liveness.Frame, _ *liveness.SubmitOptions) (*liveness.Outcome, error) {
		return outcome(s, liveness.StatusPending, 0, false, false, challenge.Step{Hint: challenge.HintNoFace, Message: "No face detected"}, nil), nil
	})
	frame := map[string]any{"frame_b64": b64(grayJPEG(t))}
	id, tok := e.create(nil)
	other, otherTok := e.create(nil)
	verify := func(id, tok string, status int) {
		t.Helper()
		e.clock.Advance(time.Second)
		e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: frame}).expect(t, status)
	}
	before := sc.gets.Load()
	verify(id, tok, 200)
	if n := sc.gets.Load() - before; n != 1 {
		t.Fatalf("first submission read the session %d times, want 1", n)
	}
	for i := 0; i < 3; i++ {
		verify(id, tok, 200)
	}
	if n := sc.gets.Load() - before; n != 1 {
		t.Errorf("later submissions read the session: %d reads in all, want 1", n)
	}
	// The cache never accepts another token.
	verify(id, otherTok, 401)
	verify(id, "ct_forged", 401)
	verify(other, tok, 401)
	// A key reads the session once, to check that its tenant owns it.
	before = sc.gets.Load()
	e.clock.Advance(time.Second)
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", key: e.key, body: frame}).expect(t, 200)
	if n := sc.gets.Load() - before; n != 1 {
		t.Errorf("a key submission read the session %d times, want 1", n)
	}
	// Once the session ends, the token is forgotten and the state checked.
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/cancel", key: e.key}).expect(t, 200)
	sc.set(nil)
	verify(id, tok, 409)
	e.clock.Advance(time.Second)
	e.do(req{method: "POST", path: "/v1/sessions/" + id + "/verify", token: tok, body: "{"}).expect(t, 409)
}
