package audit

import (
	"errors"
	"fmt"
	"strconv"
)

var (
	// ErrInvalidRecord is returned by Append for a record with a malformed
	// field.
	ErrInvalidRecord = errors.New("audit: invalid record")
	// ErrInvalidKey is returned for a malformed key or key id.
	ErrInvalidKey = errors.New("audit: invalid key")
	// ErrNoSigner is returned by Open without WithSigner.
	ErrNoSigner = errors.New("audit: no signer")
	// ErrConflict is returned by a Store whose Append was given a sequence
	// number other than the current number of entries.
	ErrConflict = errors.New("audit: sequence conflict")
	// ErrVerification is wrapped by every *VerifyError.
	ErrVerification = errors.New("audit: verification failed")
	// ErrBadCheckpoint is returned for a checkpoint that is malformed, badly
	// signed or does not fit the log it is checked against.
	ErrBadCheckpoint = errors.New("audit: bad checkpoint")
	// ErrBadProof is returned by VerifyInclusion for a proof that does not
	// lead to the checkpoint's Merkle root.
	ErrBadProof = errors.New("audit: bad inclusion proof")
)

var (
	errUnknownKey        = errors.New("unknown key id")
	errSignatureEncoding = errors.New("signature is not a base64 Ed25519 signature")
	errSignatureMismatch = errors.New("signature does not verify")
)

// Problem classifies why verification failed at an entry.
type Problem int

// Problems reported by Verify, Import and Log.Verify.
const (
	// Malformed: the line or a field does not have the documented syntax.
	Malformed Problem = iota + 1
	// Modified: the content does not match entry_hash, or the signature does
	// not verify.
	Modified
	// UnknownKey: the entry is consistent but signed by a key id the
	// keyring does not hold.
	UnknownKey
	// Removed: one or more entries are missing before this one.
	Removed
	// Inserted: the entry does not belong at this position (a duplicate,
	// a replay or a forgery followed by the genuine continuation).
	Inserted
	// Reordered: the entry belongs later in the log; the expected one
	// appears after it.
	Reordered
	// BrokenChain: the entry is authentic and at the right position but its
	// prev_hash does not name the previous entry (a spliced or forked log).
	BrokenChain
	// Truncated: the log ends before the head of a checkpoint.
	Truncated
	// Diverged: the log differs from what a checkpoint committed to.
	Diverged
)

var problemNames = [...]string{
	Malformed:   "malformed",
	Modified:    "modified",
	UnknownKey:  "unknown key",
	Removed:     "removed",
	Inserted:    "inserted",
	Reordered:   "reordered",
	BrokenChain: "broken chain",
	Truncated:   "truncated",
	Diverged:    "diverged",
}

func (p Problem) String() string {
	if p > 0 && int(p) < len(problemNames) {
		return problemNames[p]
	}
	return "Problem(" + strconv.Itoa(int(p)) + ")"
}

// VerifyError names the first entry at which a log failed verification.
// It wraps ErrVerification. It is a plain value.
type VerifyError struct {
	// Index is the position in the verified slice (or the 0-based line of
	// an import). For Truncated it is the length of the log.
	Index int
	// Seq is the sequence number expected at Index.
	Seq uint64
	// AuditID is the audit_id of the entry at Index, when there is one and
	// it could be read.
	AuditID string
	// Problem says what is wrong.
	Problem Problem
	// Detail explains it in words.
	Detail string
}

func (e *VerifyError) Error() string {
	s := "audit: entry " + strconv.Itoa(e.Index) + " (seq " + strconv.FormatUint(e.Seq, 10)
	if e.AuditID != "" {
		s += ", audit_id " + e.AuditID
	}
	s += "): " + e.Problem.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns ErrVerification.
func (e *VerifyError) Unwrap() error { return ErrVerification }

func verifyErr(index int, seq uint64, auditID string, p Problem, format string, args ...any) *VerifyError {
	return &VerifyError{Index: index, Seq: seq, AuditID: auditID, Problem: p, Detail: fmt.Sprintf(format, args...)}
}
