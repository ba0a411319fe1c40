package limits

import (
	"time"

	"github.com/openliveness/openliveness/challenge"
)

// Limits are the bounds of the API's requests. A Limits is a plain value,
// safe to copy and share.
type Limits struct {
	// TTL of a session: ttl_seconds in [MinTTL, MaxTTL], DefaultTTL
	// when absent.
	MinTTL, MaxTTL, DefaultTTL time.Duration
	// Challenges per session: challenge_count in [MinChallenges,
	// MaxChallenges], DefaultChallenges when absent.
	MinChallenges, MaxChallenges, DefaultChallenges int
	// MinIntervalMS and MaxIntervalMS bound interval_ms, the capture
	// interval of a burst.
	MinIntervalMS, MaxIntervalMS int
	// MaxBurstFrames is the most frames of one verify request
	// (frames_b64).
	MaxBurstFrames int
	// MaxFrameBytes bounds one decoded frame, MaxFramePixels its declared
	// width×height, MaxBodyBytes a verify request's body.
	MaxFrameBytes  int
	MaxFramePixels int
	MaxBodyBytes   int64
	// MaxSessionFrames is the most frames one session analyses.
	MaxSessionFrames int
}

// Default returns the bounds of the reference server, which openapi.yaml
// documents.
func Default() Limits {
	return Limits{
		MinTTL:            10 * time.Second,
		MaxTTL:            time.Hour,
		DefaultTTL:        5 * time.Minute,
		MinChallenges:     challenge.MinLength,
		MaxChallenges:     challenge.MaxLength,
		DefaultChallenges: challenge.DefaultLength,
		MinIntervalMS:     0,
		MaxIntervalMS:     2000,
		MaxBurstFrames:    20,
		MaxFrameBytes:     4 << 20,
		MaxFramePixels:    2 << 20,
		MaxBodyBytes:      16 << 20,
		MaxSessionFrames:  400,
	}
}

// JSON is the page's view of the limits (GET /v1/limits, and the hosted
// page's configuration).
type JSON struct {
	MinTTLSeconds     int   `json:"min_ttl_seconds"`
	MaxTTLSeconds     int   `json:"max_ttl_seconds"`
	DefaultTTLSeconds int   `json:"default_ttl_seconds"`
	MinChallenges     int   `json:"min_challenges"`
	MaxChallenges     int   `json:"max_challenges"`
	DefaultChallenges int   `json:"default_challenges"`
	MinIntervalMS     int   `json:"min_interval_ms"`
	MaxIntervalMS     int   `json:"max_interval_ms"`
	MaxBurstFrames    int   `json:"max_burst_frames"`
	MaxFrameBytes     int   `json:"max_frame_bytes"`
	MaxFramePixels    int   `json:"max_frame_pixels"`
	MaxBodyBytes      int64 `json:"max_body_bytes"`
	MaxSessionFrames  int   `json:"max_session_frames"`
}

// JSON returns l in its wire form.
func (l Limits) JSON() JSON {
	return JSON{
		MinTTLSeconds: int(l.MinTTL / time.Second), MaxTTLSeconds: int(l.MaxTTL / time.Second), DefaultTTLSeconds: int(l.DefaultTTL / time.Second),
		MinChallenges: l.MinChallenges, MaxChallenges: l.MaxChallenges, DefaultChallenges: l.DefaultChallenges,
		MinIntervalMS: l.MinIntervalMS, MaxIntervalMS: l.MaxIntervalMS, MaxBurstFrames: l.MaxBurstFrames,
		MaxFrameBytes: l.MaxFrameBytes, MaxFramePixels: l.MaxFramePixels, MaxBodyBytes: l.MaxBodyBytes, MaxSessionFrames: l.MaxSessionFrames,
	}
}

// Limits returns the limits j describes.
func (j JSON) Limits() Limits {
	return Limits{
		MinTTL: time.Duration(j.MinTTLSeconds) * time.Second, MaxTTL: time.Duration(j.MaxTTLSeconds) * time.Second,
		DefaultTTL:    time.Duration(j.DefaultTTLSeconds) * time.Second,
		MinChallenges: j.MinChallenges, MaxChallenges: j.MaxChallenges, DefaultChallenges: j.DefaultChallenges,
		MinIntervalMS: j.MinIntervalMS, MaxIntervalMS: j.MaxIntervalMS, MaxBurstFrames: j.MaxBurstFrames,
		MaxFrameBytes: j.MaxFrameBytes, MaxFramePixels: j.MaxFramePixels, MaxBodyBytes: j.MaxBodyBytes, MaxSessionFrames: j.MaxSessionFrames,
	}
}
