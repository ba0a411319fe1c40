package face

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMJPEGReader(t *testing.T) {
	a := encodeJPEG(t, quadrants(16, 8))
	b := withOrientation(encodeJPEG(t, quadrants(8, 8)), 3, binary.BigEndian)
	// An APP segment holding an embedded JPEG (like an EXIF thumbnail)
	// must not split the frame.
	thumb := append([]byte{0xFF, 0xE2, 0, 0}, a...)
	binary.BigEndian.PutUint16(thumb[2:], uint16(len(a)+2))
	c := append(append([]byte{0xFF, 0xD8}, thumb...), a[2:]...)

	stream := bytes.Join([][]byte{a, b, []byte("\r\n--boundary\r\n"), c, a}, nil)
	r := NewMJPEGReader(bytes.NewReader(stream), 0)
	var got [][]byte
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	want := [][]byte{a, b, c, a}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d differs (len %d, want %d)", i, len(got[i]), len(want[i]))
		}
		if _, err := Decode(got[i], nil); err != nil {
			t.Errorf("frame %d: %v", i, err)
		}
	}

	// Truncated and oversized frames.
	if _, err := NewMJPEGReader(bytes.NewReader(a[:len(a)-10]), 0).Next(); !errors.Is(err, ErrBadMJPEG) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := NewMJPEGReader(bytes.NewReader(a), 100).Next(); !errors.Is(err, ErrBadMJPEG) {
		t.Errorf("oversized: %v", err)
	}
	if _, err := NewMJPEGReader(bytes.NewReader(nil), 0).Next(); err != io.EOF {
		t.Errorf("empty: %v", err)
	}
}

func FuzzMJPEGReader(f *testing.F) {
	a := encodeJPEG(f, quadrants(16, 8))
	f.Add(append(append([]byte{}, a...), a...))
	f.Add(a[:30])
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewMJPEGReader(bytes.NewReader(data), 1<<16)
		for i := 0; i < 1000; i++ {
			fr, err := r.Next()
			if err != nil {
				return
			}
			if len(fr) < 4 || fr[0] != 0xFF || fr[1] != 0xD8 || fr[len(fr)-2] != 0xFF || fr[len(fr)-1] != 0xD9 {
				t.Fatalf("frame not delimited by SOI/EOI: % x", fr)
			}
		}
	})
}

func TestReadMJPEGFile(t *testing.T) {
	a := encodeJPEG(t, quadrants(16, 8))
	b := encodeJPEG(t, quadrants(8, 8))
	dir := t.TempDir()
	path := filepath.Join(dir, "clip.mjpeg")
	require.NoError(t, os.WriteFile(path, bytes.Join([][]byte{a, b, a}, nil), 0o600))
	got, err := ReadMJPEGFile(path)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{a, b, a}, got)

	// A truncated last frame names the file and the frame.
	require.NoError(t, os.WriteFile(path, append(append([]byte{}, a...), b[:len(b)/2]...), 0o600))
	_, err = ReadMJPEGFile(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "clip.mjpeg frame 2")

	_, err = ReadMJPEGFile(filepath.Join(dir, "absent.mjpeg"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
