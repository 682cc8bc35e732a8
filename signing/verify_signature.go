// The checks of each signature on its own: its ByteRange, its CMS value,
// the signer's certificate and its timestamp, and pdfsign's verdict
// alongside, which Verify never trusts alone.

package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/text/unicode/norm"
)

// Why a signature is not intact, for the verdict.
const (
	whyByteRange   = "byterange"
	whyUnreadable  = "unreadable"
	whyUnsupported = "unsupported"
	whyNoCert      = "no certificate"
	whyMismatch    = "mismatch"
)

type checkedSig struct {
	why     string
	f       sigField
	rep     SignatureReport
	br      [4]int64
	brOK    bool
	p7      *pkcs7.PKCS7
	libSeen bool
}

func (s *checkedSig) problem(format string, a ...any) {
	s.rep.Problems = append(s.rep.Problems, fmt.Sprintf(format, a...))
}

func (s *checkedSig) end() int64 { return s.br[2] + s.br[3] }

// check verifies one signature independently of pdfsign.
func (v *verification) check(f sigField) *checkedSig {
	s := &checkedSig{f: f}
	r := &s.rep
	r.Field = f.name
	r.Revocation = "unknown"
	r.ChangesAfter = []Change{}
	r.Name = norm.NFC.String(f.v.Key("Name").Text())
	r.Reason = norm.NFC.String(f.v.Key("Reason").Text())
	r.Location = norm.NFC.String(f.v.Key("Location").Text())
	r.Contact = norm.NFC.String(f.v.Key("ContactInfo").Text())
	r.Kind = "approval"
	if p, ok := docMDP(f.v); ok {
		r.Kind = fmt.Sprintf("certification (DocMDP P=%d)", p)
	}
	if t, ok := parsePDFDate(f.v.Key("M").RawString()); ok {
		r.SignedAt = &t
	}
	subFilter := f.v.Key("SubFilter").Name()
	r.Format = subFilter

	if !v.checkByteRange(s) {
		s.why = whyByteRange
		return s
	}
	contents := []byte(f.v.Key("Contents").RawString())
	if subFilter == "ETSI.RFC3161" {
		r.Format = "document timestamp (ETSI.RFC3161)"
		v.checkDocTimestamp(s, contents)
		return s
	}
	if subFilter != "ETSI.CAdES.detached" && subFilter != "adbe.pkcs7.detached" {
		s.why = whyUnsupported
		s.problem("unsupported signature sub-filter %q", subFilter)
		return s
	}
	p7, err := pkcs7.Parse(contents)
	if err != nil {
		s.why = whyUnreadable
		s.problem("the signature value is not a CMS signature (zeroed or garbage): %v", err)
		return s
	}
	s.p7 = p7
	leaf := p7.GetOnlySigner()
	if leaf == nil || len(p7.Signers) != 1 {
		s.why = whyNoCert
		s.problem("the CMS signature does not hold exactly one signer with its certificate")
		return s
	}
	describeSigner(r, leaf)
	if r.SignedAt == nil {
		var st time.Time
		if p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &st) == nil {
			st = st.In(domain.VietnamTime)
			r.SignedAt = &st
		}
	}

	hash, ok := hashForOID(p7.Signers[0].DigestAlgorithm.Algorithm)
	r.DigestAlgorithm = hashName(hash)
	var digest []byte
	switch {
	case !ok:
		s.why = whyUnsupported
		s.problem("unsupported digest algorithm %v", p7.Signers[0].DigestAlgorithm.Algorithm)
	case p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeMessageDigest, &digest) != nil:
		s.why = whyUnsupported
		s.problem("the CMS signature has no messageDigest attribute")
	default:
		h := hash.New()
		h.Write(v.in[s.br[0] : s.br[0]+s.br[1]])
		h.Write(v.in[s.br[2] : s.br[2]+s.br[3]])
		if !bytes.Equal(h.Sum(nil), digest) {
			s.why = whyMismatch
			s.problem("the signed bytes do not match the signature's digest: the document was altered inside the signed range")
			break
		}
		if err := v.checkCMSSignature(s, contents, leaf); err != nil {
			s.why = whyMismatch
			s.problem("the CMS signature does not verify: %v", err)
			break
		}
		r.Intact = true
	}
	if subFilter == "ETSI.CAdES.detached" {
		r.Format = "PAdES B-B"
	}
	trustAt := v.now
	if token := timestampToken(p7); token != nil {
		tr, ok := v.checkTimestamp(s, token, p7.Signers[0].EncryptedDigest)
		r.Timestamp = tr
		if ok {
			trustAt = tr.Time
		}
		if subFilter == "ETSI.CAdES.detached" {
			r.Format = "PAdES B-T"
		}
	}
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		if !c.Equal(leaf) {
			inter.AddCert(c)
		}
	}
	if chains, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: trustAt,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		s.problem("the signer's certificate is not trusted at %s: %v", trustAt.In(domain.VietnamTime).Format(time.RFC3339), err)
	} else {
		r.Trusted = true
		if len(chains[0]) > 1 {
			r.Chain = [][]byte{leaf.Raw, chains[0][1].Raw}
		}
	}
	return s
}

// checkByteRange checks that the ByteRange starts the file, stays inside
// it, and leaves out exactly the hexadecimal /Contents string.
func (v *verification) checkByteRange(s *checkedSig) bool {
	br := s.f.v.Key("ByteRange")
	if br.Len() != 4 {
		s.problem("the ByteRange does not have four numbers")
		return false
	}
	for i := range 4 {
		if k := br.Index(i).Kind(); k != pdf.Integer {
			s.problem("the ByteRange holds a non-integer")
			return false
		}
		s.br[i] = br.Index(i).Int64()
		s.rep.ByteRange = append(s.rep.ByteRange, s.br[i])
	}
	n := int64(len(v.in))
	b := s.br
	if b[0] != 0 || b[1] < 1 || b[2] <= b[1]+1 || b[3] < 0 || b[2]+b[3] > n {
		s.problem("the ByteRange %v does not describe this file", b)
		return false
	}
	gap := v.in[b[1]:b[2]]
	if gap[0] != '<' || gap[len(gap)-1] != '>' {
		s.problem("the ByteRange does not leave out exactly the signature value")
		return false
	}
	raw, err := hex.DecodeString(string(bytes.TrimRight(gap[1:len(gap)-1], " \t\r\n")))
	if err != nil || !bytes.Equal(raw, []byte(s.f.v.Key("Contents").RawString())) {
		s.problem("the bytes the ByteRange leaves out are not this signature's value")
		return false
	}
	s.brOK = true
	return true
}

// cmsSignerInfo is the part of a CMS SignerInfo (RFC 5652, 5.3) needed to
// check its signature over the signed attributes as encoded.
type cmsSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type cmsSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []cmsSignerInfo `asn1:"set"`
}

type cmsContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     cmsSignedData `asn1:"explicit,tag:0"`
}

// checkCMSSignature checks the signer's signature over the DER of the
// signed attributes, whose messageDigest was compared with the document
// already. The signed bytes are not hashed again, nor copied. A CMS that is
// not DER is left to pkcs7, over a copy of the signed bytes.
func (v *verification) checkCMSSignature(s *checkedSig, contents []byte, leaf *x509.Certificate) error {
	var ci cmsContentInfo
	if _, err := asn1.Unmarshal(contents, &ci); err != nil || len(ci.Content.SignerInfos) != 1 || len(ci.Content.SignerInfos[0].SignedAttrs.FullBytes) == 0 {
		s.p7.Content = v.signedBytes(s)
		defer func() { s.p7.Content = nil }()
		return s.p7.Verify()
	}
	si := ci.Content.SignerInfos[0]
	alg, err := cmsSignatureAlgorithm(si.DigestAlgorithm.Algorithm, si.SignatureAlgorithm.Algorithm)
	if err == errUnsupportedAlgorithm {
		// SHA-1 and other algorithms crypto/x509 refuses: pkcs7 checks them
		s.p7.Content = v.signedBytes(s)
		defer func() { s.p7.Content = nil }()
		return s.p7.Verify()
	}
	if err != nil {
		return err
	}
	attrs := bytes.Clone(si.SignedAttrs.FullBytes)
	attrs[0] = 0x31 // signed over as a SET OF, not as [0] IMPLICIT
	return leaf.CheckSignature(alg, attrs, si.Signature)
}

var (
	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAPSS      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

func cmsSignatureAlgorithm(digest, sig asn1.ObjectIdentifier) (x509.SignatureAlgorithm, error) {
	h, ok := hashForOID(digest)
	if !ok || h == crypto.SHA1 {
		return 0, errUnsupportedAlgorithm
	}
	rsa := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSA, crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA}
	ec := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.ECDSAWithSHA256, crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512}
	pss := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSAPSS, crypto.SHA384: x509.SHA384WithRSAPSS, crypto.SHA512: x509.SHA512WithRSAPSS}
	switch {
	case sig.Equal(oidRSAPSS):
		return pss[h], nil
	case sig.Equal(oidRSA), sig.Equal(oidRSASHA256), sig.Equal(oidRSASHA384), sig.Equal(oidRSASHA512):
		return rsa[h], nil
	case sig.Equal(oidECPublicKey), sig.Equal(oidECDSASHA256), sig.Equal(oidECDSASHA384), sig.Equal(oidECDSASHA512):
		return ec[h], nil
	}
	return 0, errUnsupportedAlgorithm
}

var errUnsupportedAlgorithm = errors.New("unsupported signature algorithm")

func hashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "SHA-1"
	case crypto.SHA256:
		return "SHA-256"
	case crypto.SHA384:
		return "SHA-384"
	case crypto.SHA512:
		return "SHA-512"
	}
	return "unknown"
}

func (v *verification) signedBytes(s *checkedSig) []byte {
	n := int(s.br[1] + s.br[3])
	if cap(v.buf) < n {
		v.buf = make([]byte, 0, n)
	}
	b := append(v.buf[:0], v.in[s.br[0]:s.br[0]+s.br[1]]...)
	return append(b, v.in[s.br[2]:s.br[2]+s.br[3]]...)
}

func describeSigner(r *SignatureReport, c *x509.Certificate) {
	r.Signer = c.Subject.CommonName
	if r.Signer == "" {
		r.Signer = r.Name
	}
	r.Organisation = strings.Join(c.Subject.Organization, ", ")
	r.CertificateSerial = strings.ToUpper(c.SerialNumber.Text(16))
	r.Issuer = c.Issuer.String()
	nb, na := c.NotBefore.In(domain.VietnamTime), c.NotAfter.In(domain.VietnamTime)
	r.NotBefore, r.NotAfter = &nb, &na
}

func timestampToken(p7 *pkcs7.PKCS7) []byte {
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		if a.Type.Equal(oidTimeStampToken) {
			return a.Value.Bytes
		}
	}
	return nil
}

// checkTimestamp checks an RFC 3161 token over a signature value: imprint,
// token signature and the authority's certificate.
func (v *verification) checkTimestamp(s *checkedSig, token, signature []byte) (*TimestampReport, bool) {
	ts, err := timestamp.Parse(token)
	if err != nil {
		s.problem("the timestamp does not parse: %v", err)
		return nil, false
	}
	tr := &TimestampReport{Time: ts.Time.In(domain.VietnamTime)}
	tp7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		s.problem("the timestamp token does not parse: %v", err)
		return tr, false
	}
	tsa := tp7.GetOnlySigner()
	if tsa != nil {
		tr.Authority = tsa.Subject.CommonName
	}
	if !ts.HashAlgorithm.Available() {
		s.problem("the timestamp uses an unsupported digest")
		return tr, false
	}
	h := ts.HashAlgorithm.New()
	h.Write(signature)
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		s.problem("the timestamp is not over this signature")
		return tr, false
	}
	if err := tp7.Verify(); err != nil || tsa == nil {
		s.problem("the timestamp's own signature does not verify: %v", err)
		return tr, false
	}
	tr.Intact = true
	inter := x509.NewCertPool()
	for _, c := range tp7.Certificates {
		inter.AddCert(c)
	}
	if _, err := tsa.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: ts.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		s.problem("the timestamp authority's certificate is not trusted: %v", err)
		return tr, false
	}
	tr.CertificateValid = true
	return tr, true
}

// checkDocTimestamp checks a document timestamp (ETSI.RFC3161): the token
// is the signature.
func (v *verification) checkDocTimestamp(s *checkedSig, contents []byte) {
	ts, err := timestamp.Parse(contents)
	if err != nil {
		s.why = whyUnreadable
		s.problem("the document timestamp does not parse: %v", err)
		return
	}
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		s.why = whyUnreadable
		s.problem("the document timestamp does not parse: %v", err)
		return
	}
	s.p7 = p7
	tsa := p7.GetOnlySigner()
	if tsa == nil {
		s.why = whyNoCert
		s.problem("the document timestamp does not include the authority's certificate")
		return
	}
	describeSigner(&s.rep, tsa)
	t := ts.Time.In(domain.VietnamTime)
	s.rep.SignedAt = &t
	tr := &TimestampReport{Time: t, Authority: tsa.Subject.CommonName}
	s.rep.Timestamp = tr
	s.rep.DigestAlgorithm = hashName(ts.HashAlgorithm)
	if !ts.HashAlgorithm.Available() {
		s.why = whyUnsupported
		s.problem("the document timestamp uses an unsupported digest")
		return
	}
	h := ts.HashAlgorithm.New()
	h.Write(v.in[s.br[0] : s.br[0]+s.br[1]])
	h.Write(v.in[s.br[2] : s.br[2]+s.br[3]])
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		s.why = whyMismatch
		s.problem("the signed bytes do not match the document timestamp's digest")
		return
	}
	if err := p7.Verify(); err != nil {
		s.why = whyMismatch
		s.problem("the document timestamp's signature does not verify: %v", err)
		return
	}
	s.rep.Intact, tr.Intact = true, true
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		inter.AddCert(c)
	}
	if _, err := tsa.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: ts.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		s.problem("the timestamp authority's certificate is not trusted: %v", err)
		return
	}
	s.rep.Trusted, tr.CertificateValid = true, true
}

func hashForOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA256):
		return crypto.SHA256, true
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA384):
		return crypto.SHA384, true
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA512):
		return crypto.SHA512, true
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA1):
		return crypto.SHA1, true
	}
	return 0, false
}

type libraryResult struct {
	valid, revoked, timestampValid bool
	errors                         []error
}

type libraryResults struct {
	byID map[uint32]libraryResult
	err  error
}

// runLibrary runs pdfsign's verification. pdfsign skips signatures whose
// CMS does not parse, so its results are matched to the signatures it
// iterates over, in the same order, by their object numbers.
func runLibrary(in []byte, roots *x509.CertPool, now time.Time) (res libraryResults) {
	res.byID = map[uint32]libraryResult{}
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Errorf("pdfsign panicked: %v", r)
		}
	}()
	doc, err := pdfsign.Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		res.err = err
		return res
	}
	vb := doc.Verify().
		TrustedRoots(roots).
		TrustSelfSigned(false).
		ValidateTimestampCertificates(true).
		AtTime(now)
	results := vb.Signatures()
	next := 0
	for sig, err := range doc.Signatures() {
		if err != nil || next >= len(results) {
			break
		}
		if _, err := pkcs7.Parse(sig.Contents()); err != nil {
			continue
		}
		r := results[next]
		next++
		res.byID[sig.Object().GetPtr().GetID()] = libraryResult{valid: r.Valid, revoked: r.Revoked, timestampValid: r.TimestampValid, errors: r.Errors}
	}
	return res
}

// merge attaches pdfsign's verdict to each signature.
func (v *verification) merge(lib libraryResults) {
	for _, s := range v.sigs {
		res, ok := lib.byID[s.f.v.GetPtr().GetID()]
		if !ok {
			if lib.err != nil {
				s.problem("pdfsign could not process the document: %v", lib.err)
			} else {
				s.problem("pdfsign could not process this signature")
			}
			continue
		}
		s.libSeen = true
		s.rep.LibraryValid = res.valid
		for _, e := range res.errors {
			s.problem("pdfsign: %v", e)
		}
		if res.revoked {
			s.rep.Revocation = RevocationRevoked
			s.rep.RevocationDetail = &RevocationResult{Status: RevocationRevoked, Source: SourceEmbedded, CheckedAt: v.now}
		}
		// pdfsign stops before the timestamp when the signature is broken
		if tr := s.rep.Timestamp; tr != nil && s.rep.Intact && !res.timestampValid {
			tr.CertificateValid = false
			s.problem("pdfsign: the timestamp certificate did not validate")
		}
	}
}
