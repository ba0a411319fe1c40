//go:build eval

package liveness_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openliveness/openliveness/challenge"
	"github.com/openliveness/openliveness/internal/facedata"
	"github.com/openliveness/openliveness/liveness"
)

// TestEvalVerifySession replays blink_selfie.mjpeg into a BLINK session
// created with a reference photo: the person's own first frame (a
// same-clip genuine reference, the easy case) must match (measured 0.97)
// and a Yale subject's photo must fail with face_mismatch (measured −0.047).
func TestEvalVerifySession(t *testing.T) {
	frames, err := facedata.Frames(facedata.Path(t, "video/blink_selfie.mjpeg"))
	require.NoError(t, err)
	other, err := os.ReadFile(facedata.Path(t, "yale/subject01.normal.jpeg"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name      string
		reference []byte
		decisions []string
		verdicts  []liveness.Verdict
	}{
		{"own frame", frames[0], []string{liveness.MatchSame}, []liveness.Verdict{liveness.VerdictPass}},
		{"another person", other, []string{liveness.MatchDifferent}, []liveness.Verdict{liveness.VerdictFail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			e, err := liveness.New(liveness.WithClock(clk.Now))
			require.NoError(t, err)
			ctx := context.Background()
			c, err := e.Create(ctx, liveness.CreateOptions{Challenges: []challenge.ID{challenge.Blink}, ChallengeCount: 1, ReferenceImage: tc.reference})
			require.NoError(t, err)
			var out *liveness.Outcome
			var burst []liveness.Frame
			// The recording from 1.6 s before its first eye closure (frames
			// 139–194): a person who closes the eyes when asked, within the
			// response window.
			for k := 99; k < len(frames); k += 3 {
				burst = append(burst, liveness.Frame{Data: frames[k]})
				if len(burst) < 10 {
					continue
				}
				clk.Advance(1200 * time.Millisecond)
				out, err = e.Submit(ctx, c.Session.ID, burst, &liveness.SubmitOptions{Interval: 120 * time.Millisecond})
				burst = burst[:0]
				require.NoError(t, err)
				if out.Session.Status != liveness.StatusPending {
					break
				}
			}
			s := out.Session
			require.NotNil(t, s.Match, "status %s reason %s", s.Status, s.Reason)
			t.Logf("%s: status %s verdict %s reason %q match %+v", tc.name, s.Status, s.Verdict, s.Reason, *s.Match)
			assert.Contains(t, tc.decisions, s.Match.Decision)
			assert.Contains(t, tc.verdicts, s.Verdict)
		})
	}
}
