package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"time"

	"github.com/openliveness/openliveness/liveness"
)

// EvidenceEngine is what the evidence, photo and review routes need of the
// engine; *liveness.Engine implements it. When the Engine given to New
// does not, those routes answer 404.
type EvidenceEngine interface {
	Evidence(ctx context.Context, id string) (*liveness.Manifest, []byte, error)
	EvidenceObject(ctx context.Context, id, name string) ([]byte, error)
	Photo(ctx context.Context, id string) ([]byte, error)
	Review(ctx context.Context, id string, d liveness.ReviewDecision) (*liveness.Session, error)
}

// WithEvidenceURLs sets the signer of the time-limited evidence URLs given
// in results (evidence_url); every replica must share its secret. Without
// it, New makes one with a random secret: URLs then work only on this
// process.
func WithEvidenceURLs(u *EvidenceURLs) Option {
	return func(c *config) { c.evidenceURLs = u }
}

const msgBadEvidenceURL = "evidence URL expired or invalid; ask for a new one from /v1/sessions/{id}/result"

// evidenceAccess authorises an evidence request: an API key, or the exp
// and sig of a signed evidence URL.
func (h *Handler) evidenceAccess(r *http.Request, id string) error {
	q := r.URL.Query()
	if q.Get("sig") != "" || q.Get("exp") != "" {
		if err := h.cfg.evidenceURLs.Check(id, q.Get("exp"), q.Get("sig")); err != nil {
			return errorf(http.StatusUnauthorized, msgBadEvidenceURL)
		}
		return nil
	}
	_, err := h.ownedSession(r, id)
	return err
}

func (h *Handler) evidenceEngine() (EvidenceEngine, error) {
	ee, ok := h.engine.(EvidenceEngine)
	if !ok {
		return nil, errorf(http.StatusNotFound, "evidence is not kept by this server")
	}
	return ee, nil
}

// keyedEvidence authorises an API-key request on the evidence routes of a
// session the key's tenant owns and returns the engine's evidence side; on
// failure it has answered.
func (h *Handler) keyedEvidence(w http.ResponseWriter, r *http.Request) (EvidenceEngine, bool) {
	_, err := h.ownedSession(r, r.PathValue("id"))
	return h.authorisedEvidence(w, r, err)
}

// authorisedEvidence answers authErr, or a server that keeps no evidence.
func (h *Handler) authorisedEvidence(w http.ResponseWriter, r *http.Request, authErr error) (EvidenceEngine, bool) {
	if authErr != nil {
		h.fail(w, r, authErr)
		return nil, false
	}
	ee, err := h.evidenceEngine()
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return ee, true
}

type evidenceItem struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Frame     int    `json:"frame,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	URL       string `json:"url"`
}

type evidenceView struct {
	SessionID    string          `json:"session_id"`
	EvidenceHash string          `json:"evidence_hash"`
	Manifest     json.RawMessage `json:"manifest"`
	Items        []evidenceItem  `json:"items"`
}

// evidence serves the sealed manifest of a session and signed links to its
// stored objects. 410 once retention purged it.
func (h *Handler) evidence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ee, ok := h.authorisedEvidence(w, r, h.evidenceAccess(r, id))
	if !ok {
		return
	}
	s, err := h.engine.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s.EvidenceHash == "" {
		h.fail(w, r, errorf(http.StatusNotFound, "no evidence: the session has not ended or keeps none"))
		return
	}
	m, raw, err := ee.Evidence(r.Context(), id)
	if errors.Is(err, liveness.ErrNotFound) {
		h.fail(w, r, errorf(http.StatusGone, "evidence purged by retention; its hash remains: "+s.EvidenceHash))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, _ := h.cfg.evidenceURLs.URL(id)
	base, query := splitQuery(u)
	v := evidenceView{SessionID: id, EvidenceHash: s.EvidenceHash, Manifest: raw, Items: []evidenceItem{}}
	for _, it := range m.Items {
		ei := evidenceItem{Kind: it.Kind, Name: it.Name, SHA256: it.SHA256, Frame: it.Frame, URL: base + "/" + it.Name + "?" + query}
		if it.Challenge != 0 {
			ei.Challenge = it.Challenge.String()
		}
		v.Items = append(v.Items, ei)
	}
	writeJSON(w, http.StatusOK, v)
}

func splitQuery(u string) (string, string) {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' {
			return u[:i], u[i+1:]
		}
	}
	return u, ""
}

// evidenceObject serves one stored evidence object.
func (h *Handler) evidenceObject(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("name")
	ee, ok := h.authorisedEvidence(w, r, h.evidenceAccess(r, id))
	if !ok {
		return
	}
	b, err := ee.EvidenceObject(r.Context(), id, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveBytes(w, name, b)
}

func serveBytes(w http.ResponseWriter, name string, b []byte) {
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".jpg", ".jpeg":
		ct = "image/jpeg"
	case ".json":
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// photo serves the face crop of the session's best frontal frame.
func (h *Handler) photo(w http.ResponseWriter, r *http.Request) {
	ee, ok := h.keyedEvidence(w, r)
	if !ok {
		return
	}
	b, err := ee.Photo(r.Context(), r.PathValue("id"))
	if errors.Is(err, liveness.ErrNotFound) {
		// Either the session is unknown or it has no photo (yet).
		if _, gerr := h.engine.Get(r.Context(), r.PathValue("id")); gerr != nil {
			h.fail(w, r, gerr)
			return
		}
		h.fail(w, r, errorf(http.StatusNotFound, "no photo: no frontal face seen yet, or evidence purged"))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveBytes(w, "photo.jpg", b)
}

type reviewRequest struct {
	Decision string `json:"decision"`
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason"`
}

// review settles a session in the manual-review band.
func (h *Handler) review(w http.ResponseWriter, r *http.Request) {
	ee, ok := h.keyedEvidence(w, r)
	if !ok {
		return
	}
	var req reviewRequest
	if err := decodeJSON(w, r, 64<<10, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Decision != string(liveness.VerdictPass) && req.Decision != string(liveness.VerdictFail) {
		h.fail(w, r, errorf(http.StatusBadRequest, `decision must be "PASS" or "FAIL"`))
		return
	}
	if err := checkText("reviewer", req.Reviewer, 200); err != nil || req.Reviewer == "" {
		h.fail(w, r, errorf(http.StatusBadRequest, "reviewer is required (at most 200 characters)"))
		return
	}
	if err := checkText("reason", req.Reason, 1000); err != nil {
		h.fail(w, r, err)
		return
	}
	s, err := ee.Review(r.Context(), r.PathValue("id"), liveness.ReviewDecision{Verdict: liveness.Verdict(req.Decision), Reviewer: req.Reviewer, Reason: req.Reason})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.resultOf(s))
}

// evidenceLink is the signed evidence URL of an ended session, for results.
func (h *Handler) evidenceLink(s *liveness.Session) (string, string) {
	if s.EvidenceHash == "" || !s.EvidencePurgedAt.IsZero() {
		return "", ""
	}
	if _, ok := h.engine.(EvidenceEngine); !ok {
		return "", ""
	}
	u, exp := h.cfg.evidenceURLs.URL(s.ID)
	return u, exp.UTC().Format(time.RFC3339)
}
