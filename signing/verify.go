package signing

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/internal/domain"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Roots are the trusted roots; nil means the system's. Certificates
	// embedded in the PDF are never trusted as roots.
	Roots *x509.CertPool
	// Now is the time of verification; nil means time.Now.
	Now func() time.Time
	// Revocation, when set, asks each trusted signer's OCSP responder or
	// CRL (CheckRevocation); nil leaves revocation "unknown" unless the
	// PDF embeds the answer.
	Revocation *RevocationChecker
	// Context bounds the revocation checks; nil means context.Background.
	Context context.Context
	// At, when set, is the time of verification instead of Now: a later
	// clock shows how the document will verify years from now.
	At time.Time
	// Offline: no network; revocation comes from the document's DSS only
	// (Revocation is not asked). A signer whose certificate has expired by
	// then and has no embedded answer is not valid; one still valid is
	// "unknown", as when a responder does not answer.
	Offline bool
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
	// IssueMarks are the number and issue date the system wrote onto the
	// document and a later signature covers (ChangeIssueMarks).
	IssueMarks []string `json:"issue_marks,omitempty"`
	// Level is the lowest PAdES level of the signatures (LevelBB to
	// LevelBLTA), "" when there is none.
	Level string `json:"level"`
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
	// RevocationDetail says, beside Revocation ("good", "revoked" or
	// "unknown"), when and why it was revoked, or why it is not known.
	RevocationDetail *RevocationResult `json:"revocation_detail,omitempty"`
	// Chain is the signer's certificate and its issuer (DER), as verified,
	// for a revocation check after the verification (CheckRevocation).
	Chain [][]byte `json:"chain,omitempty"`
	// Level is the signature's PAdES level (LevelBB to LevelBLTA); empty
	// for a document timestamp and a non-PAdES signature.
	Level string `json:"level,omitempty"`
	// ProvenAt is the time a valid timestamp proves the signature (or
	// document timestamp) existed, at which it was validated.
	ProvenAt *time.Time `json:"proven_at,omitempty"`
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
	if !o.At.IsZero() {
		now = o.At
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
	rep.IssueMarks = issueMarks(rep)
	v.ltv(&rep, o.Offline)
	v.libraryAtProof(&rep)
	v.verdict(&rep)
	if o.Revocation != nil && !o.Offline {
		ctx := o.Context
		if ctx == nil {
			ctx = context.Background()
		}
		CheckRevocation(ctx, &rep, o.Revocation)
	}
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

// allowed reports whether a change after a signature leaves it covering
// the document: a later signature, validation data, or the number and
// issue date the system wrote and a later signature covers.
func allowed(c Change) bool {
	return c.Kind == ChangeLaterSignature || c.Kind == ChangeValidationData || c.Kind == ChangeIssueMarks
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
		if len(rep.IssueMarks) > 0 {
			rep.VerdictEN += "; number and issue date written by the system: " + strings.Join(rep.IssueMarks, "; ")
			rep.VerdictVI += "; số và ngày ban hành do hệ thống ghi: " + strings.Join(rep.IssueMarks, "; ")
		}
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
	ChangeIssueMarks:     "số và ngày ban hành do hệ thống ghi",
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
