package apikey

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seeded is a deterministic source of "random" bytes.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"zeros", make([]byte, 32), "lv_" + strings.Repeat("0", 43)},
		{"one", append(make([]byte, 31), 1), "lv_" + strings.Repeat("0", 42) + "1"},
		{"sixty-two", append(make([]byte, 31), 62), "lv_" + strings.Repeat("0", 41) + "10"},
		{"max", bytes.Repeat([]byte{0xff}, 32), ""}, // checked for shape only
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Generate(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(k) != Len || !WellFormed(k) {
				t.Fatalf("Generate = %q (len %d), not well formed", k, len(k))
			}
			if tt.want != "" && k != tt.want {
				t.Errorf("Generate = %q, want %q", k, tt.want)
			}
		})
	}
	if _, err := Generate(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("Generate with a short reader: no error")
	}
	a, _ := Generate(seeded(1))
	b, _ := Generate(seeded(2))
	if a == b {
		t.Error("different randomness gave the same key")
	}
}

func TestWellFormed(t *testing.T) {
	good, _ := Generate(seeded(3))
	tests := []struct {
		key  string
		want bool
	}{
		{good, true},
		{"", false},
		{"lv_", false},
		{good[:len(good)-1], false},
		{good + "0", false},
		{"xx_" + good[3:], false},
		{"lv_" + strings.Repeat("z", 42) + "-", false},
		{"lv_" + strings.Repeat("Z", 43), false}, // more than 256 bits
	}
	for _, tt := range tests {
		if got := WellFormed(tt.key); got != tt.want {
			t.Errorf("WellFormed(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestHashAndPrefix(t *testing.T) {
	// sha256("abc")
	if got, want := Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if got := PrefixOf("lv_abcdefghijk"); got != "lv_abcdefgh" {
		t.Errorf("PrefixOf = %q", got)
	}
	if got := PrefixOf("lv_ab"); got != "lv_ab" {
		t.Errorf("PrefixOf short = %q", got)
	}
}

// stores runs f against every Store implementation.
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemoryStore()) })
	t.Run("file", func(t *testing.T) {
		s, err := OpenFile(filepath.Join(t.TempDir(), "sub", "keys.json"))
		if err != nil {
			t.Fatal(err)
		}
		f(t, s)
	})
}

func TestLifecycle(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		r := seeded(4)
		k1, rec1, err := Create(ctx, s, "backend", r, t0)
		if err != nil {
			t.Fatal(err)
		}
		k2, _, err := Create(ctx, s, "staging", r, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if rec1.Prefix != k1[:PrefixLen] || rec1.Hash != Hash(k1) || rec1.Name != "backend" {
			t.Errorf("record = %+v", rec1)
		}
		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "backend" || list[1].Name != "staging" {
			t.Fatalf("List = %+v", list)
		}
		for _, k := range list {
			if strings.Contains(k.Hash, k1) || k.Prefix == k1 {
				t.Error("a record holds the key itself")
			}
		}
		if got, err := Verify(ctx, s, k1); err != nil || got.Prefix != rec1.Prefix {
			t.Errorf("Verify(k1) = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "short", k1 + "x", strings.Repeat("a", 300), "lv_" + strings.Repeat("0", 43)} {
			if _, err := Verify(ctx, s, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify(%q) = %v, want ErrInvalid", bad, err)
			}
		}
		if err := s.Revoke(ctx, rec1.Prefix, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, s, k1); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(revoked) = %v, want ErrInvalid", err)
		}
		if _, err := Verify(ctx, s, k2); err != nil {
			t.Errorf("Verify(k2) after revoking k1 = %v", err)
		}
		if err := s.Revoke(ctx, rec1.Prefix, t0); !errors.Is(err, ErrRevoked) {
			t.Errorf("second Revoke = %v, want ErrRevoked", err)
		}
		if err := s.Revoke(ctx, "lv_nothere", t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke(unknown) = %v, want ErrNotFound", err)
		}
		if err := s.Add(ctx, rec1); !errors.Is(err, ErrExists) {
			t.Errorf("Add(duplicate) = %v, want ErrExists", err)
		}
		dev, err := Import(ctx, s, "development-key-1234", "dev", t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, s, "development-key-1234"); err != nil || dev.Prefix != "development" {
			t.Errorf("imported key: %+v, %v", dev, err)
		}
		if _, err := Import(ctx, s, "tooshort", "dev", t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("Import(short) = %v", err)
		}
		list, _ = s.List(ctx)
		if !list[0].Revoked() || list[1].Revoked() || !list[0].RevokedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("after revoke: %+v", list)
		}
	})
}

func TestFileStoreSharedBetweenProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.json")
	server, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, rec, err := Create(ctx, cli, "backend", seeded(5), t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, server, key); err != nil {
		t.Fatalf("the other store does not see the new key: %v", err)
	}
	if err := cli.Revoke(ctx, rec.Prefix, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, server, key); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the other store does not see the revocation: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(key)) {
		t.Error("the file holds the key")
	}
}

func TestFileStoreCorrupt(t *testing.T) {
	for _, content := range []string{"{", `{"keys":[{"prefix":"lv_x"}]}`, `[]`} {
		path := filepath.Join(t.TempDir(), "keys.json")
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := OpenFile(path); err == nil {
			t.Errorf("OpenFile(%q): no error", content)
		}
	}
}

func FuzzWellFormed(f *testing.F) {
	good, _ := Generate(seeded(6))
	for _, s := range []string{good, "", "lv_", "lv_" + strings.Repeat("Z", 43)} {
		f.Add(s)
	}
	s := NewMemoryStore()
	Create(context.Background(), s, "x", seeded(7), t0)
	f.Fuzz(func(t *testing.T, key string) {
		if WellFormed(key) && (len(key) != Len || !strings.HasPrefix(key, Prefix)) {
			t.Fatalf("WellFormed(%q) but wrong shape", key)
		}
		if _, err := Verify(context.Background(), s, key); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Verify(%q) = %v", key, err)
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"keys":[{"prefix":"lv_abcdefgh","hash":"` + strings.Repeat("a", 64) + `","created_at":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseFile(b)
		if err != nil {
			return
		}
		for _, k := range keys {
			if len(k.Hash) != 64 || k.Prefix == "" {
				t.Fatalf("accepted %+v", k)
			}
		}
	})
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	a, b := NewMemoryStore(), NewMemoryStore()
	ka, _, err := Create(ctx, a, "a", seeded(7), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kb, _, _ := Create(ctx, b, "b", seeded(7), time.Now())
	c := Chain{{Store: a}, {Store: b}}
	for _, k := range []string{ka, kb} {
		if _, err := c.Verify(ctx, k); err != nil {
			t.Errorf("key of the chain refused: %v", err)
		}
	}
	if _, err := c.Verify(ctx, "lv_nope"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := (Chain{}).Verify(ctx, ka); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty chain: %v", err)
	}
}
