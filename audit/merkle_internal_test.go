package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

// Reference data of RFC 6962 implementations (certificate-transparency): the
// leaf inputs and the tree heads of their first n leaves.
var (
	ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	ctRoots  = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	ctPaths = []struct {
		index int
		path  []string
	}{
		{0, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
)

func ctLeafHashes(t *testing.T) [][sha256.Size]byte {
	t.Helper()
	out := make([][sha256.Size]byte, len(ctLeaves))
	for i, s := range ctLeaves {
		d, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = sha256.Sum256(append([]byte{0}, d...))
	}
	return out
}

func TestMerkleMatchesRFC6962Reference(t *testing.T) {
	l := ctLeafHashes(t)
	for n := 0; n <= len(l); n++ {
		r := mth(l[:n])
		if got := hex.EncodeToString(r[:]); got != ctRoots[n] {
			t.Errorf("tree head of %d leaves = %s, want %s", n, got, ctRoots[n])
		}
	}
	for _, tc := range ctPaths {
		path := auditPath(l, tc.index)
		if len(path) != len(tc.path) {
			t.Fatalf("path of leaf %d has %d hashes, want %d", tc.index, len(path), len(tc.path))
		}
		for i := range path {
			if got := hex.EncodeToString(path[i][:]); got != tc.path[i] {
				t.Errorf("path of leaf %d, hash %d = %s, want %s", tc.index, i, got, tc.path[i])
			}
		}
	}
}

func TestAuditPathsVerifyForEveryShape(t *testing.T) {
	var all [][sha256.Size]byte
	for i := range 40 {
		all = append(all, leafHash(sha256.Sum256([]byte{byte(i)})))
	}
	for n := 1; n <= len(all); n++ {
		l := all[:n]
		root := mth(l)
		for i := range n {
			path := auditPath(l, i)
			got, err := rootFromPath(l[i], uint64(i), uint64(n-1), path)
			if err != nil || got != root {
				t.Fatalf("size %d leaf %d: path leads to %x (%v), want root %x", n, i, got, err, root)
			}
			// A wrong leaf, a wrong index, a shortened or lengthened path must fail.
			if got, err := rootFromPath(l[(i+1)%n], uint64(i), uint64(n-1), path); err == nil && got == root && n > 1 {
				t.Fatalf("size %d leaf %d: another leaf verified", n, i)
			}
			if len(path) > 0 {
				if _, err := rootFromPath(l[i], uint64(i), uint64(n-1), path[:len(path)-1]); !errors.Is(err, ErrBadProof) {
					t.Fatalf("size %d leaf %d: short path accepted", n, i)
				}
				flipped := append([][sha256.Size]byte(nil), path...)
				flipped[0][0] ^= 1
				if got, _ := rootFromPath(l[i], uint64(i), uint64(n-1), flipped); got == root {
					t.Fatalf("size %d leaf %d: modified path verified", n, i)
				}
			}
			if _, err := rootFromPath(l[i], uint64(i), uint64(n-1), append(path, root)); !errors.Is(err, ErrBadProof) {
				t.Fatalf("size %d leaf %d: long path accepted", n, i)
			}
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{2, 1}, {3, 2}, {4, 2}, {5, 4}, {8, 4}, {9, 8}, {1 << 20, 1 << 19}, {1<<20 + 1, 1 << 20}} {
		if got := split(tc.n); got != tc.k {
			t.Errorf("split(%d) = %d, want %d", tc.n, got, tc.k)
		}
	}
}
