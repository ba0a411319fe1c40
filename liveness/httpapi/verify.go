package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

// verifyRequest is the body of POST /v1/sessions/{id}/verify: one frame, or
// a burst of frames captured interval_ms apart (the last one now).
type verifyRequest struct {
	FrameB64   *string  `json:"frame_b64"`
	FramesB64  []string `json:"frames_b64"`
	IntervalMS *int     `json:"interval_ms"`
}

// Messages of the verify responses (the contract).
const (
	msgKeepTrying = "Challenge not passed yet — keep trying"
	msgHoldStill  = "Hold still"
	msgVerified   = "Liveness verified successfully"
	msgReview     = "Liveness check complete — pending review"
	msgSpoof      = "Liveness check failed — please use a live camera"
	msgFailed     = "Liveness check failed"
	msgFrameLimit = "Liveness check failed — too many frames"
	msgTimeout    = "Liveness check failed — the challenge was not done in time"
	msgUnexpected = "Liveness check failed — something other than the challenge was done"
)

// inProgress answers a frame that did not complete a challenge (or, with
// current_challenge null and "Hold still", a session whose challenges all
// passed but that needs a few more frames).
type inProgress struct {
	ChallengePassed  bool    `json:"challenge_passed"`
	FaceDetected     bool    `json:"face_detected"`
	SessionStatus    string  `json:"session_status"`
	CurrentChallenge *string `json:"current_challenge"`
	Confidence       float64 `json:"confidence"`
	Message          string  `json:"message"`
	Hint             string  `json:"hint"`
	Feedback         string  `json:"feedback"`
	challengeTiming
}

// challengeTiming is the response window of the current challenge:
// TimeLeftMS is null while no challenge is being timed (baseline, ended).
type challengeTiming struct {
	TimeLeftMS *int64 `json:"challenge_time_left_ms"`
	WindowMS   int64  `json:"challenge_window_ms"`
}

// timing returns the response-window fields of s at now.
func timing(s *liveness.Session, now time.Time) challengeTiming {
	t := challengeTiming{WindowMS: s.ChallengeWindow.Milliseconds()}
	if left, ok := s.TimeLeft(now); ok {
		ms := left.Milliseconds()
		t.TimeLeftMS = &ms
	}
	return t
}

// advanced answers frames that passed a challenge with more remaining.
type advanced struct {
	ChallengePassed bool   `json:"challenge_passed"`
	FaceDetected    bool   `json:"face_detected"`
	SessionStatus   string `json:"session_status"`
	NextChallenge   string `json:"next_challenge"`
	ChallengeIndex  int    `json:"challenge_index"`
	TotalChallenges int    `json:"total_challenges"`
	Message         string `json:"message"`
	Hint            string `json:"hint"`
	Feedback        string `json:"feedback"`
	challengeTiming
}

// completed answers frames that passed the session.
type completed struct {
	ChallengePassed  bool    `json:"challenge_passed"`
	SessionStatus    string  `json:"session_status"`
	Score            float64 `json:"score"`
	LivenessVerified bool    `json:"liveness_verified"`
	Verdict          string  `json:"verdict"`
	Message          string  `json:"message"`
}

// failed answers frames that failed the session.
type failed struct {
	ChallengePassed bool   `json:"challenge_passed"`
	SessionStatus   string `json:"session_status"`
	Reason          string `json:"reason"`
	Message         string `json:"message"`
	challengeTiming
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s, owner, err := h.frameAccess(r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s != nil && s.Status.Final() {
		h.fail(w, r, &liveness.StateError{Status: s.Status})
		return
	}
	ok, wait, err := h.cfg.limiter.Allow(r.Context(), "verify:"+id)
	if err != nil {
		// A broken limiter (a shared store down) must not stop liveness
		// checks: let the request through and say so.
		h.cfg.logger.Warn("httpapi: rate limiter failed; request allowed", "session", id, "err", err)
	} else if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		h.cfg.metrics.rateLimited()
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many frame submissions: at most %d per %s per session", h.limitCount(), h.limitWindow()))
		return
	}
	// Memory: the body is admitted against the bytes-in-flight budget
	// before it is read, its frames against the frames-in-flight budget;
	// the engine decodes and analyses them one at a time under the fair
	// slots.
	n, err := h.bodyReservation(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.frames.full(owner, 1) || !h.bodies.take(owner, n) {
		h.busy(w, r, "too many frames in flight on this server")
		return
	}
	defer h.bodies.give(owner, n)
	frames, opts, err := h.decodeFrames(w, r, owner)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.frames.take(owner, int64(len(frames))) {
		h.busy(w, r, "too many frames in flight on this server")
		return
	}
	defer h.frames.give(owner, int64(len(frames)))
	if opts == nil {
		opts = &liveness.SubmitOptions{}
	}
	opts.Slots = h.slots.forTenant(owner)
	// The work stops when the client goes away or the request runs too
	// long, and then records nothing.
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.verifyTimeout)
	defer cancel()
	out, err := h.engine.Submit(ctx, id, frames, opts)
	if err != nil {
		if errors.Is(err, liveness.ErrNotPending) || errors.Is(err, liveness.ErrExpired) || errors.Is(err, liveness.ErrNotFound) {
			h.tokens.drop(id)
		}
		h.fail(w, r, err)
		return
	}
	if out.Session.Status.Final() {
		h.tokens.drop(id)
	}
	writeJSON(w, http.StatusOK, verifyResponse(out, h.cfg.now()))
}

func (h *Handler) limitCount() int {
	if l, ok := h.cfg.limiter.(interface{ Limit() (int, time.Duration) }); ok {
		n, _ := l.Limit()
		return n
	}
	return DefaultRateLimit
}

func (h *Handler) limitWindow() time.Duration {
	if l, ok := h.cfg.limiter.(interface{ Limit() (int, time.Duration) }); ok {
		_, d := l.Limit()
		return d
	}
	return DefaultRateWindow
}

// bodyReservation is what a verify body counts against the bytes in
// flight: its declared length, or the body limit when undeclared. A
// declared length over the limit is refused at once (413).
func (h *Handler) bodyReservation(r *http.Request) (int64, error) {
	if r.ContentLength > h.cfg.maxBodyBytes {
		return 0, errorf(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (limit %d bytes)", h.cfg.maxBodyBytes))
	}
	if r.ContentLength >= 0 {
		return r.ContentLength, nil
	}
	return h.cfg.maxBodyBytes, nil
}

// busy answers 503 with Retry-After: the server is at a budget.
func (h *Handler) busy(w http.ResponseWriter, r *http.Request, msg string) {
	h.cfg.metrics.shed()
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, msg+"; retry after 1 second")
}

// decodeFrames reads and checks the frames of a verify request of tenant.
// A large body gives way to other tenants' running frames (for at most
// maxPause in all) while it is read and its frames decoded from base64.
func (h *Handler) decodeFrames(w http.ResponseWriter, r *http.Request, tenant string) ([]liveness.Frame, *liveness.SubmitOptions, error) {
	budget := maxPause
	yield := func() error { return h.slots.giveWay(r.Context(), tenant, &budget) }
	req, release, err := h.readVerifyBody(w, r, yield)
	if err != nil {
		return nil, nil, err
	}
	big := r.ContentLength < 0 || r.ContentLength >= bigBody
	defer release()
	n := len(req.frames)
	if req.slowFrames != nil {
		n = len(req.slowFrames)
	} else if req.hasFrame {
		n = 1
	}
	switch {
	case req.hasFrame && req.hasFrames:
		return nil, nil, errorf(http.StatusBadRequest, "send frame_b64 or frames_b64, not both")
	case req.hasFrame:
	case req.hasFrames:
		if n == 0 {
			return nil, nil, errorf(http.StatusBadRequest, "frames_b64 is empty")
		}
		if n > h.cfg.limits.MaxBurstFrames {
			return nil, nil, outOfRange("frames_b64", 1, h.cfg.limits.MaxBurstFrames)
		}
		if n > 1 && req.interval == nil {
			return nil, nil, errorf(http.StatusBadRequest, "interval_ms is required with frames_b64")
		}
	default:
		return nil, nil, errorf(http.StatusBadRequest, "frame_b64 or frames_b64 is required")
	}
	var opts *liveness.SubmitOptions
	if req.interval != nil {
		if lim := h.cfg.limits; *req.interval < lim.MinIntervalMS || *req.interval > lim.MaxIntervalMS {
			return nil, nil, outOfRange("interval_ms", lim.MinIntervalMS, lim.MaxIntervalMS)
		}
		opts = &liveness.SubmitOptions{Interval: time.Duration(*req.interval) * time.Millisecond}
	}
	frames := make([]liveness.Frame, n)
	for i := range n {
		var e []byte
		switch {
		case req.slowFrames != nil:
			e = []byte(req.slowFrames[i])
			req.slowFrames[i] = "" // the base64 text is no longer needed
		case req.hasFrame:
			e = req.frame
		default:
			e = req.frames[i]
		}
		if big {
			if err := yield(); err != nil {
				return nil, nil, err
			}
		}
		data, err := h.decodeFrame(e)
		if err != nil {
			code, msg := http.StatusBadRequest, err.Error()
			if errors.Is(err, errFrameTooLarge) {
				code, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("frame larger than %d bytes", h.cfg.maxFrameBytes)
			}
			if n > 1 {
				return nil, nil, errorf(code, fmt.Sprintf("frames_b64[%d]: %s", i, msg))
			}
			return nil, nil, errorf(code, "frame_b64: "+msg)
		}
		frames[i] = liveness.Frame{Data: data}
	}
	return frames, opts, nil
}

var jpegMagic = []byte{0xff, 0xd8, 0xff}

var errFrameTooLarge = errors.New("frame too large")

// decodeFrame decodes one base64 JPEG.
func (h *Handler) decodeFrame(e []byte) ([]byte, error) {
	if bytes.HasPrefix(e, []byte("data:")) {
		return nil, fmt.Errorf("send plain base64, without a data: URI prefix")
	}
	if len(e) == 0 {
		return nil, fmt.Errorf("empty")
	}
	if base64.StdEncoding.DecodedLen(len(e)) > h.cfg.maxFrameBytes+2 {
		return nil, errFrameTooLarge
	}
	enc := base64.StdEncoding
	if !bytes.HasSuffix(e, []byte("=")) && len(e)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	data := make([]byte, enc.DecodedLen(len(e)))
	n, err := enc.Decode(data, e)
	data = data[:n]
	if err != nil {
		return nil, fmt.Errorf("invalid base64")
	}
	if len(data) > h.cfg.maxFrameBytes {
		return nil, errFrameTooLarge
	}
	if !bytes.HasPrefix(data, jpegMagic) {
		return nil, fmt.Errorf("not a JPEG image")
	}
	return data, nil
}

// verifyResponse maps an outcome to one of the four response shapes.
func verifyResponse(out *liveness.Outcome, now time.Time) any {
	s := out.Session
	tm := timing(s, now)
	total := len(s.Challenges)
	switch s.Status {
	case liveness.StatusPassed:
		c := completed{ChallengePassed: true, SessionStatus: string(s.Status), Score: s.Score, Verdict: string(s.Verdict)}
		if s.Verdict == liveness.VerdictPass {
			c.LivenessVerified, c.Message = true, msgVerified
		} else {
			c.Message = msgReview
		}
		return c
	case liveness.StatusFailed:
		f := failed{ChallengePassed: out.ChallengePassed, SessionStatus: string(s.Status), Reason: s.Reason, Message: msgFailed, challengeTiming: tm}
		switch s.Reason {
		case liveness.ReasonSpoof:
			f.ChallengePassed, f.Message = false, msgSpoof
		case liveness.ReasonFrameLimit:
			f.Message = msgFrameLimit
		case liveness.ReasonChallengeTimeout:
			f.Message = msgTimeout
		case liveness.ReasonUnexpectedAction:
			f.Message = msgUnexpected
		}
		return f
	}
	hint, feedback := string(out.Step.Hint), out.Step.Message
	if s.Index >= total {
		// Every challenge passed; the session waits for enough frames.
		if hint == "" || out.Step.Hint == challenge.HintDone {
			hint = string(challenge.HintHold)
		}
		if feedback == "" {
			feedback = msgHoldStill
		}
		return inProgress{
			ChallengePassed: out.ChallengePassed,
			FaceDetected:    out.FaceDetected,
			SessionStatus:   string(s.Status),
			Confidence:      out.Step.Confidence,
			Message:         msgHoldStill,
			Hint:            hint,
			Feedback:        feedback,
			challengeTiming: tm,
		}
	}
	next := s.Challenges[s.Index].String()
	if out.ChallengePassed {
		return advanced{
			ChallengePassed: true,
			FaceDetected:    out.FaceDetected,
			SessionStatus:   string(s.Status),
			NextChallenge:   next,
			ChallengeIndex:  s.Index,
			TotalChallenges: total,
			Message:         "Great! Now: " + next,
			Hint:            hint,
			Feedback:        feedback,
			challengeTiming: tm,
		}
	}
	return inProgress{
		FaceDetected:     out.FaceDetected,
		SessionStatus:    string(s.Status),
		CurrentChallenge: &next,
		Confidence:       out.Step.Confidence,
		Message:          msgKeepTrying,
		Hint:             hint,
		Feedback:         feedback,
		challengeTiming:  tm,
	}
}
