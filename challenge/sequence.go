package challenge

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Sequence lengths accepted by [NewSequence].
const (
	MinLength     = 1
	MaxLength     = 8
	DefaultLength = 5
)

// SequenceOptions are the per-call knobs of [NewSequence]. The zero value
// (or a nil pointer) draws from all seven IDs with crypto/rand.
type SequenceOptions struct {
	// Allow restricts the draw to these IDs (duplicates are ignored). Empty
	// means all seven. Integrators drop SMILE or TURN_LEFT/TURN_RIGHT here
	// for accessibility; see [Except].
	Allow []ID
	// Rand is the source of random bytes; nil means crypto/rand.Reader.
	// Tests inject a deterministic reader such as a seeded
	// math/rand/v2.ChaCha8.
	Rand io.Reader
}

// NewSequence draws a random sequence of n challenges (n == 0 selects
// DefaultLength; otherwise MinLength <= n <= MaxLength).
//
// The sequence is drawn in rounds: each round is a uniformly random
// permutation of the allowed IDs, so no ID repeats before every allowed ID
// was used, and the first ID of a round is never the last ID of the previous
// one, so no ID appears twice in a row. An allow-list of a single ID can
// therefore only produce sequences of length 1 (longer ones give
// [ErrAllowList]).
//
// For 3 or more challenges, no two consecutive challenges come from the
// same [Family] (eyes, mouth, head) where the allow-list makes that
// possible: sequences are drawn as above and redrawn until they qualify
// (a uniform draw among the qualifying ones); after familyTries draws
// without one, as with an allow-list of one family, the last draw is
// kept.
func NewSequence(n int, opts *SequenceOptions) ([]ID, error) {
	if n == 0 {
		n = DefaultLength
	}
	var seq []ID
	for try := 0; try < familyTries; try++ {
		var err error
		if seq, err = drawSequence(n, opts); err != nil {
			return nil, err
		}
		if n < 3 || familiesAlternate(seq) {
			break
		}
	}
	return seq, nil
}

// familyTries bounds the redraws of [NewSequence]: with all seven IDs about
// one draw in four qualifies at length 5, so 200 draws fail with
// probability below 1e-24 when a qualifying sequence exists.
const familyTries = 200

// Family groups challenges that move the same part of the face.
type Family uint8

// Families.
const (
	FamilyEyes  Family = iota + 1 // BLINK, RAISE_EYEBROWS
	FamilyMouth                   // SMILE, OPEN_MOUTH
	FamilyHead                    // TURN_LEFT, TURN_RIGHT, LOOK_DOWN
)

// Family returns the family of id (0 for an invalid ID).
func (id ID) Family() Family {
	switch id {
	case Blink, RaiseEyebrows:
		return FamilyEyes
	case Smile, OpenMouth:
		return FamilyMouth
	case TurnLeft, TurnRight, LookDown:
		return FamilyHead
	}
	return 0
}

// familiesAlternate reports whether no two consecutive IDs of seq share a family.
func familiesAlternate(seq []ID) bool {
	for i := 1; i < len(seq); i++ {
		if seq[i].Family() == seq[i-1].Family() {
			return false
		}
	}
	return true
}

// drawSequence is one draw of [NewSequence] without the family rule.
func drawSequence(n int, opts *SequenceOptions) ([]ID, error) {
	if n == 0 {
		n = DefaultLength
	}
	if n < MinLength || n > MaxLength {
		return nil, fmt.Errorf("%w: %d not in [%d, %d]", ErrLength, n, MinLength, MaxLength)
	}
	var o SequenceOptions
	if opts != nil {
		o = *opts
	}
	allowed, err := allowSet(o.Allow)
	if err != nil {
		return nil, err
	}
	if len(allowed) == 1 && n > 1 {
		return nil, fmt.Errorf("%w: one allowed ID cannot make %d challenges without a repeat in a row", ErrAllowList, n)
	}
	r := o.Rand
	if r == nil {
		r = rand.Reader
	}
	seq := make([]ID, 0, n)
	round := make([]ID, len(allowed))
	for len(seq) < n {
		copy(round, allowed)
		// Fisher-Yates, position 0 first, so that position 0 can be drawn
		// among the IDs other than the previous round's last one.
		for i := 0; i < len(round)-1; i++ {
			lo := i
			if i == 0 && len(seq) > 0 {
				// Move the previous ID to position 0 and draw among the others.
				prev := seq[len(seq)-1]
				for j, id := range round {
					if id == prev {
						round[0], round[j] = round[j], round[0]
						break
					}
				}
				lo = 1
			}
			k, err := uniform(r, len(round)-lo)
			if err != nil {
				return nil, err
			}
			j := lo + k
			round[i], round[j] = round[j], round[i]
		}
		for _, id := range round {
			if len(seq) == n {
				break
			}
			seq = append(seq, id)
		}
	}
	return seq, nil
}

// allowSet validates and de-duplicates an allow-list, keeping its order.
func allowSet(allow []ID) ([]ID, error) {
	if len(allow) == 0 {
		return IDs(), nil
	}
	var seen [numIDs + 1]bool
	out := make([]ID, 0, len(allow))
	for _, id := range allow {
		if !id.Valid() {
			return nil, fmt.Errorf("%w: %w %d", ErrAllowList, ErrUnknownID, int(id))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// uniform returns a uniformly distributed integer in [0, n), n >= 1, read
// from r by rejection sampling (no modulo bias).
func uniform(r io.Reader, n int) (int, error) {
	if n <= 1 {
		return 0, nil
	}
	const span = 1 << 32
	limit := uint64(span - span%uint64(n))
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrRandom, err)
		}
		v := uint64(binary.LittleEndian.Uint32(b[:]))
		if v < limit {
			return int(v % uint64(n)), nil
		}
	}
}
