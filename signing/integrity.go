// The check of a signature just made, before the signed file is kept: the
// whole verification report is computed afterwards, as a job.

package signing

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/pdf"
)

// ErrNotIntact is returned by CheckNewestSignature when the newest
// signature does not cover the whole file or does not verify.
var ErrNotIntact = errors.New("signing: the new signature is not intact")

// NewSignature is what CheckNewestSignature found.
type NewSignature struct {
	Report SignatureReport // the newest signature's own checks
	Older  int             // the signatures and document timestamps before it
}

// CheckNewestSignature checks the signature that ends the file in, the one
// just made: its ByteRange covers the whole file but its own value, the
// CMS digest matches the signed bytes, and the signature value verifies
// with the certificate it carries. Trust in roots and the timestamp are
// reported (for the PAdES level) but not required; revocation is not
// asked. It reads the file once and hashes the signed bytes once, where
// Verify examines every signature and every update.
func CheckNewestSignature(in []byte, roots *x509.CertPool) (ns NewSignature, err error) {
	defer func() {
		if r := recover(); r != nil {
			ns, err = NewSignature{}, fmt.Errorf("%w: %v", ErrBadPDF, r)
		}
	}()
	r, err := openPDF(in)
	if err != nil {
		return NewSignature{}, err
	}
	var newest *sigField
	fields := signatureFields(r)
	for i := range fields {
		br := fields[i].v.Key("ByteRange")
		if br.Len() == 4 && br.Index(2).Int64()+br.Index(3).Int64() == int64(len(in)) {
			newest = &fields[i]
		}
	}
	if newest == nil {
		return NewSignature{}, fmt.Errorf("%w: no signature covers the whole file", ErrNotIntact)
	}
	v := &verification{in: in, roots: roots, now: time.Now(), readers: map[int64]*pdf.Reader{int64(len(in)): r}, states: map[int64]*docState{}}
	s := v.check(*newest)
	ns = NewSignature{Report: s.rep, Older: len(fields) - 1}
	if !s.rep.Intact || !s.brOK {
		return ns, fmt.Errorf("%w: %s", ErrNotIntact, strings.Join(s.rep.Problems, "; "))
	}
	return ns, nil
}

// NewSignatureLevel is the PAdES level a signature just made reaches on
// its own (r from CheckNewestSignature): B-T when it carries a timestamp
// that verifies and whose authority is trusted, B-B otherwise, "" when it
// is not a PAdES signature. Verify's report, computed later, has the
// level of the whole document.
func NewSignatureLevel(r SignatureReport) string {
	switch {
	case !strings.HasPrefix(r.Format, "PAdES "):
		return ""
	case r.Timestamp != nil && r.Timestamp.Intact && r.Timestamp.CertificateValid:
		return LevelBT
	}
	return LevelBB
}
