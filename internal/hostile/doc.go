// Package hostile builds, in code, the inputs an attacker sends to a frame
// decoder or to the REST API: progressive JPEG scan bombs, images
// declaring huge sizes, large frames rotated by EXIF, truncated and
// malformed JPEG and PNG streams, base64 junk and deeply nested JSON. The
// face, liveness/httpapi and load tests share them, so no hostile file is
// committed.
//
// Every function is pure and safe for concurrent use.
package hostile
