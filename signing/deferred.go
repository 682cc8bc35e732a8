package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/digitorus/pdf"
)

// Signing in two steps, for a key the server never holds (a person's USB
// token through the signing helper, a remote-signing service): Prepare
// writes the whole signed file with a placeholder where the signature value
// goes and returns the digest of the CMS signed attributes; the person's
// device signs that digest; Complete puts the signature value (and, with a
// TSA, a timestamp over it) into the placeholder. Nothing that the
// signature covers changes between the two steps: only the /Contents
// string, which the ByteRange excludes, is rewritten.

// Prepared is the first step's result.
type Prepared struct {
	// PDF is the document with the new signature in place, its value a
	// placeholder: it does not verify until Complete.
	PDF []byte
	// Digest is the SHA-256 of the DER signed attributes: what the
	// signer's device signs (PKCS#1 v1.5 with SHA-256 for RSA).
	Digest []byte
}

// Errors of the second step.
var (
	// ErrSignatureMismatch: the value does not verify over the prepared
	// digest with the certificate the signature was prepared for.
	ErrSignatureMismatch = errors.New("signing: the signature does not match the prepared digest and certificate")
	// ErrNotPrepared: the file is not one Prepare made, or was altered.
	ErrNotPrepared = errors.New("signing: the file is not a prepared signature or was altered")
)

// Prepare runs Sign with chain (leaf first) and no private key: o.Key is
// ignored. With o.TSA set, the authority is asked once here, over the
// placeholder, so that the file keeps room for the token Complete asks
// for over the real value.
func Prepare(ctx context.Context, in []byte, chain []*x509.Certificate, o Options) (*Prepared, error) {
	if len(chain) == 0 {
		return nil, errors.New("signing: unable to prepare: no certificate")
	}
	ph := &placeholderSigner{pub: chain[0].PublicKey}
	o.Key = Key{Signer: ph, Chain: chain}
	out, err := Sign(ctx, in, o)
	if err != nil {
		return nil, err
	}
	digest := ph.digest()
	if len(digest) != sha256.Size {
		return nil, errors.New("signing: unable to prepare: the signature was not computed over a SHA-256 digest")
	}
	return &Prepared{PDF: out, Digest: digest}, nil
}

// placeholderSigner records the digest pdfsign asks it to sign and returns
// a value of the length the real one will have (at most, for ECDSA).
type placeholderSigner struct {
	pub crypto.PublicKey
	mu  sync.Mutex
	got []byte
}

func (p *placeholderSigner) Public() crypto.PublicKey { return p.pub }

func (p *placeholderSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("signing: a prepared signature uses SHA-256")
	}
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return nil, errors.New("signing: a prepared signature uses PKCS#1 v1.5")
	}
	p.mu.Lock()
	p.got = bytes.Clone(digest)
	p.mu.Unlock()
	switch k := p.pub.(type) {
	case *rsa.PublicKey:
		return make([]byte, k.Size()), nil
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		r := new(big.Int).SetBytes(bytes.Repeat([]byte{0xff}, n))
		return asn1.Marshal(struct{ R, S *big.Int }{r, r})
	}
	return nil, fmt.Errorf("signing: unable to prepare a signature for a %T key", p.pub)
}

func (p *placeholderSigner) digest() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got
}

// preparedCMS is a CMS ContentInfo taken apart just enough to replace the
// one SignerInfo's signature and unsigned attributes; every other part is
// written back byte for byte.
type preparedCMS struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type preparedSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

type preparedSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    asn1.RawValue
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm asn1.RawValue
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// Complete puts value, the signature of the prepared digest made with
// leaf's key, into the prepared file and returns the signed file. It
// checks that the file's newest signature is the prepared one (it covers
// the whole file and is signed over digest), that it names leaf, and that
// value verifies over digest with leaf's public key. With tsa set, the
// signature is timestamped (PAdES B-T).
func Complete(ctx context.Context, prepared, digest, value []byte, leaf *x509.Certificate, tsa *TSA) ([]byte, error) {
	start, end, err := newestContents(prepared)
	if err != nil {
		return nil, err
	}
	hexed := prepared[start+1 : end-1]
	hexed = hexed[:len(hexed)&^1] // the padding after the DER may be odd
	raw := make([]byte, hex.DecodedLen(len(hexed)))
	if _, err := hex.Decode(raw, hexed); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPrepared, err)
	}
	var ci preparedCMS
	if _, err := asn1.Unmarshal(raw, &ci); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPrepared, err)
	}
	var sd preparedSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: the signed data does not parse", ErrNotPrepared)
	}
	var si preparedSignerInfo
	if rest, err := asn1.Unmarshal(sd.SignerInfos.Bytes, &si); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: not one signer", ErrNotPrepared)
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: no signed attributes", ErrNotPrepared)
	}
	attrs := bytes.Clone(si.SignedAttrs.FullBytes)
	attrs[0] = 0x31 // signed over as a SET OF
	if sum := sha256.Sum256(attrs); !bytes.Equal(sum[:], digest) {
		return nil, fmt.Errorf("%w: its signed attributes are not the prepared digest", ErrNotPrepared)
	}
	var sid issuerSerial
	if _, err := asn1.Unmarshal(si.SID.FullBytes, &sid); err != nil || sid.Serial == nil ||
		sid.Serial.Cmp(leaf.SerialNumber) != 0 || !bytes.Equal(sid.Issuer.FullBytes, leaf.RawIssuer) {
		return nil, fmt.Errorf("%w: it names another certificate", ErrSignatureMismatch)
	}
	if err := checkDigestSignature(leaf.PublicKey, digest, value); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignatureMismatch, err)
	}
	si.Signature = value
	si.UnsignedAttrs = asn1.RawValue{}
	if tsa != nil {
		ts, err := tsa.Timestamp(ctx, value)
		if err != nil {
			return nil, err
		}
		attr, err := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}{oidTimeStampToken, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: ts.RawToken}})
		if err != nil {
			return nil, fmt.Errorf("signing: unable to add the timestamp: %v", err)
		}
		si.UnsignedAttrs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: attr}
	}
	siDER, err := asn1.Marshal(si)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to encode the signature: %v", err)
	}
	sd.SignerInfos = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: siDER}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to encode the signature: %v", err)
	}
	ci.Content = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}
	cms, err := asn1.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to encode the signature: %v", err)
	}
	room := end - start - 2
	if hex.EncodedLen(len(cms)) > room {
		return nil, fmt.Errorf("signing: unable to complete: the signature needs %d bytes, the file kept %d", hex.EncodedLen(len(cms)), room)
	}
	out := bytes.Clone(prepared)
	slot := out[start+1 : end-1]
	n := hex.Encode(slot, cms)
	for i := n; i < len(slot); i++ {
		slot[i] = '0'
	}
	return out, nil
}

// newestContents finds the /Contents string <...> of the signature whose
// ByteRange ends at the end of the file; start is the offset of '<', end
// one past '>'.
func newestContents(in []byte) (start, end int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNotPrepared, r)
		}
	}()
	r, perr := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if perr != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrNotPrepared, perr)
	}
	for _, f := range signatureFields(r) {
		br := f.v.Key("ByteRange")
		if br.Len() != 4 {
			continue
		}
		a, b, c, d := br.Index(0).Int64(), br.Index(1).Int64(), br.Index(2).Int64(), br.Index(3).Int64()
		if a != 0 || c+d != int64(len(in)) || b <= 0 || c <= b+2 {
			continue
		}
		if in[b] != '<' || in[c-1] != '>' {
			return 0, 0, fmt.Errorf("%w: the signature value is not where its ByteRange says", ErrNotPrepared)
		}
		return int(b), int(c), nil
	}
	return 0, 0, fmt.Errorf("%w: no signature covers the whole file", ErrNotPrepared)
}

// checkDigestSignature verifies sig over a SHA-256 digest: PKCS#1 v1.5 for
// RSA, ASN.1 for ECDSA.
func checkDigestSignature(pub crypto.PublicKey, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ECDSA verification failed")
		}
		return nil
	}
	return fmt.Errorf("unsupported key %T", pub)
}

// CheckDigestSignature verifies sig, made by leaf's key over the SHA-256
// digest (PKCS#1 v1.5 for RSA, ASN.1 for ECDSA).
func CheckDigestSignature(leaf *x509.Certificate, digest, sig []byte) error {
	return checkDigestSignature(leaf.PublicKey, digest, sig)
}
