package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/liveness"
)

// SignContext prefixes the bytes a document signature covers.
const SignContext = "openliveness/signing/v1\n"

// Liveness is what the signing service needs of the liveness engine.
type Liveness interface {
	Create(ctx context.Context, o liveness.CreateOptions) (*liveness.Created, error)
	Get(ctx context.Context, id string) (*liveness.Session, error)
}

// Auditor appends to the evidence log.
type Auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Entry, error)
}

// signingSession is one signer and one document.
type signingSession struct {
	ID          string    `json:"session_id"`
	DocumentID  string    `json:"document_id"`
	Signer      string    `json:"signer"`
	LivenessID  string    `json:"liveness_session_id"`
	TokenHash   string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	Receipt     *Receipt  `json:"receipt,omitempty"`
}

// Receipt proves a signature: the document's hash, the liveness evidence
// it was bound to, the server's Ed25519 signature over both, and the audit
// entry that recorded it. Payload is the exact JSON whose SHA-256 is the
// audit entry's payload_hash.
type Receipt struct {
	DocumentID        string `json:"document_id"`
	Signer            string `json:"signer"`
	DocumentHash      string `json:"document_hash"`
	EvidenceHash      string `json:"evidence_hash"`
	LivenessSessionID string `json:"liveness_session_id"`
	SignedAt          string `json:"signed_at"`
	KeyID             string `json:"key_id"`
	Signature         string `json:"signature"`
	AuditID           string `json:"audit_id"`
	Payload           string `json:"payload"`
}

// signedBytes are the bytes the document signature covers.
func signedBytes(r *Receipt) []byte {
	return []byte(SignContext + r.DocumentID + "\n" + r.Signer + "\n" + r.DocumentHash + "\n" + r.EvidenceHash + "\n" + r.LivenessSessionID + "\n" + r.SignedAt + "\n")
}

// service is the e-signing demo: signing sessions in memory, each bound to
// one liveness session; safe for concurrent use.
type service struct {
	live     Liveness
	log      Auditor
	key      ed25519.PrivateKey
	keyID    string
	now      func() time.Time
	logger   *slog.Logger
	maxDoc   int64
	count    int
	allowed  []challenge.ID
	mu       sync.Mutex
	sessions map[string]*signingSession
}

type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeJSON(w, ae.status, map[string]string{"error": ae.msg})
		return
	}
	writeJSON(w, http.StatusBadGateway, map[string]string{"error": "signing service unavailable"})
}

func randomToken(prefix string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// routes mounts the signing API on mux.
func (s *service) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/signing/sessions", s.create)
	mux.HandleFunc("GET /api/signing/sessions/{id}", s.get)
	mux.HandleFunc("POST /api/signing/sessions/{id}/complete", s.complete)
}

// create starts a signing session and its liveness session.
func (s *service) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DocumentID string `json:"document_id"`
		Signer     string `json:"signer"`
		// ReferenceImage is the signer's photo on file (base64 JPEG or
		// PNG), optional: the live face must then match it.
		ReferenceImage []byte `json:"reference_image_b64"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20)).Decode(&req); err != nil {
		writeErr(w, &apiError{http.StatusBadRequest, "invalid JSON body"})
		return
	}
	req.DocumentID, req.Signer = strings.TrimSpace(req.DocumentID), strings.TrimSpace(req.Signer)
	if req.DocumentID == "" || req.Signer == "" || len(req.DocumentID) > 200 || len(req.Signer) > 200 || strings.ContainsAny(req.DocumentID+req.Signer, "\n\r") {
		writeErr(w, &apiError{http.StatusBadRequest, "document_id and signer are required (one line, at most 200 characters)"})
		return
	}
	consent := fmt.Sprintf("I, %s, agree to a face liveness check to sign document %s.", req.Signer, req.DocumentID)
	c, err := s.live.Create(r.Context(), liveness.CreateOptions{
		ChallengeCount: s.count, Challenges: s.allowed, ReferenceID: "signer:" + sha256Hex([]byte(req.Signer))[:16], ConsentText: consent,
		// The signer page, on this server, receives the hosted page's result.
		ParentOrigin:   requestOrigin(r),
		ReferenceImage: req.ReferenceImage,
	})
	if errors.Is(err, liveness.ErrBadRequest) {
		writeErr(w, &apiError{http.StatusBadRequest, strings.TrimPrefix(err.Error(), "liveness: invalid request: ")})
		return
	}
	var tm *liveness.TooManyFailuresError
	if errors.As(err, &tm) {
		w.Header().Set("Retry-After", fmt.Sprint(int(tm.RetryAfter.Seconds()+0.999)))
		writeErr(w, &apiError{http.StatusTooManyRequests, tm.Error()})
		return
	}
	if err != nil {
		s.logger.Error("signing: creating a liveness session", "err", err)
		writeErr(w, err)
		return
	}
	id, err1 := randomToken("sig_")
	token, err2 := randomToken("st_")
	if err1 != nil || err2 != nil {
		writeErr(w, errors.New("randomness"))
		return
	}
	ss := &signingSession{ID: id, DocumentID: req.DocumentID, Signer: req.Signer, LivenessID: c.Session.ID, TokenHash: sha256Hex([]byte(token)), CreatedAt: s.now().UTC()}
	s.mu.Lock()
	s.sessions[id] = ss
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"session_id":           id,
		"client_token":         token,
		"liveness_session_id":  c.Session.ID,
		"liveness_token":       c.ClientToken,
		"consent":              consent,
		"challenges":           c.Session.Challenges,
		"signer_url":           "/sign?s=" + id + "&t=" + token + "&ls=" + c.Session.ID + "&lt=" + c.ClientToken,
		"liveness_expires_at":  c.Session.ExpiresAt,
		"liveness_hosted_path": "/check?s=" + c.Session.ID + "&t=" + c.ClientToken,
	})
}

// requestOrigin is the origin the request was made to.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authorised returns the session if the request carries its token.
func (s *service) authorised(r *http.Request) (*signingSession, error) {
	s.mu.Lock()
	ss, ok := s.sessions[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{http.StatusNotFound, "unknown signing session"}
	}
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || subtle.ConstantTimeCompare([]byte(sha256Hex([]byte(tok))), []byte(ss.TokenHash)) != 1 {
		return nil, &apiError{http.StatusUnauthorized, "missing or invalid signing token"}
	}
	return ss, nil
}

func (s *service) get(w http.ResponseWriter, r *http.Request) {
	ss, err := s.authorised(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	out := *ss
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// complete accepts the document once the liveness check passed: hashes
// it, signs hash and evidence with the server key and appends DOC_SIGNED.
func (s *service) complete(w http.ResponseWriter, r *http.Request) {
	ss, err := s.authorised(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxDoc))
	if err != nil {
		writeErr(w, &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("document larger than %d bytes", s.maxDoc)})
		return
	}
	if len(doc) == 0 {
		writeErr(w, &apiError{http.StatusBadRequest, "the request body must be the document"})
		return
	}
	ls, err := s.live.Get(r.Context(), ss.LivenessID)
	if err != nil {
		writeErr(w, err)
		return
	}
	if ls.Verdict != liveness.VerdictPass {
		msg := fmt.Sprintf("liveness check not passed (status %s", ls.Status)
		if ls.Verdict != "" {
			msg += ", verdict " + string(ls.Verdict)
		}
		writeErr(w, &apiError{http.StatusConflict, msg + ")"})
		return
	}
	s.mu.Lock()
	if ss.Receipt != nil {
		rc := *ss.Receipt
		s.mu.Unlock()
		writeErr(w, &apiError{http.StatusConflict, "document already signed: " + rc.AuditID})
		return
	}
	s.mu.Unlock()

	rc := &Receipt{
		DocumentID: ss.DocumentID, Signer: ss.Signer, DocumentHash: "sha256:" + sha256Hex(doc),
		EvidenceHash: ls.EvidenceHash, LivenessSessionID: ls.ID, SignedAt: s.now().UTC().Format(time.RFC3339), KeyID: s.keyID,
	}
	rc.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, signedBytes(rc)))
	payload, _ := json.Marshal(map[string]string{
		"document_id": rc.DocumentID, "signer": rc.Signer, "document_hash": rc.DocumentHash,
		"liveness_session_id": rc.LivenessSessionID, "signed_at": rc.SignedAt, "key_id": rc.KeyID, "signature": rc.Signature,
	})
	rc.Payload = string(payload)
	entry, err := s.log.Append(r.Context(), audit.Record{SessionID: ls.ID, Type: audit.DocSigned, Payload: payload, EvidenceHash: ls.EvidenceHash})
	if err != nil {
		s.logger.Error("signing: audit append", "err", err)
		writeErr(w, err)
		return
	}
	rc.AuditID = entry.AuditID
	s.mu.Lock()
	if ss.Receipt != nil { // a concurrent completion won
		s.mu.Unlock()
		writeErr(w, &apiError{http.StatusConflict, "document already signed"})
		return
	}
	ss.Receipt, ss.CompletedAt = rc, s.now().UTC()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, rc)
}
