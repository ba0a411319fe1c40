package face

import "math"

// Measures are scale-invariant ratios computed from the landmarks. They are
// what challenge detectors compare against a person's own baseline.
//
// Left and right are image sides (see Landmarks).
type Measures struct {
	// EARLeft and EARRight are the Eye Aspect Ratios (Soukupová and Čech,
	// 2016) of the image-left and image-right eye from MediaPipe's six-point
	// sets: (|p2−p6| + |p3−p5|) / (2·|p1−p4|). Open eyes give about
	// 0.25–0.32, closed eyes 0.03–0.13. EAR is their mean.
	EARLeft  float64 `json:"ear_left"`
	EARRight float64 `json:"ear_right"`
	EAR      float64 `json:"ear"`
	// MAR is the inner mouth aspect ratio |13−14| / |78−308|: 0–0.05 with
	// the lips together, above 0.5 with the mouth wide open.
	MAR float64 `json:"mar"`
	// Smile is the mouth width over the face width, |61−291| / |234−454|;
	// it grows by 10–25 % with a smile.
	Smile float64 `json:"smile"`
	// Brow is the mean height of the inner half of the lower brow edge
	// (three points per brow, from its middle to its inner end) above the
	// midpoint of each eye's corners, measured in 3-D along the face's
	// vertical axis and divided by the 3-D distance between the outer eye
	// corners. Measuring along the face's own axis keeps it unchanged when
	// the head pitches; dividing by the eye distance keeps it unchanged when
	// the jaw drops. It does not depend on the eyelids. The inner half is
	// what the brow-raising muscle lifts most, and where the landmarks are
	// steadiest: the brow tails, on the temples, move with lighting and
	// glasses as much as with a raise. Resting values are about 0.15–0.35
	// depending on the person; raised brows add 10–60 %.
	Brow float64 `json:"brow"`
	// NoseX and NoseY are the offsets of the nose tip from the face centre
	// (midpoint of the face sides, and of the eyes and mouth), over face
	// width and height. NoseX > 0: nose toward the image right.
	NoseX float64 `json:"nose_x"`
	NoseY float64 `json:"nose_y"`
}

// ComputeMeasures returns the measures of a set of landmarks.
func ComputeMeasures(l *Landmarks) Measures {
	p := &l.Points
	var m Measures
	m.EARLeft = ear(p, earIndices[0])
	m.EARRight = ear(p, earIndices[1])
	m.EAR = (m.EARLeft + m.EARRight) / 2

	if w := dist2(p[idxInnerLeft], p[idxInnerRight]); w > 0 {
		m.MAR = dist2(p[idxInnerUpper], p[idxInnerLower]) / w
	}
	faceW := dist2(p[idxFaceLeft], p[idxFaceRight])
	faceH := dist2(p[idxForehead], p[idxChin])
	if faceW > 0 {
		m.Smile = dist2(p[idxMouthLeft], p[idxMouthRight]) / faceW
	}
	if iod := dist3(p[idxEyeLOuter], p[idxEyeROuter]); iod > 0 {
		_, ya := faceAxes(l)
		gl := browHeight(p, browLowerLeft[:], p[idxEyeLOuter], p[idxEyeLInner], ya)
		gr := browHeight(p, browLowerRight[:], p[idxEyeRInner], p[idxEyeROuter], ya)
		m.Brow = (gl + gr) / 2 / iod
	}
	if faceW > 0 && faceH > 0 {
		cx := (p[idxFaceLeft].X + p[idxFaceRight].X) / 2
		eyes := p[idxEyeLOuter].add(p[idxEyeLInner]).add(p[idxEyeRInner]).add(p[idxEyeROuter]).scale(0.25)
		mouth := p[idxMouthLeft].add(p[idxMouthRight]).scale(0.5)
		cy := (eyes.Y + mouth.Y) / 2
		m.NoseX = (p[idxNoseTip].X - cx) / faceW
		m.NoseY = (p[idxNoseTip].Y - cy) / faceH
	}
	return m
}

func ear(p *[NumLandmarks]Point, k [6]int) float64 {
	w := dist2(p[k[0]], p[k[3]])
	if w == 0 {
		return 0
	}
	return (dist2(p[k[1]], p[k[5]]) + dist2(p[k[2]], p[k[4]])) / (2 * w)
}

// Inner halves of the lower brow edges (middle to inner end), image-left
// and image-right.
var (
	browLowerLeft  = [...]int{52, 65, 55}
	browLowerRight = [...]int{282, 295, 285}
)

// browHeight is the mean height of the brow points above the midpoint of
// the eye corners a and b, along the face's vertical axis ya (which points
// down), in 3-D.
func browHeight(p *[NumLandmarks]Point, brow []int, a, b Point, ya Point) float64 {
	mid := a.add(b).scale(0.5)
	var s float64
	for _, k := range brow {
		s -= dot(p[k].sub(mid), ya)
	}
	return s / float64(len(brow))
}

func dist3(p, q Point) float64 { d := p.sub(q); return math.Sqrt(dot(d, d)) }
