package liveness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"math"
	"strings"
	"time"

	"github.com/disintegration/imaging"

	"github.com/openliveness/openliveness/audit"
	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
)

// EvidenceStore keeps the raw evidence of sessions (frame images and the
// manifest) outside the session record. Names are content-addressed, so a
// Put never overwrites different content.
type EvidenceStore interface {
	Put(ctx context.Context, sessionID, name string, data []byte) error
	// Get returns ErrNotFound when the object does not exist (or was purged).
	Get(ctx context.Context, sessionID, name string) ([]byte, error)
	// Delete removes all objects of a session.
	Delete(ctx context.Context, sessionID string) error
}

// Auditor receives audit records; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Entry, error)
}

// Evidence kinds (EvidenceItem.Kind).
const (
	KindBestFrontal = "best_frontal" // the most frontal frame with open eyes
	KindFace        = "face"         // the face crop of the best frontal frame (the session photo), made when the session ends
	KindChallenge   = "challenge"    // the frame on which a challenge passed
	KindManifest    = "manifest"     // the bundle's manifest (its hash is the evidence hash)
)

// EvidenceItem is one stored evidence object.
type EvidenceItem struct {
	Kind      string       `json:"kind"`
	Name      string       `json:"name"`
	SHA256    string       `json:"sha256"`
	Frame     int          `json:"frame,omitempty"`
	Challenge challenge.ID `json:"challenge,omitempty"`
}

// Manifest is the evidence bundle of a session: what was asked, what was
// seen and decided, and the hashes of the stored frames. The evidence hash
// is "sha256:" + hex(SHA-256 of the manifest's stored JSON bytes).
type Manifest struct {
	SessionID    string            `json:"session_id"`
	ReferenceID  string            `json:"reference_id,omitempty"`
	Challenges   []challenge.ID    `json:"challenges"`
	Passed       []PassedChallenge `json:"passed"`
	Status       Status            `json:"status"`
	Verdict      Verdict           `json:"verdict"`
	Reason       string            `json:"reason,omitempty"`
	Score        float64           `json:"score"`
	ModelVersion string            `json:"model_version"`
	ConsentHash  string            `json:"consent_hash,omitempty"`
	Match        *Match            `json:"match,omitempty"` // face comparison, with the reference image's SHA-256
	CreatedAt    time.Time         `json:"created_at"`
	CompletedAt  time.Time         `json:"completed_at"`
	Items        []EvidenceItem    `json:"items"`
	Frames       []FrameSummary    `json:"frames"`

	// ConsentAcceptedAt is when the subject accepted the consent text.
	ConsentAcceptedAt time.Time `json:"consent_accepted_at,omitzero"`
}

// FrameSummary is the per-frame analysis record kept in the manifest.
type FrameSummary struct {
	Frame        int     `json:"frame"`
	TimeMS       int64   `json:"time_ms"`
	Faces        int     `json:"faces"`
	Yaw          float64 `json:"yaw"`
	Pitch        float64 `json:"pitch"`
	Roll         float64 `json:"roll"`
	EAR          float64 `json:"ear"`
	MAR          float64 `json:"mar"`
	Smile        float64 `json:"smile"`
	Brow         float64 `json:"brow"`
	SpoofScore   float64 `json:"spoof_score"`
	LaplacianVar float64 `json:"laplacian_var"`
}

// pendingPut is an evidence object to store with the next session update.
type pendingPut struct {
	name string
	data []byte
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// captureEvidence records the frame as evidence when it is the best frontal
// frame so far or the frame a challenge passed on.
func (e *Engine) captureEvidence(s *Session, a analysed, rec frameRec, step challenge.Step, puts *[]pendingPut) {
	if e.cfg.evidence == nil || a.data == nil {
		return
	}
	add := func(kind string, data []byte, ch challenge.ID) {
		sum := sha256Hex(data)
		name := kind + "-" + sum[:16] + ".jpg"
		if ch != 0 {
			name = kind + "-" + strings.ToLower(ch.String()) + "-" + sum[:16] + ".jpg"
		}
		it := EvidenceItem{Kind: kind, Name: name, SHA256: sum, Frame: s.Frames, Challenge: ch}
		// One best frontal frame and one face crop: replace the old one.
		if kind == KindBestFrontal || kind == KindFace {
			for i := range s.Evidence {
				if s.Evidence[i].Kind == kind {
					s.Evidence = append(s.Evidence[:i], s.Evidence[i+1:]...)
					break
				}
			}
		}
		s.Evidence = append(s.Evidence, it)
		*puts = append(*puts, pendingPut{name: name, data: data})
	}
	if step.Passed {
		add(KindChallenge, a.data, step.Challenge)
	}
	o := rec.Obs
	if o.FaceCount == 1 && o.EARLeft > 0.15 && o.EARRight > 0.15 {
		frontal := math.Abs(o.Yaw) + math.Abs(o.Pitch)
		if s.BestFrontal == 0 || frontal < s.BestFrontalDeg {
			s.BestFrontal, s.BestFrontalDeg = s.Frames, frontal
			add(KindBestFrontal, a.data, 0) // its face crop is made once, by sealEvidence
		}
	}
}

// addFaceCrop adds the face crop of the best frontal frame (KindFace) to
// the evidence of an ending session: made once per session, from the best
// frontal frame queued in puts or already stored; frames is the session's
// frame log.
func (e *Engine) addFaceCrop(s *Session, frames []FrameRecord, puts *[]pendingPut) {
	if s.BestFrontal < 1 || s.BestFrontal > len(frames) {
		return
	}
	var name string
	for _, it := range s.Evidence {
		if it.Kind == KindFace {
			return
		}
		if it.Kind == KindBestFrontal {
			name = it.Name
		}
	}
	if name == "" {
		return
	}
	var data []byte
	for _, p := range *puts {
		if p.name == name {
			data = p.data
		}
	}
	if data == nil {
		var err error
		// sealEvidence has no caller context; the object is local to the
		// evidence store and small.
		if data, err = e.cfg.evidence.Get(context.Background(), s.ID, name); err != nil {
			e.cfg.logger.Warn("liveness: best frontal frame for the face crop", "session", s.ID, "err", err)
			return
		}
	}
	img, err := face.Decode(data, &e.cfg.decode)
	if err != nil {
		return
	}
	b := frames[s.BestFrontal-1].Box
	crop := faceCrop(img, image.Rect(b[0], b[1], b[2], b[3]))
	if crop == nil {
		return
	}
	sum := sha256Hex(crop)
	n := KindFace + "-" + sum[:16] + ".jpg"
	s.Evidence = append(s.Evidence, EvidenceItem{Kind: KindFace, Name: n, SHA256: sum, Frame: s.BestFrontal})
	*puts = append(*puts, pendingPut{name: n, data: crop})
}

// faceCrop encodes the face box, enlarged by 40 % and resized to 256 pixels
// wide, as a JPEG (quality 90).
func faceCrop(img image.Image, box image.Rectangle) []byte {
	if img == nil || box.Empty() {
		return nil
	}
	r := box.Inset(-box.Dx() / 5).Intersect(img.Bounds())
	if r.Empty() {
		return nil
	}
	dst := imaging.Resize(imaging.Crop(img, r), 256, 0, imaging.Linear)
	var buf bytes.Buffer
	if err := imaging.Encode(&buf, dst, imaging.JPEG, imaging.JPEGQuality(90)); err != nil {
		return nil
	}
	return buf.Bytes()
}

// sealEvidence builds the manifest of an ended session from its header and
// its whole frame log, sets s.EvidenceHash and queues the manifest for
// storage.
func (e *Engine) sealEvidence(s *Session, frames []FrameRecord, puts *[]pendingPut) {
	if e.cfg.evidence == nil {
		return
	}
	e.addFaceCrop(s, frames, puts)
	m := Manifest{
		SessionID: s.ID, ReferenceID: s.ReferenceID, Challenges: s.Challenges, Passed: s.Passed,
		Status: s.Status, Verdict: s.Verdict, Reason: s.Reason, Score: s.Score, ModelVersion: s.ModelVersion,
		ConsentHash: s.ConsentHash, ConsentAcceptedAt: s.ConsentAcceptedAt, Match: s.Match, CreatedAt: s.CreatedAt, CompletedAt: s.CompletedAt,
		Items: append([]EvidenceItem{}, s.Evidence...), Frames: []FrameSummary{},
	}
	if m.Passed == nil {
		m.Passed = []PassedChallenge{}
	}
	for i, r := range frames {
		fs := FrameSummary{
			Frame: i + 1, TimeMS: r.Time().Milliseconds(), Faces: r.Faces,
			Yaw: round3(r.Yaw), Pitch: round3(r.Pitch), Roll: round3(r.Roll),
			EAR: round3((r.EARLeft + r.EARRight) / 2), MAR: round3(r.MAR), Smile: round3(r.Smile), Brow: round3(r.Brow),
		}
		if r.Spoof != nil {
			fs.SpoofScore, fs.LaplacianVar = round3(r.Spoof.Score), round3(r.Spoof.LaplacianVar)
		}
		m.Frames = append(m.Frames, fs)
	}
	b, err := json.Marshal(m)
	if err != nil {
		e.cfg.logger.Error("liveness: evidence manifest", "session", s.ID, "err", err)
		return
	}
	s.EvidenceHash = "sha256:" + sha256Hex(b)
	*puts = append(*puts, pendingPut{name: "manifest.json", data: b})
}

// Evidence returns the stored manifest of an ended session and its bytes.
func (e *Engine) Evidence(ctx context.Context, id string) (*Manifest, []byte, error) {
	if e.cfg.evidence == nil {
		return nil, nil, ErrNotFound
	}
	b, err := e.cfg.evidence.Get(ctx, id, "manifest.json")
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, err
	}
	return &m, b, nil
}

// EvidenceObject returns one stored evidence object of a session by name.
func (e *Engine) EvidenceObject(ctx context.Context, id, name string) ([]byte, error) {
	if e.cfg.evidence == nil {
		return nil, ErrNotFound
	}
	return e.cfg.evidence.Get(ctx, id, name)
}

// Photo returns the face crop of the session's best frontal frame (JPEG),
// made when the session ended (ErrNotFound while it is pending).
func (e *Engine) Photo(ctx context.Context, id string) ([]byte, error) {
	s, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, it := range s.Evidence {
		if it.Kind == KindFace {
			return e.EvidenceObject(ctx, id, it.Name)
		}
	}
	return nil, ErrNotFound
}

// PurgeEvidence deletes the stored frames of sessions that ended before
// cutoff (their hashes stay in the session, the manifest hash in the audit
// log), records EvidencePurgedAt and writes an EVIDENCE_PURGED audit entry
// per session, committed with that change. The evidence store lists the
// sessions (EvidenceLister, checked by New).
func (e *Engine) PurgeEvidence(ctx context.Context, cutoff time.Time) (int, error) {
	if e.cfg.evidence == nil {
		return 0, nil
	}
	ids, err := e.cfg.evidence.(EvidenceLister).SessionsBefore(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		s, err := e.cfg.store.Get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound): // pruned: only the audit entry is left to write
		case err != nil:
			return n, err
		case !s.Status.Final() || s.CompletedAt.After(cutoff):
			continue
		}
		if err := e.cfg.evidence.Delete(ctx, id); err != nil {
			return n, err
		}
		n++
		rec := audit.Record{SessionID: id, Type: audit.EvidencePurged, Payload: []byte(cutoff.UTC().Format(time.RFC3339))}
		if s == nil {
			e.audit(ctx, rec, "")
			continue
		}
		_, err = e.update(ctx, id, func(s *Session, c *change) error {
			s.EvidencePurgedAt = e.cfg.clock().UTC()
			rec.EvidenceHash = s.EvidenceHash
			c.audit(rec)
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// audit appends a record that belongs to no stored session (its session
// was pruned), logging (not failing) on error.
func (e *Engine) audit(ctx context.Context, r audit.Record, evidenceHash string) {
	if e.cfg.auditor == nil {
		return
	}
	r.EvidenceHash = evidenceHash
	if _, err := e.cfg.auditor.Append(context.WithoutCancel(ctx), r); err != nil {
		e.cfg.logger.Error("liveness: audit append failed", "session", r.SessionID, "type", r.Type, "err", err)
	}
}

// EvidenceLister is implemented by evidence stores that can list the
// sessions whose evidence was stored before a time (for retention).
type EvidenceLister interface {
	SessionsBefore(ctx context.Context, t time.Time) ([]string, error)
}
