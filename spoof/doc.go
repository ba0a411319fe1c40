// Package spoof detects presentation attacks on a face-liveness session:
// a printed photo, a photo or video shown on a screen, a still or a looped
// clip injected as the camera stream, or a subject swapped mid-session.
// It does not depend on any face detector: its per-frame API takes an
// image, a face rectangle and, optionally, 16 responses of the landmark
// network that analysed the face (CheckOptions.Mesh, which the face
// package provides as Landmarks.Texture); its per-session API takes
// per-frame data (landmarks as plain float pairs, a box, a small grey view
// of the face).
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
//     view (the sides of a sheet of paper or a phone), and the edge energy
//     of the surroundings (bezels, fingers).
//   - Re-display: the signed colour cast of the face (gamut and white point
//     of a display or of ink), the chroma planes' high-frequency energy
//     over the luma's (sub-pixel structure, colour moiré), and the face's
//     brightness over its surroundings' (an emissive screen).
//   - Colour texture and tone: LBP histograms of the saturation and hue
//     (HSV) and of the chroma planes at a second radius, the saturation's
//     mean and spread, and the grey face's skewness and clipped fraction
//     (the gamut and gamma of a re-displayed image).
//   - Mesh (from the caller, Detector.CheckWith): the landmark network's
//     mean response in each channel of its first block over the centre of
//     the face, low-level colour and edge filters learnt on faces from
//     many cameras. Without them a model scores these features as their
//     training mean, less accurately.
//
// A Model combines them into Result.Score, 0 (attack) to 1 (live):
// logistic regressions over standardised and clamped features: for
// colour frames one multinomial model of three classes (bona fide, screen
// replay, print), whose log-odds of bona fide against either attack score
// the frame, and for grey frames a two-class one; plus a hand-set penalty
// for the border signal. Scores are calibrated: the log-odds scale is fitted
// (Platt) on out-of-fold scores and 0.5 is the operating point
// (Model.Threshold), where 1 % of bona fide frames scored out of fold fall
// below. Below it a frame is an attack presentation (Result.Attack); one
// such frame only adds evidence to a session.
//
// The shipped model (DefaultModel, spoof/model.json) is fitted by
// spoof/cmd/spooffit -root on the shared corpus: screen-replay and bona
// fide face crops from several sources, NUAA live and printed-photo crops,
// and frames of bona fide and screen-replay videos. Only coefficients are
// shipped. docs/spoof.md describes the fit and docs/evaluation.md the
// held-out figures.
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
//   - Frame evidence: the frames' log-odds below the operating point,
//     accumulated as a CUSUM (SessionThresholds.EvidenceFail): a replay is
//     a stream of frames, and one borderline frame never fails a session.
//
// A failed session names its evidence in SessionResult.AttackSignals and
// its Score is at most FailedScoreMax.
//
// # Security considerations
//
// What it detects: stills and looped clips injected into the stream,
// photos moved as a flat plane, a subject swapped mid-session, and screen
// replays and prints whose colour, texture and frequency signals resemble
// the attacks of the training corpus. docs/evaluation.md lists, per attack
// type, what was stopped on data the model was not fitted to.
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
//   - Screen replays whose re-displayed image looks like a camera's: a
//     monitor filmed from a distance (the held-out monitor replay passed
//     every per-frame check), a sharp phone screen filling the view.
//   - A looped clip re-encoded with fresh noise on every pass, or a clip
//     of a still face; a photo that is bent while it moves, or that moves
//     only within the image plane.
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
