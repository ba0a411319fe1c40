package face

import "math"

// Pose is the head's orientation in degrees, in IMAGE terms (the image as it
// was analysed, not mirrored):
//
//   - Yaw > 0 when the nose points toward the image's right side. In an
//     unmirrored camera frame that is the subject turning to their own left;
//     a mirrored (selfie preview) frame flips the sign.
//   - Pitch > 0 when the subject looks up, < 0 when looking down.
//   - Roll > 0 when the line from the image-left eye to the image-right eye
//     turns clockwise on screen (the image-right eye lower).
//
// Zero is a frontal face looking at the camera.
type Pose struct {
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
}

// symmetric landmark pairs (image-left, image-right) spanning the face
// horizontally: eye corners, face sides, cheeks, mouth corners, nose wings,
// brow ends.
var posePairs = [...][2]int{
	{33, 263}, {133, 362}, {234, 454}, {205, 425}, {61, 291}, {98, 327}, {46, 276}, {127, 356}, {93, 323}, {132, 361},
}

// vertical landmark pairs (upper, lower) on or beside the midline.
var poseVertical = [...][2]int{
	{10, 152}, {151, 200}, {9, 17}, {168, 0}, {109, 148}, {338, 377},
}

// EstimatePose returns the head pose from the 3-D landmarks. The face's
// horizontal axis is the mean direction of symmetric landmark pairs and its
// vertical axis the mean of vertical pairs made orthogonal to it; roll is
// the angle of the horizontal axis in the image plane, yaw and pitch the
// angles of the normal once the roll is undone.
func EstimatePose(l *Landmarks) Pose {
	xa, ya := faceAxes(l)
	// Roll: the face's horizontal axis in the image plane. Undo it before
	// reading yaw and pitch from the normal, so the three separate.
	roll := math.Atan2(xa.Y, xa.X)
	// Normal toward the camera: y × x for x right, y down, z away.
	n := cross(ya, xa)
	sr, cr := math.Sincos(-roll)
	n = Point{cr*n.X - sr*n.Y, sr*n.X + cr*n.Y, n.Z}
	yaw := math.Atan2(n.X, -n.Z) * 180 / math.Pi
	pitch := math.Atan2(-n.Y, math.Hypot(n.X, n.Z)) * 180 / math.Pi
	roll *= 180 / math.Pi
	return Pose{Yaw: yaw, Pitch: pitch, Roll: roll}
}

// faceAxes returns the face's horizontal axis (image-left to image-right
// side) and vertical axis (forehead to chin, orthogonal to the first) as 3-D
// unit vectors in image coordinates.
func faceAxes(l *Landmarks) (xa, ya Point) {
	p := &l.Points
	for _, pr := range posePairs {
		xa = xa.add(unit(p[pr[1]].sub(p[pr[0]])))
	}
	for _, pr := range poseVertical {
		ya = ya.add(unit(p[pr[1]].sub(p[pr[0]])))
	}
	xa = unit(xa)
	ya = unit(ya.sub(xa.scale(dot(ya, xa))))
	return xa, ya
}

func dot(a, b Point) float64 { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }

func cross(a, b Point) Point {
	return Point{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}

func unit(a Point) Point {
	n := math.Sqrt(dot(a, a))
	if n == 0 {
		return a
	}
	return a.scale(1 / n)
}
