package client

import (
	"context"
	"net/http"
	"net/url"
)

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

// ReferenceImage is a registered reference photo: only its SHA-256 and the
// model version are returned; the server keeps its face embedding.
type ReferenceImage struct {
	ReferenceImageID string `json:"reference_image_id"`
	SHA256           string `json:"sha256"`
	Model            string `json:"model"`
}

// AddReferenceImage registers a JPEG or PNG photo holding one face
// (POST /v1/reference-images), to name in later sessions with
// CreateSessionRequest.ReferenceImageID.
func (c *Client) AddReferenceImage(ctx context.Context, image []byte) (*ReferenceImage, error) {
	var out ReferenceImage
	return &out, c.do(ctx, http.MethodPost, "/v1/reference-images", referenceBody{Image: image}, http.StatusCreated, &out)
}

// referenceBody is the wire form of POST /v1/reference-images.
type referenceBody struct {
	Image []byte `json:"image_b64"`
}

// DeleteReferenceImage deletes a registered reference photo.
func (c *Client) DeleteReferenceImage(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/reference-images/"+url.PathEscape(id), nil, http.StatusNoContent, nil)
}
