// Validation as of a proven time (PAdES B-LT/B-LTA): each signature is
// checked at the earliest time a valid timestamp proves it existed, with
// the revocation answers the document itself carries (DSS), so that it
// still verifies years later, offline, once certificates have expired.

package signing

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/crypto/ocsp"
)

// embeddedData is the DSS of the verified file, parsed.
type embeddedData struct {
	certs []*x509.Certificate
	ocsps []*ocspAnswer
	crls  []*x509.RevocationList
}

type ocspAnswer struct {
	der []byte
}

func (v *verification) embedded() *embeddedData {
	r := v.readers[int64(len(v.in))]
	d := readDSS(r)
	e := &embeddedData{certs: d.known}
	for _, b := range d.ocspDER {
		e.ocsps = append(e.ocsps, &ocspAnswer{der: b})
	}
	for _, b := range d.crlDER {
		if c, err := x509.ParseRevocationList(b); err == nil {
			e.crls = append(e.crls, c)
		}
	}
	return e
}

// present reports whether the document carries validation data: a
// certificate that names no responder has no answer to embed, so a DSS of
// certificates alone is B-LT for it.
func (e *embeddedData) present() bool { return len(e.certs)+len(e.ocsps)+len(e.crls) > 0 }

// status looks cert up in the embedded answers signed by issuer (or its
// delegated responder): good, revoked (with the time) or not found.
func (e *embeddedData) status(cert, issuer *x509.Certificate) (status string, revokedAt time.Time) {
	for _, a := range e.ocsps {
		resp, err := ocsp.ParseResponseForCert(a.der, cert, issuer)
		if err != nil {
			continue
		}
		if rc := resp.Certificate; rc != nil && !rc.Equal(issuer) {
			if rc.CheckSignatureFrom(issuer) != nil || !hasEKU(rc, x509.ExtKeyUsageOCSPSigning) {
				continue
			}
		}
		switch resp.Status {
		case ocsp.Good:
			return RevocationGood, time.Time{}
		case ocsp.Revoked:
			return RevocationRevoked, resp.RevokedAt
		}
	}
	for _, c := range e.crls {
		if !bytes.Equal(c.RawIssuer, issuer.RawSubject) || c.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, r := range c.RevokedCertificateEntries {
			if r.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return RevocationRevoked, r.RevocationTime
			}
		}
		return RevocationGood, time.Time{}
	}
	return RevocationUnknown, time.Time{}
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, x := range c.ExtKeyUsage {
		if x == u {
			return true
		}
	}
	return false
}

// chainAt verifies leaf at t with the CMS's and the DSS's certificates as
// intermediates.
func (v *verification) chainAt(leaf *x509.Certificate, carried []*x509.Certificate, e *embeddedData, t time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, c := range carried {
		if !c.Equal(leaf) {
			inter.AddCert(c)
		}
	}
	for _, c := range e.certs {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}

// revocationAt checks every certificate of chain but the root against the
// embedded answers as of t. It returns "" when each one that names a
// responder is answered good (or revoked only after t), else why not.
// complete is false when some answer is missing.
func (e *embeddedData) revocationAt(chain []*x509.Certificate, t time.Time) (why string, complete bool) {
	why, complete, _ = e.revocationAsked(chain, t)
	return why, complete
}

// revocationAsked is revocationAt, and whether any certificate of the
// chain names a responder at all.
func (e *embeddedData) revocationAsked(chain []*x509.Certificate, t time.Time) (why string, complete, asked bool) {
	complete = true
	for i := 0; i+1 < len(chain); i++ {
		c := chain[i]
		if len(httpURLs(c.OCSPServer)) == 0 && len(httpURLs(c.CRLDistributionPoints)) == 0 {
			continue // names no responder: there is nothing to ask
		}
		asked = true
		st, at := e.status(c, chain[i+1])
		switch {
		case st == RevocationRevoked && !at.After(t):
			return fmt.Sprintf("%s was revoked at %s, before %s", c.Subject.CommonName, at.Format(time.RFC3339), t.Format(time.RFC3339)), true, true
		case st == RevocationUnknown:
			complete = false
			why = fmt.Sprintf("the document carries no OCSP response or CRL for %s", c.Subject.CommonName)
		}
	}
	return why, complete, asked
}

// ltv checks each signature and timestamp as of its proven time and
// gives each its PAdES level, and the document its lowest.
func (v *verification) ltv(rep *Report, offline bool) {
	e := v.embedded()
	var docTS []int
	for i, s := range v.sigs {
		if s.brOK && s.f.v.Key("SubFilter").Name() == "ETSI.RFC3161" {
			docTS = append(docTS, i)
		}
	}
	sort.Slice(docTS, func(a, b int) bool { return v.sigs[docTS[a]].end() < v.sigs[docTS[b]].end() })
	// Document timestamps, the last one as of now, each earlier one as of
	// the next valid one's time.
	valid := map[int]bool{}
	proofAt := v.now
	for k := len(docTS) - 1; k >= 0; k-- {
		i := docTS[k]
		s, r := v.sigs[i], &rep.Signatures[i]
		r.Level = ""
		if !r.Intact || s.p7 == nil {
			continue
		}
		tsa := s.p7.GetOnlySigner()
		chain, err := v.chainAt(tsa, s.p7.Certificates, e, proofAt, x509.ExtKeyUsageTimeStamping)
		ok := err == nil
		if err != nil {
			v.addProblem(s, r, "the timestamp authority's certificate is not trusted at %s: %v", vnTime(proofAt), err)
		} else if why, complete := e.revocationAt(chain, proofAt); why != "" && (complete || (offline && k < len(docTS)-1)) {
			// the last timestamp's own status can only be asked online
			v.addProblem(s, r, "document timestamp: %s", why)
			ok = false
		}
		r.Trusted, r.Timestamp.CertificateValid = ok, ok
		if ok {
			valid[i] = true
			r.ProvenAt = &r.Timestamp.Time
			proofAt = r.Timestamp.Time
		} else {
			proofAt = v.now
		}
	}
	level := ""
	for i, s := range v.sigs {
		r := &rep.Signatures[i]
		if s.f.v.Key("SubFilter").Name() == "ETSI.RFC3161" || s.p7 == nil || !s.brOK {
			continue
		}
		leaf := s.p7.GetOnlySigner()
		if leaf == nil {
			continue
		}
		// the earliest valid document timestamp after this signature
		var cover *time.Time
		covers := 0
		for _, j := range docTS {
			if valid[j] && v.sigs[j].end() > s.end() {
				covers++
				if t := rep.Signatures[j].Timestamp.Time; cover == nil || t.Before(*cover) {
					cover = &t
				}
			}
		}
		tsaAt := v.now
		if cover != nil {
			tsaAt = *cover
		}
		proven := (*time.Time)(nil)
		lvl := LevelBB
		if tr := r.Timestamp; tr != nil && tr.Intact {
			ok := false
			if tok := timestampToken(s.p7); tok != nil {
				if ts, err := timestamp.Parse(tok); err == nil {
					if tp7, err := pkcs7.Parse(ts.RawToken); err == nil && tp7.GetOnlySigner() != nil {
						chain, err := v.chainAt(tp7.GetOnlySigner(), tp7.Certificates, e, tsaAt, x509.ExtKeyUsageTimeStamping)
						if err != nil {
							v.addProblem(s, r, "the timestamp authority's certificate is not trusted at %s: %v", vnTime(tsaAt), err)
						} else if why, complete := e.revocationAt(chain, tsaAt); why != "" && (complete || (offline && cover != nil)) {
							v.addProblem(s, r, "signature timestamp: %s", why)
						} else {
							ok = true
						}
					}
				}
			}
			tr.CertificateValid = ok && tr.CertificateValid
			if tr.CertificateValid {
				t := tr.Time
				proven, lvl = &t, LevelBT
			}
		}
		// B-LTA: a document timestamp over the validation data, after the
		// one that proves the time (ETSI EN 319 142-1 allows a document
		// timestamp to make a signature B-T)
		ltaCovers := 1
		if proven == nil && cover != nil {
			proven, lvl, ltaCovers = cover, LevelBT, 2
		}
		at := v.now
		if proven != nil {
			at = *proven
			r.ProvenAt = proven
		}
		r.Problems = dropPrefix(r.Problems, "the signer's certificate is not trusted at ")
		chain, err := v.chainAt(leaf, s.p7.Certificates, e, at, x509.ExtKeyUsageAny)
		r.Trusted = err == nil
		if err != nil {
			v.addProblem(s, r, "the signer's certificate is not trusted at %s: %v", vnTime(at), err)
		} else {
			if len(chain) > 1 {
				r.Chain = [][]byte{leaf.Raw, chain[1].Raw}
			}
			why, complete, asked := e.revocationAsked(chain, at)
			switch {
			case why != "" && complete:
				v.addProblem(s, r, "the signer's certificate: %s", why)
				r.Trusted = false
				r.Revocation = RevocationRevoked
				r.RevocationDetail = &RevocationResult{Status: RevocationRevoked, Source: SourceEmbedded, CheckedAt: v.now}
			case !complete && offline && v.expiredAt(leaf, s.p7.Certificates, e):
				// the certificate has expired: only an answer from when it
				// was valid, kept in the document, says it was not revoked
				v.addProblem(s, r, "offline: %s", why)
				r.Trusted = false
			case !complete && offline:
				v.addProblem(s, r, "offline: revocation not checked: %s", why)
			case complete && e.present():
				r.Revocation = RevocationGood
				r.RevocationDetail = &RevocationResult{Status: RevocationGood, Source: SourceEmbedded, CheckedAt: v.now}
				if !asked {
					// Nothing to answer: the chain in the DSS is all there
					// is, and "good" would claim an answer nobody gave.
					r.Revocation = RevocationUnknown
					r.RevocationDetail = &RevocationResult{Status: RevocationUnknown, Source: SourceEmbedded, CheckedAt: v.now,
						WhyEN: "the certificates name no OCSP responder or CRL", WhyVI: "chứng thư số không ghi nơi kiểm tra thu hồi (OCSP, CRL)"}
				}
				if lvl == LevelBT {
					lvl = LevelBLT
					if covers >= ltaCovers {
						lvl = LevelBLTA
					}
				}
			}
		}
		if s.f.v.Key("SubFilter").Name() != "ETSI.CAdES.detached" {
			continue // adbe.pkcs7.detached: not PAdES, no level
		}
		r.Format = "PAdES " + lvl
		r.Level = lvl
		if rank(lvl) < rank(level) || level == "" {
			level = lvl
		}
	}
	rep.Level = level
}

// expiredAt reports whether leaf's chain is no longer valid at the time
// of verification.
func (v *verification) expiredAt(leaf *x509.Certificate, carried []*x509.Certificate, e *embeddedData) bool {
	_, err := v.chainAt(leaf, carried, e, v.now, x509.ExtKeyUsageAny)
	return err != nil
}

func rank(l string) int {
	switch l {
	case LevelBB:
		return 1
	case LevelBT:
		return 2
	case LevelBLT:
		return 3
	case LevelBLTA:
		return 4
	}
	return 0
}

func (v *verification) addProblem(s *checkedSig, r *SignatureReport, format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

func dropPrefix(ps []string, prefix string) []string {
	out := ps[:0]
	for _, p := range ps {
		if !strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

func vnTime(t time.Time) string { return t.In(domain.VietnamTime).Format(time.RFC3339) }

// libraryAtProof runs pdfsign again, as of the proven time, for the
// signatures a document timestamp alone proves and pdfsign failed as of
// the verification time: pdfsign takes no document timestamp as a proof of
// time, so it finds their expired certificates expired.
func (v *verification) libraryAtProof(rep *Report) {
	byTime := map[time.Time][]int{}
	for i, s := range v.sigs {
		r := &rep.Signatures[i]
		if r.LibraryValid || !s.libSeen || r.ProvenAt == nil || r.Timestamp != nil || !r.Trusted {
			continue
		}
		byTime[*r.ProvenAt] = append(byTime[*r.ProvenAt], i)
	}
	for t, idx := range byTime {
		lib := runLibrary(v.in, v.roots, t)
		for _, i := range idx {
			if res, ok := lib.byID[v.sigs[i].f.v.GetPtr().GetID()]; ok && res.valid {
				r := &rep.Signatures[i]
				r.LibraryValid = true
				r.Problems = dropPrefix(r.Problems, "pdfsign: ")
			}
		}
	}
}
