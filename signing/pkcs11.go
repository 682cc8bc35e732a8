package signing

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// PKCS11Config says which token and key to sign with.
type PKCS11Config struct {
	Module     string // path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
	KeyLabel   string // labels the key pair and its certificate
}

// String never shows the PIN.
func (c PKCS11Config) String() string {
	return fmt.Sprintf("PKCS11Config{Module: %q, TokenLabel: %q, PIN: <hidden>, KeyLabel: %q}", c.Module, c.TokenLabel, c.KeyLabel)
}

// GoString never shows the PIN.
func (c PKCS11Config) GoString() string { return c.String() }

// LoadPKCS11 opens the token and finds the key pair labelled cfg.KeyLabel
// and the certificate with the same label; certificates labelled
// KeyLabel+"-ca" (if any) follow it in the chain. Close the returned
// Closer when the key is no longer needed: the token stays logged in
// until then.
func LoadPKCS11(cfg PKCS11Config) (Key, io.Closer, error) {
	return loadPKCS11(cfg, time.Now)
}

func loadPKCS11(cfg PKCS11Config, now func() time.Time) (Key, io.Closer, error) {
	switch {
	case cfg.Module == "":
		return Key{}, nil, errors.New("signing: unable to open token: no PKCS#11 module configured")
	case cfg.TokenLabel == "":
		return Key{}, nil, errors.New("signing: unable to open token: no token label configured")
	case cfg.KeyLabel == "":
		return Key{}, nil, errors.New("signing: unable to open token: no key label configured")
	}
	if _, err := os.Stat(cfg.Module); err != nil {
		return Key{}, nil, fmt.Errorf("%w: PKCS#11 module %s: %v", ErrTokenUnavailable, cfg.Module, err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{
		Path:       cfg.Module,
		TokenLabel: cfg.TokenLabel,
		Pin:        cfg.PIN,
		// A hung token should fail a signature, not hold it forever.
		PoolWaitTimeout: 30 * time.Second,
	})
	if err != nil {
		return Key{}, nil, tokenError(cfg, "open token "+quote(cfg.TokenLabel), err)
	}
	k, err := findOnToken(ctx, cfg)
	if err == nil {
		err = checkKey(k, now())
	}
	if err != nil {
		ctx.Close()
		return Key{}, nil, err
	}
	return k, ctx, nil
}

func findOnToken(ctx *crypto11.Context, cfg PKCS11Config) (Key, error) {
	label := []byte(cfg.KeyLabel)
	signers, err := ctx.FindKeyPairs(nil, label)
	if err != nil {
		return Key{}, tokenError(cfg, "find key "+quote(cfg.KeyLabel), err)
	}
	switch len(signers) {
	case 0:
		return Key{}, fmt.Errorf("%w: no key pair labelled %q on token %q", ErrTokenUnavailable, cfg.KeyLabel, cfg.TokenLabel)
	case 1:
	default:
		return Key{}, fmt.Errorf("signing: unable to choose a key: %d key pairs are labelled %q on token %q", len(signers), cfg.KeyLabel, cfg.TokenLabel)
	}
	signer := signers[0]
	cert, err := ctx.FindCertificate(nil, label, nil)
	if err != nil {
		return Key{}, tokenError(cfg, "find certificate "+quote(cfg.KeyLabel), err)
	}
	if cert == nil {
		return Key{}, fmt.Errorf("%w: no certificate labelled %q on token %q", ErrTokenUnavailable, cfg.KeyLabel, cfg.TokenLabel)
	}
	chain := []*x509.Certificate{cert}
	ca, err := ctx.FindCertificate(nil, []byte(cfg.KeyLabel+"-ca"), nil)
	if err != nil {
		return Key{}, tokenError(cfg, "find certificate "+quote(cfg.KeyLabel+"-ca"), err)
	}
	if ca != nil {
		chain = append(chain, ca)
	}
	return Key{Signer: signer, Chain: chain}, nil
}

// tokenError explains a PKCS#11 failure; the PIN is scrubbed from the
// library's text in case a module ever echoes it.
func tokenError(cfg PKCS11Config, doing string, err error) error {
	var reason string
	var code pkcs11.Error
	switch {
	case errors.As(err, &code) && (code == pkcs11.CKR_PIN_INCORRECT || code == pkcs11.CKR_PIN_INVALID || code == pkcs11.CKR_PIN_LEN_RANGE):
		reason = "wrong PIN"
	case errors.As(err, &code) && code == pkcs11.CKR_ARGUMENTS_BAD && cfg.PIN == "":
		reason = "no PIN configured"
	case errors.As(err, &code) && code == pkcs11.CKR_PIN_LOCKED:
		reason = "the PIN is locked"
	case errors.As(err, &code) && (code == pkcs11.CKR_TOKEN_NOT_PRESENT || code == pkcs11.CKR_DEVICE_REMOVED):
		reason = "the token is not present"
	case strings.Contains(err.Error(), "could not find PKCS#11 token"):
		reason = "no such token (is it plugged in and initialised?)"
	case strings.Contains(err.Error(), "failed to create module context"):
		reason = "the PKCS#11 module " + cfg.Module + " cannot be loaded"
	}
	msg := err.Error()
	// Shorter PINs would mangle the message; tokens ask for 4 or more.
	if len(cfg.PIN) >= 4 {
		msg = strings.ReplaceAll(msg, cfg.PIN, "<PIN>")
	}
	if reason != "" {
		return fmt.Errorf("%w: unable to %s: %s (%s)", ErrTokenUnavailable, doing, reason, msg)
	}
	return fmt.Errorf("%w: unable to %s: %s", ErrTokenUnavailable, doing, msg)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
