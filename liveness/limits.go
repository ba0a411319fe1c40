package liveness

import "github.com/openliveness/openliveness/liveness/limits"

// Limits returns the bounds this engine enforces: limits.Default() with
// the TTLs, frame caps and default challenge count of its options
// (WithTTL, WithMaxFrames).
func (e *Engine) Limits() limits.Limits {
	l := limits.Default()
	if e == nil {
		return l
	}
	l.DefaultTTL, l.MaxTTL = e.cfg.ttl, e.cfg.maxTTL
	l.MaxSessionFrames = e.cfg.maxFrames
	l.MaxBurstFrames = e.cfg.maxBurstFrames
	l.DefaultChallenges = e.cfg.defaultCount
	if e.cfg.decode.MaxPixels > 0 {
		l.MaxFramePixels = e.cfg.decode.MaxPixels
	}
	return l
}
