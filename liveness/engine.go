package liveness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/liveness/limits"
	"github.com/openliveness/openliveness/spoof"
)

// Engine errors. Match them with errors.Is; *StateError also matches
// ErrNotPending.
var (
	ErrExpired       = errors.New("liveness: session expired")
	ErrNotPending    = errors.New("liveness: session is no longer pending")
	ErrNoFrames      = errors.New("liveness: no frames")
	ErrBadFrame      = errors.New("liveness: bad frame")
	ErrBadRequest    = errors.New("liveness: invalid request")
	ErrUnavailable   = errors.New("liveness: analysis engine unavailable")
	ErrInvalidToken  = errors.New("liveness: invalid client token")
	errRetryConflict = fmt.Errorf("%w: kept changing while retried", ErrConflict)
)

// StateError reports an operation on a session that has already ended.
type StateError struct{ Status Status }

func (e *StateError) Error() string {
	return fmt.Sprintf("liveness: session is already %s", e.Status)
}

// Is makes errors.Is(err, ErrNotPending) true.
func (e *StateError) Is(target error) bool { return target == ErrNotPending }

// Event types handed to the Notifier.
const (
	EventCreated   = "session.created"
	EventStarted   = "session.started"
	EventVerified  = "session.verified"
	EventFailed    = "session.failed"
	EventCancelled = "session.cancelled"
	EventExpired   = "session.expired"
)

// Event is a change of a session, for webhooks.
type Event struct {
	// ID is the event id, derived from the session id, the version the
	// change created and Type (EventID): a repeated event has the same id.
	ID      string
	Type    string
	Session *Session
	Time    time.Time
	// Replay is set when the event is relayed again by the reconciler and
	// may have been handed over before: the Notifier should then drop it
	// where it already holds an event with this ID.
	Replay bool
}

// Notifier receives session events after they are committed (as intents,
// with the change that caused them, see Store). Implementations should
// hand them to a durable outbox quickly (see liveness/notify.Notifier); an error
// leaves the event in the session store's outbox for Engine.Reconcile.
type Notifier interface {
	Notify(ctx context.Context, ev Event) error
}

// Observer receives measurements, for metrics. Methods must be fast and
// safe for concurrent use.
type Observer interface {
	FrameAnalysed(d time.Duration, faces int)
	SessionEnded(s *Session)
}

type config struct {
	store          Store
	analyzer       *face.Analyzer
	spoofDet       *spoof.Detector
	spoofTh        *spoof.SessionThresholds
	thresholds     challenge.Thresholds
	clock          func() time.Time
	rand           io.Reader
	logger         *slog.Logger
	notifier       Notifier
	observer       Observer
	ttl, maxTTL    time.Duration
	maxFrames      int
	defaultCount   int
	passScore      float64
	reviewScore    float64
	decode         face.DecodeOptions
	cacheSize      int
	sweepInterval  time.Duration
	maxBurstFrames int
	minFrames      int
	evidence       EvidenceStore
	auditor        Auditor
	failures       FailureLimiter
	embedder       *face.Embedder // verify.go
	references     ReferenceStore // references.go
	window         time.Duration
	lateGrace      time.Duration
	frameAnalyzer  FrameAnalyzer
	spoofSessions  func() SpoofSession
	retention      time.Duration // commit.go
	pruneEvery     time.Duration
	pruners        []Pruner
	reconcileEvery time.Duration
	reconcileAge   time.Duration
	syncRelay      bool // relay.go
}

// SpoofSession is the per-session presentation-attack state the engine
// feeds every analysed frame (default: a spoof.Session with the thresholds
// of WithSpoofSessionThresholds).
type SpoofSession interface {
	Observe(f spoof.FrameInfo) spoof.SessionResult
	Result() spoof.SessionResult
}

// WithSpoofSessions sets how the per-session spoof state is created. The
// replay tool uses it to compute the spoof signals of a recording once and
// share them between the many sessions replayed over it; servers keep the
// default.
func WithSpoofSessions(newSession func() SpoofSession) Option {
	return func(c *config) { c.spoofSessions = newSession }
}

// Option configures an Engine.
type Option func(*config)

// WithStore sets the session store (default: a new MemoryStore).
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithAnalyzer sets the face analyzer (default: face.NewAnalyzer()).
func WithAnalyzer(a *face.Analyzer) Option { return func(c *config) { c.analyzer = a } }

// WithSpoofDetector sets the per-frame presentation-attack detector
// (default: spoof.NewDetector() with its embedded model).
func WithSpoofDetector(d *spoof.Detector) Option { return func(c *config) { c.spoofDet = d } }

// WithSpoofSessionThresholds sets the per-session spoof rules.
func WithSpoofSessionThresholds(t spoof.SessionThresholds) Option {
	return func(c *config) { c.spoofTh = &t }
}

// WithThresholds sets the challenge detectors' thresholds.
func WithThresholds(t challenge.Thresholds) Option { return func(c *config) { c.thresholds = t } }

// WithResponseWindow sets how long a user has, from the moment a challenge
// is first returned as current, to perform it (default 5 s, see
// challenge.Thresholds.ResponseWindow and docs/challenges.md). The action
// must start after the announcement; a challenge not passed in time fails
// the session with reason challenge_timeout. Frames are judged by their
// capture time (a burst's frames are Interval apart, the last one at
// arrival), and a request arriving more than 2 s after the window closed
// fails the session whatever its frames claim.
func WithResponseWindow(d time.Duration) Option { return func(c *config) { c.window = d } }

// WithClock sets the time source (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithRand sets the randomness for ids, tokens and challenge sequences
// (default crypto/rand).
func WithRand(r io.Reader) Option { return func(c *config) { c.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithNotifier sets where session events go (default: nowhere).
func WithNotifier(n Notifier) Option { return func(c *config) { c.notifier = n } }

// WithEvidenceStore sets where evidence frames and manifests are kept
// (default: none; sessions then carry no evidence hash).
func WithEvidenceStore(s EvidenceStore) Option { return func(c *config) { c.evidence = s } }

// WithAuditor sets the audit log that receives SESSION_CREATED,
// CONSENT_RECORDED, CHALLENGE_PASSED, LIVENESS_RESULT and EVIDENCE_PURGED
// entries (default: none). It must implement AuditIndex (New fails
// otherwise), so that a reconciled entry is never appended twice.
func WithAuditor(a Auditor) Option { return func(c *config) { c.auditor = a } }

// WithFailureLimiter sets the limit on failed sessions per reference id
// (default: at most 5 failures in 3 minutes, counted in memory). Sessions
// without a reference id are not limited.
func WithFailureLimiter(l FailureLimiter) Option { return func(c *config) { c.failures = l } }

// WithObserver sets a metrics observer.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// WithTTL sets the default session lifetime (5 minutes) and the longest one
// a session may ask for (1 hour).
func WithTTL(def, max time.Duration) Option {
	return func(c *config) { c.ttl, c.maxTTL = def, max }
}

// WithMaxFrames caps the frames analysed per session (default 400: five
// minutes at one frame every 800 ms plus blink bursts). The frame over the
// cap fails the session with reason frame_limit.
func WithMaxFrames(n int) Option { return func(c *config) { c.maxFrames = n } }

// WithMinFrames sets how many frames a session must have analysed before
// it can pass (default 8), so the session-level spoof signals (frozen
// frames, planar motion, continuity) always have frames to judge. A
// sequence completed earlier waits, asking the user to hold still.
func WithMinFrames(n int) Option { return func(c *config) { c.minFrames = n } }

// WithScoreBands sets the verdict bands: a session that passed its
// challenges gets PASS at or above pass, REQUIRES_MANUAL_REVIEW from review
// up to pass, and FAIL (reason low_score) below review (defaults 0.5 and
// 0.3; docs/engine.md, "Session score", says how they relate to the
// held-out scores of bona fide and attack sessions).
func WithScoreBands(pass, review float64) Option {
	return func(c *config) { c.passScore, c.reviewScore = pass, review }
}

// WithDecodeOptions sets the frame decoding limits.
func WithDecodeOptions(o face.DecodeOptions) Option { return func(c *config) { c.decode = o } }

// Engine runs liveness sessions: it creates them with a random challenge
// sequence, analyses their frames (face, challenges, presentation attack)
// and ends them with a score and a verdict. It is safe for concurrent use;
// frames of one session are serialised within the process and, across
// processes sharing a Store, by the store's optimistic concurrency.
type Engine struct {
	cfg      config
	analyzer *face.Analyzer
	spoofDet *spoof.Detector

	modelVersion string

	mu       sync.Mutex
	cache    map[string]*runtime
	inflight map[string]struct{} // intents being relayed (commit.go)
	relayq   relayQueue          // changes whose intents are to be relayed (relay.go)

	verify verifier // face verification (verify.go)
}

// runtime is the live detector state of a session in this process.
// Its detectors are current when version is the session's stored version
// and dirty is false; otherwise they are rebuilt from the frame log.
type runtime struct {
	mu      sync.Mutex
	version int64
	dirty   bool
	tracker *challenge.Tracker
	spoof   SpoofSession
	prev    *face.Face
	// last is the capture time of the session's last frame (hasLast).
	last    time.Duration
	hasLast bool
}

// New returns an Engine. Models are loaded once here.
func New(opts ...Option) (*Engine, error) {
	lim := limits.Default()
	cfg := config{
		clock:          time.Now,
		rand:           rand.Reader,
		ttl:            lim.DefaultTTL,
		maxTTL:         lim.MaxTTL,
		maxFrames:      lim.MaxSessionFrames,
		defaultCount:   lim.DefaultChallenges,
		passScore:      0.5,
		reviewScore:    0.3,
		cacheSize:      10000,
		sweepInterval:  5 * time.Second,
		maxBurstFrames: lim.MaxBurstFrames,
		decode:         face.DecodeOptions{MaxPixels: lim.MaxFramePixels},
		minFrames:      8,
		lateGrace:      2 * time.Second,
		retention:      24 * time.Hour,
		pruneEvery:     10 * time.Minute,
		reconcileEvery: 30 * time.Second,
		reconcileAge:   time.Minute,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.store == nil {
		cfg.store = NewMemoryStore()
	}
	if cfg.failures == nil {
		cfg.failures = NewMemoryFailureLimiter(5, 3*time.Minute)
	}
	if cfg.auditor != nil {
		if _, ok := cfg.auditor.(AuditIndex); !ok {
			return nil, fmt.Errorf("%w: the auditor must implement liveness.AuditIndex (BySession)", ErrBadRequest)
		}
	}
	if cfg.evidence != nil {
		if _, ok := cfg.evidence.(EvidenceLister); !ok {
			return nil, fmt.Errorf("%w: the evidence store must implement liveness.EvidenceLister (SessionsBefore) for retention", ErrBadRequest)
		}
	}
	if cfg.retention < 0 || (cfg.retention > 0 && cfg.pruneEvery <= 0) || cfg.reconcileEvery <= 0 || cfg.reconcileAge < 0 {
		return nil, fmt.Errorf("%w: retention and reconcile options", ErrBadRequest)
	}
	if cfg.ttl <= 0 || cfg.maxTTL < cfg.ttl || cfg.maxFrames <= 0 || cfg.reviewScore > cfg.passScore || cfg.window < 0 {
		return nil, fmt.Errorf("%w: engine options", ErrBadRequest)
	}
	if cfg.window > 0 {
		cfg.thresholds.ResponseWindow = cfg.window
	}
	if _, err := challenge.NewTracker([]challenge.ID{challenge.Blink}, challenge.WithThresholds(cfg.thresholds)); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, analyzer: cfg.analyzer, spoofDet: cfg.spoofDet, cache: map[string]*runtime{}, inflight: map[string]struct{}{}}
	var err error
	if e.analyzer == nil {
		if e.analyzer, err = face.NewAnalyzer(face.WithLogger(cfg.logger)); err != nil {
			return nil, err
		}
	}
	if e.spoofDet == nil {
		if e.spoofDet, err = spoof.NewDetector(); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	if err := e.spoofDet.Model().WriteJSON(h); err != nil {
		return nil, err
	}
	e.modelVersion = face.ModelVersion + "+spoof-" + hex.EncodeToString(h.Sum(nil))[:12]
	return e, nil
}

// ResponseWindow returns the time each challenge allows from its
// announcement (see WithResponseWindow).
func (e *Engine) ResponseWindow() time.Duration {
	if w := e.cfg.thresholds.ResponseWindow; w > 0 {
		return w
	}
	return challenge.DefaultThresholds().ResponseWindow
}

// ModelVersion identifies the models behind results: the face models and
// a digest of the spoof model's coefficients.
func (e *Engine) ModelVersion() string { return e.modelVersion }

// CreateOptions describe a new session.
type CreateOptions struct {
	// ChallengeCount is the length of the random sequence, 1–8 (0 = 5).
	ChallengeCount int
	// Challenges, when set, is the allow-list the sequence is drawn from.
	Challenges []challenge.ID
	// Sequence, when set, is the exact challenge sequence instead of a
	// random draw, for replaying recordings and for tests. Servers must
	// not let clients choose it: a known sequence defeats the check.
	Sequence []challenge.ID
	// ReferenceID is the integrator's own reference (a user or order id).
	ReferenceID string
	// WebhookURL receives this session's events in addition to any
	// server-wide endpoint.
	WebhookURL string
	// RedirectURL is where the hosted page goes when done.
	RedirectURL string
	// ParentOrigin is the iframe parent's origin for the hosted page's
	// postMessage.
	ParentOrigin string
	// TTL is the session lifetime (0 = the engine default).
	TTL time.Duration
	// Mirrored declares that frames will arrive mirrored.
	Mirrored bool
	// ConsentText is the consent the subject is shown (by the hosted page,
	// before the camera starts); its hash and the time are recorded
	// (CONSENT_RECORDED in the audit log).
	ConsentText string
	// RetryURL, Theme and Messages are for the hosted page
	// (Session.RetryURL, Theme, Messages).
	RetryURL string
	Theme    Theme
	Messages map[string]map[string]string
	// ReferenceImage, when set, is a JPEG or PNG photo of the person
	// expected in front of the camera, holding one face. The live face is
	// compared with it (Session.Match); only its hash and embedding are
	// kept. A photo without exactly one face is refused (ErrBadRequest).
	ReferenceImage []byte
	// ReferenceImageID names a reference registered with AddReference,
	// instead of ReferenceImage.
	ReferenceImageID string
	// Owner is the tenant the session belongs to (Session.Owner): the HTTP
	// API sets it to the creating key's tenant and shows the session to
	// that tenant only. Failed-session limits per reference id are counted
	// per owner.
	Owner string
}

// Created is a new session and its client token. The token is shown once:
// only its hash is stored.
type Created struct {
	Session     *Session
	ClientToken string
}

// failureKey scopes a reference id to its owner: two tenants' "user-1"
// are different people.
func failureKey(owner, ref string) string {
	if owner == "" {
		return ref
	}
	return owner + "\x00" + ref
}

// Create starts a session with a random challenge sequence.
func (e *Engine) Create(ctx context.Context, o CreateOptions) (*Created, error) {
	lim := e.Limits()
	if o.ChallengeCount != 0 && (o.ChallengeCount < lim.MinChallenges || o.ChallengeCount > lim.MaxChallenges) {
		return nil, outOfRange("challenge_count", int64(lim.MinChallenges), int64(lim.MaxChallenges))
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = e.cfg.ttl
	}
	if ttl < lim.MinTTL || ttl > lim.MaxTTL {
		return nil, outOfRange("ttl_seconds", int64(lim.MinTTL/time.Second), int64(lim.MaxTTL/time.Second))
	}
	if o.ReferenceID != "" {
		wait, err := e.cfg.failures.Check(ctx, failureKey(o.Owner, o.ReferenceID), e.cfg.clock())
		if err != nil {
			return nil, err
		}
		if wait > 0 {
			return nil, &TooManyFailuresError{ReferenceID: o.ReferenceID, RetryAfter: wait}
		}
	}
	seq, err := challenge.NewSequence(o.ChallengeCount, &challenge.SequenceOptions{Allow: o.Challenges, Rand: e.cfg.rand})
	if err != nil {
		return nil, badRequest("challenges", err)
	}
	if len(o.Sequence) > 0 {
		if _, err := challenge.NewTracker(o.Sequence); err != nil || len(o.Sequence) > challenge.MaxLength {
			return nil, badRequest("sequence", nil)
		}
		seq = append([]challenge.ID(nil), o.Sequence...)
	}
	id, err := newUUID(e.cfg.rand)
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 32)
	if _, err := io.ReadFull(e.cfg.rand, tok); err != nil {
		return nil, err
	}
	token := "ct_" + base64.RawURLEncoding.EncodeToString(tok)
	now := e.cfg.clock().UTC()
	s := &Session{
		ID:              id,
		Status:          StatusPending,
		Challenges:      seq,
		ReferenceID:     o.ReferenceID,
		WebhookURL:      o.WebhookURL,
		Owner:           o.Owner,
		RedirectURL:     o.RedirectURL,
		ParentOrigin:    o.ParentOrigin,
		Mirrored:        o.Mirrored,
		ConsentText:     o.ConsentText,
		RetryURL:        o.RetryURL,
		Theme:           o.Theme,
		Messages:        o.Messages,
		ClientTokenHash: hashToken(token),
		CreatedAt:       now,
		ExpiresAt:       now.Add(ttl),
		ChallengeWindow: e.ResponseWindow(),
		ModelVersion:    e.ModelVersion(),
	}
	if o.ConsentText != "" {
		s.ConsentHash, s.ConsentAt = "sha256:"+sha256Hex([]byte(o.ConsentText)), now
	}
	switch {
	case o.ReferenceImage != nil && o.ReferenceImageID != "":
		return nil, badRequest("reference_image_id", ErrBothReferences)
	case o.ReferenceImage != nil:
		if s.Reference, err = e.reference(ctx, o.ReferenceImage); err != nil {
			return nil, err
		}
	case o.ReferenceImageID != "":
		if s.Reference, err = e.storedReference(ctx, o.ReferenceImageID, o.Owner); err != nil {
			return nil, err
		}
	}
	c := &change{Change: Change{Session: s, Create: true}, now: now}
	c.event(EventCreated)
	createdFields := map[string]any{"challenges": s.Challenges, "reference_id": s.ReferenceID, "expires_at": s.ExpiresAt, "model_version": s.ModelVersion}
	if s.Reference != nil {
		createdFields["reference_sha256"] = s.Reference.SHA256
		if s.Reference.ID != "" {
			createdFields["reference_image_id"] = s.Reference.ID
		}
	}
	created, _ := json.Marshal(createdFields)
	c.audit(audit.Record{SessionID: s.ID, Type: audit.SessionCreated, Payload: created})
	if s.ConsentHash != "" {
		c.audit(audit.Record{SessionID: s.ID, Type: audit.ConsentRecorded, PayloadHash: s.ConsentHash})
	}
	if err := e.commit(ctx, c); err != nil {
		return nil, err
	}
	return &Created{Session: s.clone(), ClientToken: token}, nil
}

// Get returns a session, ending it first if it expired.
func (e *Engine) Get(ctx context.Context, id string) (*Session, error) {
	s, err := e.cfg.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Status == StatusPending && !e.cfg.clock().Before(s.ExpiresAt) {
		return e.expire(ctx, id)
	}
	if s.Status == StatusPending && e.overdue(s) {
		return e.timeOut(ctx, id)
	}
	return s, nil
}

// overdue reports whether the current challenge's response window closed
// more than the late-request grace ago: no frame can pass it any more.
func (e *Engine) overdue(s *Session) bool {
	return !s.ChallengeDeadline.IsZero() && e.cfg.clock().After(s.ChallengeDeadline.Add(e.cfg.lateGrace))
}

// timeOut fails a pending session whose challenge window is over, so that
// a client that stopped sending frames learns it when it polls.
func (e *Engine) timeOut(ctx context.Context, id string) (*Session, error) {
	s, err := e.end(ctx, id, func(s *Session) error {
		if s.Status.Final() || !e.overdue(s) {
			return errNoChange
		}
		e.finish(s, StatusFailed, ReasonChallengeTimeout, 0)
		return nil
	})
	if errors.Is(err, errNoChange) {
		return s, nil
	}
	return s, err
}

// CheckClientToken reports whether token is the session's client token.
func (e *Engine) CheckClientToken(s *Session, token string) bool {
	if s.ClientTokenHash == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(s.ClientTokenHash)) == 1
}

// Cancel ends a pending session as cancelled.
func (e *Engine) Cancel(ctx context.Context, id string) (*Session, error) {
	return e.end(ctx, id, func(s *Session) error {
		if s.Status.Final() {
			return &StateError{s.Status}
		}
		if !e.cfg.clock().Before(s.ExpiresAt) {
			e.finish(s, StatusExpired, ReasonExpired, 0)
			return nil
		}
		e.finish(s, StatusCancelled, ReasonCancelled, 0)
		return nil
	})
}

// ExpireDue ends pending sessions whose lifetime is over; it returns how
// many it ended. Run calls it periodically.
func (e *Engine) ExpireDue(ctx context.Context) (int, error) {
	ids, err := e.cfg.store.ExpiredPending(ctx, e.cfg.clock(), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if s, err := e.expire(ctx, id); err == nil && s.Status == StatusExpired {
			n++
		}
	}
	return n, nil
}

// startupGrace bounds how long Run leaves fresh intents to the replica
// that committed them before relaying them itself.
const startupGrace = 10 * time.Second

// Run does the engine's background work until ctx ends: at start-up it
// relays the intents left in the outbox (Reconcile) — at once those older
// than a start-up grace (the reconcile age, at most 10 s), and after the
// grace every intent committed before the start, since another replica
// sharing the store relays its fresh intents itself within moments; then
// it expires due sessions every few seconds, reconciles intents older than
// the reconcile age (WithReconcileInterval) and prunes ended sessions on
// the retention schedule (WithRetention). When ctx ends it waits, for at
// most 10 s, for the relay worker to relay the intents already committed
// (Flush).
func (e *Engine) Run(ctx context.Context) error {
	start := e.cfg.clock()
	grace := min(e.cfg.reconcileAge, startupGrace)
	if _, err := e.Reconcile(ctx, start.Add(-grace)); err != nil && ctx.Err() == nil {
		e.cfg.logger.Warn("liveness: reconciling the outbox at start-up", "err", err)
	}
	var orphans <-chan time.Time
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		orphans = t.C
	}
	sweep := time.NewTicker(e.cfg.sweepInterval)
	defer sweep.Stop()
	rec := time.NewTicker(e.cfg.reconcileEvery)
	defer rec.Stop()
	var prune <-chan time.Time
	if e.cfg.retention > 0 {
		t := time.NewTicker(e.cfg.pruneEvery)
		defer t.Stop()
		prune = t.C
	}
	for {
		var err error
		var what string
		select {
		case <-ctx.Done():
			e.drain()
			return ctx.Err()
		case <-sweep.C:
			_, err = e.ExpireDue(ctx)
			what = "expiring sessions"
		case <-orphans:
			orphans = nil
			_, err = e.Reconcile(ctx, start)
			what = "reconciling the outbox after the start-up grace"
		case <-rec.C:
			_, err = e.Reconcile(ctx, e.cfg.clock().Add(-e.cfg.reconcileAge))
			what = "reconciling the outbox"
		case <-prune:
			_, err = e.PruneEnded(ctx)
			what = "pruning ended sessions"
		}
		if err != nil && ctx.Err() == nil {
			e.cfg.logger.Warn("liveness: "+what, "err", err)
		}
	}
}

func (e *Engine) expire(ctx context.Context, id string) (*Session, error) {
	s, err := e.end(ctx, id, func(s *Session) error {
		if s.Status.Final() {
			return errNoChange
		}
		if e.cfg.clock().Before(s.ExpiresAt) {
			return errNoChange
		}
		e.finish(s, StatusExpired, ReasonExpired, 0)
		return nil
	})
	if errors.Is(err, errNoChange) {
		return s, nil
	}
	return s, err
}

// end applies a terminal change (one optimistic update) with its
// consequences.
func (e *Engine) end(ctx context.Context, id string, fn func(*Session) error) (*Session, error) {
	s, err := e.update(ctx, id, func(s *Session, c *change) error {
		if err := fn(s); err != nil {
			return err
		}
		return e.ending(ctx, s, c, nil)
	})
	if err != nil {
		return s, err
	}
	e.dropRuntime(id)
	e.endedLocal(ctx, s)
	return s.clone(), nil
}

// ending adds what a change that ends s causes: the sealed evidence
// (stored before the commit that references it), the LIVENESS_RESULT
// audit entry and the terminal event. known are the frame records
// already read or appended by this change (nil: read the frame log).
func (e *Engine) ending(ctx context.Context, s *Session, c *change, known []FrameRecord) error {
	if !s.Status.Final() {
		return nil
	}
	if e.cfg.evidence != nil {
		frames := known
		if frames == nil {
			var err error
			if frames, err = e.cfg.store.Frames(ctx, s.ID, 0); err != nil {
				return err
			}
			frames = append(frames, c.Frames...)
		}
		var puts []pendingPut
		e.sealEvidence(s, frames, &puts)
		if err := e.putEvidence(ctx, s.ID, puts); err != nil {
			return err
		}
	}
	fields := map[string]any{"status": s.Status, "verdict": s.Verdict, "score": s.Score, "reason": s.Reason, "model_version": s.ModelVersion}
	if s.Match != nil {
		fields["match"] = s.Match
	}
	if len(s.AttackSignals) > 0 {
		fields["attack_signals"] = s.AttackSignals
	}
	result, _ := json.Marshal(fields)
	c.audit(audit.Record{SessionID: s.ID, Type: audit.LivenessResult, Payload: result, EvidenceHash: s.EvidenceHash})
	typ := EventFailed
	switch s.Status {
	case StatusPassed:
		if s.Verdict == VerdictPass {
			typ = EventVerified
		}
	case StatusCancelled:
		typ = EventCancelled
	case StatusExpired:
		typ = EventExpired
	}
	c.event(typ)
	return nil
}

// finish sets the terminal fields.
func (e *Engine) finish(s *Session, st Status, reason string, score float64) {
	s.Status = st
	s.Reason = reason
	s.Score = round3(score)
	s.CompletedAt = e.cfg.clock().UTC()
	switch {
	case st != StatusPassed:
		s.Verdict = VerdictFail
	case s.Score >= e.cfg.passScore:
		s.Verdict = VerdictPass
	case s.Score >= e.cfg.reviewScore:
		s.Verdict = VerdictReview
	default:
		s.Verdict = VerdictFail
	}
}

// endedLocal does the in-process consequences of a committed ending: the
// failure count of the reference id and the observer.
func (e *Engine) endedLocal(ctx context.Context, s *Session) {
	if s.Status == StatusFailed && s.ReferenceID != "" {
		if err := e.cfg.failures.Failed(ctx, failureKey(s.Owner, s.ReferenceID), e.cfg.clock()); err != nil {
			e.cfg.logger.Error("liveness: counting a failure", "reference_id", s.ReferenceID, "err", err)
		}
	}
	if e.cfg.observer != nil {
		e.cfg.observer.SessionEnded(s)
	}
}

func (e *Engine) dropRuntime(id string) {
	e.mu.Lock()
	delete(e.cache, id)
	e.mu.Unlock()
}

// putEvidence stores queued evidence objects before the session update
// that references them.
func (e *Engine) putEvidence(ctx context.Context, id string, puts []pendingPut) error {
	for _, p := range puts {
		if err := e.cfg.evidence.Put(ctx, id, p.name, p.data); err != nil {
			return fmt.Errorf("liveness: storing evidence: %w", err)
		}
	}
	return nil
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// newUUID returns a random (version 4) UUID.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
