package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/openliveness/openliveness/liveness"
)

// ReferenceEngine is the engine side of registered reference photos
// (POST /v1/reference-images, DELETE /v1/reference-images/{id});
// *liveness.Engine implements it. Engines without it answer 404 there.
type ReferenceEngine interface {
	AddReference(ctx context.Context, image []byte, owner string) (*liveness.Reference, error)
	DeleteReference(ctx context.Context, id, owner string) error
}

type addReferenceRequest struct {
	ImageB64 string `json:"image_b64"`
}

type referenceView struct {
	ReferenceImageID string `json:"reference_image_id"`
	SHA256           string `json:"sha256"`
	Model            string `json:"model"`
}

// referenceEngine checks the API key and returns the engine's reference
// operations and the owner to scope them to: the key's tenant, or "" for
// an admin key (every tenant's references).
func (h *Handler) referenceEngine(r *http.Request) (ReferenceEngine, string, error) {
	k, err := h.callerKey(r)
	if err != nil {
		return nil, "", err
	}
	re, ok := h.engine.(ReferenceEngine)
	if !ok {
		return nil, "", errorf(http.StatusNotFound, "reference images are not kept by this server")
	}
	if k.Admin() {
		return re, "", nil
	}
	return re, k.TenantID(), nil
}

func (h *Handler) addReference(w http.ResponseWriter, r *http.Request) {
	re, owner, err := h.referenceEngine(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req addReferenceRequest
	if err := decodeJSON(w, r, maxCreateBody, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.ImageB64 == "" {
		h.fail(w, r, errorf(http.StatusBadRequest, "image_b64 is required"))
		return
	}
	img, err := decodeB64(req.ImageB64)
	if err != nil {
		h.fail(w, r, errorf(http.StatusBadRequest, "image_b64: send plain base64 of a JPEG or PNG image"))
		return
	}
	ref, err := re.AddReference(r.Context(), img, owner)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/reference-images/"+ref.ID)
	writeJSON(w, http.StatusCreated, referenceView{ReferenceImageID: ref.ID, SHA256: ref.SHA256, Model: ref.Model})
}

func (h *Handler) deleteReference(w http.ResponseWriter, r *http.Request) {
	re, owner, err := h.referenceEngine(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := re.DeleteReference(r.Context(), r.PathValue("id"), owner); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeB64 decodes plain base64, padded or not (reference_image_b64).
func decodeB64(e string) ([]byte, error) {
	if strings.HasPrefix(e, "data:") {
		return nil, errors.New("data: URI")
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(e, "=") && len(e)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	return enc.DecodeString(e)
}
