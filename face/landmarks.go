package face

import (
	"math"

	"github.com/openliveness/openliveness/face/internal/mesh"
)

// NumLandmarks is the number of dense landmarks: MediaPipe's 468-point face
// mesh plus 5 iris points per eye.
const NumLandmarks = 478

// Point is a landmark in image pixels. X grows to the right, Y down; Z is
// relative depth in the same pixel scale (negative toward the camera, about 0
// on average over the face).
type Point struct{ X, Y, Z float64 }

func (p Point) sub(q Point) Point { return Point{p.X - q.X, p.Y - q.Y, p.Z - q.Z} }
func (p Point) add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y, p.Z + q.Z} }
func (p Point) scale(s float64) Point {
	return Point{p.X * s, p.Y * s, p.Z * s}
}

// dist2 is the distance in the image plane.
func dist2(p, q Point) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

// Landmarks are the 478 dense landmarks of one face in MediaPipe's canonical
// numbering, in image pixels. Use Region for named groups instead of raw
// indices.
//
// "Left" and "right" in region names are IMAGE sides: EyeLeft is the eye
// that appears on the left of the picture, which is the subject's right eye
// in an unmirrored camera frame.
//
// A Landmarks value is not modified by the package after it is returned;
// reading it from several goroutines is safe.
type Landmarks struct {
	Points [NumLandmarks]Point
	// Texture is what the landmark network saw of the face: its mean
	// response in each of the 16 channels of its first block (a 96×96
	// map of the landmark crop) over the centre of the face, rows 30–80 %
	// and columns 25–75 % of the map. These low-level colour and texture
	// filters are presentation-attack features (spoof.CheckOptions).
	Texture [TextureChannels]float32
}

// TextureChannels is the length of Landmarks.Texture.
const TextureChannels = mesh.TextureChannels

// Region names a group of landmarks.
type Region int

// Named regions. Contours are ordered as MediaPipe's connection lists: eye
// contours start at the outer corner, lips run from the image-left corner to
// the image-right corner, the face oval runs clockwise from the forehead.
const (
	EyeLeft   Region = iota + 1 // 16-point contour of the image-left eye (33 … 133 …)
	EyeRight                    // 16-point contour of the image-right eye (263 … 362 …)
	BrowLeft                    // 10 points of the image-left brow (lower edge, then upper edge)
	BrowRight                   // 10 points of the image-right brow
	IrisLeft                    // 5 points, centre first, of the image-left iris
	IrisRight                   // 5 points, centre first, of the image-right iris
	LipsOuter                   // 20-point outer lip contour
	LipsInner                   // 20-point inner lip contour
	NoseTip                     // the nose tip (1 point)
	FaceOval                    // 36-point face outline
	Midline                     // 28 points from forehead to chin
)

// Landmark indices used by the measures, in MediaPipe's numbering.
const (
	idxNoseTip      = 1
	idxForehead     = 10
	idxChin         = 152
	idxFaceLeft     = 234 // image-left face side
	idxFaceRight    = 454
	idxMouthLeft    = 61 // outer lip corners
	idxMouthRight   = 291
	idxInnerLeft    = 78 // inner lip corners
	idxInnerRight   = 308
	idxInnerUpper   = 13
	idxInnerLower   = 14
	idxEyeLOuter    = 33
	idxEyeLInner    = 133
	idxEyeRInner    = 362
	idxEyeROuter    = 263
	idxBetweenEyes  = 168
	idxUpperLipTop  = 0
	idxLowerLipBase = 17
)

// The region index tables are read-only.
var regionIndices = map[Region][]int{
	EyeLeft:   {33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246},
	EyeRight:  {263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466},
	BrowLeft:  {46, 53, 52, 65, 55, 70, 63, 105, 66, 107},
	BrowRight: {276, 283, 282, 295, 285, 300, 293, 334, 296, 336},
	IrisLeft:  {468, 469, 470, 471, 472},
	IrisRight: {473, 474, 475, 476, 477},
	LipsOuter: {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146},
	LipsInner: {78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95},
	NoseTip:   {1},
	FaceOval: {10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
		152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109},
	Midline: {10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 11, 12, 13, 14, 15, 16, 17, 18, 200, 199, 175, 152},
}

// earIndices are the six EAR points p1…p6 of each eye (corner, top, top,
// corner, bottom, bottom).
var earIndices = [2][6]int{
	{33, 160, 158, 133, 153, 144},
	{362, 385, 387, 263, 373, 380},
}

// String returns the region's name.
func (r Region) String() string {
	switch r {
	case EyeLeft:
		return "eye_left"
	case EyeRight:
		return "eye_right"
	case BrowLeft:
		return "brow_left"
	case BrowRight:
		return "brow_right"
	case IrisLeft:
		return "iris_left"
	case IrisRight:
		return "iris_right"
	case LipsOuter:
		return "lips_outer"
	case LipsInner:
		return "lips_inner"
	case NoseTip:
		return "nose_tip"
	case FaceOval:
		return "face_oval"
	case Midline:
		return "midline"
	}
	return "unknown"
}

// Indices returns the landmark indices of the region (a fresh slice).
func (r Region) Indices() []int {
	return append([]int(nil), regionIndices[r]...)
}

// Region returns the points of a named region, in the region's order.
func (l *Landmarks) Region(r Region) []Point {
	idx := regionIndices[r]
	out := make([]Point, len(idx))
	for i, k := range idx {
		out[i] = l.Points[k]
	}
	return out
}

// Bounds returns the axis-aligned bounding box of the landmarks in the image
// plane: minimum and maximum X and Y.
func (l *Landmarks) Bounds() (minX, minY, maxX, maxY float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, p := range l.Points[:468] {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	return
}

// InterOcular returns the distance between the outer eye corners, the usual
// normaliser for landmark errors.
func (l *Landmarks) InterOcular() float64 {
	return dist2(l.Points[idxEyeLOuter], l.Points[idxEyeROuter])
}
