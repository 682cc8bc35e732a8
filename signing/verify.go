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
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/text/unicode/norm"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Roots are the trusted roots; nil means the system's. Certificates
	// embedded in the PDF are never trusted as roots.
	Roots *x509.CertPool
	// Now is the time of verification; nil means time.Now.
	Now func() time.Time
}

// Kinds of change found after a signature.
const (
	ChangeLaterSignature = "a later signature"
	ChangeAnnotations    = "annotations added"
	ChangePageContent    = "page content changed"
	ChangeOther          = "other objects"
	ChangeTrailingBytes  = "bytes after %%EOF"
	// ChangeValidationData is a PAdES document security store (DSS) added
	// or extended, as B-LT and B-LTA do: certificates, OCSP responses and
	// CRLs, not document content. Like a later signature, it is allowed.
	ChangeValidationData = "validation data (DSS)"
)

// Change is something written after a signature, classified.
type Change struct {
	Kind   string `json:"kind"`
	KindVI string `json:"kind_vi"`
	Detail string `json:"detail,omitempty"`
}

func newChange(kind, detail string) Change {
	return Change{Kind: kind, KindVI: changeKindsVI[kind], Detail: detail}
}

// Coverage of a signature.
const (
	CoverageWhole       = "whole document"
	CoverageUpToLater   = "up to a later signature"
	CoverageUpToDSS     = "whole document; validation data (DSS) added later"
	CoverageNotTheWhole = "not the whole document: changed after signing"
)

// Report is the outcome of Verify.
type Report struct {
	// Valid: at least one signature, every signature field verified, every
	// signature intact and trusted, and nothing but later signatures and
	// validation data written after any of them.
	Valid              bool   `json:"valid"`
	VerdictVI          string `json:"verdict_vi"`
	VerdictEN          string `json:"verdict_en"`
	SignatureFields    int    `json:"signature_fields"`
	SignaturesVerified int    `json:"signatures_verified"`
	// ModifiedAfterLastSignature: the last signature does not end the file
	// and what follows it is more than validation data (DSS).
	ModifiedAfterLastSignature bool `json:"modified_after_last_signature"`
	// Appended classifies what follows the last signature.
	Appended   []Change          `json:"appended"`
	Signatures []SignatureReport `json:"signatures"`
}

// SignatureReport describes one signature.
type SignatureReport struct {
	Field string `json:"field"`
	// Intact: the signed bytes match the CMS messageDigest (recomputed here)
	// and the CMS signature verifies with the signer's certificate.
	Intact bool `json:"intact"`
	// Trusted: the signer's certificate chains to VerifyOptions.Roots, at
	// the validated timestamp's time if there is one, else now.
	Trusted bool `json:"trusted"`
	// CoversWholeDocument: the ByteRange ends at the end of the file, or
	// only later signatures and validation data follow; Coverage says which.
	CoversWholeDocument bool             `json:"covers_whole_document"`
	Coverage            string           `json:"coverage"`
	ByteRange           []int64          `json:"byte_range"`
	Format              string           `json:"format"`
	DigestAlgorithm     string           `json:"digest_algorithm,omitempty"`
	Kind                string           `json:"kind"`
	Signer              string           `json:"signer"`
	Organisation        string           `json:"organisation"`
	CertificateSerial   string           `json:"certificate_serial"`
	Issuer              string           `json:"issuer"`
	NotBefore           *time.Time       `json:"certificate_not_before,omitempty"`
	NotAfter            *time.Time       `json:"certificate_not_after,omitempty"`
	Name                string           `json:"name,omitempty"`
	Reason              string           `json:"reason,omitempty"`
	Location            string           `json:"location,omitempty"`
	Contact             string           `json:"contact,omitempty"`
	SignedAt            *time.Time       `json:"signed_at"`
	Timestamp           *TimestampReport `json:"timestamp"`
	Revocation          string           `json:"revocation"`
	ChangesAfter        []Change         `json:"changes_after"`
	LibraryValid        bool             `json:"library_valid"`
	Problems            []string         `json:"problems,omitempty"`
}

// TimestampReport describes the RFC 3161 timestamp of a signature.
type TimestampReport struct {
	Time      time.Time `json:"time"`
	Authority string    `json:"authority"`
	// Intact: the token timestamps this signature's value and its own
	// signature verifies.
	Intact bool `json:"intact"`
	// CertificateValid: the authority's certificate chains to the roots
	// with the timeStamping usage, checked here and by pdfsign
	// (ValidateTimestampCertificates).
	CertificateValid bool `json:"certificate_valid"`
}

var (
	oidTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
)

// Verify checks every signature of a PDF and what was written after each.
// It does not trust pdfsign alone: it counts the signature fields itself,
// recomputes each digest, checks trust against Roots only, and classifies
// every update after each signature. An error means the file could not be
// examined (ErrEncrypted, ErrBadPDF); an invalid signature is a Report.
func Verify(in []byte, o VerifyOptions) (rep Report, err error) {
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	defer func() {
		if r := recover(); r != nil {
			rep, err = Report{}, fmt.Errorf("%w: %v", ErrBadPDF, r)
		}
	}()
	r, err := openPDF(in)
	if err != nil {
		return Report{}, err
	}
	// pdfsign's verification reads the file with its own reader and runs
	// while the checks here run.
	lib := make(chan libraryResults, 1)
	go func() { lib <- runLibrary(in, o.Roots, now) }()

	v := &verification{in: in, roots: o.Roots, now: now, readers: map[int64]*pdf.Reader{int64(len(in)): r}, states: map[int64]*docState{}}
	fields := signatureFields(r)
	rep.SignatureFields = len(fields)
	rep.Appended = []Change{}
	v.sigs = make([]*checkedSig, len(fields))
	for i, f := range fields {
		v.sigs[i] = v.check(f)
	}
	v.merge(<-lib)
	rep.Signatures = make([]SignatureReport, len(fields))
	for i, s := range v.sigs {
		if s.p7 != nil && s.libSeen {
			rep.SignaturesVerified++
		}
		rep.Signatures[i] = s.rep
	}
	v.changes(&rep)
	v.verdict(&rep)
	return rep, nil
}

type verification struct {
	in      []byte
	roots   *x509.CertPool
	now     time.Time
	readers map[int64]*pdf.Reader
	states  map[int64]*docState
	sigs    []*checkedSig
	buf     []byte
}

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
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: trustAt,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		s.problem("the signer's certificate is not trusted at %s: %v", trustAt.In(domain.VietnamTime).Format(time.RFC3339), err)
	} else {
		r.Trusted = true
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
			s.rep.Revocation = "revoked"
		}
		// pdfsign stops before the timestamp when the signature is broken
		if tr := s.rep.Timestamp; tr != nil && s.rep.Intact && !res.timestampValid {
			tr.CertificateValid = false
			s.problem("pdfsign: the timestamp certificate did not validate")
		}
	}
}

// changes classifies what was written after each signature.
func (v *verification) changes(rep *Report) {
	var ordered []*checkedSig
	for _, s := range v.sigs {
		if s.brOK {
			ordered = append(ordered, s)
		}
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].end() < ordered[j].end() })
	n := int64(len(v.in))
	if len(ordered) == 0 {
		rep.ModifiedAfterLastSignature = len(v.sigs) > 0
		return
	}
	sigByEnd := map[int64]*checkedSig{}
	for _, s := range ordered {
		sigByEnd[s.end()] = s
	}
	// segments[i] is what follows ordered[i] up to the next signature's end.
	segments := make([][]Change, len(ordered))
	for i, s := range ordered {
		end := n
		var later *checkedSig
		if i+1 < len(ordered) {
			end = ordered[i+1].end()
			later = ordered[i+1]
		}
		if end == s.end() {
			continue
		}
		segments[i] = v.segment(s.end(), end, later)
	}
	for i, s := range ordered {
		var after []Change
		for _, seg := range segments[i:] {
			after = append(after, seg...)
		}
		r := &s.rep
		r.ChangesAfter = append([]Change{}, after...)
		switch {
		case s.end() == n:
			r.CoversWholeDocument, r.Coverage = true, CoverageWhole
		case onlyAllowed(after) && hasKind(after, ChangeLaterSignature):
			r.CoversWholeDocument, r.Coverage = true, CoverageUpToLater
		case onlyAllowed(after):
			r.CoversWholeDocument, r.Coverage = true, CoverageUpToDSS
		default:
			r.Coverage = CoverageNotTheWhole
		}
	}
	for i, s := range v.sigs {
		rep.Signatures[i].ChangesAfter = s.rep.ChangesAfter
		rep.Signatures[i].CoversWholeDocument = s.rep.CoversWholeDocument
		rep.Signatures[i].Coverage = s.rep.Coverage
	}
	last := ordered[len(ordered)-1]
	if segments[len(ordered)-1] != nil {
		rep.Appended = segments[len(ordered)-1]
	}
	rep.ModifiedAfterLastSignature = last.end() != n && !onlyAllowed(rep.Appended)
}

// allowed reports whether a change after a signature leaves it covering
// the document: a later signature or validation data.
func allowed(c Change) bool {
	return c.Kind == ChangeLaterSignature || c.Kind == ChangeValidationData
}

func onlyAllowed(cs []Change) bool {
	for _, c := range cs {
		if !allowed(c) {
			return false
		}
	}
	return true
}

func (v *verification) verdict(rep *Report) {
	var en, vi []string
	add := func(e, w string) { en, vi = append(en, e), append(vi, w) }
	if rep.SignatureFields == 0 {
		rep.VerdictEN = "no signature: the document carries no digital signature"
		rep.VerdictVI = "Không có chữ ký: tài liệu không mang chữ ký số nào"
		return
	}
	var appended []Change
	for _, c := range rep.Appended {
		if !allowed(c) {
			appended = append(appended, c)
		}
	}
	if rep.SignaturesVerified != rep.SignatureFields {
		add(fmt.Sprintf("%d signature field(s) but %d signature(s) could be verified", rep.SignatureFields, rep.SignaturesVerified),
			fmt.Sprintf("có %d trường chữ ký nhưng chỉ kiểm tra được %d chữ ký", rep.SignatureFields, rep.SignaturesVerified))
	}
	for i, s := range rep.Signatures {
		who := s.Signer
		if who == "" {
			who = s.Field
		}
		switch {
		case !s.Intact && v.sigs[i].why == whyByteRange:
			add(fmt.Sprintf("signature %d (%s) does not describe this file: its ByteRange is wrong", i+1, who),
				fmt.Sprintf("chữ ký %d (%s) không khớp với tệp: ByteRange không hợp lệ", i+1, who))
		case !s.Intact && v.sigs[i].why == whyUnreadable:
			add(fmt.Sprintf("signature %d (%s) has no readable signature value (erased or garbage)", i+1, who),
				fmt.Sprintf("chữ ký %d (%s) không có giá trị chữ ký đọc được (đã bị xóa hoặc hỏng)", i+1, who))
		case !s.Intact && (v.sigs[i].why == whyUnsupported || v.sigs[i].why == whyNoCert):
			add(fmt.Sprintf("signature %d (%s) cannot be verified (%s)", i+1, who, s.Problems[0]),
				fmt.Sprintf("không kiểm tra được chữ ký %d (%s)", i+1, who))
		case !s.Intact:
			add(fmt.Sprintf("signature %d (%s) is broken: the signed bytes do not match it", i+1, who),
				fmt.Sprintf("chữ ký %d (%s) bị hỏng: nội dung được ký không khớp với chữ ký", i+1, who))
		case s.DigestAlgorithm == "SHA-1":
			add(fmt.Sprintf("signature %d (%s) uses SHA-1, which is no longer accepted", i+1, who),
				fmt.Sprintf("chữ ký %d (%s) dùng SHA-1, không còn được chấp nhận", i+1, who))
		case !s.Trusted:
			add(fmt.Sprintf("signature %d (%s) does not chain to a trusted root", i+1, who),
				fmt.Sprintf("chứng thư số của chữ ký %d (%s) không thuộc tổ chức chứng thực được tin cậy", i+1, who))
		case !s.LibraryValid:
			add(fmt.Sprintf("signature %d (%s) failed pdfsign's checks", i+1, who),
				fmt.Sprintf("chữ ký %d (%s) không qua được kiểm tra của pdfsign", i+1, who))
		}
		if s.Timestamp != nil && !(s.Timestamp.Intact && s.Timestamp.CertificateValid) {
			add(fmt.Sprintf("the timestamp of signature %d does not validate", i+1),
				fmt.Sprintf("dấu thời gian của chữ ký %d không hợp lệ", i+1))
		}
	}
	if rep.ModifiedAfterLastSignature {
		add("the document was changed after the last signature ("+kindsEN(appended)+")",
			"tài liệu đã bị thay đổi sau chữ ký cuối cùng ("+kindsVI(appended)+")")
	}
	for i, s := range rep.Signatures {
		var other []Change
		for _, c := range s.ChangesAfter {
			if !allowed(c) {
				other = append(other, c)
			}
		}
		if len(other) > 0 && !sameChanges(other, appended) {
			add(fmt.Sprintf("signature %d was followed by changes other than signatures (%s)", i+1, kindsEN(other)),
				fmt.Sprintf("sau chữ ký %d, tài liệu bị thay đổi ngoài các chữ ký sau (%s)", i+1, kindsVI(other)))
		}
	}
	if len(en) == 0 {
		rep.Valid = true
		rep.VerdictEN = fmt.Sprintf("valid: %d signature(s), all intact and trusted; nothing changed after the last signature", len(rep.Signatures))
		rep.VerdictVI = fmt.Sprintf("Hợp lệ: %d chữ ký, tất cả còn nguyên vẹn và được tin cậy; tài liệu không bị thay đổi sau chữ ký cuối cùng", len(rep.Signatures))
		return
	}
	rep.VerdictEN = "invalid: " + strings.Join(en, "; ")
	rep.VerdictVI = "Không hợp lệ: " + strings.Join(vi, "; ")
}

func hasKind(cs []Change, kind string) bool {
	for _, c := range cs {
		if c.Kind == kind {
			return true
		}
	}
	return false
}

func sameChanges(a, b []Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var changeKindsVI = map[string]string{
	ChangeLaterSignature: "một chữ ký sau",
	ChangeAnnotations:    "thêm chú thích",
	ChangePageContent:    "nội dung trang bị thay đổi",
	ChangeOther:          "các đối tượng khác bị thay đổi",
	ChangeTrailingBytes:  "dữ liệu thêm sau %%EOF",
	ChangeValidationData: "dữ liệu xác thực (DSS)",
}

func kindsEN(cs []Change) string {
	return strings.Join(uniqueKinds(cs, nil), ", ")
}

func kindsVI(cs []Change) string {
	return strings.Join(uniqueKinds(cs, changeKindsVI), ", ")
}

func uniqueKinds(cs []Change, tr map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Kind] {
			continue
		}
		seen[c.Kind] = true
		k := c.Kind
		if t, ok := tr[k]; ok {
			k = t
		}
		out = append(out, k)
	}
	return out
}

// parsePDFDate parses D:YYYYMMDDHHmmSSOHH'mm', any suffix optional.
func parsePDFDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	if len(s) < 4 {
		return time.Time{}, false
	}
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 || digits%2 != 0 {
		return time.Time{}, false
	}
	num := s[:digits] + "0101000000"[digits-4:]
	t, err := time.Parse("20060102150405", num[:14])
	if err != nil {
		return time.Time{}, false
	}
	rest := strings.ReplaceAll(s[digits:], "'", "")
	loc := time.UTC
	if len(rest) >= 3 && (rest[0] == '+' || rest[0] == '-') {
		h, err1 := strconv.Atoi(rest[1:3])
		m := 0
		var err2 error
		if len(rest) >= 5 {
			m, err2 = strconv.Atoi(rest[3:5])
		}
		if err1 == nil && err2 == nil {
			off := h*3600 + m*60
			if rest[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc).In(domain.VietnamTime)
	return t, true
}

// reader returns a reader of in[:end]: the document as it was when the
// revision ending there was written.
func (v *verification) reader(end int64) (r *pdf.Reader, err error) {
	if r, ok := v.readers[end]; ok {
		return r, nil
	}
	// A revision ends with %%EOF; cut anywhere else, an object could end
	// in the middle of a string, on which the parser loops.
	if !bytes.HasSuffix(bytes.TrimRight(v.in[:end], "\r\n"), []byte("%%EOF")) {
		return nil, fmt.Errorf("byte %d is not the end of a revision", end)
	}
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%v", p)
		}
	}()
	r, err = pdf.NewReader(bytes.NewReader(v.in[:end]), end)
	if err == nil {
		v.readers[end] = r
	}
	return r, err
}

type changeSet struct {
	list  []Change
	seen  map[Change]bool
	kinds map[string]int
}

const maxChangesPerKind = 12

func (c *changeSet) add(kind, detail string) {
	if c.seen == nil {
		c.seen, c.kinds = map[Change]bool{}, map[string]int{}
	}
	ch := newChange(kind, detail)
	if c.seen[ch] {
		return
	}
	c.seen[ch] = true
	c.kinds[kind]++
	switch n := c.kinds[kind]; {
	case n < maxChangesPerKind:
		c.list = append(c.list, ch)
	case n == maxChangesPerKind:
		c.list = append(c.list, newChange(kind, "and more"))
	}
}

var objHeader = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+[0-9]{1,5}[ \t\r\n\f\x00]+obj\b`)

// segment classifies what was written between the end of one signature
// and the end of the next (later), or the end of the file.
func (v *verification) segment(start, end int64, later *checkedSig) (out []Change) {
	cs := &changeSet{}
	laterSig := false
	var material []uint32
	defer func() {
		if p := recover(); p != nil {
			cs.add(ChangeOther, fmt.Sprintf("the update could not be analysed: %v", p))
		}
		if laterSig {
			who := later.rep.Signer
			if who == "" {
				who = later.rep.Name
			}
			out = append([]Change{newChange(ChangeLaterSignature, fmt.Sprintf("field %q signed by %s", later.rep.Field, who))}, cs.list...)
			return
		}
		out = cs.list
	}()
	data := v.in[start:end]
	eof := bytes.LastIndex(data, []byte("%%EOF"))
	if eof < 0 {
		cs.add(ChangeTrailingBytes, fmt.Sprintf("%d bytes that are not an incremental update", len(data)))
		return
	}
	if tail := bytes.Trim(data[eof+5:], " \t\r\n\f\x00"); len(tail) > 0 {
		cs.add(ChangeTrailingBytes, fmt.Sprintf("%d bytes after the last %%%%EOF", len(tail)))
	}
	rA, err := v.reader(start)
	if err != nil {
		cs.add(ChangeOther, fmt.Sprintf("the signed revision cannot be read: %v", err))
		return
	}
	rB, err := v.reader(end)
	if err != nil {
		cs.add(ChangeOther, fmt.Sprintf("the update cannot be read: %v", err))
		return
	}

	defined, freed := v.definedObjects(start, data, rB)
	a, b := v.state(start, rA), v.state(end, rB)

	if !equalIDs(a.pageIDs, b.pageIDs) {
		cs.add(ChangePageContent, fmt.Sprintf("the pages changed (%d before, %d after)", len(a.pageIDs), len(b.pageIDs)))
	}
	sigParts := map[uint32]bool{}
	for _, s := range v.sigs {
		sigParts[s.f.v.GetPtr().GetID()] = true
		sigParts[s.f.field.GetPtr().GetID()] = true
	}
	compareAnnots(cs, a, b, sigParts)
	dssChanged := compareCatalog(cs, a, b, sigParts)

	var laterID uint32
	if later != nil {
		laterID = later.f.v.GetPtr().GetID()
	}
	for _, id := range defined {
		vB, err := rB.GetObject(id)
		if err != nil || vB.IsNull() {
			continue
		}
		vA, errA := rA.GetObject(id)
		existed := errA == nil && !vA.IsNull()
		if existed && objectKey(vA) == objectKey(vB) {
			continue
		}
		typ := vB.Key("Type").Name()
		page, isPage := b.pageNo[id]
		if !isPage {
			page, isPage = a.pageNo[id]
		}
		switch {
		case typ == "XRef" || typ == "ObjStm":
		case id == laterID && laterID != 0:
			laterSig = true
		case sigParts[id]:
			if !existed {
				material = append(material, id)
			} else {
				cs.add(ChangeOther, fmt.Sprintf("signature object %d rewritten", id))
			}
		case isPage:
			if existed && pageKey(vA) != pageKey(vB) {
				cs.add(ChangePageContent, fmt.Sprintf("page %d rewritten (object %d)", page, id))
			}
		case a.treeNodes[id] || b.treeNodes[id]:
			if existed && treeNodeKey(vA) != treeNodeKey(vB) {
				cs.add(ChangePageContent, fmt.Sprintf("page tree node %d rewritten", id))
			}
		case a.content[id] != 0 || b.content[id] != 0:
			p := a.content[id]
			if p == 0 {
				p = b.content[id]
			}
			cs.add(ChangePageContent, fmt.Sprintf("content or resources of page %d (object %d)", p, id))
		case a.structural[id] || b.structural[id]:
			// catalog, form and annotation arrays: compared above
		case a.dss[id] || b.dss[id]:
			// validation data: the DSS was compared above
		case id == a.infoID || id == b.infoID:
			cs.add(ChangeOther, "document information dictionary rewritten")
		case a.annots[id] != 0 && existed:
			cs.add(ChangeOther, fmt.Sprintf("annotation %d on page %d modified", id, a.annots[id]))
		case b.annots[id] != 0:
			// added annotations: compared above
		case !existed:
			material = append(material, id)
		default:
			cs.add(ChangeOther, fmt.Sprintf("object %d rewritten", id))
		}
	}
	for _, id := range freed {
		if vA, err := rA.GetObject(id); err != nil || vA.IsNull() {
			continue
		}
		switch {
		case a.pageNo[id] != 0 || a.treeNodes[id]:
			cs.add(ChangePageContent, fmt.Sprintf("page object %d deleted", id))
		case a.content[id] != 0:
			cs.add(ChangePageContent, fmt.Sprintf("content or resources of page %d deleted (object %d)", a.content[id], id))
		case a.annots[id] != 0:
			cs.add(ChangeOther, fmt.Sprintf("annotation %d on page %d deleted", id, a.annots[id]))
		case sigParts[id]:
			cs.add(ChangeOther, fmt.Sprintf("signature object %d deleted", id))
		default:
			cs.add(ChangeOther, fmt.Sprintf("object %d deleted", id))
		}
	}
	// new objects that no page, form or annotation uses come with
	// signatures and validation data; alone, they are reported
	if !laterSig && !dssChanged && len(material) > 0 {
		// new objects without a signature; annotations and what they
		// draw with were reported above
		parts := addedAnnotParts(a, b)
		for _, id := range material {
			if b.annots[id] != 0 || sigParts[id] || parts[id] {
				continue
			}
			cs.add(ChangeOther, fmt.Sprintf("new object %d", id))
		}
		material = nil
	}
	return
}

// definedObjects lists the objects an update defines: every "n g obj"
// header in it, every object in its object streams and cross-reference
// sections, and separately the objects its sections free.
func (v *verification) definedObjects(start int64, data []byte, rB *pdf.Reader) (defined, freed []uint32) {
	set := map[uint32]bool{}
	for _, m := range objHeader.FindAllSubmatch(data, -1) {
		if id, err := strconv.ParseUint(string(m[1]), 10, 32); err == nil && id > 0 {
			set[uint32(id)] = true
		}
	}
	freedSet := map[uint32]bool{}
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("%%EOF"))
		if i < 0 {
			break
		}
		off += i + 5
		r, err := v.reader(start + int64(off))
		if err != nil {
			continue
		}
		used, free := xrefSection(v.in, start, r)
		for _, id := range used {
			set[id] = true
		}
		for _, id := range free {
			freedSet[id] = true
		}
	}
	for id := range set {
		o, err := rB.GetObject(id)
		if err != nil || o.Key("Type").Name() != "ObjStm" {
			continue
		}
		for _, inner := range objectStreamIDs(o) {
			set[inner] = true
		}
	}
	for id := range set {
		defined = append(defined, id)
	}
	for id := range freedSet {
		if !set[id] {
			freed = append(freed, id)
		}
	}
	sort.Slice(defined, func(i, j int) bool { return defined[i] < defined[j] })
	sort.Slice(freed, func(i, j int) bool { return freed[i] < freed[j] })
	return defined, freed
}

// xrefSection returns the objects the newest cross-reference section of r
// marks in use and free, if that section starts at or after start.
func xrefSection(in []byte, start int64, r *pdf.Reader) (used, free []uint32) {
	pos := r.XrefInformation.StartPos
	if pos < start || pos >= int64(len(in)) {
		return nil, nil
	}
	tr := r.Trailer()
	if tr.Kind() == pdf.Stream {
		return xrefStreamEntries(tr)
	}
	sec := in[pos:]
	if t := bytes.Index(sec, []byte("trailer")); t >= 0 {
		sec = sec[:t]
	}
	toks := strings.Fields(string(sec))
	if len(toks) == 0 || toks[0] != "xref" {
		return nil, nil
	}
	toks = toks[1:]
	for len(toks) >= 2 && toks[0] != "trailer" {
		first, err1 := strconv.Atoi(toks[0])
		n, err2 := strconv.Atoi(toks[1])
		if err1 != nil || err2 != nil || n < 0 || len(toks) < 2+3*n {
			return used, free
		}
		for i := range n {
			id := uint32(first + i)
			switch toks[2+3*i+2] {
			case "n":
				used = append(used, id)
			case "f":
				if id != 0 {
					free = append(free, id)
				}
			}
		}
		toks = toks[2+3*n:]
	}
	return used, free
}

func xrefStreamEntries(x pdf.Value) (used, free []uint32) {
	var w []int
	for i := 0; i < x.Key("W").Len(); i++ {
		w = append(w, int(x.Key("W").Index(i).Int64()))
	}
	if len(w) < 3 {
		return nil, nil
	}
	width := w[0] + w[1] + w[2]
	var index []int
	if idx := x.Key("Index"); idx.Len() >= 2 {
		for i := 0; i < idx.Len(); i++ {
			index = append(index, int(idx.Index(i).Int64()))
		}
	} else {
		index = []int{0, int(x.Key("Size").Int64())}
	}
	data := x.Data()
	for len(index) >= 2 {
		first, n := index[0], index[1]
		index = index[2:]
		for i := 0; i < n; i++ {
			if len(data) < width {
				return used, free
			}
			typ := 1
			if w[0] > 0 {
				typ = int(data[0])
			}
			data = data[width:]
			id := uint32(first + i)
			switch {
			case typ == 0 && id != 0:
				free = append(free, id)
			case typ == 1 || typ == 2:
				used = append(used, id)
			}
		}
	}
	return used, free
}

func objectStreamIDs(o pdf.Value) []uint32 {
	n := int(o.Key("N").Int64())
	first := o.Key("First").Int64()
	data := o.Data()
	if first <= 0 || int64(len(data)) < first {
		return nil
	}
	toks := strings.Fields(string(data[:first]))
	var ids []uint32
	for i := 0; i+1 < len(toks) && i/2 < n; i += 2 {
		if id, err := strconv.ParseUint(toks[i], 10, 32); err == nil {
			ids = append(ids, uint32(id))
		}
	}
	return ids
}

// docState indexes one revision: its pages, what their content is made
// of, their annotations and the objects of the catalog.
func (v *verification) state(end int64, r *pdf.Reader) *docState {
	if d, ok := v.states[end]; ok {
		return d
	}
	d := newDocState(r)
	v.states[end] = d
	return d
}

// addedAnnotParts returns the objects that annotations added in b draw
// with (appearance streams, pop-ups).
func addedAnnotParts(a, b *docState) map[uint32]bool {
	out := map[uint32]bool{}
	for id := range b.annots {
		if a.annots[id] == 0 {
			if o, err := b.r.GetObject(id); err == nil {
				collectRefs(o, 0, out, b.pageNo, 6)
			}
		}
	}
	return out
}

// collectRefs adds to out the objects v refers to, down to depth levels,
// not following /P and /Parent, nor into pages.
func collectRefs(v pdf.Value, parent uint32, out map[uint32]bool, pages map[uint32]int, depth int) {
	if depth < 0 || v.IsNull() {
		return
	}
	if id := v.GetPtr().GetID(); id != 0 && id != parent {
		if out[id] || pages[id] != 0 {
			return
		}
		out[id] = true
		parent = id
	}
	switch v.Kind() {
	case pdf.Array:
		for i := 0; i < v.Len(); i++ {
			collectRefs(v.Index(i), parent, out, pages, depth-1)
		}
	case pdf.Dict, pdf.Stream:
		for _, k := range v.Keys() {
			if k != "P" && k != "Parent" {
				collectRefs(v.Key(k), parent, out, pages, depth-1)
			}
		}
	}
}

type docState struct {
	r          *pdf.Reader
	root       pdf.Value
	pages      []pdf.Value
	pageIDs    []uint32
	pageNo     map[uint32]int
	treeNodes  map[uint32]bool
	content    map[uint32]int
	annots     map[uint32]int
	structural map[uint32]bool
	dss        map[uint32]bool
	infoID     uint32
}

var resourceCategories = []string{"Font", "XObject", "ExtGState", "Pattern", "Shading", "Properties", "ColorSpace"}

func newDocState(r *pdf.Reader) *docState {
	d := &docState{r: r, root: r.Trailer().Key("Root"), pageNo: map[uint32]int{}, treeNodes: map[uint32]bool{},
		content: map[uint32]int{}, annots: map[uint32]int{}, structural: map[uint32]bool{}, dss: map[uint32]bool{}}
	d.infoID = refID(r.Trailer().Key("Info"), r.Trailer())
	d.structural[d.root.GetPtr().GetID()] = true
	af := d.root.Key("AcroForm")
	d.structural[refID(af, d.root)] = true
	d.structural[refID(af.Key("Fields"), af)] = true
	visited := map[uint32]bool{}
	var walk func(n pdf.Value, depth int)
	walk = func(n pdf.Value, depth int) {
		id := n.GetPtr().GetID()
		if depth > 64 || visited[id] || len(d.pages) > 1<<20 {
			return
		}
		visited[id] = true
		if n.Key("Type").Name() == "Pages" || n.Key("Kids").Kind() == pdf.Array {
			d.treeNodes[id] = true
			kids := n.Key("Kids")
			d.structural[refID(kids, n)] = true
			for i := 0; i < kids.Len(); i++ {
				walk(kids.Index(i), depth+1)
			}
			return
		}
		d.pages = append(d.pages, n)
		d.pageIDs = append(d.pageIDs, id)
		no := len(d.pages)
		d.pageNo[id] = no
		d.addContent(n, no)
		annots := n.Key("Annots")
		d.structural[refID(annots, n)] = true
		for i := 0; i < annots.Len(); i++ {
			if a := refID(annots.Index(i), annots); a != 0 {
				d.annots[a] = no
			}
		}
	}
	walk(d.root.Key("Pages"), 0)
	collectRefs(d.root.Key("DSS"), d.root.GetPtr().GetID(), d.dss, nil, 8)
	delete(d.structural, 0)
	delete(d.content, 0)
	delete(d.annots, 0)
	return d
}

// addContent records the objects that make up a page's appearance: its
// content streams, its resources and the resources' entries.
func (d *docState) addContent(page pdf.Value, no int) {
	c := page.Key("Contents")
	if c.Kind() == pdf.Array {
		d.content[refID(c, page)] = no
		for i := 0; i < c.Len(); i++ {
			d.content[refID(c.Index(i), c)] = no
		}
	} else {
		d.content[refID(c, page)] = no
	}
	res := page.Key("Resources")
	d.content[refID(res, page)] = no
	for _, cat := range resourceCategories {
		sub := res.Key(cat)
		d.content[refID(sub, res)] = no
		for _, k := range sub.Keys() {
			d.content[refID(sub.Key(k), sub)] = no
		}
	}
}

// refID returns the object number v was reached through, or 0 if v is a
// direct value inside parent.
func refID(v, parent pdf.Value) uint32 {
	if v.IsNull() || v.GetPtr() == parent.GetPtr() {
		return 0
	}
	return v.GetPtr().GetID()
}

func equalIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compareAnnots reports annotations added to or removed from each page;
// signature widgets of the file's signatures are not annotations here.
func compareAnnots(cs *changeSet, a, b *docState, sigParts map[uint32]bool) {
	for i, pb := range b.pages {
		var before map[string]bool
		if i < len(a.pages) {
			before = annotKeys(a.pages[i])
		}
		after := annotKeys(pb)
		for k := range after {
			if before[k] {
				continue
			}
			if id, err := strconv.ParseUint(strings.TrimPrefix(k, "#"), 10, 32); err == nil && sigParts[uint32(id)] {
				continue
			}
			cs.add(ChangeAnnotations, fmt.Sprintf("page %d: %s annotation", i+1, annotSubtype(pb, k)))
		}
		for k := range before {
			if !after[k] {
				cs.add(ChangeOther, fmt.Sprintf("page %d: an annotation was removed", i+1))
			}
		}
	}
}

// annotKeys identifies a page's annotations: "#id" for indirect ones, a
// serialisation for direct ones.
func annotKeys(page pdf.Value) map[string]bool {
	out := map[string]bool{}
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if id := refID(a, annots); id != 0 {
			out["#"+strconv.FormatUint(uint64(id), 10)] = true
		} else {
			out[valueKey(a, annots.GetPtr().GetID(), 1, map[uint32]bool{})] = true
		}
	}
	return out
}

func annotSubtype(page pdf.Value, key string) string {
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if "#"+strconv.FormatUint(uint64(refID(a, annots)), 10) == key {
			if st := a.Key("Subtype").Name(); st != "" {
				return "/" + st
			}
		}
	}
	return "an"
}

// compareCatalog reports changes to the catalog other than the form's
// signature fields and the version, and whether the DSS changed.
func compareCatalog(cs *changeSet, a, b *docState, sigParts map[uint32]bool) (dssChanged bool) {
	skip := map[string]bool{"AcroForm": true, "Version": true, "Type": true, "DSS": true}
	if dictKey(a.root, skip) != dictKey(b.root, skip) {
		cs.add(ChangeOther, "document catalog changed")
	}
	if valueKey(a.root.Key("DSS"), a.root.GetPtr().GetID(), 1, map[uint32]bool{}) != valueKey(b.root.Key("DSS"), b.root.GetPtr().GetID(), 1, map[uint32]bool{}) {
		cs.add(ChangeValidationData, "document security store")
		dssChanged = true
	}
	afA, afB := a.root.Key("AcroForm"), b.root.Key("AcroForm")
	formSkip := map[string]bool{"Fields": true, "SigFlags": true, "DA": true, "DR": true, "NeedAppearances": true}
	if dictKey(afA, formSkip) != dictKey(afB, formSkip) {
		cs.add(ChangeOther, "form settings changed")
	}
	fa, fb := fieldIDs(afA), fieldIDs(afB)
	for id := range fb {
		if !fa[id] && !sigParts[id] {
			cs.add(ChangeOther, fmt.Sprintf("form field %d added", id))
		}
	}
	for id := range fa {
		if !fb[id] {
			cs.add(ChangeOther, fmt.Sprintf("form field %d removed", id))
		}
	}
	return dssChanged
}

func fieldIDs(af pdf.Value) map[uint32]bool {
	out := map[uint32]bool{}
	f := af.Key("Fields")
	for i := 0; i < f.Len(); i++ {
		if id := refID(f.Index(i), f); id != 0 {
			out[id] = true
		}
	}
	return out
}

func pageKey(p pdf.Value) string {
	return dictKey(p, map[string]bool{"Annots": true, "Parent": true})
}

func treeNodeKey(p pdf.Value) string {
	return dictKey(p, map[string]bool{"Kids": true, "Count": true, "Parent": true})
}

func dictKey(d pdf.Value, skip map[string]bool) string {
	var sb strings.Builder
	id := d.GetPtr().GetID()
	visited := map[uint32]bool{id: true}
	for _, k := range d.Keys() {
		if skip[k] {
			continue
		}
		sb.WriteString("/" + k + " ")
		sb.WriteString(valueKey(d.Key(k), id, 1, visited))
		sb.WriteString(" ")
	}
	return sb.String()
}

// objectKey serialises a top-level object, with a digest of its stream.
func objectKey(o pdf.Value) string {
	id := o.GetPtr().GetID()
	k := valueKey(o, id, 0, map[uint32]bool{id: true})
	if o.Kind() == pdf.Stream {
		k += " stream:" + streamDigest(o)
	}
	return k
}

func streamDigest(o pdf.Value) string {
	h := crypto.SHA256.New()
	rc := o.Reader()
	defer rc.Close()
	buf := make([]byte, 32<<10)
	var total int
	for {
		n, err := rc.Read(buf)
		h.Write(buf[:n])
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return "unreadable:" + err.Error()
		}
	}
	return fmt.Sprintf("%x:%d", h.Sum(nil), total)
}

// valueKey serialises v, found inside object parent, for comparison. It
// resolves references to dictionaries and arrays, so that the same content
// written inline or by reference compares equal; streams, pages,
// annotations and signatures are named by object number, and their own
// rewrites are checked separately.
func valueKey(v pdf.Value, parent uint32, depth int, visited map[uint32]bool) string {
	if depth > 12 {
		return "…"
	}
	id := v.GetPtr().GetID()
	if depth > 0 && id != 0 && id != parent {
		if visited[id] {
			return fmt.Sprintf("ref#%d", id)
		}
		switch v.Kind() {
		case pdf.Stream:
			return fmt.Sprintf("stream#%d", id)
		case pdf.Dict:
			switch t := v.Key("Type").Name(); t {
			case "Page", "Pages", "Annot", "Sig":
				return fmt.Sprintf("%s#%d", t, id)
			}
		}
		visited[id] = true
		parent = id
	}
	switch v.Kind() {
	case pdf.Null:
		return "null"
	case pdf.Bool:
		return strconv.FormatBool(v.Bool())
	case pdf.Integer:
		return strconv.FormatInt(v.Int64(), 10)
	case pdf.Real:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case pdf.String:
		return "<" + hex.EncodeToString([]byte(v.RawString())) + ">"
	case pdf.Name:
		return "/" + v.Name()
	case pdf.Array:
		var sb strings.Builder
		sb.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			sb.WriteString(valueKey(v.Index(i), parent, depth+1, visited))
			sb.WriteString(" ")
		}
		sb.WriteString("]")
		return sb.String()
	case pdf.Dict, pdf.Stream:
		var sb strings.Builder
		sb.WriteString("<<")
		for _, k := range v.Keys() {
			sb.WriteString("/" + k + " ")
			sb.WriteString(valueKey(v.Key(k), parent, depth+1, visited))
			sb.WriteString(" ")
		}
		sb.WriteString(">>")
		return sb.String()
	}
	return "?"
}
