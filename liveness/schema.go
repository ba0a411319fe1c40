package liveness

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/spoof"
)

// SchemaVersion is the version of the persisted session schema written by
// MarshalSession: 2 is a header plus a frame log of FrameRecords; 1 (no
// "schema" field) was one JSON Session holding its whole history.
const SchemaVersion = 2

// ErrSchema means a stored record has a schema this version cannot read.
var ErrSchema = errors.New("liveness: unknown session schema")

// FrameRecord is the persisted record of one analysed frame (schema v2),
// enough to replay the challenge tracker and the spoof session signals
// deterministically: the main face's measures, its box, a landmark subset,
// the 64×64 grey thumbnail and the per-frame spoof result. Its fields are
// its own (not the structs of the challenge or spoof packages), so those
// packages can change without changing what is stored.
type FrameRecord struct {
	// TimeNS is the capture time since the session was created.
	TimeNS int64 `json:"t"`
	// Faces is the number of faces found; the measures below describe the
	// main face and are zero without one.
	Faces         int     `json:"faces"`
	Yaw           float64 `json:"yaw,omitempty"`
	Pitch         float64 `json:"pitch,omitempty"`
	Roll          float64 `json:"roll,omitempty"`
	EARLeft       float64 `json:"ear_l,omitempty"`
	EARRight      float64 `json:"ear_r,omitempty"`
	MAR           float64 `json:"mar,omitempty"`
	Smile         float64 `json:"smile,omitempty"`
	Brow          float64 `json:"brow,omitempty"`
	FaceWidthFrac float64 `json:"face_w,omitempty"`
	EyeBand       []byte  `json:"eye_band,omitempty"`
	// Box is the main face's box: x0, y0, x1, y1 in pixels.
	Box [4]int `json:"box"`
	// Pts is the landmark subset of the motion test, in pixels.
	Pts [][2]float32 `json:"pts,omitempty"`
	// Thumb is the 64×64 grey view of the face box, row-major.
	Thumb []byte `json:"thumb,omitempty"`
	// Spoof is the per-frame presentation-attack result.
	Spoof *FrameSpoof `json:"spoof,omitempty"`
}

// FrameSpoof is the persisted per-frame spoof result of a FrameRecord.
type FrameSpoof struct {
	Score        float64 `json:"score"`
	Margin       float64 `json:"margin"`
	LaplacianVar float64 `json:"laplacian_var"`
	Attack       bool    `json:"attack,omitempty"`
	Confident    bool    `json:"confident,omitempty"`
	Reason       string  `json:"reason,omitempty"`
	Cause        string  `json:"cause,omitempty"`
}

// frameRec is a frame as the engine's detectors consume it.
type frameRec struct {
	Obs   challenge.Observation
	Box   image.Rectangle
	Pts   [][2]float32
	Thumb []byte
	Spoof *spoof.Result
}

// record converts f to its persisted form (lossless).
func (f frameRec) record() FrameRecord {
	o := f.Obs
	r := FrameRecord{
		TimeNS: int64(o.Time), Faces: o.FaceCount,
		Yaw: o.Yaw, Pitch: o.Pitch, Roll: o.Roll, EARLeft: o.EARLeft, EARRight: o.EARRight,
		MAR: o.MAR, Smile: o.Smile, Brow: o.Brow, FaceWidthFrac: o.FaceWidthFrac, EyeBand: o.EyeBand,
		Box: [4]int{f.Box.Min.X, f.Box.Min.Y, f.Box.Max.X, f.Box.Max.Y},
		Pts: f.Pts, Thumb: f.Thumb,
	}
	if s := f.Spoof; s != nil {
		r.Spoof = &FrameSpoof{Score: s.Score, Margin: s.Margin, LaplacianVar: s.LaplacianVar, Attack: s.Attack, Confident: s.Confident, Reason: s.Reason, Cause: s.Cause}
	}
	return r
}

// frame converts a persisted record back to the detectors' form.
func (r *FrameRecord) frame() frameRec {
	f := frameRec{
		Obs: challenge.Observation{
			Time: time.Duration(r.TimeNS), FaceCount: r.Faces,
			Yaw: r.Yaw, Pitch: r.Pitch, Roll: r.Roll, EARLeft: r.EARLeft, EARRight: r.EARRight,
			MAR: r.MAR, Smile: r.Smile, Brow: r.Brow, FaceWidthFrac: r.FaceWidthFrac, EyeBand: r.EyeBand,
		},
		Box: image.Rect(r.Box[0], r.Box[1], r.Box[2], r.Box[3]),
		Pts: r.Pts, Thumb: r.Thumb,
	}
	if s := r.Spoof; s != nil {
		f.Spoof = &spoof.Result{Score: s.Score, Margin: s.Margin, LaplacianVar: s.LaplacianVar, Attack: s.Attack, Confident: s.Confident, Reason: s.Reason, Cause: s.Cause}
	}
	return f
}

// spoofFrame is the spoof session's input of f. The conversions are exact:
// the points widen from float32 to float64 and the thumbnail is copied
// into a spoof.Thumb (none when it is not 64×64).
func (f frameRec) spoofFrame() spoof.FrameInfo {
	fi := spoof.FrameInfo{Time: f.Obs.Time, Box: f.Box, Frame: f.Spoof}
	if len(f.Thumb) == spoof.ThumbSize*spoof.ThumbSize {
		var t spoof.Thumb
		copy(t[:], f.Thumb)
		fi.Thumb = &t
	}
	if len(f.Pts) > 0 {
		fi.Points = make([][2]float64, len(f.Pts))
		for i, p := range f.Pts {
			fi.Points[i] = [2]float64{float64(p[0]), float64(p[1])}
		}
	}
	return fi
}

// Time returns the frame's capture time since the session was created.
func (r *FrameRecord) Time() time.Duration { return time.Duration(r.TimeNS) }

// headerV2 is the stored form of a header: the Session's fields and the
// schema version.
type headerV2 struct {
	Schema int `json:"schema"`
	*Session
}

// legacyV1 holds what schema 1 kept besides the header: the history.
type legacyV1 struct {
	Schema  int `json:"schema"`
	History []struct {
		Obs   challenge.Observation `json:"obs"`
		Box   image.Rectangle       `json:"box"`
		Pts   [][2]float32          `json:"pts,omitempty"`
		Thumb []byte                `json:"thumb,omitempty"`
		Spoof *spoof.Result         `json:"spoof,omitempty"`
	} `json:"history"`
}

// MarshalSession encodes a session header in the persisted schema
// (SchemaVersion). Every store keeps headers in this form.
func MarshalSession(s *Session) ([]byte, error) {
	return json.Marshal(headerV2{Schema: SchemaVersion, Session: s})
}

// UnmarshalSession decodes a stored header. A schema 1 record (one JSON
// Session with its history) is migrated: the header is returned with its
// history converted to frame records, which the store then writes to the
// session's frame log before rewriting the header with MarshalSession
// (NeedsMigration finds such records). frames is nil for a schema 2
// record.
func UnmarshalSession(b []byte) (s *Session, frames []FrameRecord, err error) {
	h := headerV2{Session: &Session{}}
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, nil, fmt.Errorf("liveness: stored session: %w", err)
	}
	switch h.Schema {
	case SchemaVersion:
		return h.Session, nil, nil
	case 0, 1:
		var old legacyV1
		if err := json.Unmarshal(b, &old); err != nil {
			return nil, nil, fmt.Errorf("liveness: stored session (schema 1): %w", err)
		}
		frames = make([]FrameRecord, len(old.History))
		for i, r := range old.History {
			frames[i] = frameRec{Obs: r.Obs, Box: r.Box, Pts: r.Pts, Thumb: r.Thumb, Spoof: r.Spoof}.record()
		}
		return h.Session, frames, nil
	}
	return nil, nil, fmt.Errorf("%w: %d", ErrSchema, h.Schema)
}

// NeedsMigration reports whether a stored header is of an older schema
// than SchemaVersion (cheap: it reads only the schema field).
func NeedsMigration(b []byte) bool {
	var v struct {
		Schema int `json:"schema"`
	}
	return json.Unmarshal(b, &v) == nil && v.Schema < SchemaVersion
}

// ReferenceSchema is the version of the persisted reference record that
// MarshalReference writes.
const ReferenceSchema = 1

// referenceRecord is the persisted form of a registered reference: its
// embedding, the model that made it, the image's SHA-256, the owner and
// the registration time, never the image.
type referenceRecord struct {
	V         int       `json:"v"`
	ID        string    `json:"id"`
	SHA256    string    `json:"sha256"`
	Model     string    `json:"model"`
	Embedding []float32 `json:"embedding"`
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// MarshalReference encodes r as the persisted reference record (JSON,
// {"v":1, "id", "sha256", "model", "embedding", "owner", "created_at"}),
// for ReferenceStore implementations.
func MarshalReference(r *Reference) ([]byte, error) {
	return json.Marshal(referenceRecord{V: ReferenceSchema, ID: r.ID, SHA256: r.SHA256, Model: r.Model,
		Embedding: r.Embedding, Owner: r.Owner, CreatedAt: r.CreatedAt})
}

// UnmarshalReference decodes a record MarshalReference wrote; ErrSchema
// for another record version.
func UnmarshalReference(b []byte) (*Reference, error) {
	var rec referenceRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("liveness: reference record: %w", err)
	}
	if rec.V != ReferenceSchema {
		return nil, fmt.Errorf("%w: reference record version %d", ErrSchema, rec.V)
	}
	return &Reference{ID: rec.ID, SHA256: rec.SHA256, Model: rec.Model, Embedding: rec.Embedding,
		Owner: rec.Owner, CreatedAt: rec.CreatedAt}, nil
}
