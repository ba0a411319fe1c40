// Package padfit measures the shared presentation-attack corpus
// (../shared/facedata: pad/crops, pad/bonafide, pad/attack, video/ and the
// NUAA crops) as the liveness engine sees it, and fits the spoof model to
// it with every hold-out unit (one person, or one crop source) left out in
// turn. It serves the spooffit command and the evaluations; nothing of
// the data enters the repository.
//
// Functions are safe for concurrent use; they share no state.
package padfit
