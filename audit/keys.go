package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
)

// Signer holds the private key that signs new entries and checkpoints.
// A Signer is immutable and safe for concurrent use.
type Signer struct {
	keyID string
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
}

// NewSigner returns a Signer for an Ed25519 private key, known to verifiers
// by keyID (same alphabet as every id, at most MaxIDLen bytes).
func NewSigner(keyID string, priv ed25519.PrivateKey) (*Signer, error) {
	if !validID(keyID) {
		return nil, fmt.Errorf("%w: key id %q", ErrInvalidKey, keyID)
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key has %d bytes, want %d", ErrInvalidKey, len(priv), ed25519.PrivateKeySize)
	}
	p := slices.Clone(priv)
	return &Signer{keyID: keyID, priv: p, pub: p.Public().(ed25519.PublicKey)}, nil
}

// KeyID returns the id recorded in the key_id of everything the Signer signs.
func (s *Signer) KeyID() string { return s.keyID }

// Public returns the public key that verifies the Signer's signatures.
func (s *Signer) Public() ed25519.PublicKey { return slices.Clone(s.pub) }

func (s *Signer) sign(context string, canonical []byte) string {
	msg := make([]byte, 0, len(context)+len(canonical))
	msg = append(append(msg, context...), canonical...)
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, msg))
}

// Keyring maps key ids to the Ed25519 public keys that verify entries and
// checkpoints. Keys are only ever added: after a rotation the old public key
// stays so that old entries remain verifiable. A Keyring is safe for
// concurrent use.
type Keyring struct {
	mu   sync.RWMutex
	keys map[string]ed25519.PublicKey
}

// NewKeyring returns a keyring holding the public keys of the given signers.
func NewKeyring(signers ...*Signer) *Keyring {
	k := &Keyring{keys: make(map[string]ed25519.PublicKey)}
	for _, s := range signers {
		k.keys[s.keyID] = s.pub
	}
	return k
}

// Add registers pub under id. Adding the same key again is a no-op; adding a
// different key under an existing id is an error, so an id always names one
// key.
func (k *Keyring) Add(id string, pub ed25519.PublicKey) error {
	if !validID(id) {
		return fmt.Errorf("%w: key id %q", ErrInvalidKey, id)
	}
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key has %d bytes, want %d", ErrInvalidKey, len(pub), ed25519.PublicKeySize)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.keys[id]; ok {
		if !old.Equal(pub) {
			return fmt.Errorf("%w: key id %q already names a different key", ErrInvalidKey, id)
		}
		return nil
	}
	k.keys[id] = slices.Clone(pub)
	return nil
}

// Key returns the public key registered under id.
func (k *Keyring) Key(id string) (ed25519.PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	pub, ok := k.keys[id]
	return slices.Clone(pub), ok
}

// IDs returns the registered key ids in sorted order.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// verify checks a base64 signature over context+canonical with key id.
// It returns errUnknownKey when the keyring does not hold id.
func (k *Keyring) verify(id, context string, canonical []byte, signature string) error {
	k.mu.RLock()
	pub, ok := k.keys[id]
	k.mu.RUnlock()
	if !ok {
		return errUnknownKey
	}
	sig, ok := decodeSignature(signature)
	if !ok {
		return errSignatureEncoding
	}
	msg := make([]byte, 0, len(context)+len(canonical))
	msg = append(append(msg, context...), canonical...)
	if !ed25519.Verify(pub, msg, sig) {
		return errSignatureMismatch
	}
	return nil
}
