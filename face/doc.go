// Package face decodes camera frames safely, finds faces and computes dense
// landmarks, head pose and the ratios that liveness challenges are judged
// on. It is pure Go (no cgo) and embeds its models.
//
// # Pipeline
//
//   - Decode accepts JPEG and PNG only, bounds the decoding cost from the
//     headers before decoding any pixel (default limits 2 megapixels, 4096
//     per side, 16 JPEG scans), applies the EXIF orientation of JPEG frames
//     and returns the decoder's own image type (JPEG with a fork of
//     image/jpeg that decodes the same pixels in about a third of the time,
//     see docs/performance.md); Luma takes the Y plane of a *image.YCbCr
//     without a copy.
//   - Detector finds faces with the pigo cascade (embedded facefinder). Its
//     defaults are tuned for webcam frames: faces from a fifth of the shorter
//     image side upwards, a window step of 10 % and a scale step of 1.15,
//     then, only when that finds nothing, a finer second search whose
//     low-score boxes the Analyzer keeps only when the landmark model
//     confirms them.
//   - Analyzer crops each face and runs MediaPipe Face Mesh with attention
//     (478 landmarks, with refined eyelids, lips and irises) in a pure-Go
//     forward pass. The crop comes from the detector's box (calibrated on
//     the evaluation data, then re-centred on the landmarks) or, within a
//     session, from the previous frame's landmarks (AnalyzeOptions.Previous).
//     A tracked frame is searched by the detector only around the tracked
//     face (Detector.DetectAround), and whole every 8th frame and whenever
//     tracking loses the face (WithFullSearchEvery).
//   - Landmarks has named regions (Region) so callers never use raw
//     indices, and keeps the network's first-block responses over the
//     face centre (Landmarks.Texture) for spoof.CheckOptions;
//     EstimatePose gives yaw, pitch and roll in degrees, and
//     ComputeMeasures the Eye Aspect Ratio per eye, the mouth aspect ratio,
//     the smile ratio, the brow gap and the nose offsets. EyeBand samples
//     a small luma band across the eyes, aligned on the landmarks, to tell
//     whether the eye region of a later frame still looks the same (light,
//     glasses).
//   - Embedder computes a face embedding with the MobileFace network in
//     pure Go, on a 112×112 crop aligned on the landmarks' eye centres, nose
//     tip and mouth corners; Similarity and Match compare two embeddings
//     against MatchThreshold (0.1 % false-match rate on the evaluation data,
//     where it accepts 97 % of same-person frontal pairs: see
//     docs/verify.md).
//
// # Conventions
//
// Coordinates are image pixels, x to the right and y down. "Left" and
// "right" in names are image sides: EyeLeft is the eye on the left of the
// picture, the subject's right eye in an unmirrored camera frame. Pose
// angles are in image terms too (see Pose); converting them to the user's
// point of view needs to know whether the frame was mirrored.
//
// # Concurrency
//
// Decode, Luma, ComputeMeasures, EstimatePose and EyeBand are safe for
// concurrent use. A Detector, an Analyzer and an Embedder are immutable after
// construction and safe for concurrent use; create one per process and share
// it.
package face
