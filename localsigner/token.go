package localsigner

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// Errors of a signing attempt the confirmation page tells the person about.
var (
	ErrWrongPIN      = errors.New("localsigner: incorrect PIN")
	ErrPINLocked     = errors.New("localsigner: PIN locked")
	ErrPINExpired    = errors.New("localsigner: PIN expired")
	ErrTokenAbsent   = errors.New("localsigner: token not present")
	ErrKeyNotFound   = errors.New("localsigner: no private key matches the certificate")
	ErrBadSignature  = errors.New("localsigner: the token's signature does not verify with the certificate")
	errModuleMissing = errors.New("localsigner: unable to load the PKCS#11 module")
)

// Certificate is a signing certificate found on a token: one with a key
// pair beside it, and the certificates on the same token that issue it.
type Certificate struct {
	Cert        *x509.Certificate
	Chain       []*x509.Certificate // issuers found on the token, leaf excluded
	Fingerprint string              // SHA-256 of the DER, lowercase hex
	Token       string              // the token's label
	serial      string              // the token's serial number, to pick it when labels repeat
}

// Token is a token present in a slot of the module.
type Token struct {
	Label  string
	Serial string
}

// module opens the PKCS#11 module for each operation and finalizes it
// afterwards, one operation at a time. Why not keep it open: crypto11 and a
// plain miekg/pkcs11 context cannot both initialize the same module in one
// process, a signature is rare enough for the cost, and a token plugged in
// after the helper started is seen at the next operation by every driver.
type module struct {
	path  string
	token string // only tokens with this label, when set
	mu    sync.Mutex
}

func (m *module) withCtx(fn func(p *pkcs11.Ctx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := pkcs11.New(m.path)
	if p == nil {
		return fmt.Errorf("%w %s", errModuleMissing, m.path)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		return fmt.Errorf("localsigner: unable to initialize the PKCS#11 module: %v", err)
	}
	defer p.Finalize()
	return fn(p)
}

func (m *module) slots(p *pkcs11.Ctx) ([]uint, []Token, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return nil, nil, fmt.Errorf("localsigner: unable to list the slots: %v", err)
	}
	var ids []uint
	var tokens []Token
	for _, s := range slots {
		info, err := p.GetTokenInfo(s)
		if err != nil {
			continue // removed meanwhile
		}
		if info.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // a blank token (SoftHSM always offers one) holds nothing
		}
		label := strings.TrimRight(info.Label, " \x00")
		if m.token != "" && label != m.token {
			continue
		}
		ids = append(ids, s)
		tokens = append(tokens, Token{Label: label, Serial: strings.TrimRight(info.SerialNumber, " \x00")})
	}
	return ids, tokens, nil
}

// Tokens lists the tokens present (those with the configured label only).
func (m *module) Tokens() ([]Token, error) {
	var tokens []Token
	err := m.withCtx(func(p *pkcs11.Ctx) error {
		var err error
		_, tokens, err = m.slots(p)
		return err
	})
	return tokens, err
}

// Certificates lists the signing certificates of every token, reading only
// public objects in a session without login: no PIN is needed. A
// certificate is a signing one when a key object (private or public) on the
// token shares its CKA_ID; on a token that shows no key object at all before
// login, every certificate that is not a CA's counts.
func (m *module) Certificates() ([]Certificate, error) {
	var out []Certificate
	err := m.withCtx(func(p *pkcs11.Ctx) error {
		slots, tokens, err := m.slots(p)
		if err != nil {
			return err
		}
		// A token that cannot be read hides only its own certificates.
		var firstErr error
		for i, s := range slots {
			certs, err := tokenCertificates(p, s, tokens[i])
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			out = append(out, certs...)
		}
		if len(out) == 0 {
			return firstErr
		}
		return nil
	})
	return out, err
}

// Find returns the certificate with this fingerprint, or false.
func (m *module) Find(fingerprint string) (Certificate, bool, error) {
	certs, err := m.Certificates()
	if err != nil {
		return Certificate{}, false, err
	}
	for _, c := range certs {
		if c.Fingerprint == fingerprint {
			return c, true, nil
		}
	}
	return Certificate{}, false, nil
}

func tokenCertificates(p *pkcs11.Ctx, slot uint, tok Token) ([]Certificate, error) {
	sh, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("localsigner: unable to open a session on token %q: %v", tok.Label, err)
	}
	defer p.CloseSession(sh)

	type object struct {
		id  []byte
		der []byte
	}
	read := func(class uint, attrs ...uint) ([]object, error) {
		handles, err := findAll(p, sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)})
		if err != nil {
			return nil, err
		}
		var objs []object
		for _, h := range handles {
			tmpl := make([]*pkcs11.Attribute, len(attrs))
			for i, a := range attrs {
				tmpl[i] = pkcs11.NewAttribute(a, nil)
			}
			got, err := p.GetAttributeValue(sh, h, tmpl)
			if err != nil {
				continue // an object that hides its attributes is of no use here
			}
			o := object{id: got[0].Value}
			if len(got) > 1 {
				o.der = got[1].Value
			}
			objs = append(objs, o)
		}
		return objs, nil
	}
	certObjs, err := read(pkcs11.CKO_CERTIFICATE, pkcs11.CKA_ID, pkcs11.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	privs, err := read(pkcs11.CKO_PRIVATE_KEY, pkcs11.CKA_ID)
	if err != nil {
		return nil, err
	}
	pubs, err := read(pkcs11.CKO_PUBLIC_KEY, pkcs11.CKA_ID)
	if err != nil {
		return nil, err
	}
	keyIDs := map[string]bool{}
	for _, k := range append(privs, pubs...) {
		if len(k.id) > 0 {
			keyIDs[string(k.id)] = true
		}
	}

	var all []*x509.Certificate
	var leaves []*x509.Certificate
	for _, o := range certObjs {
		c, err := x509.ParseCertificate(o.der)
		if err != nil {
			continue // not X.509, or not one Go reads
		}
		all = append(all, c)
		if (len(keyIDs) > 0 && keyIDs[string(o.id)]) || (len(keyIDs) == 0 && !c.IsCA) {
			leaves = append(leaves, c)
		}
	}
	var out []Certificate
	for _, leaf := range leaves {
		sum := sha256.Sum256(leaf.Raw)
		out = append(out, Certificate{
			Cert:        leaf,
			Chain:       chainOf(leaf, all),
			Fingerprint: hex.EncodeToString(sum[:]),
			Token:       tok.Label,
			serial:      tok.Serial,
		})
	}
	return out, nil
}

func findAll(p *pkcs11.Ctx, sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := p.FindObjectsInit(sh, tmpl); err != nil {
		return nil, fmt.Errorf("localsigner: unable to search the token: %v", err)
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := p.FindObjects(sh, 64)
		if err != nil {
			_ = p.FindObjectsFinal(sh)
			return nil, fmt.Errorf("localsigner: unable to search the token: %v", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := p.FindObjectsFinal(sh); err != nil {
		return nil, fmt.Errorf("localsigner: unable to search the token: %v", err)
	}
	return all, nil
}

// chainOf follows issuers among the token's other certificates, up to a
// self-signed one or none.
func chainOf(leaf *x509.Certificate, all []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	seen := map[*x509.Certificate]bool{leaf: true}
	cur := leaf
	for {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignatureFrom(cur) == nil {
			return chain
		}
		var next *x509.Certificate
		for _, c := range all {
			if !seen[c] && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			return chain
		}
		seen[next] = true
		chain = append(chain, next)
		cur = next
	}
}

// PINFlags reads the token's PIN flags (CKF_USER_PIN_COUNT_LOW,
// CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED): what its own retry counter
// says, without a login.
func (m *module) PINFlags(c Certificate) (uint, error) {
	var flags uint
	err := m.withCtx(func(p *pkcs11.Ctx) error {
		slots, tokens, err := m.slots(p)
		if err != nil {
			return err
		}
		for i, s := range slots {
			if tokens[i].Serial == c.serial && tokens[i].Label == c.Token {
				info, err := p.GetTokenInfo(s)
				if err != nil {
					return err
				}
				flags = info.Flags
				return nil
			}
		}
		return ErrTokenAbsent
	})
	return flags, err
}

// Sign logs in to the certificate's token with pin, signs the SHA-256
// digest with the private key whose public key is the certificate's
// (PKCS#1 v1.5 for RSA, ASN.1 for ECDSA), checks the signature against the
// certificate and closes the token, which logs out.
func (m *module) Sign(c Certificate, pin string, digest []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg := &crypto11.Config{Path: m.path, Pin: pin}
	if c.serial != "" {
		cfg.TokenSerial = c.serial
	} else {
		cfg.TokenLabel = c.Token
	}
	ctx, err := crypto11.Configure(cfg)
	if err != nil {
		return nil, loginError(err)
	}
	defer ctx.Close()
	signers, err := ctx.FindAllKeyPairs()
	if err != nil {
		return nil, fmt.Errorf("localsigner: unable to list the token's keys: %v", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	var signer crypto11.Signer
	for _, s := range signers {
		if pub, ok := s.Public().(equaler); ok && pub.Equal(c.Cert.PublicKey) {
			signer = s
			break
		}
	}
	if signer == nil {
		return nil, ErrKeyNotFound
	}
	sig, err := signer.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("localsigner: unable to sign on the token: %v", err)
	}
	if err := verify(c.Cert.PublicKey, digest, sig); err != nil {
		return nil, err
	}
	return sig, nil
}

func loginError(err error) error {
	var p11 pkcs11.Error
	if errors.As(err, &p11) {
		switch p11 {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
			return ErrWrongPIN
		case pkcs11.CKR_PIN_LOCKED:
			return ErrPINLocked
		case pkcs11.CKR_PIN_EXPIRED:
			return ErrPINExpired
		case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_SLOT_ID_INVALID:
			return ErrTokenAbsent
		}
	}
	// crypto11 keeps its "token not found" error unexported.
	if strings.Contains(err.Error(), "could not find PKCS#11 token") {
		return ErrTokenAbsent
	}
	if strings.Contains(err.Error(), "failed to create module context") {
		return fmt.Errorf("%w: %v", errModuleMissing, err)
	}
	return fmt.Errorf("localsigner: unable to open the token: %v", err)
}

func verify(pub crypto.PublicKey, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) != nil {
			return ErrBadSignature
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return ErrBadSignature
		}
	default:
		return fmt.Errorf("localsigner: unsupported key type %T", pub)
	}
	return nil
}
