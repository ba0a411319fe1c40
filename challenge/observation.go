package challenge

import (
	"math"
	"time"
)

// Observation is what the detectors see of one frame: geometry and time,
// plus an optional coarse signature of how the eye region looks (EyeBand).
// Any landmark source can fill it; [ImageFrame] converts the
// image-convention measurements of the face package.
//
// Angles are in degrees and from the USER's point of view, whatever the
// camera mirroring: Yaw > 0 when the user turned their head to their own
// left, Pitch > 0 when they look up (Pitch < 0 looking down), Roll > 0 when
// they tilt their head toward their own left shoulder. EARLeft is the
// user's own left eye.
//
// Observation is a plain value, safe to copy and share; copies share
// EyeBand, which must not be modified.
type Observation struct {
	// Time is the capture time as an offset from any fixed origin (usually
	// the session start, from a monotonic clock). It must not go backwards;
	// detectors treat a backward step or a gap longer than
	// Thresholds.MaxFrameGap as a break that restarts any hold in progress.
	Time time.Duration
	// FaceCount is the number of faces found in the frame. The measures
	// below describe the main face and are ignored unless FaceCount == 1.
	FaceCount int
	// Yaw, Pitch, Roll: head pose in degrees, user's point of view (above).
	Yaw, Pitch, Roll float64
	// EARLeft and EARRight are the eye aspect ratios of the user's own left
	// and right eye (open ≈ 0.25–0.32, closed ≈ 0.03–0.13 with the face
	// package's 6-point definition).
	EARLeft, EARRight float64
	// MAR is the inner-mouth aspect ratio, mouth opening over mouth width
	// (closed ≈ 0–0.05, wide open ≥ 0.5).
	MAR float64
	// Smile is the mouth width over the face width; it grows with a smile.
	Smile float64
	// Brow is the mean height of the eyebrows above the midpoint of each
	// eye's corners, over the distance between the outer eye corners (the
	// face package measures the inner half of the lower brow edge along the
	// face's vertical axis); it grows when the brows are raised. Measuring
	// from the eye corners (not the eyelids) keeps it independent of eye
	// closure. Only its ratio to the baseline is used.
	Brow float64
	// FaceWidthFrac is the face width over the image width, used to ask the
	// user to move closer. Zero means unknown and disables that check.
	FaceWidthFrac float64
	// EyeBand is optional: the luma of a band across both eyes, below the
	// brows, sampled on the landmarks (face.EyeBand). It is only ever
	// correlated with the bands of the same session's baseline frames, to
	// tell whether the eye region still looks as it did (same lighting,
	// same glasses); see Thresholds.BrowMatchedRatio. Nil disables that.
	EyeBand []uint8 `json:",omitempty"`
}

// EAR returns the mean eye aspect ratio of both eyes.
func (o Observation) EAR() float64 { return (o.EARLeft + o.EARRight) / 2 }

// finite reports whether every measure of o is a finite number.
func (o Observation) finite() bool {
	for _, v := range [...]float64{o.Yaw, o.Pitch, o.Roll, o.EARLeft, o.EARRight, o.MAR, o.Smile, o.Brow, o.FaceWidthFrac} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// ImageFrame holds one frame's measurements in IMAGE conventions, as the
// face package reports them for the image as it was analysed: Yaw > 0 when
// the nose points toward the image's right side, Pitch > 0 looking up, Roll
// > 0 when the line from the image-left eye to the image-right eye rotates
// clockwise on screen (y down), EARImageLeft is the eye on the image's left
// side.
//
// In an unmirrored camera frame (what a camera delivers, and what a browser
// sends when it draws the raw video track on a canvas) the user's own left
// is the image's right: a user turning to their own left gives image Yaw > 0,
// and the eye on the image's left is the user's right eye. A mirrored frame
// (flipped horizontally, like a selfie preview, before it was sent) swaps
// all of that. [ImageFrame.Observation] applies the rule.
//
// ImageFrame is a plain value, safe to copy and share.
type ImageFrame struct {
	Time                        time.Duration
	FaceCount                   int
	Yaw, Pitch, Roll            float64 // image conventions, degrees
	EARImageLeft, EARImageRight float64 // eye on the image's left / right side
	MAR, Smile, Brow            float64 // symmetric: unchanged by mirroring
	FaceWidthFrac               float64
	EyeBand                     []uint8 // compared only within a session, so not flipped
}

// Observation converts f to the user's point of view. mirrored reports that
// the frame was flipped horizontally before analysis.
//
//	unmirrored: Yaw = image Yaw, Roll = image Roll, EARLeft = EARImageRight
//	mirrored:   Yaw = −image Yaw, Roll = −image Roll, EARLeft = EARImageLeft
//
// Pitch and the symmetric measures are unchanged.
func (f ImageFrame) Observation(mirrored bool) Observation {
	o := Observation{
		Time:          f.Time,
		FaceCount:     f.FaceCount,
		Yaw:           f.Yaw,
		Pitch:         f.Pitch,
		Roll:          f.Roll,
		EARLeft:       f.EARImageRight,
		EARRight:      f.EARImageLeft,
		MAR:           f.MAR,
		Smile:         f.Smile,
		Brow:          f.Brow,
		FaceWidthFrac: f.FaceWidthFrac,
		EyeBand:       f.EyeBand,
	}
	if mirrored {
		o.Yaw, o.Roll = -f.Yaw, -f.Roll
		o.EARLeft, o.EARRight = f.EARImageLeft, f.EARImageRight
	}
	return o
}
