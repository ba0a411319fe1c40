package challenge

import (
	"errors"
	"fmt"
	"strings"
)

// ID identifies one kind of challenge. The zero ID is invalid.
//
// IDs are small immutable values, safe for concurrent use. They marshal to
// and from text (and so JSON) as their upper-case names, for example
// "TURN_LEFT".
type ID int

// The seven challenge kinds. Left and right are always from the user's own
// point of view, whatever the camera mirroring (see [Observation]).
const (
	Blink         ID = iota + 1 // BLINK: Close your eyes for a moment (not a natural blink)
	Smile                       // SMILE: Smile
	TurnLeft                    // TURN_LEFT: Turn head left (to the user's own left)
	TurnRight                   // TURN_RIGHT: Turn head right (to the user's own right)
	OpenMouth                   // OPEN_MOUTH: Open mouth wide
	LookDown                    // LOOK_DOWN: Look down
	RaiseEyebrows               // RAISE_EYEBROWS: Raise eyebrows
)

// numIDs is the number of valid IDs.
const numIDs = int(RaiseEyebrows)

var idNames = [...]string{
	Blink:         "BLINK",
	Smile:         "SMILE",
	TurnLeft:      "TURN_LEFT",
	TurnRight:     "TURN_RIGHT",
	OpenMouth:     "OPEN_MOUTH",
	LookDown:      "LOOK_DOWN",
	RaiseEyebrows: "RAISE_EYEBROWS",
}

var idLabels = [...]string{
	Blink:         "Close your eyes for a moment",
	Smile:         "Smile",
	TurnLeft:      "Turn head left",
	TurnRight:     "Turn head right",
	OpenMouth:     "Open mouth wide",
	LookDown:      "Look down",
	RaiseEyebrows: "Raise eyebrows",
}

// Errors returned by this package, possibly wrapped with details; test them
// with [errors.Is].
var (
	// ErrUnknownID reports a challenge name or number that is not one of the seven IDs.
	ErrUnknownID = errors.New("challenge: unknown challenge ID")
	// ErrLength reports a sequence length outside [MinLength, MaxLength], or an empty sequence.
	ErrLength = errors.New("challenge: sequence length out of range")
	// ErrAllowList reports an allow-list that cannot produce the requested sequence.
	ErrAllowList = errors.New("challenge: unusable allow-list")
	// ErrRandom reports a failure to read from the source of randomness.
	ErrRandom = errors.New("challenge: reading randomness")
	// ErrThresholds reports an inconsistent [Thresholds] value.
	ErrThresholds = errors.New("challenge: invalid thresholds")
	// ErrNoBaseline reports that no observation qualified for a [Baseline],
	// or that a given Baseline is unusable.
	ErrNoBaseline = errors.New("challenge: no baseline")
)

// IDs returns the seven valid IDs in their canonical order
// (BLINK, SMILE, TURN_LEFT, TURN_RIGHT, OPEN_MOUTH, LOOK_DOWN, RAISE_EYEBROWS).
// The returned slice is a fresh copy.
func IDs() []ID {
	ids := make([]ID, numIDs)
	for i := range ids {
		ids[i] = ID(i + 1)
	}
	return ids
}

// Except returns the valid IDs in canonical order, minus the given ones. It
// builds allow-lists, for example Except(Smile, TurnLeft, TurnRight) for
// users who cannot smile or turn their head.
func Except(drop ...ID) []ID {
	ids := make([]ID, 0, numIDs)
next:
	for _, id := range IDs() {
		for _, d := range drop {
			if d == id {
				continue next
			}
		}
		ids = append(ids, id)
	}
	return ids
}

// Valid reports whether id is one of the seven challenge kinds.
func (id ID) Valid() bool { return id >= Blink && id <= RaiseEyebrows }

// String returns the upper-case name, for example "TURN_LEFT", or
// "ID(n)" for an invalid ID.
func (id ID) String() string {
	if !id.Valid() {
		return fmt.Sprintf("ID(%d)", int(id))
	}
	return idNames[id]
}

// Label returns the human label shown to users, for example "Turn head
// left", or "" for an invalid ID.
func (id ID) Label() string {
	if !id.Valid() {
		return ""
	}
	return idLabels[id]
}

// ParseID parses a challenge name. Matching ignores ASCII case
// ("turn_left" is TurnLeft) but nothing else: no spaces, no aliases.
// Unknown names give an error wrapping [ErrUnknownID].
func ParseID(s string) (ID, error) {
	for id := Blink; id <= RaiseEyebrows; id++ {
		if asciiEqualFold(s, idNames[id]) {
			return id, nil
		}
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownID, s)
}

// asciiEqualFold reports whether s equals the upper-case ASCII name up to
// ASCII case (unlike strings.EqualFold, "ſ" does not match "S").
func asciiEqualFold(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// ParseIDs parses a comma-separated list of names such as "BLINK,SMILE"
// (spaces around names are ignored), as used on command lines. It does not
// check the sequence rules of [NewSequence]; it rejects an empty list with
// [ErrLength].
func ParseIDs(list string) ([]ID, error) {
	var ids []ID
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" && strings.TrimSpace(list) == "" {
			break
		}
		id, err := ParseID(f)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrLength)
	}
	return ids, nil
}

// MarshalText implements [encoding.TextMarshaler]. Invalid IDs give an error
// wrapping [ErrUnknownID].
func (id ID) MarshalText() ([]byte, error) {
	if !id.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownID, int(id))
	}
	return []byte(idNames[id]), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseID].
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
