package audit

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
	"slices"
)

// The Merkle tree follows RFC 6962 section 2.1 (the Certificate Transparency
// tree), with leaf i being the 32 raw bytes of the entry_hash of the i-th
// entry of the range:
//
//	MTH({})      = SHA-256()                                  (empty range)
//	leaf(d)      = SHA-256(0x00 || d)
//	node(l, r)   = SHA-256(0x01 || l || r)
//	MTH(D[0:1])  = leaf(D[0])
//	MTH(D[0:n])  = node(MTH(D[0:k]), MTH(D[k:n]))  where k is the largest power of two < n
//
// The 0x00/0x01 prefixes keep a leaf from ever being read as an inner node.

func leafHash(d [sha256.Size]byte) [sha256.Size]byte {
	var b [1 + sha256.Size]byte
	copy(b[1:], d[:])
	return sha256.Sum256(b[:])
}

func nodeHash(l, r [sha256.Size]byte) [sha256.Size]byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[1+sha256.Size:], r[:])
	return sha256.Sum256(b[:])
}

// leaves returns the leaf hashes of entries.
func leaves(entries []Entry) ([][sha256.Size]byte, error) {
	out := make([][sha256.Size]byte, len(entries))
	for i := range entries {
		d, ok := parseHash(entries[i].EntryHash)
		if !ok {
			return nil, fmt.Errorf("audit: merkle: entry %d: entry_hash %q is not a sha256:<hex> hash", i, entries[i].EntryHash)
		}
		out[i] = leafHash(d)
	}
	return out, nil
}

// mth computes the tree head of leaf hashes.
func mth(l [][sha256.Size]byte) [sha256.Size]byte {
	switch len(l) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return l[0]
	}
	k := split(len(l))
	return nodeHash(mth(l[:k]), mth(l[k:]))
}

// split returns the largest power of two smaller than n (n >= 2).
func split(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// MerkleRoot returns the RFC 6962 tree head over the entry_hash values of
// entries, as "sha256:<hex>". It reads only EntryHash; Verify is what checks
// that those hashes match the entries.
func MerkleRoot(entries []Entry) (string, error) {
	l, err := leaves(entries)
	if err != nil {
		return "", err
	}
	return formatHash(mth(l)), nil
}

// InclusionPath returns the RFC 6962 audit path proving that entries[index]
// is in the tree over entries, sibling hashes from the leaf upwards.
func InclusionPath(entries []Entry, index int) ([]string, error) {
	if index < 0 || index >= len(entries) {
		return nil, fmt.Errorf("audit: inclusion path: index %d out of range [0, %d)", index, len(entries))
	}
	l, err := leaves(entries)
	if err != nil {
		return nil, err
	}
	path := auditPath(l, index)
	out := make([]string, len(path))
	for i := range path {
		out[i] = formatHash(path[i])
	}
	return out, nil
}

// auditPath returns the RFC 6962 PATH(index, l), leaf-most sibling first.
func auditPath(l [][sha256.Size]byte, index int) [][sha256.Size]byte {
	var rev [][sha256.Size]byte // root-most sibling first
	for len(l) > 1 {
		k := split(len(l))
		if index < k {
			rev = append(rev, mth(l[k:]))
			l = l[:k]
		} else {
			rev = append(rev, mth(l[:k]))
			l, index = l[k:], index-k
		}
	}
	slices.Reverse(rev)
	return rev
}

// rootFromPath runs RFC 9162 section 2.1.3.2 for leaf hash r at index fn of
// a tree of size sn+1 and returns the root it leads to.
func rootFromPath(r [sha256.Size]byte, fn, sn uint64, path [][sha256.Size]byte) ([sha256.Size]byte, error) {
	for _, p := range path {
		if sn == 0 {
			return r, fmt.Errorf("%w: path too long", ErrBadProof)
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return r, fmt.Errorf("%w: path too short", ErrBadProof)
	}
	return r, nil
}

// VerifyInclusion checks that e is an authentic entry (hash and signature)
// included in the Merkle range of the authentic checkpoint cp, using an audit
// path from InclusionPath or Log.InclusionPath. It follows RFC 9162
// section 2.1.3.2. The error wraps ErrBadProof, ErrBadCheckpoint or
// ErrVerification.
func VerifyInclusion(keys *Keyring, e Entry, cp Checkpoint, path []string) error {
	if err := VerifyCheckpoint(keys, cp); err != nil {
		return err
	}
	if p, detail := checkEntry(keys, &e); p != 0 {
		return verifyErr(0, e.Seq, idOf(&e), p, "%s", detail)
	}
	if e.Seq < cp.Start || e.Seq >= cp.Size {
		return fmt.Errorf("%w: seq %d is outside the checkpoint range [%d, %d)", ErrBadProof, e.Seq, cp.Start, cp.Size)
	}
	root, _ := parseHash(cp.MerkleRoot)
	d, _ := parseHash(e.EntryHash)
	hashes := make([][sha256.Size]byte, len(path))
	for i, h := range path {
		var ok bool
		if hashes[i], ok = parseHash(h); !ok {
			return fmt.Errorf("%w: %q is not a sha256:<hex> hash", ErrBadProof, h)
		}
	}
	r, err := rootFromPath(leafHash(d), e.Seq-cp.Start, cp.Size-cp.Start-1, hashes)
	if err != nil {
		return err
	}
	if r != root {
		return fmt.Errorf("%w: path does not lead to the merkle root", ErrBadProof)
	}
	return nil
}
