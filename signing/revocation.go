// Revocation of signing certificates: OCSP (RFC 6960) first, then the
// CRL (RFC 5280), each answer cached until the CA says it may change.

package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/crypto/ocsp"
)

// Revocation statuses, as SignatureReport.Revocation says them.
const (
	RevocationGood    = "good"
	RevocationRevoked = "revoked"
	RevocationUnknown = "unknown"
)

// Where a revocation answer came from.
const (
	SourceOCSP     = "ocsp"
	SourceCRL      = "crl"
	SourceEmbedded = "embedded"
)

// Limits on what a responder may send back.
const (
	maxOCSPBytes = 1 << 20
	maxCRLBytes  = 20 << 20
	// clockSkew is how far thisUpdate may lie in the future, and
	// nextUpdate in the past, before an answer is refused.
	clockSkew = 5 * time.Minute
)

// RevocationResult is what is known about one certificate's revocation.
type RevocationResult struct {
	Status string `json:"status"`
	Source string `json:"source,omitempty"`
	// RevokedAt and ReasonCode (RFC 5280 CRLReason) for a revoked one.
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	ReasonCode int        `json:"reason_code,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	ReasonVI   string     `json:"reason_vi,omitempty"`
	// WhyEN and WhyVI say why the status is unknown.
	WhyEN string `json:"why_en,omitempty"`
	WhyVI string `json:"why_vi,omitempty"`
	// NextUpdate is when the CA may say something else.
	NextUpdate *time.Time `json:"next_update,omitempty"`
	CheckedAt  time.Time  `json:"checked_at"`
	// Raw is the DER answer (OCSP response or CRL) as received, set by
	// FetchValidationData only: the cache never holds it.
	Raw []byte `json:"-"`
}

// String reads "good", "revoked at ... (keyCompromise)" or "unknown: why".
func (r RevocationResult) String() string {
	switch r.Status {
	case RevocationRevoked:
		s := "revoked"
		if r.RevokedAt != nil {
			s += " at " + r.RevokedAt.Format(time.RFC3339)
		}
		if r.Reason != "" {
			s += " (" + r.Reason + ")"
		}
		return s
	case RevocationUnknown:
		return "unknown: " + r.WhyEN
	}
	return r.Status
}

// StringVI is String in Vietnamese.
func (r RevocationResult) StringVI() string {
	switch r.Status {
	case RevocationGood:
		return "còn hiệu lực (chưa bị thu hồi)"
	case RevocationRevoked:
		s := "đã bị thu hồi"
		if r.RevokedAt != nil {
			s += " lúc " + r.RevokedAt.In(domain.VietnamTime).Format("15:04 02/01/2006")
		}
		if r.ReasonVI != "" {
			s += " (" + r.ReasonVI + ")"
		}
		return s
	}
	return "không xác định: " + r.WhyVI
}

// RevocationChecker asks a certificate's OCSP responder, then its CRL
// distribution points, whether it is revoked. Good and revoked answers are
// kept in memory until their nextUpdate: each checker has its own cache,
// so one checker should serve a whole process. The zero value is ready.
type RevocationChecker struct {
	// Timeout bounds each request; 0 means 5 s.
	Timeout time.Duration
	// Client sends the requests; nil means one that follows at most
	// three redirects, and only to http(s).
	Client *http.Client
	// MaxEntries bounds the cache; 0 means 4096.
	MaxEntries int
	// UnknownTTL is how long an unknown answer is kept, so that a
	// responder that is down costs one timeout per signing, not one per
	// check; 0 means 1 minute, negative not at all.
	UnknownTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	r     RevocationResult
	until time.Time
}

var defaultRevocationClient = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return errors.New("redirect to a URL that is not http(s)")
	}
	return nil
}}

func (c *RevocationChecker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *RevocationChecker) client() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return defaultRevocationClient
}

func (c *RevocationChecker) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Second
}

func cacheKey(cert, issuer *x509.Certificate) string {
	h := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	return fmt.Sprintf("%x:%x", h[:], cert.SerialNumber)
}

func (c *RevocationChecker) cached(key string, now time.Time) (RevocationResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cache[key]
	if !ok {
		return RevocationResult{}, false
	}
	if !now.Before(e.until) {
		delete(c.cache, key)
		return RevocationResult{}, false
	}
	return e.r, true
}

func (c *RevocationChecker) keep(key string, r RevocationResult, now time.Time) {
	var until time.Time
	switch {
	case r.Status == RevocationUnknown:
		ttl := c.UnknownTTL
		if ttl == 0 {
			ttl = time.Minute
		}
		until = now.Add(ttl)
	case r.NextUpdate != nil:
		until = *r.NextUpdate
	}
	if !now.Before(until) {
		return
	}
	r.Raw = nil
	max := c.MaxEntries
	if max <= 0 {
		max = 4096
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]cacheEntry{}
	}
	if len(c.cache) >= max {
		for k, e := range c.cache {
			if !now.Before(e.until) {
				delete(c.cache, k)
			}
		}
	}
	for k := range c.cache {
		if len(c.cache) < max {
			break
		}
		delete(c.cache, k) // any one: the map's order is random
	}
	c.cache[key] = cacheEntry{r: r, until: until}
}

// Check returns the revocation status of cert, issued by issuer: from the
// cache, else OCSP, else the CRL. It never fails: what could not be learnt
// is an unknown status saying why (kept UnknownTTL).
func (c *RevocationChecker) Check(ctx context.Context, cert, issuer *x509.Certificate) RevocationResult {
	now := c.now()
	if cert == nil || issuer == nil {
		return unknown(now, "the issuer's certificate is not known", "không có chứng thư số của tổ chức cấp")
	}
	key := cacheKey(cert, issuer)
	if r, ok := c.cached(key, now); ok {
		return r
	}
	ocspURLs := httpURLs(cert.OCSPServer)
	crlURLs := httpURLs(cert.CRLDistributionPoints)
	if len(ocspURLs) == 0 && len(crlURLs) == 0 {
		return unknown(now, "the certificate names no OCSP responder or CRL (http)", "chứng thư số không ghi địa chỉ OCSP hay CRL")
	}
	var en, vi []string
	for _, u := range ocspURLs {
		r, err := c.checkOCSP(ctx, u, cert, issuer, now)
		if err == nil {
			c.keep(key, r, now)
			return r
		}
		en, vi = append(en, "OCSP "+err.en), append(vi, "OCSP "+err.vi)
	}
	for _, u := range crlURLs {
		r, err := c.checkCRL(ctx, u, cert, issuer, now)
		if err == nil {
			c.keep(key, r, now)
			return r
		}
		en, vi = append(en, "CRL "+err.en), append(vi, "CRL "+err.vi)
	}
	r := unknown(now, strings.Join(en, "; "), strings.Join(vi, "; "))
	c.keep(key, r, now)
	return r
}

// FetchValidationData asks cert's OCSP responders, then its CRLs, bypassing
// the cache, and returns the first checked answer with its DER (Raw), to
// embed in a document (B-LT). ok is false when the certificate names no
// http responder or CRL; an error says why none answered.
func (c *RevocationChecker) FetchValidationData(ctx context.Context, cert, issuer *x509.Certificate) (r RevocationResult, ok bool, err error) {
	now := c.now()
	ocspURLs := httpURLs(cert.OCSPServer)
	crlURLs := httpURLs(cert.CRLDistributionPoints)
	if len(ocspURLs) == 0 && len(crlURLs) == 0 {
		return RevocationResult{}, false, nil
	}
	var en []string
	for _, u := range ocspURLs {
		r, cerr := c.checkOCSP(ctx, u, cert, issuer, now)
		if cerr == nil {
			return r, true, nil
		}
		en = append(en, "OCSP "+cerr.en)
	}
	for _, u := range crlURLs {
		r, cerr := c.checkCRL(ctx, u, cert, issuer, now)
		if cerr == nil {
			return r, true, nil
		}
		en = append(en, "CRL "+cerr.en)
	}
	return RevocationResult{}, true, errors.New(strings.Join(en, "; "))
}

func unknown(now time.Time, en, vi string) RevocationResult {
	return RevocationResult{Status: RevocationUnknown, WhyEN: en, WhyVI: vi, CheckedAt: now}
}

// checkError says, in both languages, why one source gave no answer.
type checkError struct{ en, vi string }

func fail(en, vi string) *checkError { return &checkError{en: en, vi: vi} }

func httpURLs(in []string) []string {
	var out []string
	for _, s := range in {
		u, err := url.Parse(s)
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			out = append(out, s)
		}
	}
	return out
}

// fetch sends req and reads at most limit bytes of a 200 answer.
func (c *RevocationChecker) fetch(ctx context.Context, method, u, contentType string, body []byte, limit int64) ([]byte, *checkError) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fail(fmt.Sprintf("%s: bad URL", u), fmt.Sprintf("%s: địa chỉ không hợp lệ", u))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, fail(fmt.Sprintf("%s unreachable: %v", u, err), fmt.Sprintf("%s không kết nối được", u))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(fmt.Sprintf("%s answered %s", u, resp.Status), fmt.Sprintf("%s trả lời lỗi %d", u, resp.StatusCode))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fail(fmt.Sprintf("%s unreachable: %v", u, err), fmt.Sprintf("%s không kết nối được", u))
	}
	if int64(len(b)) > limit {
		return nil, fail(fmt.Sprintf("%s sent more than %d bytes", u, limit), fmt.Sprintf("%s gửi về quá %d byte", u, limit))
	}
	return b, nil
}

// checkOCSP asks the responder at u by POST (RFC 6960 A.1), and checks
// the answer: for this certificate, signed by the issuer or by a
// responder the issuer delegated (id-kp-OCSPSigning), and current.
func (c *RevocationChecker) checkOCSP(ctx context.Context, u string, cert, issuer *x509.Certificate, now time.Time) (RevocationResult, *checkError) {
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return RevocationResult{}, fail("request: "+err.Error(), "không tạo được yêu cầu")
	}
	body, cerr := c.fetch(ctx, http.MethodPost, u, "application/ocsp-request", req, maxOCSPBytes)
	if cerr != nil {
		return RevocationResult{}, cerr
	}
	bad := func(why string) *checkError {
		return fail(fmt.Sprintf("%s: bad response: %s", u, why), fmt.Sprintf("%s: phản hồi không hợp lệ (%s)", u, why))
	}
	resp, err := ocsp.ParseResponseForCert(body, cert, nil)
	if err != nil {
		return RevocationResult{}, bad(err.Error())
	}
	if err := checkOCSPSigner(resp, issuer, now); err != nil {
		return RevocationResult{}, bad(err.Error())
	}
	if resp.ThisUpdate.After(now.Add(clockSkew)) {
		return RevocationResult{}, bad("thisUpdate is in the future")
	}
	if !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(now.Add(-clockSkew)) {
		return RevocationResult{}, bad("stale: nextUpdate has passed")
	}
	if resp.NextUpdate.IsZero() && resp.ThisUpdate.Before(now.Add(-24*time.Hour)) {
		return RevocationResult{}, bad("stale: no nextUpdate and thisUpdate more than a day old")
	}
	r := RevocationResult{Source: SourceOCSP, CheckedAt: now, Raw: body}
	if !resp.NextUpdate.IsZero() {
		nu := resp.NextUpdate
		r.NextUpdate = &nu
	}
	switch resp.Status {
	case ocsp.Good:
		r.Status = RevocationGood
	case ocsp.Revoked:
		r.Status = RevocationRevoked
		at := resp.RevokedAt
		r.RevokedAt = &at
		r.setReason(resp.RevocationReason)
	default:
		return RevocationResult{}, fail(u+": the responder does not know the certificate", u+": máy chủ OCSP không biết chứng thư số này")
	}
	return r, nil
}

// checkOCSPSigner checks that the issuer signed the response, or a
// certificate the issuer gave id-kp-OCSPSigning to, valid now.
func checkOCSPSigner(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) error {
	rc := resp.Certificate
	if rc == nil || rc.Equal(issuer) {
		return resp.CheckSignatureFrom(issuer)
	}
	if err := rc.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("the responder's certificate is not the issuer's: %v", err)
	}
	if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return errors.New("the responder's certificate lacks id-kp-OCSPSigning")
	}
	if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
		return errors.New("the responder's certificate is expired or not yet valid")
	}
	return resp.CheckSignatureFrom(rc) // ParseResponse checked it; cheap
}

// checkCRL downloads the CRL at u and looks cert up in it, once its
// signature by the issuer and its freshness are checked.
func (c *RevocationChecker) checkCRL(ctx context.Context, u string, cert, issuer *x509.Certificate, now time.Time) (RevocationResult, *checkError) {
	body, cerr := c.fetch(ctx, http.MethodGet, u, "", nil, maxCRLBytes)
	if cerr != nil {
		return RevocationResult{}, cerr
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return RevocationResult{}, fail(fmt.Sprintf("%s: bad CRL: %v", u, err), fmt.Sprintf("%s: CRL không hợp lệ", u))
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return RevocationResult{}, fail(u+": the CRL is not the issuer's", u+": CRL không do tổ chức cấp chứng thư số ban hành")
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return RevocationResult{}, fail(fmt.Sprintf("%s: bad CRL signature: %v", u, err), fmt.Sprintf("%s: chữ ký của CRL không hợp lệ", u))
	}
	if crl.ThisUpdate.After(now.Add(clockSkew)) {
		return RevocationResult{}, fail(u+": the CRL's thisUpdate is in the future", u+": CRL ghi ngày phát hành trong tương lai")
	}
	if !crl.NextUpdate.IsZero() && crl.NextUpdate.Before(now.Add(-clockSkew)) {
		return RevocationResult{}, fail(fmt.Sprintf("%s: the CRL is stale (nextUpdate %s has passed)", u, crl.NextUpdate.Format(time.RFC3339)),
			fmt.Sprintf("%s: CRL hết hạn (từ %s)", u, crl.NextUpdate.In(domain.VietnamTime).Format("15:04 02/01/2006")))
	}
	r := RevocationResult{Status: RevocationGood, Source: SourceCRL, CheckedAt: now, Raw: body}
	if !crl.NextUpdate.IsZero() {
		nu := crl.NextUpdate
		r.NextUpdate = &nu
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			r.Status = RevocationRevoked
			at := e.RevocationTime
			r.RevokedAt = &at
			r.setReason(e.ReasonCode)
			break
		}
	}
	return r, nil
}

func (r *RevocationResult) setReason(code int) {
	r.ReasonCode = code
	if n, ok := crlReasons[code]; ok {
		r.Reason, r.ReasonVI = n[0], n[1]
	} else {
		r.Reason, r.ReasonVI = fmt.Sprintf("reason %d", code), fmt.Sprintf("mã lý do %d", code)
	}
}

// crlReasons are RFC 5280's CRLReason codes, in English and Vietnamese.
var crlReasons = map[int][2]string{
	ocsp.Unspecified:          {"unspecified", "không nêu lý do"},
	ocsp.KeyCompromise:        {"keyCompromise", "lộ khóa bí mật"},
	ocsp.CACompromise:         {"cACompromise", "lộ khóa của tổ chức cấp"},
	ocsp.AffiliationChanged:   {"affiliationChanged", "thay đổi thông tin, đơn vị"},
	ocsp.Superseded:           {"superseded", "đã được thay thế"},
	ocsp.CessationOfOperation: {"cessationOfOperation", "ngừng sử dụng"},
	ocsp.CertificateHold:      {"certificateHold", "tạm dừng"},
	ocsp.RemoveFromCRL:        {"removeFromCRL", "gỡ khỏi CRL"},
	ocsp.PrivilegeWithdrawn:   {"privilegeWithdrawn", "rút quyền"},
	ocsp.AACompromise:         {"aACompromise", "lộ khóa của tổ chức cấp thuộc tính"},
}

// CheckRevocation asks c about the signer of each signature of rep that
// carries its verified Chain, and amends the verdict. An answer embedded in
// the PDF (pdfsign found it revoked) is kept. A revoked signer makes its
// signature not valid, unless a valid timestamp shows it was made before
// the revocation time, whatever the reason code; an unknown status leaves
// the verdict as it was and says why. Verify calls it when given a checker;
// whoever verified elsewhere (a pdfguard worker) calls it on the report.
func CheckRevocation(ctx context.Context, rep *Report, c *RevocationChecker) {
	var en, vi []string
	now := c.now()
	for i := range rep.Signatures {
		s := &rep.Signatures[i]
		if d := s.RevocationDetail; d != nil && d.Source == SourceEmbedded {
			continue
		}
		var leaf, issuer *x509.Certificate
		if len(s.Chain) == 2 {
			leaf, _ = x509.ParseCertificate(s.Chain[0])
			issuer, _ = x509.ParseCertificate(s.Chain[1])
		}
		if leaf == nil || issuer == nil {
			r := unknown(now, "not checked: the certificate has no trusted issuer", "không kiểm tra: chứng thư số không có tổ chức cấp được tin cậy")
			s.Revocation, s.RevocationDetail = RevocationUnknown, &r
			continue
		}
		r := c.Check(ctx, leaf, issuer)
		s.Revocation, s.RevocationDetail = r.Status, &r
		if r.Status != RevocationRevoked {
			continue
		}
		if ts := s.Timestamp; ts != nil && ts.Intact && ts.CertificateValid && r.RevokedAt != nil && ts.Time.Before(*r.RevokedAt) {
			s.Problems = append(s.Problems, fmt.Sprintf("the signer's certificate was %s, after the timestamp of %s: the signature stands",
				r.String(), ts.Time.Format(time.RFC3339)))
			continue
		}
		who := s.Signer
		if who == "" {
			who = s.Field
		}
		s.Problems = append(s.Problems, "the signer's certificate was "+r.String())
		en = append(en, fmt.Sprintf("signature %d (%s): the signer's certificate was %s", i+1, who, r.String()))
		vi = append(vi, fmt.Sprintf("chữ ký %d (%s): chứng thư số của người ký %s", i+1, who, r.StringVI()))
	}
	if len(en) == 0 {
		return
	}
	if rep.Valid {
		rep.Valid = false
		rep.VerdictEN = "invalid: " + strings.Join(en, "; ")
		rep.VerdictVI = "Không hợp lệ: " + strings.Join(vi, "; ")
		return
	}
	rep.VerdictEN += "; " + strings.Join(en, "; ")
	rep.VerdictVI += "; " + strings.Join(vi, "; ")
}
