// Package spoof detects presentation attacks on a face-liveness session:
// a printed photo, a photo or video shown on a screen, a still or a looped
// clip injected as the camera stream, or a subject swapped mid-session.
// It does not depend on any face detector: its per-frame API takes an
// image and a face rectangle, its per-session API takes per-frame data
// (landmarks as plain float pairs, a box, a small grey view of the face).
//
// # Per-frame signals
//
// Detector.Check crops the face box, resamples it to 128×128 grey (plus a
// 64×64 chroma and a 64×64 view of the context twice the box) with fast
// paths for *image.YCbCr, *image.Gray, *image.RGBA and *image.NRGBA, and
// measures (Signals):
//
//   - LaplacianVar: the variance of the Laplacian, exactly as
//     cv2.Laplacian(gray, cv2.CV_64F).var() computes it (see LaplacianVar).
//     Alone it is a blur measure: it rejects honest users on soft webcams
//     and passes sharp prints, so it is one input among many here.
//   - Texture beyond blur: uniform rotation-invariant LBP(8,1) histograms
//     of the grey face at two scales and of its Cb and Cr channels;
//     contrast and dynamic range.
//   - Frequency: the share of spectral energy at high and middle
//     frequencies, and the strongest off-axis periodic peak (moiré of a
//     screen's pixel grid or of halftone print).
//   - Colour: chroma spread and mean chroma; specular highlights on the
//     central face.
//   - Border: two parallel straight edges flanking the face in the context
//     view (the sides of a sheet of paper or a phone).
//
// A Model combines them into Result.Score, 0 (attack) to 1 (live): a
// logistic regression for colour frames and one for grey frames, over
// standardised and clamped features, plus a hand-set penalty for the
// border signal. The operating point is Score 0.5 (Model.Threshold):
// below it a frame is an attack presentation (Result.Attack). Below
// Model.Confident it is a confident attack (Result.Confident), which fails
// a session at once; between the two the frame is "low confidence": it
// lowers the session's score but does not fail it alone.
//
// The shipped model (DefaultModel, spoof/model.json) is a fit on the
// NUAA Photograph Imposter Database face crops (research data, live faces
// and printed photos of 9 subjects, webcam captures) with degraded copies
// of every image, made by the command spoof/cmd/spooffit, which anyone can
// rerun on their own labelled folders. Only coefficients are shipped,
// nothing of the images. The operating point is placed on out-of-fold
// (leave-one-subject-out) scores at 1% bona fide rejection. NUAA has no
// screen replays and no framed photos: the frequency signals were fit
// against prints only, the border rule is set by hand, and neither was
// validated against real screen or framed attacks.
//
// # Per-session signals
//
// A Session is fed every frame (FrameInfo) and fails with
// ReasonSpoofDetected when one of these holds (SessionResult.Cause):
//
//   - Frozen frames: the same face view, bit for bit, on consecutive
//     frames (an injected still). Sensor noise keeps a live camera from
//     repeating itself exactly.
//   - Looped frames: a moving face whose views repeat, almost pixel for
//     pixel and at a constant lag, frames seen seconds before (a replayed
//     clip), found by perceptual hash (DHash) and confirmed on pixels.
//   - Planar motion: the face changes shape out of plane, yet its texture
//     moves by one homography, as a flat picture does; a real head turning
//     shows parallax between nose, eyes and cheeks. The landmarks' best
//     homography aligns the views, block matching measures the remaining
//     texture motion, and a homography fit to it leaves a residual of
//     0.1–0.2 pixel (at 64×64) for a moving photo and, on the shared
//     real videos, a median of 0.3–0.9 pixel for a head.
//   - Face discontinuity: between consecutive frames the box jumps and
//     the landmark shape or the appearance jumps with it (another subject).
//   - Frame scores: a confident per-frame attack, or more than half of
//     the frames below the operating point.
//
// # Security considerations
//
// What it detects: printed photos and photos on screens held before the
// camera (texture, colour, frequency and border signals per frame, planar
// motion over the session), stills and looped clips injected into the
// stream, and a subject swapped mid-session by an abrupt change.
//
// What it does not detect:
//
//   - 3-D masks (silicone, resin, paper masks worn on a face): they have
//     depth, move like a head and may carry skin-like texture. Detecting
//     them needs depth or infrared sensors, or models trained on masks.
//   - Deepfakes and face reenactment injected through a virtual camera,
//     or any synthetic stream fed to the browser: such frames show a
//     moving, non-planar face with camera-like noise. Frame analysis
//     cannot see that a camera is virtual.
//   - A looped clip re-encoded with fresh noise on every pass, or a clip
//     of a still face (neither repeats itself closely enough); a photo
//     that is bent or curved while it moves (no longer planar), or that
//     moves only within the image plane (nothing for the planar test to
//     judge); a screen replay on a high-resolution display (moiré depends
//     on the distance and resolution, and was not validated).
//   - The per-frame model is fit on one research data set of printed
//     photos under webcam capture: its out-of-fold APCER on that data is
//     reported in docs/evaluation.md and it will be higher on unseen attack
//     instruments, cameras and lighting.
//
// What integrators should add: the challenge-response actions of the
// liveness session (random, timed actions that a still or a replay
// cannot follow); server-side randomness and nonces so that a recorded
// session cannot be replayed; device and camera attestation where the
// platform offers it (mobile SDK integrity APIs, WebAuthn-bound devices)
// against injection; rate limits and review of repeated failures; and a
// face match against a trusted reference, since this package checks that
// a live face is present, not whose face it is. Keep the frames and
// signals of each decision (the audit package) so that attacks found
// later can be traced and the model refit on them (spooffit).
//
// # Concurrency
//
// A Detector and a Model are immutable after construction and safe for
// concurrent use; a Detector reuses pooled buffers and allocates nothing
// per frame once warm. A Session belongs to one goroutine.
package spoof
