package challenge_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/openliveness/openliveness/challenge"
)

func ExampleNewSequence() {
	// Production code passes nil options: five challenges from crypto/rand.
	// Here a seeded generator makes the output reproducible, and the
	// allow-list drops SMILE and the turns for accessibility. No two
	// consecutive challenges move the same part of the face.
	opts := &challenge.SequenceOptions{
		Allow: challenge.Except(challenge.Smile, challenge.TurnLeft, challenge.TurnRight),
		Rand:  rand.NewChaCha8([32]byte{1}),
	}
	seq, err := challenge.NewSequence(6, opts)
	if err != nil {
		panic(err)
	}
	for _, id := range seq {
		fmt.Printf("%-14s %s\n", id, id.Label())
	}
	// Output:
	// RAISE_EYEBROWS Raise eyebrows
	// LOOK_DOWN      Look down
	// OPEN_MOUTH     Open mouth wide
	// BLINK          Close your eyes for a moment
	// LOOK_DOWN      Look down
	// BLINK          Close your eyes for a moment
}

func ExampleParseID() {
	id, err := challenge.ParseID("turn_left")
	fmt.Println(id, id.Label(), err)
	_, err = challenge.ParseID("WAVE")
	fmt.Println(err)
	// Output:
	// TURN_LEFT Turn head left <nil>
	// challenge: unknown challenge ID "WAVE"
}

func ExampleImageFrame_Observation() {
	// The face package reports the pose of the image as analysed. The
	// browser sent its mirrored selfie preview, and the nose points to the
	// image's left: in the user's terms, a turn to their own left.
	f := challenge.ImageFrame{FaceCount: 1, Yaw: -24, EARImageLeft: 0.31, EARImageRight: 0.12}
	o := f.Observation(true)
	fmt.Printf("yaw %+.0f (own left), left eye %.2f, right eye %.2f\n", o.Yaw, o.EARLeft, o.EARRight)
	// Output:
	// yaw +24 (own left), left eye 0.31, right eye 0.12
}

func ExampleDetector() {
	// A detector on its own, driven by any landmark source: a resting face
	// as the baseline, then a head turned 15° to the user's left, held.
	rest := challenge.Observation{FaceCount: 1, EARLeft: 0.3, EARRight: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1}
	base, err := challenge.NewBaseline([]challenge.Observation{rest}, challenge.Thresholds{})
	if err != nil {
		panic(err)
	}
	d, err := challenge.NewDetector(challenge.TurnLeft, base, challenge.Thresholds{})
	if err != nil {
		panic(err)
	}
	for i, yaw := range []float64{0, -15, 8, 14, 15} {
		o := rest
		o.Time, o.Yaw = time.Duration(i)*400*time.Millisecond, yaw
		v := d.Observe(o)
		fmt.Printf("yaw %+3.0f  %-5v %.2f  %s\n", yaw, v.Passed, v.Confidence, v.Message)
	}
	// Output:
	// yaw  +0  false 0.00  Turn your head to your left
	// yaw -15  false 0.00  Turn the other way
	// yaw  +8  false 0.47  Turn a little more to your left
	// yaw +14  false 0.70  Hold it
	// yaw +15  true  1.00  Done
}

func ExampleReplay() {
	// A recorded track at 800 ms intervals: three resting frames (the
	// baseline, the last one announces BLINK), then eyes closed for two
	// frames (a closure on cue, not a blink) and open again.
	rest := challenge.Observation{FaceCount: 1, EARLeft: 0.3, EARRight: 0.3, MAR: 0.02, Smile: 0.4, Brow: 0.1}
	closed := rest
	closed.EARLeft, closed.EARRight = 0.06, 0.07
	track := []challenge.Observation{rest, rest, rest, rest, closed, closed, rest}
	for i := range track {
		track[i].Time = time.Duration(i) * 800 * time.Millisecond
	}
	steps, final, err := challenge.Replay([]challenge.ID{challenge.Blink}, track)
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, s := range steps[3:] {
		enc.Encode(s)
	}
	enc.Encode(final)
	// Output:
	// {"frame":4,"challenge":"BLINK","challenge_passed":false,"confidence":0,"message":"Close your eyes for two seconds, then open them","hint":"start","index":0,"done":false}
	// {"frame":5,"challenge":"BLINK","challenge_passed":false,"confidence":0.25,"message":"Keep your eyes closed","hint":"keep_closed","index":0,"done":false}
	// {"frame":6,"challenge":"BLINK","challenge_passed":false,"confidence":0.5,"message":"Now open your eyes","hint":"reopen","index":0,"done":false}
	// {"frame":7,"challenge":"BLINK","challenge_passed":true,"confidence":1,"message":"Done","hint":"passed","index":0,"done":true}
	// {"final":true,"passed":true,"passed_challenges":1,"total_challenges":1,"reason":"passed"}
}
