package spoof

// Warp gives the external tests (the evaluation) the session tests' warp:
// src rendered through h, bilinear, on a w×h canvas of mid grey.
var Warp = warp
