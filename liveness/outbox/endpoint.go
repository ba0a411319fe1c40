package outbox

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/openliveness/openliveness/liveness/event"
	"github.com/openliveness/openliveness/webhook"
)

// Endpoint is a receiver's configuration. The dispatcher stores it, by ID,
// and reads the stored copy at every attempt, so a secret rotation or a
// URL change applies to deliveries already queued.
//
// An Endpoint is a value; copies share the Secrets, Events and Retry
// slices, which must not be modified while in use.
type Endpoint struct {
	// ID identifies the endpoint; required.
	ID string `json:"id"`
	// URL receives POST requests; https unless the dispatcher's development
	// option is on.
	URL string `json:"url"`
	// Secrets sign every message, newest first (see Secrets.RotateOverlap).
	Secrets webhook.Secrets `json:"secrets"`
	// Format selects the payload; empty means FormatEvent.
	Format event.Format `json:"format,omitempty"`
	// Schemes selects the signature schemes; zero means DefaultSchemes.
	Schemes webhook.Scheme `json:"schemes,omitempty"`
	// Headers renames the body and timestamped scheme headers.
	Headers webhook.HeaderNames `json:"headers,omitzero"`
	// Events, when not empty, limits deliveries to these types.
	Events []event.EventType `json:"events,omitempty"`
	// Retry, when not nil, replaces the dispatcher's retry delays for this
	// endpoint (see RetryPolicy.Delays).
	Retry []time.Duration `json:"retry,omitempty"`
	// Disabled stops deliveries; the dispatcher sets it when the endpoint
	// answers 410 Gone.
	Disabled       bool      `json:"disabled,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
}

// Clone returns a deep copy of e.
func (e Endpoint) Clone() Endpoint {
	e.Secrets = append(webhook.Secrets(nil), e.Secrets...)
	e.Events = append([]event.EventType(nil), e.Events...)
	if e.Retry != nil {
		e.Retry = append([]time.Duration{}, e.Retry...)
	}
	return e
}

// Validate checks the configuration. allowInsecure permits http URLs and
// private IP literals (the dispatcher's development option); without it the
// URL must be https and must not name a forbidden IP literal. Host names are
// checked again, after DNS resolution, on every connection.
func (e Endpoint) Validate(allowInsecure bool, now time.Time) error {
	if e.ID == "" || len(e.ID) > 128 {
		return fmt.Errorf("%w: id must be 1 to 128 bytes", ErrBadEndpoint)
	}
	if err := CheckURL(e.URL, allowInsecure); err != nil {
		return err
	}
	switch e.Format {
	case "", event.FormatEvent, event.FormatCompleted:
	default:
		return fmt.Errorf("%w: unknown format %q", ErrBadEndpoint, e.Format)
	}
	schemes := e.schemes()
	if schemes&^allSchemes != 0 {
		return fmt.Errorf("%w: unknown scheme %v", webhook.ErrBadSecret, e.Schemes)
	}
	active := e.Secrets.Active(now)
	if len(active) == 0 {
		return fmt.Errorf("%w: endpoint %s has no active secret", webhook.ErrNoSecret, e.ID)
	}
	for _, s := range e.Secrets {
		if len(s.Value) < 16 {
			return fmt.Errorf("%w: secrets must be at least 16 bytes", webhook.ErrBadSecret)
		}
		if schemes&webhook.SchemeStandard != 0 {
			if _, err := webhook.StandardKey(s.Value); err != nil {
				return err
			}
		}
	}
	names := withDefaults(e.Headers)
	seen := map[string]bool{}
	var used []string
	if schemes&webhook.SchemeBody != 0 {
		used = append(used, names.Signature)
	}
	if schemes&webhook.SchemeTimestamped != 0 {
		used = append(used, names.TimestampedSignature, names.Timestamp)
	}
	for _, h := range append(used, webhook.StandardIDHeader, webhook.StandardTimestampHeader, webhook.StandardSignatureHeader, webhook.EventIDHeader, webhook.EventTypeHeader, webhook.AttemptHeader) {
		if seen[h] {
			return fmt.Errorf("%w: header %s used twice", ErrBadEndpoint, h)
		}
		seen[h] = true
	}
	for _, t := range e.Events {
		if !t.Known() {
			return fmt.Errorf("%w: unknown event type %q", ErrBadEndpoint, t)
		}
	}
	for _, d := range e.Retry {
		if d <= 0 {
			return fmt.Errorf("%w: retry delays must be positive", ErrBadEndpoint)
		}
	}
	return nil
}

func (e Endpoint) schemes() webhook.Scheme {
	if e.Schemes == 0 {
		return webhook.DefaultSchemes
	}
	return e.Schemes
}

func (e Endpoint) format() event.Format {
	if e.Format == "" {
		return event.FormatEvent
	}
	return e.Format
}

// wants reports whether the endpoint subscribes to t. The test event goes
// everywhere.
func (e Endpoint) wants(t event.EventType) bool {
	if len(e.Events) == 0 || t == event.EventTest {
		return true
	}
	for _, w := range e.Events {
		if w == t {
			return true
		}
	}
	return false
}

// CheckURL checks an endpoint URL against the delivery policy: an absolute
// https URL with a host and no user info. With allowInsecure, http is also
// accepted and IP literals are not checked; without it an IP literal host
// must be a public address (see Forbidden). It returns an error wrapping
// ErrInsecureURL or ErrForbiddenAddress.
func CheckURL(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInsecureURL, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowInsecure:
	default:
		return fmt.Errorf("%w: scheme %q (https required)", ErrInsecureURL, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return fmt.Errorf("%w: no host", ErrInsecureURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: user info in URL", ErrInsecureURL)
	}
	if allowInsecure {
		return nil
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason, bad := Forbidden(ip); bad {
			return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, ip, reason)
		}
	}
	return nil
}

// allSchemes is every defined signature scheme.
const allSchemes = webhook.SchemeBody | webhook.SchemeTimestamped | webhook.SchemeStandard

// withDefaults returns h with the default header names filled in and every
// name in canonical form, as [webhook.Signer] uses them.
func withDefaults(h webhook.HeaderNames) webhook.HeaderNames {
	def := func(v, d string) string {
		if v == "" {
			v = d
		}
		return http.CanonicalHeaderKey(v)
	}
	return webhook.HeaderNames{
		Signature:            def(h.Signature, webhook.DefaultSignatureHeader),
		TimestampedSignature: def(h.TimestampedSignature, webhook.DefaultTimestampedSignatureHeader),
		Timestamp:            def(h.Timestamp, webhook.DefaultTimestampHeader),
		DeliveryID:           def(h.DeliveryID, webhook.DefaultDeliveryIDHeader),
	}
}
