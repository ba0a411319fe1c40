package liveness

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/face"
)

func verifyEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New()
	require.NoError(t, err)
	return e
}

func TestCreateWithReference(t *testing.T) {
	e := verifyEngine(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../testdata/face.jpg")
	require.NoError(t, err)
	c, err := e.Create(ctx, CreateOptions{ReferenceImage: photo})
	require.NoError(t, err)
	ref := c.Session.Reference
	require.NotNil(t, ref)
	assert.Equal(t, sha256Hex(photo), ref.SHA256)
	assert.Len(t, ref.Embedding, face.EmbeddingDim)
	assert.Equal(t, face.EmbeddingModelVersion, ref.Model)

	var blank bytes.Buffer
	require.NoError(t, png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 200))))
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"no face", blank.Bytes(), face.ErrNoFace},
		{"not an image", []byte("GIF89a not an image"), face.ErrUnsupportedFormat},
		{"empty", []byte{}, face.ErrEmptyImage},
	} {
		_, err := e.Create(ctx, CreateOptions{ReferenceImage: tc.data})
		require.ErrorIs(t, err, ErrBadRequest, tc.name)
		var le *Error
		require.ErrorAs(t, err, &le, tc.name)
		assert.Equal(t, CodeBadRequest, le.Code, tc.name)
		assert.Equal(t, "reference_image", le.Field, tc.name)
		assert.ErrorIs(t, err, tc.want, tc.name)
	}
}

// TestMatchDecision drives matchScore and observeMatch with the test
// portrait and checks each decision of applyMatch.
func TestMatchDecision(t *testing.T) {
	e := verifyEngine(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../testdata/face.jpg")
	require.NoError(t, err)
	ref, err := e.reference(ctx, photo)
	require.NoError(t, err)
	img, err := face.Decode(photo, nil)
	require.NoError(t, err)
	res, err := e.analyzer.Analyze(ctx, img, nil)
	require.NoError(t, err)
	rec := frameRec{Obs: e.observation(res, 0, false)}
	require.Equal(t, 1, rec.Obs.FaceCount)

	s := &Session{Reference: ref, Status: StatusPassed, Verdict: VerdictPass, Challenges: []challenge.ID{challenge.Blink}}
	for i := range 5 {
		s.Frames = i + 1
		a := analysed{res: res, match: e.matchScore(s, img, res)}
		if i < matchFrames {
			require.NotNil(t, a.match, "frame %d enters the most frontal frames", i+1)
		} else {
			require.Nil(t, a.match, "frame %d is no more frontal than the kept ones: no embedding", i+1)
		}
		e.observeMatch(s, a, rec)
	}
	require.Len(t, s.MatchFrames, matchFrames, "keeps the most frontal frames")
	e.applyMatch(s)
	require.NotNil(t, s.Match)
	assert.Equal(t, MatchSame, s.Match.Decision)
	assert.InDelta(t, 1, s.Match.Score, 0.001)
	assert.Equal(t, StatusPassed, s.Status)
	assert.Equal(t, VerdictPass, s.Verdict)
	assert.Equal(t, ref.SHA256, s.Match.ReferenceSHA256)

	for _, tc := range []struct {
		score       float64
		frames      bool
		wantStatus  Status
		wantVerdict Verdict
		wantReason  string
		decision    string
	}{
		{face.MatchThreshold + 0.02, true, StatusPassed, VerdictPass, "", MatchSame},
		{(face.MatchThreshold + MatchReviewThreshold) / 2, true, StatusPassed, VerdictReview, ReasonFaceReview, MatchReview},
		{MatchReviewThreshold - 0.04, true, StatusFailed, VerdictFail, ReasonFaceMismatch, MatchDifferent},
		{0, false, StatusPassed, VerdictReview, ReasonFaceReview, MatchNoFace},
	} {
		s := &Session{Reference: ref, Status: StatusPassed, Verdict: VerdictPass}
		if tc.frames {
			s.MatchFrames = []MatchFrame{{Frame: 3, Score: tc.score}}
		}
		e.applyMatch(s)
		assert.Equal(t, tc.decision, s.Match.Decision, tc.score)
		assert.Equal(t, tc.wantStatus, s.Status, tc.score)
		assert.Equal(t, tc.wantVerdict, s.Verdict, tc.score)
		assert.Equal(t, tc.wantReason, s.Reason, tc.score)
	}

	// A reference embedded by another model version is not compared.
	old := *ref
	old.Model = "mobilefacenet-192-hm3.0.4+mesh-eyes-mouth-112"
	assert.Nil(t, e.matchScore(&Session{Reference: &old}, img, res), "other model: no comparison")

	// Without a reference nothing changes; a failed session is left alone.
	plain := &Session{Status: StatusPassed, Verdict: VerdictPass}
	assert.Nil(t, e.matchScore(plain, img, res), "no reference: no embedding")
	e.observeMatch(plain, analysed{res: res}, rec)
	e.applyMatch(plain)
	assert.Nil(t, plain.Match)
	failed := &Session{Reference: ref, Status: StatusFailed, Verdict: VerdictFail}
	e.applyMatch(failed)
	assert.Nil(t, failed.Match)
}

func TestStoredReferenceOwner(t *testing.T) {
	e := verifyEngine(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../testdata/face.jpg")
	require.NoError(t, err)
	ref, err := e.AddReference(ctx, photo, "tenant-a")
	require.NoError(t, err)

	// Another tenant neither uses nor deletes it: it is unknown to it.
	_, err = e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID, Owner: "tenant-b"})
	require.ErrorIs(t, err, ErrUnknownReference)
	require.ErrorIs(t, e.DeleteReference(ctx, ref.ID, "tenant-b"), ErrNotFound)

	// Its owner and an unscoped caller (an admin) do.
	c, err := e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID, Owner: "tenant-a"})
	require.NoError(t, err)
	assert.Equal(t, "tenant-a", c.Session.Reference.Owner)
	_, err = e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID})
	require.NoError(t, err)
	require.NoError(t, e.DeleteReference(ctx, ref.ID, ""))
}

func TestStoredReference(t *testing.T) {
	e := verifyEngine(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../testdata/face.jpg")
	require.NoError(t, err)
	ref, err := e.AddReference(ctx, photo, "")
	require.NoError(t, err)
	assert.Regexp(t, `^ref_[0-9a-f]{32}$`, ref.ID)
	assert.Equal(t, sha256Hex(photo), ref.SHA256)
	assert.Nil(t, ref.Embedding, "the embedding is not handed out")

	c, err := e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID})
	require.NoError(t, err)
	require.NotNil(t, c.Session.Reference)
	assert.Equal(t, ref.ID, c.Session.Reference.ID)
	assert.Len(t, c.Session.Reference.Embedding, face.EmbeddingDim)

	_, err = e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID, ReferenceImage: photo})
	require.ErrorIs(t, err, ErrBothReferences)
	for _, id := range []string{"ref_00000000000000000000000000000000", "nope"} {
		_, err = e.Create(ctx, CreateOptions{ReferenceImageID: id})
		require.ErrorIs(t, err, ErrBadRequest, id)
		assert.ErrorIs(t, err, ErrUnknownReference)
	}

	var blank bytes.Buffer
	require.NoError(t, png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 200))))
	_, err = e.AddReference(ctx, blank.Bytes(), "")
	require.ErrorIs(t, err, ErrBadRequest)

	require.NoError(t, e.DeleteReference(ctx, ref.ID, ""))
	require.ErrorIs(t, e.DeleteReference(ctx, ref.ID, ""), ErrNotFound)
	_, err = e.Create(ctx, CreateOptions{ReferenceImageID: ref.ID})
	require.ErrorIs(t, err, ErrBadRequest)
	// The session created before keeps its copy.
	s, err := e.Get(ctx, c.Session.ID)
	require.NoError(t, err)
	assert.Equal(t, ref.ID, s.Reference.ID)
}
