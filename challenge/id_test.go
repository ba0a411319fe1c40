package challenge_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openliveness/openliveness/challenge"
)

func TestIDs(t *testing.T) {
	want := []struct {
		id    challenge.ID
		name  string
		label string
	}{
		{challenge.Blink, "BLINK", "Close your eyes for a moment"},
		{challenge.Smile, "SMILE", "Smile"},
		{challenge.TurnLeft, "TURN_LEFT", "Turn head left"},
		{challenge.TurnRight, "TURN_RIGHT", "Turn head right"},
		{challenge.OpenMouth, "OPEN_MOUTH", "Open mouth wide"},
		{challenge.LookDown, "LOOK_DOWN", "Look down"},
		{challenge.RaiseEyebrows, "RAISE_EYEBROWS", "Raise eyebrows"},
	}
	all := challenge.IDs()
	if len(all) != len(want) {
		t.Fatalf("IDs() = %v", all)
	}
	for i, w := range want {
		if all[i] != w.id || w.id.String() != w.name || w.id.Label() != w.label || !w.id.Valid() {
			t.Errorf("%d: got %v %q %q", i, all[i], w.id.String(), w.id.Label())
		}
		for _, s := range []string{w.name, strings.ToLower(w.name)} {
			if id, err := challenge.ParseID(s); err != nil || id != w.id {
				t.Errorf("ParseID(%q) = %v, %v", s, id, err)
			}
		}
	}
	for _, bad := range []challenge.ID{-1, 0, 8, 255} {
		if bad.Valid() || bad.Label() != "" || !strings.HasPrefix(bad.String(), "ID(") {
			t.Errorf("invalid ID %d: %v %q", int(bad), bad.Valid(), bad.Label())
		}
		if _, err := bad.MarshalText(); !errors.Is(err, challenge.ErrUnknownID) {
			t.Errorf("MarshalText(%d) error %v", int(bad), err)
		}
	}
	for _, bad := range []string{"", "BLINK ", " BLINK", "BLINKS", "TURN-LEFT", "TURN LEFT", "0", "1", "\u017fMILE", "BLIN\u212a"} {
		if _, err := challenge.ParseID(bad); !errors.Is(err, challenge.ErrUnknownID) {
			t.Errorf("ParseID(%q) error %v", bad, err)
		}
	}
}

func TestExcept(t *testing.T) {
	got := challenge.Except(challenge.Smile, challenge.TurnLeft, challenge.TurnRight)
	want := []challenge.ID{challenge.Blink, challenge.OpenMouth, challenge.LookDown, challenge.RaiseEyebrows}
	if !slices.Equal(got, want) {
		t.Errorf("Except = %v, want %v", got, want)
	}
	if got := challenge.Except(); !slices.Equal(got, challenge.IDs()) {
		t.Errorf("Except() = %v", got)
	}
}

func TestParseIDs(t *testing.T) {
	got, err := challenge.ParseIDs("BLINK, smile,TURN_LEFT")
	if err != nil || !slices.Equal(got, []challenge.ID{challenge.Blink, challenge.Smile, challenge.TurnLeft}) {
		t.Errorf("ParseIDs = %v, %v", got, err)
	}
	for _, bad := range []string{"", " ", "BLINK,", "BLINK,,SMILE", "BLINK,NOPE"} {
		if _, err := challenge.ParseIDs(bad); err == nil {
			t.Errorf("ParseIDs(%q) succeeded", bad)
		}
	}
	if _, err := challenge.ParseIDs(""); !errors.Is(err, challenge.ErrLength) {
		t.Errorf("ParseIDs(\"\") error %v", err)
	}
}

func TestIDJSON(t *testing.T) {
	in := struct {
		Seq []challenge.ID `json:"seq"`
	}{challenge.IDs()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"seq":["BLINK","SMILE","TURN_LEFT","TURN_RIGHT","OPEN_MOUTH","LOOK_DOWN","RAISE_EYEBROWS"]}`
	if string(b) != want {
		t.Errorf("got %s", b)
	}
	var out struct {
		Seq []challenge.ID `json:"seq"`
	}
	if err := json.Unmarshal(b, &out); err != nil || !slices.Equal(out.Seq, in.Seq) {
		t.Errorf("round trip: %v %v", out.Seq, err)
	}
	for _, bad := range []string{`{"seq":["WAVE"]}`, `{"seq":[1]}`, `{"seq":[""]}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
	if _, err := json.Marshal([]challenge.ID{0}); !errors.Is(err, challenge.ErrUnknownID) {
		t.Errorf("marshal zero ID: %v", err)
	}
}

// FuzzParseID: ParseID accepts exactly the seven names up to ASCII case,
// and whatever it accepts round-trips through String and JSON. Seeds come
// from testdata/ids.txt (one candidate per line).
func FuzzParseID(f *testing.F) {
	seeds, err := os.ReadFile(filepath.Join("testdata", "ids.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range strings.Split(string(seeds), "\n") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := challenge.ParseID(s)
		if err != nil {
			if !errors.Is(err, challenge.ErrUnknownID) {
				t.Fatalf("ParseID(%q): error %v does not wrap ErrUnknownID", s, err)
			}
			if id != 0 {
				t.Fatalf("ParseID(%q) = %v with an error", s, id)
			}
			return
		}
		if !id.Valid() || strings.ToUpper(s) != id.String() || len(s) != len(id.String()) {
			t.Fatalf("ParseID(%q) = %v", s, id)
		}
		text, err := id.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back challenge.ID
		if err := back.UnmarshalText(text); err != nil || back != id {
			t.Fatalf("round trip of %v: %v %v", id, back, err)
		}
	})
}

// FuzzIDsJSON: decoding arbitrary JSON into a []ID either fails or yields
// valid IDs that re-encode to an equivalent document.
func FuzzIDsJSON(f *testing.F) {
	for _, s := range []string{`["BLINK","SMILE"]`, `["turn_left"]`, `[]`, `null`, `["NOPE"]`, `[7]`, `"BLINK"`, `["RAISE_EYEBROWS","LOOK_DOWN","OPEN_MOUTH"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var seq []challenge.ID
		if err := json.Unmarshal(data, &seq); err != nil {
			return
		}
		for _, id := range seq {
			if !id.Valid() {
				t.Fatalf("decoded invalid ID %d from %q", int(id), data)
			}
		}
		out, err := json.Marshal(seq)
		if err != nil {
			t.Fatal(err)
		}
		var again []challenge.ID
		if err := json.Unmarshal(out, &again); err != nil || !slices.Equal(seq, again) {
			t.Fatalf("re-decode of %s: %v %v", out, again, err)
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 output %q", out)
		}
	})
}
