package signing

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	k, err := LoadFile(path, "")
	if err != nil {
		return Key{}, nil, err
	}
	return k, func() {}, nil
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
