package audit

import (
	"errors"
	"fmt"
)

// VerifyOptions are the per-call knobs of Verify and Import, a plain value
// that Verify only reads. The zero value verifies a whole log from its first
// entry.
type VerifyOptions struct {
	// Start is the sequence number of the first entry given; non-zero when
	// verifying a segment of a log.
	Start uint64
	// PrevHash is the entry_hash of entry Start-1 (for example a checkpoint
	// head). Empty means Genesis when Start is 0; when Start is not 0 an
	// empty PrevHash trusts the first entry's prev_hash.
	PrevHash string
	// Checkpoints are checked after the entries: the log must reach each
	// checkpoint's head, contain its head hash at the right position and
	// reproduce its Merkle root. Each checkpoint's range must lie within
	// the verified entries.
	Checkpoints []Checkpoint
}

// Verify checks a log, or a segment of one, and returns a *VerifyError naming
// the first entry that is malformed, modified, signed by an unknown key,
// missing, inserted, reordered or not linked to its predecessor, or the
// position where the log diverges from or falls short of a checkpoint. It
// returns an error wrapping ErrBadCheckpoint for a checkpoint that is itself
// invalid. Verify does not modify entries.
//
// Without a checkpoint, removing entries from the end of a log cannot be
// detected: that is what checkpoints anchored outside the log are for.
func Verify(keys *Keyring, entries []Entry, opts *VerifyOptions) error {
	if keys == nil {
		return errors.New("audit: Verify needs a keyring")
	}
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	prev := o.PrevHash
	if prev == "" && o.Start == 0 {
		prev = Genesis
	}
	if prev != "" && !validHash(prev) {
		return fmt.Errorf("audit: VerifyOptions.PrevHash %q is not a sha256:<hex> hash", prev)
	}
	firstPrev := prev // what entry o.Start-1 hashes to, for checkpoints ending there
	for i := range entries {
		e := &entries[i]
		want := o.Start + uint64(i)
		if p, detail := checkEntry(keys, e); p != 0 {
			if i+1 < len(entries) && continues(keys, &entries[i+1], want, prev) {
				return verifyErr(i, want, idOf(e), Inserted, "%s, and the next entry continues the chain without it", detail)
			}
			return verifyErr(i, want, idOf(e), p, "%s", detail)
		}
		switch {
		case e.Seq > want:
			for j := i + 1; j < len(entries); j++ {
				if entries[j].Seq == want {
					return verifyErr(i, want, e.AuditID, Reordered, "has seq %d; seq %d appears later, at index %d", e.Seq, want, j)
				}
			}
			n := e.Seq - want
			if n == 1 {
				return verifyErr(i, want, e.AuditID, Removed, "has seq %d; entry %d is missing", e.Seq, want)
			}
			return verifyErr(i, want, e.AuditID, Removed, "has seq %d; %d entries (seq %d to %d) are missing", e.Seq, n, want, e.Seq-1)
		case e.Seq < want:
			return verifyErr(i, want, e.AuditID, Inserted, "has seq %d, which the log already passed", e.Seq)
		case prev != "" && e.PrevHash != prev:
			return verifyErr(i, want, e.AuditID, BrokenChain, "prev_hash %s does not name the previous entry %s", e.PrevHash, prev)
		}
		prev = e.EntryHash
	}
	for _, cp := range o.Checkpoints {
		if err := checkAgainst(keys, entries, o.Start, firstPrev, cp); err != nil {
			return err
		}
	}
	return nil
}

// checkEntry checks one entry on its own: syntax, hash and signature.
func checkEntry(keys *Keyring, e *Entry) (Problem, string) {
	if err := e.checkSyntax(); err != nil {
		return Malformed, err.Error()
	}
	if e.ComputeHash() != e.EntryHash {
		return Modified, "entry_hash does not match the content"
	}
	var buf [512]byte
	switch err := keys.verify(e.KeyID, EntrySignContext, e.appendCanonical(buf[:0]), e.Signature); {
	case errors.Is(err, errUnknownKey):
		return UnknownKey, fmt.Sprintf("key_id %q is not in the keyring", e.KeyID)
	case err != nil:
		return Modified, err.Error()
	}
	return 0, ""
}

// continues reports whether e is an authentic entry that would be valid at
// sequence want after prev.
func continues(keys *Keyring, e *Entry, want uint64, prev string) bool {
	if e.Seq != want || (prev != "" && e.PrevHash != prev) {
		return false
	}
	p, _ := checkEntry(keys, e)
	return p == 0
}

func idOf(e *Entry) string {
	if validID(e.AuditID) {
		return e.AuditID
	}
	return ""
}

// checkAgainst checks verified entries (starting at seq start, preceded by
// prevHash) against one checkpoint.
func checkAgainst(keys *Keyring, entries []Entry, start uint64, prevHash string, cp Checkpoint) error {
	if err := VerifyCheckpoint(keys, cp); err != nil {
		return err
	}
	end := start + uint64(len(entries))
	if cp.Start < start {
		return fmt.Errorf("%w: range starts at seq %d, before the verified entries (seq %d)", ErrBadCheckpoint, cp.Start, start)
	}
	if cp.Size > end {
		missing := "1 entry"
		if n := cp.Size - end; n > 1 {
			missing = fmt.Sprintf("%d entries", n)
		}
		return verifyErr(len(entries), end, "", Truncated, "the log ends before seq %d; the checkpoint head is seq %d (%s missing)", end, cp.Size-1, missing)
	}
	if cp.Size == start {
		if prevHash != "" && prevHash != cp.HeadHash {
			return verifyErr(0, start, "", Diverged, "the entries do not follow the checkpoint head %s", cp.HeadHash)
		}
		return nil
	}
	head := int(cp.Size - 1 - start)
	if entries[head].EntryHash != cp.HeadHash {
		return verifyErr(head, cp.Size-1, entries[head].AuditID, Diverged,
			"entry_hash %s differs from the checkpoint head %s; the log was rewritten at or before this entry",
			entries[head].EntryHash, cp.HeadHash)
	}
	root, err := MerkleRoot(entries[cp.Start-start : cp.Size-start])
	if err != nil {
		return err
	}
	if root != cp.MerkleRoot {
		return fmt.Errorf("%w: merkle_root %s does not match the entries (%s)", ErrBadCheckpoint, cp.MerkleRoot, root)
	}
	return nil
}
