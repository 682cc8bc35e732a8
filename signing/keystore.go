package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrNoKey is returned when no key is configured for a person or an
// organisation.
var ErrNoKey = errors.New("signing: no key is configured for this signer")

// Keys finds the key a person or an organisation signs with. The release
// function must be called once the signature is made.
type Keys interface {
	PersonKey(ctx context.Context, username string) (Key, func(), error)
	OrgKey(ctx context.Context, unitCode string) (Key, func(), error)
}

// DirKeys keeps keys in files: people/<username>.pem and
// orgs/<unit code>.pem under Dir (the layout GenerateDevPKI writes). It is
// meant for development; production keys belong in a token or an HSM.
type DirKeys struct{ Dir string }

// PersonKey loads the person's key file.
func (d DirKeys) PersonKey(_ context.Context, username string) (Key, func(), error) {
	return d.load(DevPersonPath(d.Dir, username))
}

// OrgKey loads the organisation's key file.
func (d DirKeys) OrgKey(_ context.Context, unitCode string) (Key, func(), error) {
	return d.load(DevOrgPath(d.Dir, unitCode))
}

func (d DirKeys) load(path string) (Key, func(), error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return Key{}, nil, fmt.Errorf("%w (no key file %s)", ErrNoKey, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, nil, fmt.Errorf("signing: unable to read key file: %v", err)
	}
	sum := sha256.Sum256(b)
	k, ok := dirKeys.get(path, sum)
	if !ok {
		if k, err = parseKeyFile(b, ""); err != nil {
			return Key{}, nil, fmt.Errorf("%w (%s)", err, path)
		}
		dirKeys.put(path, sum, k)
	}
	// Parsed once; the validity period is checked at each use.
	if err := checkKey(k, time.Now()); err != nil {
		return Key{}, nil, fmt.Errorf("%w (%s)", err, path)
	}
	return k, func() {}, nil
}

// parseKeyFile parses the bytes of a key file as loadFile does.
func parseKeyFile(b []byte, password string) (Key, error) {
	if bytes.Contains(b, []byte("-----BEGIN ")) {
		return parsePEM(b, b)
	}
	return parsePKCS12(b, password)
}

// keyCache keeps the keys DirKeys parsed, by path and the SHA-256 of the
// file they came from: parsing a key file at each signature costs more
// than the RSA signature itself, while reading a few kilobytes and
// hashing them is cheap and sees any change to the file (a renewed
// certificate), even within the file system's timestamp granularity.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	sum [32]byte
	key Key
}

var dirKeys = &keyCache{m: map[string]cachedKey{}}

func (c *keyCache) get(path string, sum [32]byte) (Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[path]
	if !ok || e.sum != sum {
		return Key{}, false
	}
	return e.key, true
}

func (c *keyCache) put(path string, sum [32]byte, k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 1024 {
		clear(c.m)
	}
	c.m[path] = cachedKey{sum: sum, key: k}
}

// TokenKeys finds keys on a PKCS#11 token or HSM by label: the username
// for a person, the unit's identifier code for an organisation.
type TokenKeys struct{ Config PKCS11Config }

// PersonKey opens the key labelled with the username.
func (t TokenKeys) PersonKey(_ context.Context, username string) (Key, func(), error) {
	return t.load(username)
}

// OrgKey opens the key labelled with the unit code.
func (t TokenKeys) OrgKey(_ context.Context, unitCode string) (Key, func(), error) {
	return t.load(unitCode)
}

func (t TokenKeys) load(label string) (Key, func(), error) {
	cfg := t.Config
	cfg.KeyLabel = label
	k, closer, err := LoadPKCS11(cfg)
	if err != nil {
		return Key{}, nil, err
	}
	return k, func() { closer.Close() }, nil
}
