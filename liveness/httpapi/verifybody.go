package httpapi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// verifyBody is a parsed verify request with the base64 text of its frames
// as slices of the request body.
type verifyBody struct {
	frame      []byte   // frame_b64; nil when absent
	frames     [][]byte // frames_b64; nil when absent
	interval   *int
	hasFrame   bool
	hasFrames  bool
	slowFrames []string // set by the encoding/json path
}

// bodyPool holds the buffers verify bodies are read into, so that a stream
// of large bodies (legitimate bursts or junk) does not allocate and zero
// megabytes per request. Buffers larger than the body limit are dropped.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readVerifyBody reads and parses a verify body. The usual shape (an
// object with frame_b64 or frames_b64 and interval_ms, strings of plain
// printable ASCII without escapes) is parsed in place without copying the
// base64 text; anything else goes through encoding/json, which gives the
// errors their usual messages. release returns the body buffer; the
// slices of the result are valid until then.
//
// A large body (bigBody or more, or of undeclared length) is read in
// chunks, each after yield (nil: never).
func (h *Handler) readVerifyBody(w http.ResponseWriter, r *http.Request, yield func() error) (req verifyBody, release func(), err error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	release = func() {
		if int64(buf.Cap()) <= h.cfg.maxBodyBytes+bytes.MinRead {
			bodyPool.Put(buf)
		}
	}
	if r.ContentLength > 0 && r.ContentLength <= h.cfg.maxBodyBytes {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, h.cfg.maxBodyBytes)
	if yield != nil && (r.ContentLength < 0 || r.ContentLength >= bigBody) {
		body = &yieldingReader{r: body, yield: yield}
	}
	_, err = buf.ReadFrom(body)
	if err != nil {
		release()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return req, nil, errorf(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (limit %d bytes)", h.cfg.maxBodyBytes))
		}
		return req, nil, errorf(http.StatusBadRequest, "could not read the request body")
	}
	if req, ok := parseVerifyBody(buf.Bytes()); ok {
		return req, release, nil
	}
	var slow verifyRequest
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	err = decodeJSON(w, r2, h.cfg.maxBodyBytes, &slow, false)
	release()
	if err != nil {
		return req, nil, err
	}
	req = verifyBody{interval: slow.IntervalMS, hasFrame: slow.FrameB64 != nil, hasFrames: slow.FramesB64 != nil, slowFrames: slow.FramesB64}
	if slow.FrameB64 != nil {
		req.slowFrames = []string{*slow.FrameB64}
	}
	return req, func() {}, nil
}

// yieldingReader calls yield before each yieldChunk bytes it reads; an
// error of yield ends the reading.
type yieldingReader struct {
	r     io.Reader
	n     int // bytes read since the last yield
	yield func() error
}

const yieldChunk = 256 << 10

func (y *yieldingReader) Read(p []byte) (int, error) {
	if y.n >= yieldChunk {
		if err := y.yield(); err != nil {
			return 0, err
		}
		y.n = 0
	}
	if len(p) > yieldChunk-y.n {
		p = p[:yieldChunk-y.n]
	}
	n, err := y.r.Read(p)
	y.n += n
	return n, err
}

// parseVerifyBody parses b when it has the usual shape of a verify body;
// ok is false for anything else (which encoding/json then decides).
func parseVerifyBody(b []byte) (req verifyBody, ok bool) {
	p := fastJSON{b: b}
	if !p.byte('{') {
		return req, false
	}
	if p.byte('}') {
		return req, p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return req, false
		}
		switch string(key) {
		case "frame_b64":
			if req.hasFrame {
				return req, false
			}
			if req.frame, ok = p.str(); !ok {
				return req, false
			}
			req.hasFrame = true
		case "frames_b64":
			if req.hasFrames || !p.byte('[') {
				return req, false
			}
			req.hasFrames, req.frames = true, [][]byte{}
			if !p.byte(']') {
				for {
					s, ok := p.str()
					if !ok {
						return req, false
					}
					req.frames = append(req.frames, s)
					if p.byte(']') {
						break
					}
					if !p.byte(',') {
						return req, false
					}
				}
			}
		case "interval_ms":
			if req.interval != nil {
				return req, false
			}
			n, ok := p.int()
			if !ok {
				return req, false
			}
			req.interval = &n
		default:
			return req, false
		}
		if p.byte('}') {
			return req, p.end()
		}
		if !p.byte(',') {
			return req, false
		}
	}
}

// fastJSON reads the few JSON tokens of a verify body.
type fastJSON struct {
	b []byte
	i int
}

func (p *fastJSON) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c (after whitespace) when it is next.
func (p *fastJSON) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *fastJSON) end() bool {
	p.space()
	return p.i == len(p.b)
}

// str reads a string of printable ASCII without escapes, whose JSON value
// is its bytes.
func (p *fastJSON) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	n := bytes.IndexByte(p.b[p.i:], '"')
	if n < 0 {
		return nil, false
	}
	s := p.b[p.i : p.i+n]
	if bytes.IndexByte(s, '\\') >= 0 || !printableASCII(s) {
		return nil, false
	}
	p.i += n + 1
	return s, true
}

// int reads an integer of at most 9 digits in JSON's number syntax.
func (p *fastJSON) int() (int, bool) {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	nd := p.i - digits
	if nd == 0 || nd > 9 || (nd > 1 && p.b[digits] == '0') {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	return n, err == nil
}

// printableASCII reports whether s holds only bytes 0x20-0x7e, eight at a
// time.
func printableASCII(s []byte) bool {
	const lo, hi = 0x2020202020202020, 0x8080808080808080
	for len(s) >= 8 {
		w := binary.LittleEndian.Uint64(s)
		// A byte below 0x20 or above 0x7e sets its high bit in one of
		// these; 0x7f is the one byte left, checked by adding 1.
		if (w|(w-lo)|(w+0x0101010101010101))&hi != 0 {
			return false
		}
		s = s[8:]
	}
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
