package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var verifyBodySeeds = []struct {
	body string
	fast bool // parsed without encoding/json
}{
	{`{"frame_b64":"/9j/4AAQ"}`, true},
	{" {\n\t\"frame_b64\" : \"/9j/4AAQ\" } \n", true},
	{`{"interval_ms":100,"frames_b64":["/9j/","/9j/4A=="]}`, true},
	{`{"frames_b64":[],"interval_ms":-0}`, true},
	{`{"frames_b64":["a"],"frame_b64":""}`, true},
	{`{}`, true},
	{`{"interval_ms":2000}`, true},
	{`{"frame_b64":"a\/b"}`, false},
	{`{"frame_b64":"a\u0041"}`, false},
	{"{\"frame_b64\":\"a\nb\"}", false},
	{"{\"frame_b64\":\"a\x7fb\"}", false},
	{"{\"frame_b64\":\"a\xc3\xa9b\"}", false},
	{`{"Frame_B64":"abc"}`, false},
	{`{"frame_b64":"a","frame_b64":"b"}`, false},
	{`{"frame_b64":null}`, false},
	{`{"interval_ms":1.5,"frames_b64":["a"]}`, false},
	{`{"interval_ms":1e2,"frames_b64":["a"]}`, false},
	{`{"interval_ms":0100,"frames_b64":["a"]}`, false},
	{`{"interval_ms":1234567890,"frames_b64":["a"]}`, false},
	{`{"frame_b64":"a"} {}`, false},
	{`{"frame_b64":"a",}`, false},
	{`{"frames_b64":["a",]}`, false},
	{`{"metadata":{}}`, false},
	{`[[[`, false},
	{``, false},
	{`{"frame_b64":"abc`, false},
}

// TestParseVerifyBody: the in-place parser takes the usual shapes and
// agrees with encoding/json on every body it takes.
func TestParseVerifyBody(t *testing.T) {
	for _, tc := range verifyBodySeeds {
		t.Run(tc.body, func(t *testing.T) {
			_, ok := parseVerifyBody([]byte(tc.body))
			assert.Equal(t, tc.fast, ok)
			checkVerifyBody(t, []byte(tc.body))
		})
	}
}

func FuzzParseVerifyBody(f *testing.F) {
	for _, tc := range verifyBodySeeds {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(checkVerifyBody)
}

// checkVerifyBody asserts that a body the in-place parser takes decodes to
// the same request with encoding/json (as decodeJSON runs it).
func checkVerifyBody(t *testing.T, b []byte) {
	got, ok := parseVerifyBody(b)
	if !ok {
		return
	}
	var want verifyRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&want))
	_, err := dec.Token()
	require.Error(t, err, "data after the object")
	assert.Equal(t, want.FrameB64 != nil, got.hasFrame)
	if want.FrameB64 != nil {
		assert.Equal(t, *want.FrameB64, string(got.frame))
	}
	assert.Equal(t, want.FramesB64 != nil, got.hasFrames)
	require.Len(t, got.frames, len(want.FramesB64))
	for i, s := range want.FramesB64 {
		assert.Equal(t, s, string(got.frames[i]))
	}
	assert.Equal(t, want.IntervalMS, got.interval)
}

func TestPrintableASCII(t *testing.T) {
	for c := range 256 {
		for _, n := range []int{1, 8, 9, 17} {
			s := bytes.Repeat([]byte{'A'}, n)
			s[n-1] = byte(c)
			assert.Equal(t, c >= 0x20 && c <= 0x7e, printableASCII(s), "byte %#x at %d of %d", c, n-1, n)
			s[0] = byte(c)
			assert.Equal(t, c >= 0x20 && c <= 0x7e, printableASCII(s), "byte %#x at 0 of %d", c, n)
		}
	}
}
