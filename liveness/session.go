package liveness

import (
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/spoof"
)

// Status is a session's state. A session starts pending and ends in exactly
// one of the other states.
type Status string

// Session states.
const (
	StatusPending   Status = "pending"
	StatusPassed    Status = "passed"
	StatusFailed    Status = "failed"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
)

// Final reports whether s is a terminal state.
func (s Status) Final() bool { return s != StatusPending && s != "" }

// Verdict is the decision an integrator acts on.
type Verdict string

// Verdicts. A session that passed all its challenges gets PASS when its
// score is at or above the pass threshold, REQUIRES_MANUAL_REVIEW in the
// band below it, and FAIL below the band; every other ending is FAIL.
const (
	VerdictPass   Verdict = "PASS"
	VerdictFail   Verdict = "FAIL"
	VerdictReview Verdict = "REQUIRES_MANUAL_REVIEW"
)

// Failure and ending reasons (Session.Reason).
const (
	ReasonSpoof      = spoof.ReasonSpoofDetected // "spoof_detected"
	ReasonExpired    = "expired"
	ReasonCancelled  = "cancelled"
	ReasonFrameLimit = "frame_limit"
	ReasonLowScore   = "low_score"
	// ReasonChallengeTimeout: the current challenge did not pass within the
	// response window after it was announced (see WithResponseWindow).
	ReasonChallengeTimeout = challenge.ReasonTimeout // "challenge_timeout"
	// ReasonUnexpectedAction: the user (or a recording) did deliberate
	// actions that were not asked, challenge.Thresholds.MaxStrikes times.
	ReasonUnexpectedAction = challenge.ReasonUnexpected // "unexpected_action"
)

// Session is the stored state of one liveness check: the header of its
// record; the per-frame records are in the store's frame log (Store,
// docs/storage.md). Values returned by an Engine are copies: modifying them
// changes nothing.
type Session struct {
	ID string `json:"session_id"`
	// Version increases with every stored change (optimistic concurrency).
	Version int64 `json:"version"`

	Status     Status         `json:"status"`
	Challenges []challenge.ID `json:"challenges"`
	// Index is the position of the current challenge (len(Challenges)
	// once all passed).
	Index int `json:"challenge_index"`

	ReferenceID string `json:"reference_id,omitempty"`
	WebhookURL  string `json:"webhook_url,omitempty"`
	// Owner is the tenant that created the session (CreateOptions.Owner).
	Owner       string `json:"owner,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	// ParentOrigin is the origin the hosted page posts its result to when
	// it runs in an iframe.
	ParentOrigin string `json:"parent_origin,omitempty"`
	// Mirrored declares that the client sends mirrored frames.
	Mirrored bool `json:"mirrored,omitempty"`
	// ConsentText is shown by the hosted page, and accepted, before the
	// camera starts; RetryURL is where its "Try again" leads after a
	// failure; Theme holds its colours.
	ConsentText string `json:"consent_text,omitempty"`
	RetryURL    string `json:"retry_url,omitempty"`
	Theme       Theme  `json:"theme,omitzero"`
	// Messages replaces strings of the hosted page, by language then key
	// ({"de": {"intro.start": "…"}}). Never modified after creation.
	Messages map[string]map[string]string `json:"messages,omitempty"`

	// ClientTokenHash is the SHA-256 of the session's client token.
	ClientTokenHash string `json:"client_token_hash,omitempty"`

	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	CompletedAt time.Time `json:"completed_at,omitzero"`

	// Frames counts analysed frames; FacesSeen those with one face.
	Frames    int `json:"frames"`
	FacesSeen int `json:"faces_seen"`

	// Score (0..1), Verdict and Reason are set when the session ends.
	// Score is the confidence that a live person completed the session
	// (docs/spoof.md); a session failed on a presentation attack scores
	// at most spoof.FailedScoreMax.
	Score        float64 `json:"score"`
	Verdict      Verdict `json:"verdict,omitempty"`
	Reason       string  `json:"reason,omitempty"`
	ModelVersion string  `json:"model_version"`

	// AttackSignals names the evidence of a spoof failure (see
	// spoof.SessionResult.AttackSignals), for manual review.
	AttackSignals []string `json:"attack_signals,omitempty"`

	// ReviewedBy, ReviewReason and ReviewedAt record a manual review.
	ReviewedBy   string    `json:"reviewed_by,omitempty"`
	ReviewReason string    `json:"review_reason,omitempty"`
	ReviewedAt   time.Time `json:"reviewed_at,omitzero"`

	// Passed lists, per passed challenge, its confidence and when.
	Passed []PassedChallenge `json:"passed,omitempty"`
	// AnnouncedAt holds, per challenge index, when the challenge was first
	// returned as current (after the baseline): its action must start
	// after that and pass within the response window.
	AnnouncedAt []time.Time `json:"announced_at,omitempty"`
	// ChallengeDeadline is when the current challenge's response window
	// closes; zero while no challenge is being timed (baseline, ended).
	ChallengeDeadline time.Time `json:"challenge_deadline,omitzero"`
	// ChallengeWindow is the full response window of each challenge.
	ChallengeWindow time.Duration `json:"challenge_window_ns,omitempty"`
	// Strikes counts deliberate actions that were not asked.
	Strikes int `json:"strikes,omitempty"`

	// ConsentHash is "sha256:<hex>" of the consent text shown to the
	// subject, recorded at creation (ConsentAt).
	ConsentHash string    `json:"consent_hash,omitempty"`
	ConsentAt   time.Time `json:"consent_at,omitzero"`
	// ConsentAcceptedAt is when the subject accepted the consent text
	// (Engine.AcceptConsent); frames are refused until then.
	ConsentAcceptedAt time.Time `json:"consent_accepted_at,omitzero"`

	// Evidence lists the stored evidence objects; EvidenceHash is the hash
	// of the sealed manifest once the session ended; EvidencePurgedAt is
	// set when retention deleted the stored objects (the hashes remain).
	Evidence         []EvidenceItem `json:"evidence,omitempty"`
	EvidenceHash     string         `json:"evidence_hash,omitempty"`
	EvidencePurgedAt time.Time      `json:"evidence_purged_at,omitzero"`
	// BestFrontal is the frame number of the best frontal frame so far and
	// BestFrontalDeg its |yaw| + |pitch|.
	BestFrontal    int     `json:"best_frontal,omitempty"`
	BestFrontalDeg float64 `json:"best_frontal_deg,omitempty"`

	// Reference is the reference face of a session created with a
	// reference photo; MatchFrames are the most frontal live frames
	// compared with it so far, and Match the decision once the challenges
	// passed (verify.go).
	Reference   *Reference   `json:"reference,omitempty"`
	MatchFrames []MatchFrame `json:"match_frames,omitempty"`
	Match       *Match       `json:"match,omitempty"`
}

// Theme holds the hosted page's colours as CSS hex colours ("#1f5fd1");
// empty fields keep the page's defaults.
type Theme struct {
	Accent     string `json:"accent,omitempty"`
	AccentText string `json:"accent_text,omitempty"`
	Background string `json:"background,omitempty"`
	Surface    string `json:"surface,omitempty"`
	Text       string `json:"text,omitempty"`
}

// PassedChallenge records one passed challenge.
type PassedChallenge struct {
	Challenge  challenge.ID `json:"challenge"`
	Confidence float64      `json:"confidence"`
	Frame      int          `json:"frame"`
	At         time.Time    `json:"at"`
}

// TimeLeft returns how long the current challenge has left of its response
// window at now (never negative), and false while no challenge is timed.
func (s *Session) TimeLeft(now time.Time) (time.Duration, bool) {
	if s.ChallengeDeadline.IsZero() || s.Status.Final() {
		return 0, false
	}
	return max(0, s.ChallengeDeadline.Sub(now)), true
}

// Current returns the current challenge, or 0 when none remains.
func (s *Session) Current() challenge.ID {
	if s.Index < len(s.Challenges) {
		return s.Challenges[s.Index]
	}
	return 0
}

func (s *Session) clone() *Session {
	c := *s
	c.Challenges = append([]challenge.ID(nil), s.Challenges...)
	c.Passed = append([]PassedChallenge(nil), s.Passed...)
	c.AnnouncedAt = append([]time.Time(nil), s.AnnouncedAt...)
	c.Evidence = append([]EvidenceItem(nil), s.Evidence...)
	c.MatchFrames = append([]MatchFrame(nil), s.MatchFrames...)
	return &c
}
