package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// maxLineLen bounds one JSON Lines record; a valid entry is under 1 KiB.
const maxLineLen = 4096

// WriteJSONL writes entries as JSON Lines: each entry as json.Marshal writes
// it (the canonical fields, then entry_hash and signature) followed by "\n".
func WriteJSONL(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	for i := range entries {
		if err := writeLine(bw, &entries[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeLine(w *bufio.Writer, e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// Import reads a log exported as JSON Lines and verifies it with Verify. It
// accepts exactly what WriteJSONL and Log.Export write: one entry per line in
// canonical JSON, "\n" line endings (the last one optional), no blank lines,
// no other spelling of the same values. Any failure is a *VerifyError whose
// Index is the 0-based line of the first bad entry, or an error wrapping
// ErrBadCheckpoint. Empty input is an empty log.
func Import(r io.Reader, keys *Keyring, opts *VerifyOptions) ([]Entry, error) {
	var start uint64
	if opts != nil {
		start = opts.Start
	}
	entries, err := readJSONL(r, start)
	if err != nil {
		return nil, err
	}
	if err := Verify(keys, entries, opts); err != nil {
		return nil, err
	}
	return entries, nil
}

func readJSONL(r io.Reader, start uint64) ([]Entry, error) {
	br := bufio.NewReaderSize(r, maxLineLen+1)
	var entries []Entry
	for i := 0; ; i++ {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, verifyErr(i, start+uint64(i), "", Malformed, "line longer than %d bytes", maxLineLen)
		case err == io.EOF && len(line) == 0:
			return entries, nil
		case err != nil && err != io.EOF:
			return nil, err
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		e, perr := parseLine(body)
		if perr != nil {
			return nil, verifyErr(i, start+uint64(i), "", Malformed, "%v", perr)
		}
		entries = append(entries, e)
		if err == io.EOF {
			return entries, nil
		}
	}
}

func parseLine(b []byte) (Entry, error) {
	if len(b) == 0 {
		return Entry{}, errors.New("empty line")
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, err
	}
	again, err := json.Marshal(&e)
	if err != nil || !bytes.Equal(again, b) {
		return Entry{}, errors.New("line is not the canonical JSON of an entry")
	}
	return e, nil
}
