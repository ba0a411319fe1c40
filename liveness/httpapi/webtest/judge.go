package webtest

import (
	"bytes"
	"image"
	"image/jpeg"
	"time"
)

// Outcome is what the mock does with one frame submission.
type Outcome int

// Outcomes of a [Decision].
const (
	// Pending answers "challenge not passed yet", with the decision's hint.
	Pending Outcome = iota
	// Pass passes the current challenge; the session passes after the last one.
	Pass
	// Fail fails the session with the decision's Reason (default spoof_detected).
	Fail
	// Throttle answers 429 with Retry-After (the decision's RetryAfter, at least 1 s).
	Throttle
	// Drop closes the connection without an answer, like a lost request.
	// (Chromium itself re-sends a request whose reused keep-alive
	// connection closes without an answer; on a fresh connection the
	// failure reaches the page.)
	Drop
	// Cut sends the status line, headers and part of the body, then closes
	// the connection: the page fails reading the answer.
	Cut
	// Error answers the decision's Status (default 502) with a JSON error.
	Error
)

var outcomeNames = [...]string{"pending", "pass", "fail", "throttle", "drop", "cut", "error"}

// String returns the outcome's lower-case name.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// Decision is a [Judge]'s verdict on one submission.
type Decision struct {
	Outcome      Outcome
	Hint         string        // feedback code of a Pending answer ("no_face", "hold"...)
	Feedback     string        // optional human feedback of a Pending answer
	FaceDetected bool          // face_detected of a Pending answer
	Confidence   float64       // confidence of a Pending answer
	Score        float64       // session score when the last challenge passes (0 means 0.97)
	Reason       string        // failure reason for Fail (empty means spoof_detected)
	RetryAfter   time.Duration // for Throttle
	Status       int           // HTTP status for Error (0 means 502)
}

// Frame is one JPEG frame of a submission.
type Frame struct {
	JPEG          []byte
	Width, Height int
}

// Decode decodes the frame.
func (f Frame) Decode() (image.Image, error) {
	return jpeg.Decode(bytes.NewReader(f.JPEG))
}

// Submission is one POST /v1/sessions/{id}/verify that reached a known
// session with valid credentials, as the mock saw it.
type Submission struct {
	SessionID      string
	Seq            int       // 1-based count of submissions to the session
	ChallengeSeq   int       // 1-based count of judged submissions since the challenge became current
	Challenge      string    // the current challenge when it arrived
	ChallengeIndex int       // its 0-based index
	Frames         []Frame   // decoded from frame_b64 or frames_b64
	Burst          bool      // frames_b64 was used
	IntervalMS     int       // interval_ms of a burst
	Received       time.Time // from the server's clock
	Status         int       // HTTP status answered (0 for Drop, -1 for Cut)
	Judged         bool      // the judge was asked (false for 400, 409, 410, 429 by the rate limit)
	Decision       Decision  // the judge's decision when Judged
}

// Judge decides the outcome of each valid submission of a pending session.
// The mock calls it with its lock held, one submission at a time, so a
// Judge needs no locking of its own but must not call the [Server].
type Judge func(Submission) Decision

// PassAfter returns a judge that passes each challenge at its n-th
// submission and answers Pending before, with hint "baseline" on the first
// submission of the session and "hold" afterwards.
func PassAfter(n int) Judge {
	return func(s Submission) Decision {
		if s.ChallengeSeq >= n {
			return Decision{Outcome: Pass, FaceDetected: true, Confidence: 1}
		}
		hint := "hold"
		if s.Seq == 1 {
			hint = "baseline"
		}
		return Decision{Outcome: Pending, Hint: hint, FaceDetected: true, Confidence: 0.5}
	}
}

// FailAfter returns a judge that fails the session with reason at its n-th
// submission (counted over the whole session) and answers Pending with
// hint "hold" before.
func FailAfter(n int, reason string) Judge {
	return func(s Submission) Decision {
		if s.Seq >= n {
			return Decision{Outcome: Fail, Reason: reason}
		}
		return Decision{Outcome: Pending, Hint: "hold", FaceDetected: true, Confidence: 0.2}
	}
}
