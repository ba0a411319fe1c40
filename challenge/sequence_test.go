package challenge_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
)

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// checkSequence verifies the sequence rules for one drawn sequence.
func checkSequence(t *testing.T, seq []challenge.ID, n int, allowed []challenge.ID) {
	t.Helper()
	if len(seq) != n {
		t.Fatalf("%v: length %d, want %d", seq, len(seq), n)
	}
	for i, id := range seq {
		if !slices.Contains(allowed, id) {
			t.Fatalf("%v: %v not in allow-list %v", seq, id, allowed)
		}
		if i > 0 && seq[i-1] == id {
			t.Fatalf("%v: %v twice in a row", seq, id)
		}
	}
	// No repeat before every allowed ID was used: each block of
	// len(allowed) consecutive draws starting at a round boundary holds
	// distinct IDs, i.e. the k-th occurrence of any ID comes after every
	// ID's (k−1)-th occurrence.
	count := map[challenge.ID]int{}
	for _, id := range seq {
		for _, other := range allowed {
			if count[other] < count[id] {
				t.Fatalf("%v: %v repeats before %v was used", seq, id, other)
			}
		}
		count[id]++
	}
}

func TestNewSequenceProperties(t *testing.T) {
	allowLists := [][]challenge.ID{
		nil,
		challenge.Except(challenge.Smile, challenge.TurnLeft, challenge.TurnRight),
		{challenge.Blink, challenge.OpenMouth},
		{challenge.LookDown, challenge.Blink, challenge.LookDown, challenge.RaiseEyebrows}, // duplicate ignored
	}
	for _, allow := range allowLists {
		allowed := allow
		if allowed == nil {
			allowed = challenge.IDs()
		}
		for n := challenge.MinLength; n <= challenge.MaxLength; n++ {
			for seed := range uint64(300) {
				seq, err := challenge.NewSequence(n, &challenge.SequenceOptions{Allow: allow, Rand: seeded(seed)})
				if err != nil {
					t.Fatalf("n=%d allow=%v: %v", n, allow, err)
				}
				checkSequence(t, seq, n, allowed)
			}
		}
	}
}

// TestNewSequenceUniform: at length 2 every ID is equally likely at every
// position (chi-square over 14,000 sequences, df = 6; the 0.1% critical
// value is 22.46). At length 8 the family rule makes the families unequal
// (head has three IDs, eyes and mouth two), but within a family every ID
// stays equally likely at every position (df = 2 and 1: 13.82 and 10.83).
// Seeds are fixed so the test is deterministic.
func TestNewSequenceUniform(t *testing.T) {
	const draws = 14000
	chi := func(counts []int) float64 {
		total := 0
		for _, c := range counts {
			total += c
		}
		exp := float64(total) / float64(len(counts))
		v := 0.0
		for _, c := range counts {
			d := float64(c) - exp
			v += d * d / exp
		}
		return v
	}
	for _, n := range []int{2, challenge.MaxLength} {
		var counts [challenge.MaxLength][8]int
		for seed := range uint64(draws) {
			seq, err := challenge.NewSequence(n, &challenge.SequenceOptions{Rand: seeded(seed)})
			require.NoError(t, err)
			for pos, id := range seq {
				counts[pos][id]++
			}
		}
		for pos := range n {
			c := counts[pos]
			if n == 2 {
				assert.LessOrEqual(t, chi(c[1:]), 22.46, "n %d position %d: counts %v", n, pos, c[1:])
				continue
			}
			B, S, L, R, O, D, E := challenge.Blink, challenge.Smile, challenge.TurnLeft, challenge.TurnRight, challenge.OpenMouth, challenge.LookDown, challenge.RaiseEyebrows
			assert.LessOrEqual(t, chi([]int{c[L], c[R], c[D]}), 13.82, "head, position %d: %v", pos, c[1:])
			assert.LessOrEqual(t, chi([]int{c[B], c[E]}), 10.83, "eyes, position %d: %v", pos, c[1:])
			assert.LessOrEqual(t, chi([]int{c[S], c[O]}), 10.83, "mouth, position %d: %v", pos, c[1:])
		}
	}
}

func TestNewSequenceDefaults(t *testing.T) {
	seq, err := challenge.NewSequence(0, nil) // crypto/rand
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, seq, challenge.DefaultLength, challenge.IDs())
	// Same seed, same sequence; the reader is the only source of randomness.
	a, _ := challenge.NewSequence(8, &challenge.SequenceOptions{Rand: seeded(7)})
	b, _ := challenge.NewSequence(8, &challenge.SequenceOptions{Rand: seeded(7)})
	if !slices.Equal(a, b) {
		t.Errorf("same seed gave %v and %v", a, b)
	}
}

func TestNewSequenceErrors(t *testing.T) {
	tests := []struct {
		name string
		n    int
		opts *challenge.SequenceOptions
		want error
	}{
		{"too long", 9, nil, challenge.ErrLength},
		{"negative", -1, nil, challenge.ErrLength},
		{"invalid ID in allow-list", 3, &challenge.SequenceOptions{Allow: []challenge.ID{challenge.Blink, 42}}, challenge.ErrUnknownID},
		{"single allowed ID, n > 1", 2, &challenge.SequenceOptions{Allow: []challenge.ID{challenge.Blink}}, challenge.ErrAllowList},
		{"randomness fails", 5, &challenge.SequenceOptions{Rand: iotest.ErrReader(errors.New("boom"))}, challenge.ErrRandom},
		{"randomness runs out", 5, &challenge.SequenceOptions{Rand: bytes.NewReader(make([]byte, 6))}, challenge.ErrRandom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := challenge.NewSequence(tc.n, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	seq, err := challenge.NewSequence(1, &challenge.SequenceOptions{Allow: []challenge.ID{challenge.LookDown}})
	if err != nil || !slices.Equal(seq, []challenge.ID{challenge.LookDown}) {
		t.Errorf("single allowed ID, n = 1: %v %v", seq, err)
	}
}

// TestNewSequenceRejectionSampling: values from the biased tail of the
// 32-bit range are rejected, not folded with a modulo.
func TestNewSequenceRejectionSampling(t *testing.T) {
	// 0xFFFFFFFF is in the rejected tail for n = 7; 0 then picks index 0.
	src := append(bytes.Repeat([]byte{0xff}, 4), make([]byte, 64)...)
	seq, err := challenge.NewSequence(1, &challenge.SequenceOptions{Rand: bytes.NewReader(src)})
	if err != nil {
		t.Fatal(err)
	}
	if seq[0] != challenge.Blink {
		t.Errorf("got %v, want BLINK (index 0 after one rejection)", seq)
	}
}

func BenchmarkNewSequence(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := challenge.NewSequence(challenge.MaxLength, nil); err != nil {
			b.Fatal(err)
		}
	}
}
