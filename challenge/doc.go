// Package challenge defines the liveness challenges a user is asked to
// perform (blink, smile, turn the head left or right, open the mouth, look
// down, raise the eyebrows), draws unpredictable random sequences of them,
// and decides from per-frame face measurements over time whether the user
// did them.
//
// The detectors are pure geometry and time: they consume [Observation]
// values (head pose, eye and mouth aspect ratios, smile and brow measures,
// a timestamp) and never see an image, so any landmark source can drive
// them. The face package of this module produces the measures;
// [ImageFrame] converts its image-convention pose to the user's point of
// view. An observation may also carry a coarse luma signature of the eye
// region (Observation.EyeBand, from face.EyeBand): while it still matches
// the baseline's, RAISE_EYEBROWS accepts a smaller raise (see
// [Thresholds]); without it the detectors work on geometry alone.
//
// Typical use:
//
//	seq, err := challenge.NewSequence(0, nil)     // 5 challenges, crypto/rand
//	tr, err := challenge.NewTracker(seq)
//	for each frame {
//		step := tr.Observe(obs)                    // baseline first, then each challenge in turn
//		show(step.Message)
//		if step.Done { break }
//	}
//	verdict := tr.Final()
//
// Every decision is relative to a per-session [Baseline] taken from the
// first frontal, neutral, eyes-open frames, and every threshold lives in
// [Thresholds]. Left and right are always the user's own left and right.
//
// Frame cadence: a natural blink lasts 100–300 ms, so clients send one
// frame every 800 ms in general and a burst at 8–15 fps while BLINK is the
// current challenge; BLINK also passes at 800 ms when the user holds the
// eyes closed for about a second (the message asks for that when frames
// arrive slowly).
package challenge
