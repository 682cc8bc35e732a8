package edxml

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const dsigNS = dsig.Namespace

// Algorithms accepted on Parse. SHA-1 is refused.
var (
	acceptedSignatureMethods = map[string]bool{
		dsig.RSASHA256SignatureMethod: true,
		dsig.RSASHA384SignatureMethod: true,
		dsig.RSASHA512SignatureMethod: true,
	}
	acceptedDigestMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
)

func checkKey(key Signer) error {
	if key.Signer == nil || len(key.Chain) == 0 || key.Chain[0] == nil {
		return fmt.Errorf("%w: missing key or certificate", ErrBadKey)
	}
	pub, ok := key.Signer.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: the key is not RSA", ErrBadKey)
	}
	if !pub.Equal(key.Chain[0].PublicKey) {
		return fmt.Errorf("%w: the private key does not match the certificate", ErrBadKey)
	}
	for _, c := range key.Chain {
		if c == nil {
			return fmt.Errorf("%w: nil certificate in the chain", ErrBadKey)
		}
	}
	return nil
}

// sign signs the whole document (Reference URI="", enveloped-signature then
// exclusive C14N, RSA-SHA256) and appends the Signature to parent, which
// must be inside root. Nothing may change in the tree afterwards.
func sign(root, parent *etree.Element, key Signer) error {
	certs := make([][]byte, len(key.Chain))
	for i, c := range key.Chain {
		certs[i] = c.Raw
	}
	ctx, err := dsig.NewSigningContext(key.Signer, certs)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	// Unprefixed, as the implementations read for this package write it.
	ctx.Prefix = ""
	// The canonicalizer rewrites the element it is given: sign a copy.
	sig, err := ctx.ConstructSignature(root.Copy(), true)
	if err != nil {
		return fmt.Errorf("edxml: unable to sign: %w", err)
	}
	parent.AddChild(sig)
	return nil
}

// verify checks the document's one enveloped signature. It returns the
// content that the signature covers, re-read from its canonical form
// (signature removed, comments dropped), and the chain from KeyInfo. Only
// the returned element may be read: it is exactly what was signed.
func verify(root *etree.Element) (*etree.Element, []*x509.Certificate, error) {
	var sigs []*etree.Element
	walk(root, func(e *etree.Element) {
		if e.Tag == "Signature" && e.NamespaceURI() == dsigNS {
			sigs = append(sigs, e)
		}
	})
	if len(sigs) == 0 {
		return nil, nil, ErrNoSignature
	}
	if len(sigs) > 1 {
		return nil, nil, fmt.Errorf("%w: %d signatures, expected one", ErrBadSignature, len(sigs))
	}
	sig := sigs[0]
	if err := checkAlgorithms(sig); err != nil {
		return nil, nil, err
	}
	chain, err := keyInfoChain(sig)
	if err != nil {
		return nil, nil, err
	}
	// goxmldsig trusts a fixed set of certificates and checks their validity
	// at its clock. Trust and time are the caller's (VerifyChain), so it is
	// given the leaf from KeyInfo and a clock inside the leaf's validity: it
	// checks only that the leaf's key made the signature over this content.
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: chain[:1]})
	ctx.Clock = dsig.NewFakeClockAt(chain[0].NotBefore)
	signed, err := ctx.Validate(root)
	if err != nil {
		if errors.Is(err, dsig.ErrMissingSignature) {
			return nil, nil, fmt.Errorf("%w: the signature does not cover the whole document", ErrBadSignature)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return signed, chain, nil
}

func checkAlgorithms(sig *etree.Element) error {
	si := dsigChild(sig, "SignedInfo")
	if si == nil {
		return fmt.Errorf("%w: no SignedInfo", ErrBadSignature)
	}
	sm := dsigChild(si, "SignatureMethod")
	if sm == nil || !acceptedSignatureMethods[sm.SelectAttrValue("Algorithm", "")] {
		return fmt.Errorf("%w: signature method not accepted (RSA-SHA256 expected)", ErrBadSignature)
	}
	refs := 0
	for _, ref := range si.ChildElements() {
		if ref.Tag != "Reference" || ref.NamespaceURI() != dsigNS {
			continue
		}
		refs++
		dm := dsigChild(ref, "DigestMethod")
		if dm == nil || !acceptedDigestMethods[dm.SelectAttrValue("Algorithm", "")] {
			return fmt.Errorf("%w: digest method not accepted (SHA-256 expected)", ErrBadSignature)
		}
	}
	if refs != 1 {
		return fmt.Errorf("%w: %d references, expected one", ErrBadSignature, refs)
	}
	return nil
}

// keyInfoChain reads KeyInfo/X509Data/X509Certificate, leaf first.
func keyInfoChain(sig *etree.Element) ([]*x509.Certificate, error) {
	ki := dsigChild(sig, "KeyInfo")
	if ki == nil {
		return nil, fmt.Errorf("%w: no KeyInfo", ErrBadSignature)
	}
	var chain []*x509.Certificate
	for _, xd := range ki.ChildElements() {
		if xd.Tag != "X509Data" || xd.NamespaceURI() != dsigNS {
			continue
		}
		for _, xc := range xd.ChildElements() {
			if xc.Tag != "X509Certificate" || xc.NamespaceURI() != dsigNS {
				continue
			}
			der, err := base64.StdEncoding.DecodeString(stripSpace(xc.Text()))
			if err != nil {
				return nil, fmt.Errorf("%w: X509Certificate is not base64", ErrBadSignature)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("%w: X509Certificate does not parse: %v", ErrBadSignature, err)
			}
			chain = append(chain, c)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: no X509Certificate in KeyInfo", ErrBadSignature)
	}
	return chain, nil
}

func dsigChild(e *etree.Element, tag string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == dsigNS {
			return c
		}
	}
	return nil
}

func walk(e *etree.Element, fn func(*etree.Element)) {
	fn(e)
	for _, c := range e.ChildElements() {
		walk(c, fn)
	}
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
}
