package apikey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
)

// Errors returned by this package, possibly wrapped; test them with
// errors.Is.
var (
	// ErrInvalid means a key is malformed, unknown or revoked. The three
	// are not distinguished, so callers cannot probe which keys exist.
	ErrInvalid = errors.New("apikey: invalid API key")
	// ErrNotFound means no key has the given prefix.
	ErrNotFound = errors.New("apikey: no such key")
	// ErrExists means a key with the same prefix already exists.
	ErrExists = errors.New("apikey: key prefix already exists")
	// ErrRevoked means the key was already revoked.
	ErrRevoked = errors.New("apikey: key already revoked")
)

const (
	// Prefix starts every key.
	Prefix = "lv_"
	// bodyLen is the number of base62 digits of 32 bytes: ceil(256 / log2(62)).
	bodyLen = 43
	// Len is the length of a key.
	Len = len(Prefix) + bodyLen
	// PrefixLen is the length of the public part of a key (Key.Prefix).
	PrefixLen = len(Prefix) + 8
)

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" // math/big's base-62 digits

// Key is the stored record of an API key: never the key itself. It is a
// value, safe to copy.
type Key struct {
	// Prefix is the first PrefixLen characters of the key; it identifies
	// the key in listings and for revocation.
	Prefix string `json:"prefix"`
	// Hash is the lowercase hex SHA-256 of the whole key.
	Hash string `json:"hash"`
	// Name is a label chosen at creation ("backend", "staging").
	Name string `json:"name,omitempty"`
	// Tenant is the integrator the key belongs to: the sessions a key
	// creates are visible to the keys of its tenant only. Empty means a
	// tenant of its own, named by the key's prefix (TenantID).
	Tenant string `json:"tenant,omitempty"`
	// Role is empty for an integrator's key, or RoleAdmin for an operator
	// key that sees the sessions of every tenant.
	Role      string    `json:"role,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is set when the key was revoked; a revoked key never
	// verifies again.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// RoleAdmin is the Role of operator keys, which see every tenant's
// sessions.
const RoleAdmin = "admin"

// TenantID is the tenant that owns the sessions the key creates: Tenant,
// or "key:" and the prefix for a key without one.
func (k Key) TenantID() string {
	if k.Tenant != "" {
		return k.Tenant
	}
	return "key:" + k.Prefix
}

// Admin reports whether the key has the admin role.
func (k Key) Admin() bool { return k.Role == RoleAdmin }

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// Store keeps key records. Implementations must be safe for concurrent use.
type Store interface {
	// Add stores a new record; ErrExists if its prefix is taken.
	Add(ctx context.Context, k Key) error
	// ByHash returns the record with the hash, revoked or not;
	// ErrNotFound if there is none.
	ByHash(ctx context.Context, hash string) (Key, error)
	// List returns every record, oldest first.
	List(ctx context.Context) ([]Key, error)
	// Revoke marks the key with the prefix revoked at the given time;
	// ErrNotFound if there is none, ErrRevoked if it already is.
	Revoke(ctx context.Context, prefix string, at time.Time) error
}

// Generate returns a new key: "lv_" and 32 bytes read from r (use
// crypto/rand.Reader) written in base62, always Len characters.
func Generate(r io.Reader) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("apikey: reading randomness: %w", err)
	}
	n := new(big.Int).SetBytes(b[:])
	digits := []byte(n.Text(62)) // math/big uses the same alphabet
	out := make([]byte, 0, Len)
	out = append(out, Prefix...)
	for range bodyLen - len(digits) {
		out = append(out, '0')
	}
	return string(append(out, digits...)), nil
}

// WellFormed reports whether key has the shape of a generated key: the
// prefix and 43 base62 digits that fit in 256 bits.
func WellFormed(key string) bool {
	body, ok := strings.CutPrefix(key, Prefix)
	if !ok || len(body) != bodyLen {
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return false
		}
	}
	n, ok := new(big.Int).SetString(body, 62)
	return ok && n.BitLen() <= 256
}

// Hash returns the lowercase hex SHA-256 of key, the form stores keep.
func Hash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// PrefixOf returns the public prefix of key (at most PrefixLen characters).
func PrefixOf(key string) string {
	if len(key) > PrefixLen {
		return key[:PrefixLen]
	}
	return key
}

// Create generates a key, stores its record in s and returns the key (to
// show once) with its record. It retries on the (astronomically unlikely)
// prefix collision.
func Create(ctx context.Context, s Store, name string, r io.Reader, now time.Time) (string, Key, error) {
	return CreateKey(ctx, s, Key{Name: name}, r, now)
}

// CreateKey is Create with the name, tenant and role taken from tmpl (its
// other fields are ignored). The role must be empty or RoleAdmin.
func CreateKey(ctx context.Context, s Store, tmpl Key, r io.Reader, now time.Time) (string, Key, error) {
	if tmpl.Role != "" && tmpl.Role != RoleAdmin {
		return "", Key{}, fmt.Errorf("apikey: unknown role %q (want %q or none)", tmpl.Role, RoleAdmin)
	}
	for range 3 {
		key, err := Generate(r)
		if err != nil {
			return "", Key{}, err
		}
		rec := Key{Prefix: PrefixOf(key), Hash: Hash(key), Name: tmpl.Name, Tenant: tmpl.Tenant, Role: tmpl.Role, CreatedAt: now.UTC()}
		err = s.Add(ctx, rec)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err != nil {
			return "", Key{}, err
		}
		return key, rec, nil
	}
	return "", Key{}, ErrExists
}

// Import stores the record of an existing key (for example a development
// key given on the command line) under name. The key need not be
// WellFormed, but must be at least 16 characters long.
func Import(ctx context.Context, s Store, key, name string, now time.Time) (Key, error) {
	return ImportKey(ctx, s, key, Key{Name: name}, now)
}

// ImportKey is Import with the name, tenant and role taken from tmpl.
func ImportKey(ctx context.Context, s Store, key string, tmpl Key, now time.Time) (Key, error) {
	if len(key) < 16 {
		return Key{}, fmt.Errorf("%w: shorter than 16 characters", ErrInvalid)
	}
	if tmpl.Role != "" && tmpl.Role != RoleAdmin {
		return Key{}, fmt.Errorf("apikey: unknown role %q (want %q or none)", tmpl.Role, RoleAdmin)
	}
	rec := Key{Prefix: PrefixOf(key), Hash: Hash(key), Name: tmpl.Name, Tenant: tmpl.Tenant, Role: tmpl.Role, CreatedAt: now.UTC()}
	return rec, s.Add(ctx, rec)
}

// Verify returns the record of key if it is known and not revoked, and
// ErrInvalid otherwise. Other errors come from the store.
func Verify(ctx context.Context, s Store, key string) (Key, error) {
	if len(key) < 16 || len(key) > 256 {
		return Key{}, ErrInvalid
	}
	rec, err := s.ByHash(ctx, Hash(key))
	if errors.Is(err, ErrNotFound) {
		return Key{}, ErrInvalid
	}
	if err != nil {
		return Key{}, err
	}
	if rec.Revoked() {
		return Key{}, ErrInvalid
	}
	return rec, nil
}

// Verifier checks keys against a Store; it satisfies the key-checking
// interface of package liveness/httpapi. It is safe for concurrent use when
// its Store is.
type Verifier struct{ Store Store }

// Verify returns the record of a valid key, or an error wrapping
// ErrInvalid.
func (v Verifier) Verify(ctx context.Context, key string) (Key, error) {
	return Verify(ctx, v.Store, key)
}

// Chain tries several verifiers in turn (for example the keys file and a
// development key): a key valid for any of them is valid. A store failure
// (an error not wrapping ErrInvalid) stops the search.
type Chain []Verifier

// Verify implements the handler's key verifier.
func (c Chain) Verify(ctx context.Context, key string) (Key, error) {
	for _, v := range c {
		k, err := v.Verify(ctx, key)
		if err == nil {
			return k, nil
		}
		if !errors.Is(err, ErrInvalid) {
			return Key{}, err
		}
	}
	return Key{}, ErrInvalid
}
