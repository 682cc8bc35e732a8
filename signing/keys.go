package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"software.sslmate.com/src/go-pkcs12"
)

// LoadFile loads a key and its certificate chain from a PKCS#12 file
// (.p12, .pfx) or from a PEM file holding the chain and an unencrypted
// PKCS#8, PKCS#1 or EC private key. The password opens PKCS#12.
// Files are meant for development: production keys live on a token.
func LoadFile(path, password string) (Key, error) {
	return loadFile(path, password, time.Now)
}

// LoadPEM loads a key from a PEM certificate chain file and a separate
// PEM private key file.
func LoadPEM(certPath, keyPath string) (Key, error) {
	return loadPEM(certPath, keyPath, time.Now)
}

func loadFile(path, password string, now func() time.Time) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("signing: unable to read key file: %v", err)
	}
	var k Key
	if bytes.Contains(b, []byte("-----BEGIN ")) {
		k, err = parsePEM(b, b)
	} else {
		k, err = parsePKCS12(b, password)
	}
	if err == nil {
		err = checkKey(k, now())
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w (%s)", err, path)
	}
	return k, nil
}

func loadPEM(certPath, keyPath string, now func() time.Time) (Key, error) {
	certs, err := os.ReadFile(certPath)
	if err != nil {
		return Key{}, fmt.Errorf("signing: unable to read certificate file: %v", err)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		return Key{}, fmt.Errorf("signing: unable to read key file: %v", err)
	}
	k, err := parsePEM(certs, key)
	if err != nil {
		return Key{}, err
	}
	if err := checkKey(k, now()); err != nil {
		return Key{}, err
	}
	return k, nil
}

// parsePEM reads the certificates from certPEM and the one private key
// from keyPEM (the same bytes for a combined file).
func parsePEM(certPEM, keyPEM []byte) (Key, error) {
	var chain []*x509.Certificate
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return Key{}, fmt.Errorf("signing: unable to parse certificate %d: %v", len(chain)+1, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return Key{}, errors.New("signing: unable to load key: no CERTIFICATE block in the PEM file")
	}
	var signer crypto.Signer
	for rest := keyPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			continue
		}
		if signer != nil {
			return Key{}, errors.New("signing: unable to load key: more than one private key in the PEM file")
		}
		s, err := parsePrivateKeyBlock(block)
		if err != nil {
			return Key{}, err
		}
		signer = s
	}
	if signer == nil {
		return Key{}, errors.New("signing: unable to load key: no private key in the PEM file")
	}
	// The leaf is the certificate of this key, wherever it is in the file.
	for i, c := range chain {
		if samePublicKey(signer, c) {
			chain[0], chain[i] = chain[i], chain[0]
			break
		}
	}
	return Key{Signer: signer, Chain: orderChain(chain)}, nil
}

func samePublicKey(s crypto.Signer, c *x509.Certificate) bool {
	pub, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(c.PublicKey)
}

// parsePrivateKeyBlock never quotes the block: its bytes are the key.
func parsePrivateKeyBlock(block *pem.Block) (crypto.Signer, error) {
	if _, ok := block.Headers["Proc-Type"]; ok || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("signing: unable to load key: encrypted PEM keys are not supported, use PKCS#12 (.p12) with a password")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("signing: unable to load key: unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: unable to parse %s: malformed key", block.Type)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing: unable to load key: a %T cannot sign", key)
	}
	return s, nil
}

func parsePKCS12(b []byte, password string) (Key, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(b, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return Key{}, errors.New("signing: unable to open PKCS#12 file: wrong password")
		}
		return Key{}, fmt.Errorf("signing: unable to load key: neither PEM nor a readable PKCS#12 file: %v", err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return Key{}, fmt.Errorf("signing: unable to load key: a %T cannot sign", key)
	}
	return Key{Signer: s, Chain: orderChain(append([]*x509.Certificate{leaf}, cas...))}, nil
}

// orderChain keeps the leaf first and puts each issuer after the
// certificate it signed; certificates that do not link stay at the end.
func orderChain(certs []*x509.Certificate) []*x509.Certificate {
	out := []*x509.Certificate{certs[0]}
	rest := append([]*x509.Certificate(nil), certs[1:]...)
	for len(rest) > 0 {
		last := out[len(out)-1]
		if bytes.Equal(last.RawIssuer, last.RawSubject) {
			break
		}
		found := -1
		for i, c := range rest {
			if bytes.Equal(c.RawSubject, last.RawIssuer) && last.CheckSignatureFrom(c) == nil {
				found = i
				break
			}
		}
		if found < 0 {
			break
		}
		out = append(out, rest[found])
		rest = append(rest[:found], rest[found+1:]...)
	}
	return append(out, rest...)
}

// checkKey checks that the key belongs to the leaf and that the leaf is
// within its validity period at now.
func checkKey(k Key, now time.Time) error {
	leaf := k.Certificate()
	if leaf == nil || k.Signer == nil {
		return errors.New("signing: unable to load key: no key or no certificate")
	}
	if !samePublicKey(k.Signer, leaf) {
		return fmt.Errorf("%w (certificate %q)", ErrKeyMismatch, leaf.Subject.CommonName)
	}
	return checkValidity(leaf, now)
}

func checkValidity(c *x509.Certificate, now time.Time) error {
	const layout = "2006-01-02 15:04:05 -07:00"
	from, until := c.NotBefore.In(domain.VietnamTime).Format(layout), c.NotAfter.In(domain.VietnamTime).Format(layout)
	switch {
	case now.Before(c.NotBefore):
		return fmt.Errorf("%w: certificate %q is not valid until %s (valid %s to %s)", ErrCertificateExpired, c.Subject.CommonName, from, from, until)
	case now.After(c.NotAfter):
		return fmt.Errorf("%w: certificate %q expired on %s (valid %s to %s)", ErrCertificateExpired, c.Subject.CommonName, until, from, until)
	}
	return nil
}
