package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// CheckpointSignContext is prepended to the canonical form of a checkpoint
// before signing.
const CheckpointSignContext = "openliveness/audit/checkpoint/v1\n"

// Checkpoint is a signed statement about a log that an operator can anchor
// outside it (a ticket, a transparency service, a notary, a printed report):
// the log had Size entries, the last one had entry_hash HeadHash, and the
// entries with seq in [Start, Size) form a Merkle tree with root MerkleRoot.
// Because every entry names its predecessor, HeadHash commits to the whole
// log before it; MerkleRoot additionally lets anyone prove that one entry is
// in the range with a logarithmic proof (see VerifyInclusion). A Checkpoint
// is a plain value.
type Checkpoint struct {
	// Start is the seq of the first entry of the Merkle range.
	Start uint64 `json:"start"`
	// Size is the number of entries in the log at the checkpoint; the
	// Merkle range ends before seq Size.
	Size uint64 `json:"size"`
	// HeadHash is the entry_hash of entry Size-1, or Genesis when Size is 0.
	HeadHash string `json:"head_hash"`
	// MerkleRoot is the RFC 6962 tree head of the range.
	MerkleRoot string `json:"merkle_root"`
	// Timestamp is when the checkpoint was made, in TimeLayout.
	Timestamp string `json:"timestamp"`
	// KeyID names the signing key.
	KeyID string `json:"key_id"`
	// Signature is the standard base64 Ed25519 signature of
	// CheckpointSignContext followed by Canonical().
	Signature string `json:"signature"`
}

// Canonical returns the signed bytes of the checkpoint: compact JSON with the
// fields start, size, head_hash, merkle_root, timestamp, key_id in that order.
func (c Checkpoint) Canonical() []byte {
	b := make([]byte, 0, 320)
	b = append(b, `{"start":`...)
	b = strconv.AppendUint(b, c.Start, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendUint(b, c.Size, 10)
	b = appendField(b, "head_hash", c.HeadHash)
	b = appendField(b, "merkle_root", c.MerkleRoot)
	b = appendField(b, "timestamp", c.Timestamp)
	b = appendField(b, "key_id", c.KeyID)
	return append(b, '}')
}

func (c Checkpoint) checkSyntax() error {
	switch {
	case c.Start > c.Size:
		return fmt.Errorf("start %d is after size %d", c.Start, c.Size)
	case !validHash(c.HeadHash):
		return errors.New("head_hash is not a sha256:<hex> hash")
	case c.Size == 0 && c.HeadHash != Genesis:
		return errors.New("head_hash of an empty log must be the genesis hash")
	case !validHash(c.MerkleRoot):
		return errors.New("merkle_root is not a sha256:<hex> hash")
	case !validTimestamp(c.Timestamp):
		return fmt.Errorf("timestamp is not in the layout %s", TimeLayout)
	case !validID(c.KeyID):
		return errors.New("key_id is not a valid id")
	}
	if _, ok := decodeSignature(c.Signature); !ok {
		return errSignatureEncoding
	}
	return nil
}

// VerifyCheckpoint checks the syntax and signature of a checkpoint. It does
// not look at any log; Verify and Log.Verify do that.
func VerifyCheckpoint(keys *Keyring, c Checkpoint) error {
	if keys == nil {
		return errors.New("audit: VerifyCheckpoint needs a keyring")
	}
	if err := c.checkSyntax(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if err := keys.verify(c.KeyID, CheckpointSignContext, c.Canonical(), c.Signature); err != nil {
		return fmt.Errorf("%w: key %s: %v", ErrBadCheckpoint, c.KeyID, err)
	}
	return nil
}

// ParseCheckpoint decodes a checkpoint as written by json.Marshal (one
// trailing newline allowed). It accepts only that exact spelling, so that
// the anchored text and the parsed value cannot disagree, and checks the
// syntax of every field but not the signature (use VerifyCheckpoint).
func ParseCheckpoint(b []byte) (Checkpoint, error) {
	b = bytes.TrimSuffix(b, []byte("\n"))
	var c Checkpoint
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if err := c.checkSyntax(); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if again, err := json.Marshal(c); err != nil || !bytes.Equal(again, b) {
		return Checkpoint{}, fmt.Errorf("%w: not in canonical JSON form", ErrBadCheckpoint)
	}
	return c, nil
}
