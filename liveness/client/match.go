package client

// Match is the comparison of the live face with the session's reference
// photo, in results of sessions created with CreateSessionRequest.
// ReferenceImage. Decision is "match", "review" (the verdict is then
// REQUIRES_MANUAL_REVIEW), "no_match" (the session failed with reason
// face_mismatch) or "no_frontal_face" (manual review).
type Match struct {
	Score           float64 `json:"score"`
	Threshold       float64 `json:"threshold"`
	ReviewThreshold float64 `json:"review_threshold"`
	Decision        string  `json:"decision"`
	Frames          []int   `json:"frames,omitempty"`
	ReferenceSHA256 string  `json:"reference_sha256"`
}
