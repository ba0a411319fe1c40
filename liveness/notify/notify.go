package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/openliveness/openliveness/liveness"
	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/liveness/outbox"
	"github.com/openliveness/openliveness/webhook"
)

// ReasonManualReview is the webhook reason of a session that passed its
// challenges with a score in the review band (verdict
// REQUIRES_MANUAL_REVIEW): it is delivered as session.failed (passed
// false), and the integrator decides after reading the result.
const ReasonManualReview = "requires_manual_review"

// Notifier is the liveness.Notifier that delivers session events as signed
// webhooks through an outbox.Dispatcher (a durable outbox: an event is
// stored before Notify returns and survives a restart with a durable
// store).
//
// Every event goes to the server-wide endpoints given with
// WithEndpoints, and to the session's own WebhookURL when it has one.
// A session's endpoint is signed with the secret given by
// WithSessionSecret and receives the flat session.completed payload
// (format "completed", terminal events only) unless WithSessionFormat
// selects the session.* envelope. Sessions sharing a webhook URL share
// one stored endpoint configuration (its id is derived from the URL), so a
// 410 Gone answer disables that URL for later sessions too.
//
// Events map one to one onto the webhook package's types (session.created,
// session.started, session.verified, session.failed, session.cancelled,
// session.expired). Terminal events carry passed (verdict PASS), the score
// and the reason; a REQUIRES_MANUAL_REVIEW verdict is a session.failed
// with reason requires_manual_review (a reviewer's decision later sends
// session.verified, or session.failed with reason manual_review_rejected).
// The session's reference_id, when set, is echoed in the metadata, and its
// evidence hash, once sealed, in data.evidence (evidence_hash in the flat
// payload). Payloads never carry images.
//
// A Notifier is safe for concurrent use.
type Notifier struct {
	d             *outbox.Dispatcher
	endpoints     []outbox.Endpoint
	sessionSecret string
	sessionFormat event.Format
	sessionScheme webhook.Scheme
	insecure      bool
	evidenceURLs  EvidenceLinker
	logger        *slog.Logger
	tenants       map[string]outbox.Endpoint

	randMu sync.Mutex
	rand   io.Reader
}

// Option configures a Notifier.
type Option func(*Notifier)

// WithEndpoints adds server-wide endpoints that receive every session's
// events.
func WithEndpoints(eps ...outbox.Endpoint) Option {
	return func(n *Notifier) {
		for _, e := range eps {
			n.endpoints = append(n.endpoints, e.Clone())
		}
	}
}

// WithTenantEndpoints gives tenants (Session.Owner) their own endpoint
// and secret: the events of a tenant's sessions go to its endpoint as well
// as to the server-wide ones, its sessions' own webhook URLs are signed
// with its secret rather than the server's, and SendTenantTest reaches its
// endpoint only. Tenants never receive or can sign each other's events.
func WithTenantEndpoints(eps map[string]outbox.Endpoint) Option {
	return func(n *Notifier) {
		if n.tenants == nil {
			n.tenants = map[string]outbox.Endpoint{}
		}
		for t, e := range eps {
			c := e.Clone()
			if c.ID == "" {
				h := sha256.Sum256([]byte(t))
				c.ID = "tenant-" + hex.EncodeToString(h[:8])
			}
			n.tenants[t] = c
		}
	}
}

// WithSessionSecret sets the secret that signs deliveries to
// per-session webhook URLs (normally the server's webhook secret). Without
// it, sessions cannot have a webhook URL.
func WithSessionSecret(secret string) Option {
	return func(n *Notifier) { n.sessionSecret = secret }
}

// WithSessionFormat sets the payload of per-session endpoints (default
// event.FormatCompleted).
func WithSessionFormat(f event.Format) Option {
	return func(n *Notifier) { n.sessionFormat = f }
}

// WithSessionSchemes sets the signature schemes of per-session
// endpoints (default webhook.DefaultSchemes).
func WithSessionSchemes(s webhook.Scheme) Option {
	return func(n *Notifier) { n.sessionScheme = s }
}

// WithInsecureTargets lets per-session and test URLs be plain http and
// private or loopback addresses. It must match the dispatcher's
// outbox.WithInsecureTargets: development only.
func WithInsecureTargets() Option {
	return func(n *Notifier) { n.insecure = true }
}

// EvidenceLinker makes time-limited links to a session's evidence and says
// when they expire; *httpapi.EvidenceURLs is one.
type EvidenceLinker interface {
	URL(id string) (string, time.Time)
}

// WithEvidenceURLs adds a time-limited signed link to the evidence
// (evidence_url and its expiry) to events of sessions whose evidence is
// sealed. u must not be a nil pointer.
func WithEvidenceURLs(u EvidenceLinker) Option {
	return func(n *Notifier) { n.evidenceURLs = u }
}

// WithRand sets the randomness of event ids (default crypto/rand).
func WithRand(r io.Reader) Option { return func(n *Notifier) { n.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(n *Notifier) { n.logger = l }
}

// New returns a notifier delivering through d. It checks the
// server-wide endpoints and the session secret.
func New(d *outbox.Dispatcher, opts ...Option) (*Notifier, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil dispatcher", liveness.ErrBadRequest)
	}
	n := &Notifier{d: d, sessionFormat: event.FormatCompleted, rand: rand.Reader, logger: slog.Default()}
	for _, o := range opts {
		o(n)
	}
	now := time.Now()
	for _, e := range n.endpoints {
		if err := e.Validate(n.insecure, now); err != nil {
			return nil, fmt.Errorf("notify: webhook endpoint %q: %w", e.ID, err)
		}
	}
	for t, e := range n.tenants {
		if err := e.Validate(n.insecure, now); err != nil {
			return nil, fmt.Errorf("notify: webhook endpoint of tenant %q: %w", t, err)
		}
	}
	switch n.sessionFormat {
	case event.FormatCompleted, event.FormatEvent:
	default:
		return nil, fmt.Errorf("notify: session webhook format %q: %w", n.sessionFormat, outbox.ErrBadEndpoint)
	}
	if n.sessionSecret != "" {
		probe := n.sessionEndpoint("https://example.com/")
		if err := probe.Validate(false, now); err != nil {
			return nil, fmt.Errorf("notify: session webhook secret: %w", err)
		}
	}
	return n, nil
}

// CheckURL reports whether raw can be a session's webhook URL: an https
// URL with a public host (http and private hosts too with
// WithInsecureTargets), and a session secret is configured.
func (n *Notifier) CheckURL(raw string) error {
	if n.sessionSecret == "" {
		return fmt.Errorf("%w: no secret configured for session webhooks", webhook.ErrNoSecret)
	}
	return outbox.CheckURL(raw, n.insecure)
}

// SendTest sends one signed test event (type webhook.test) to url in the
// given format, signed like a session endpoint, and returns the delivery
// record and its attempt log.
func (n *Notifier) SendTest(ctx context.Context, url string, format event.Format) (outbox.Delivery, []outbox.Attempt, error) {
	if err := n.CheckURL(url); err != nil {
		return outbox.Delivery{}, nil, err
	}
	e := n.sessionEndpoint(url)
	return n.sendTest(ctx, e, format)
}

// SendTenantTest sends one signed test event to the endpoint of tenant,
// signed with its secret. url, when not empty, must be that endpoint's
// URL: a key can test its own endpoint and no other address.
func (n *Notifier) SendTenantTest(ctx context.Context, tenant, url string, format event.Format) (outbox.Delivery, []outbox.Attempt, error) {
	e, ok := n.tenants[tenant]
	if !ok {
		return outbox.Delivery{}, nil, liveness.ErrNoTenantEndpoint
	}
	if url != "" && url != e.URL {
		return outbox.Delivery{}, nil, liveness.ErrNotTenantEndpoint
	}
	return n.sendTest(ctx, e, format)
}

// sendTest sends one test event to e (under a test- endpoint id) and
// returns its delivery record and attempt log.
func (n *Notifier) sendTest(ctx context.Context, e outbox.Endpoint, format event.Format) (outbox.Delivery, []outbox.Attempt, error) {
	e.ID = "test-" + e.ID
	del, err := n.d.SendTest(ctx, e, format)
	if err != nil {
		return outbox.Delivery{}, nil, err
	}
	att, err := n.d.Attempts(ctx, del.ID)
	if err != nil {
		return del, nil, err
	}
	return del, att, nil
}

// sessionEndpoint is the endpoint of a per-session URL.
func (n *Notifier) sessionEndpoint(url string) outbox.Endpoint {
	return n.ownedSessionEndpoint("", url)
}

// ownedSessionEndpoint is the endpoint of a per-session URL of a session
// of owner: signed with the owner's secret when it has an endpoint, with
// the session secret otherwise.
func (n *Notifier) ownedSessionEndpoint(owner, url string) outbox.Endpoint {
	h := sha256.Sum256([]byte(url))
	e := outbox.Endpoint{
		ID:      "session-url-" + hex.EncodeToString(h[:8]),
		URL:     url,
		Secrets: webhook.Secrets{{Value: n.sessionSecret}},
		Format:  n.sessionFormat,
		Schemes: n.sessionScheme,
	}
	if t, ok := n.tenants[owner]; ok && owner != "" {
		th := sha256.Sum256([]byte(owner + "\x00" + url))
		e.ID = "session-url-" + hex.EncodeToString(th[:8])
		e.Secrets = t.Secrets
	}
	return e
}

// Event returns the webhook event of ev, with ev.ID as its id (a
// new random id when ev.ID is empty).
func (n *Notifier) Event(ev liveness.Event) (event.Event, error) {
	id := ev.ID
	if id == "" {
		n.randMu.Lock()
		var err error
		id, err = event.NewEventID(n.rand)
		n.randMu.Unlock()
		if err != nil {
			return event.Event{}, err
		}
	}
	d := Data(ev)
	if d.Evidence != nil && n.evidenceURLs != nil {
		u, exp := n.evidenceURLs.URL(ev.Session.ID)
		d.Evidence.URL, d.Evidence.URLExpires = u, exp.Unix()
	}
	return event.NewEvent(id, event.EventType(ev.Type), ev.Time, d)
}

// Data is the webhook data object of an event: the session id, its
// challenges, the reference id (as metadata), the evidence hash once the
// evidence is sealed and, for terminal events, passed, score and reason.
func Data(ev liveness.Event) event.SessionData {
	s := ev.Session
	d := event.SessionData{SessionID: s.ID}
	for _, c := range s.Challenges {
		d.Challenges = append(d.Challenges, c.String())
	}
	if s.ReferenceID != "" {
		d.Metadata = map[string]string{"reference_id": s.ReferenceID}
	}
	if s.EvidenceHash != "" {
		d.Evidence = &event.Evidence{Hash: s.EvidenceHash}
	}
	if event.EventType(ev.Type).Terminal() {
		passed := s.Status == liveness.StatusPassed && s.Verdict == liveness.VerdictPass
		score := s.Score
		d.Passed, d.Score, d.Reason = &passed, &score, s.Reason
		d.AttackSignals = s.AttackSignals
		if s.Status == liveness.StatusPassed && s.Verdict == liveness.VerdictReview {
			d.Reason = ReasonManualReview
		}
		if m := s.Match; m != nil {
			d.Match = &event.Match{Score: m.Score, Threshold: m.Threshold, Decision: m.Decision}
		}
	}
	return d
}

// Notify implements liveness.Notifier: it stores one delivery per endpoint that
// takes the event. Endpoints that do not take it (a "completed" endpoint
// and a non-terminal event, an event filter) are skipped; other failures
// are joined in the returned error, after every endpoint was tried. A
// replayed event (ev.Replay) is not stored again for an endpoint that
// already has a delivery with its id.
func (n *Notifier) Notify(ctx context.Context, ev liveness.Event) error {
	if ev.Session == nil {
		return fmt.Errorf("%w: event without session", liveness.ErrBadRequest)
	}
	we, err := n.Event(ev)
	if err != nil {
		return err
	}
	targets := n.endpoints
	if t, ok := n.tenants[ev.Session.Owner]; ok && ev.Session.Owner != "" {
		targets = append(targets[:len(targets):len(targets)], t)
	}
	if u := ev.Session.WebhookURL; u != "" {
		_, tenantSecret := n.tenants[ev.Session.Owner]
		if n.sessionSecret == "" && !tenantSecret {
			n.logger.Warn("notify: session webhook skipped: no session secret", "session", ev.Session.ID)
		} else {
			targets = append(targets[:len(targets):len(targets)], n.ownedSessionEndpoint(ev.Session.Owner, u))
		}
	}
	var errs []error
	for _, e := range targets {
		if ev.Replay {
			got, err := n.d.Deliveries(ctx, outbox.DeliveryFilter{EventID: we.ID, EndpointID: e.ID, Limit: 1})
			if err != nil {
				errs = append(errs, fmt.Errorf("endpoint %s: %w", e.ID, err))
				continue
			}
			if len(got) > 0 {
				continue
			}
		}
		if _, err := n.d.Enqueue(ctx, e, we); err != nil && !errors.Is(err, outbox.ErrFiltered) {
			errs = append(errs, fmt.Errorf("endpoint %s: %w", e.ID, err))
		}
	}
	return errors.Join(errs...)
}
