// Long-term validation (PAdES B-LT and B-LTA, ETSI EN 319 142-1): the
// document security store (DSS) with every certificate, OCSP response and
// CRL a verifier needs once the CAs' services are gone, and document
// timestamps that prove when that data was there.

package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// PAdES baseline levels, as Report.Level and SignatureReport.Level say them.
const (
	LevelBB   = "B-B"
	LevelBT   = "B-T"
	LevelBLT  = "B-LT"
	LevelBLTA = "B-LTA"
)

// ErrValidationData: an OCSP responder or CRL a certificate names did not
// answer, so the validation data cannot be embedded now (retry later).
var ErrValidationData = errors.New("signing: the validation data (OCSP or CRL) is not available")

// ValidationDataOptions configure AddValidationData.
type ValidationDataOptions struct {
	// Roots complete the chains (the signers' and authorities' roots,
	// which CMS signatures seldom carry); nil means the system's.
	Roots *x509.CertPool
	// Revocation fetches the answers; nil means a zero RevocationChecker.
	Revocation *RevocationChecker
}

// signedToken is one signature, signature timestamp or document timestamp
// of a file, with the certificates it carries.
type signedToken struct {
	vri   string // upper-case hex SHA-1 of the /Contents value, the VRI key
	leaf  *x509.Certificate
	certs []*x509.Certificate
}

// tokensOf returns every signature and timestamp token of the file.
func tokensOf(r *pdf.Reader) []signedToken {
	var out []signedToken
	for _, f := range signatureFields(r) {
		contents := []byte(f.v.Key("Contents").RawString())
		sum := sha1.Sum(contents)
		vri := strings.ToUpper(fmt.Sprintf("%x", sum))
		if f.v.Key("SubFilter").Name() == "ETSI.RFC3161" {
			if t := tokenOf(contents); t != nil {
				t.vri = vri
				out = append(out, *t)
			}
			continue
		}
		p7, err := pkcs7.Parse(contents)
		if err != nil || len(p7.Signers) != 1 {
			continue
		}
		if leaf := p7.GetOnlySigner(); leaf != nil {
			out = append(out, signedToken{vri: vri, leaf: leaf, certs: p7.Certificates})
		}
		if tok := timestampToken(p7); tok != nil {
			if t := tokenOf(tok); t != nil {
				sum := sha1.Sum(tok)
				t.vri = strings.ToUpper(fmt.Sprintf("%x", sum))
				out = append(out, *t)
			}
		}
	}
	return out
}

// tokenOf reads an RFC 3161 timestamp token.
func tokenOf(token []byte) *signedToken {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil
	}
	leaf := p7.GetOnlySigner()
	if leaf == nil {
		return nil
	}
	return &signedToken{leaf: leaf, certs: p7.Certificates}
}

// chainOf returns leaf's chain up to a root, built from the roots and the
// other certificates known: verified now, else at the latest time the
// whole chain was valid (an expired chain is still worth recording).
func chainOf(leaf *x509.Certificate, known []*x509.Certificate, roots *x509.CertPool, now time.Time) []*x509.Certificate {
	inter := x509.NewCertPool()
	for _, c := range known {
		inter.AddCert(c)
	}
	for _, at := range []time.Time{now, leaf.NotAfter.Add(-time.Minute), leaf.NotBefore.Add(time.Minute)} {
		chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil {
			return chains[0]
		}
	}
	// Not trusted: record what the file carries, by issuer names.
	chain := []*x509.Certificate{leaf}
	for c := leaf; len(chain) < 8; {
		var next *x509.Certificate
		for _, k := range known {
			if bytes.Equal(k.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(k) == nil && !k.Equal(c) {
				next = k
				break
			}
		}
		if next == nil {
			break
		}
		chain, c = append(chain, next), next
	}
	return chain
}

// dssStore is the validation data already in a file and what is added.
type dssStore struct {
	w       *incUpdate
	refs    map[[32]byte]uint32 // content → stream object
	certs   []uint32
	ocsps   []uint32
	crls    []uint32
	vri     map[string]string // key → serialised existing entry
	known   []*x509.Certificate
	ocspDER [][]byte
	crlDER  [][]byte
}

// readDSS reads the catalog's /DSS: its streams, and the VRI entries as
// they are written.
func readDSS(r *pdf.Reader) *dssStore {
	d := &dssStore{refs: map[[32]byte]uint32{}, vri: map[string]string{}}
	dss := r.Trailer().Key("Root").Key("DSS")
	if dss.Kind() != pdf.Dict {
		return d
	}
	read := func(key string, ids *[]uint32, each func([]byte)) {
		a := dss.Key(key)
		for i := 0; i < a.Len() && i < 100000; i++ {
			s := a.Index(i)
			id := s.GetPtr().GetID()
			if s.Kind() != pdf.Stream || id == 0 {
				continue
			}
			data, err := streamData(s)
			if err != nil {
				continue
			}
			*ids = append(*ids, id)
			d.refs[sha256.Sum256(data)] = id
			each(data)
		}
	}
	read("Certs", &d.certs, func(b []byte) {
		if c, err := x509.ParseCertificate(b); err == nil {
			d.known = append(d.known, c)
		}
	})
	read("OCSPs", &d.ocsps, func(b []byte) { d.ocspDER = append(d.ocspDER, b) })
	read("CRLs", &d.crls, func(b []byte) { d.crlDER = append(d.crlDER, b) })
	vri := dss.Key("VRI")
	for _, k := range vri.Keys() {
		var b bytes.Buffer
		if writeValue(&b, vri.Key(k), vri.GetPtr().GetID(), 0) == nil {
			d.vri[k] = b.String()
		}
	}
	return d
}

func streamData(s pdf.Value) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	rc := s.Reader()
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxCRLBytes))
}

// put stores data once, in a new stream if it is not there yet.
func (d *dssStore) put(data []byte, list *[]uint32) uint32 {
	sum := sha256.Sum256(data)
	if id, ok := d.refs[sum]; ok {
		return id
	}
	id := d.w.stream(" /Filter /FlateDecode", deflate(data))
	d.refs[sum] = id
	*list = append(*list, id)
	return id
}

// vriEntry is what one token's VRI dictionary lists.
type vriEntry struct{ certs, ocsps, crls []uint32 }

// AddValidationData adds to the PDF, in one incremental update, a DSS (or
// extends the one it has) holding the chain of every signature and every
// timestamp token in the file and, for each certificate that names an
// OCSP responder or a CRL, the answer (OCSP preferred), with a VRI entry
// per token. Together with B-T signatures this makes the file B-LT. An
// OCSP responder or CRL that does not answer is ErrValidationData.
func AddValidationData(ctx context.Context, in []byte, o ValidationDataOptions) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	r, err := openPDF(in)
	if err != nil {
		return nil, err
	}
	tr := r.Trailer()
	w := &incUpdate{in: in, next: uint32(tr.Key("Size").Int64())}
	if w.next == 0 || tr.Key("Root").Kind() != pdf.Dict {
		return nil, fmt.Errorf("%w: no trailer /Size or /Root", ErrBadPDF)
	}
	tokens := tokensOf(r)
	if len(tokens) == 0 {
		return nil, errors.New("signing: unable to add validation data: the document is not signed")
	}
	checker := o.Revocation
	if checker == nil {
		checker = &RevocationChecker{}
	}
	w.buf.Grow(len(in) + 32<<10)
	w.buf.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		w.buf.WriteByte('\n')
	}
	d := readDSS(r)
	d.w = w
	var known []*x509.Certificate
	for _, t := range tokens {
		known = append(known, t.certs...)
	}
	known = append(known, d.known...)
	now := checker.now()
	// one answer per certificate, whichever token it is in
	answers := map[string][]uint32{}
	answered := map[string]bool{}
	entries := map[string]*vriEntry{}
	for _, t := range tokens {
		e := &vriEntry{}
		chain := chainOf(t.leaf, known, o.Roots, now)
		for i, c := range chain {
			e.certs = append(e.certs, d.put(c.Raw, &d.certs))
			if i+1 >= len(chain) {
				break // the root: trusted as such, nobody answers for it
			}
			key := string(c.Raw)
			if !answered[key] {
				answered[key] = true
				res, ok, err := checker.FetchValidationData(ctx, c, chain[i+1])
				switch {
				case err != nil:
					return nil, fmt.Errorf("%w: %s: %v", ErrValidationData, c.Subject.CommonName, err)
				case !ok:
					// names no responder: nothing to embed
				case res.Source == SourceOCSP:
					answers[key] = []uint32{d.put(res.Raw, &d.ocsps)}
					if resp, err := ocsp.ParseResponse(res.Raw, nil); err == nil && resp.Certificate != nil {
						// the delegated responder's certificate
						answers[key] = append(answers[key], d.put(resp.Certificate.Raw, &d.certs))
					}
				default:
					answers[key] = []uint32{d.put(res.Raw, &d.crls)}
				}
			}
			for j, id := range answers[key] {
				switch {
				case j > 0:
					e.certs = append(e.certs, id)
				case contains(d.ocsps, id):
					e.ocsps = append(e.ocsps, id)
				default:
					e.crls = append(e.crls, id)
				}
			}
		}
		entries[t.vri] = e
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signing: unable to add validation data: %w", err)
	}
	if err := w.writeDSS(r, d, entries); err != nil {
		return nil, err
	}
	if err := w.finish(r); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

func contains(ids []uint32, id uint32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func refList(ids []uint32) string {
	var b strings.Builder
	b.WriteString("[")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d 0 R", id)
	}
	b.WriteString("]")
	return b.String()
}

// writeDSS writes the DSS dictionary and the catalog that points to it.
func (w *incUpdate) writeDSS(r *pdf.Reader, d *dssStore, entries map[string]*vriEntry) error {
	var b bytes.Buffer
	b.WriteString("<< /Type /DSS")
	for _, l := range []struct {
		key string
		ids []uint32
	}{{"Certs", d.certs}, {"OCSPs", d.ocsps}, {"CRLs", d.crls}} {
		if len(l.ids) > 0 {
			fmt.Fprintf(&b, " /%s %s", l.key, refList(l.ids))
		}
	}
	keys := make([]string, 0, len(entries)+len(d.vri))
	for k := range d.vri {
		keys = append(keys, k)
	}
	for k := range entries {
		if _, ok := d.vri[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b.WriteString(" /VRI <<")
	for _, k := range keys {
		b.WriteString(" " + pdfName(k) + " ")
		if e, ok := entries[k]; ok {
			b.WriteString("<<")
			if len(e.certs) > 0 {
				b.WriteString(" /Cert " + refList(e.certs))
			}
			if len(e.ocsps) > 0 {
				b.WriteString(" /OCSP " + refList(e.ocsps))
			}
			if len(e.crls) > 0 {
				b.WriteString(" /CRL " + refList(e.crls))
			}
			b.WriteString(" >>")
			continue
		}
		b.WriteString(d.vri[k])
	}
	b.WriteString(" >> >>")
	root := r.Trailer().Key("Root")
	rp := root.GetPtr()
	dssID := root.Key("DSS").GetPtr().GetID()
	if dssID == 0 || dssID == rp.GetID() {
		dssID = w.add(b.Bytes())
	} else {
		w.object(dssID, root.Key("DSS").GetPtr().GetGen(), b.Bytes())
	}
	var c bytes.Buffer
	c.WriteString("<<")
	for _, k := range root.Keys() {
		if k == "DSS" {
			continue
		}
		c.WriteString(" " + pdfName(k) + " ")
		if err := writeValue(&c, root.Key(k), rp.GetID(), 0); err != nil {
			return err
		}
	}
	fmt.Fprintf(&c, " /DSS %d 0 R", dssID)
	c.WriteString(" >>")
	w.object(rp.GetID(), rp.GetGen(), c.Bytes())
	return nil
}

// AddDocumentTimestamp adds a document timestamp (ETSI.RFC3161) from tsa
// in an incremental update: on a B-LT file, B-LTA. A TSA that fails or
// does not answer in time is ErrTSA.
func AddDocumentTimestamp(ctx context.Context, in []byte, tsa *TSA) (out []byte, err error) {
	if tsa == nil || tsa.URL == "" {
		return nil, errors.New("signing: unable to add a document timestamp: no TSA")
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	r, err := openPDF(in)
	if err != nil {
		return nil, err
	}
	if !r.Trailer().Key("Root").Key("Version").IsNull() {
		// as in Sign: keep the catalog's /Version the only one
		r.PDFVersion = "1.7"
	}
	ctx, cancel := context.WithTimeout(ctx, tsa.timeout())
	defer cancel()
	var buf bytes.Buffer
	buf.Grow(len(in) + 32<<10)
	// This deprecated entry point is the call pdfsign's Document API makes
	// for doc.Timestamp; moving to that API (as Sign did) is left to do.
	//lint:ignore SA1019 the same call the Document API makes underneath
	err = sign.SignWithData(bytes.NewReader(in), &buf, r, int64(len(in)), sign.SignData{
		Signature:       sign.SignDataSignature{CertType: sign.TimeStampSignature, DocMDPPerm: sign.AllowFillingExistingFormFieldsAndSignaturesPerms},
		DigestAlgorithm: crypto.SHA256,
		SubFilter:       sign.SubFilterETSICAdESDetached,
		TSA:             sign.TSA{URL: tsa.URL},
		Context:         ctx,
	})
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("signing: unable to add a document timestamp: %w", ctx.Err())
		}
		return nil, tsaError(err, tsa.timeout())
	}
	out = buf.Bytes()
	// the token must be over this file, from a timestamping authority
	r2, err := openPDF(out)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to add a document timestamp: the result does not parse: %v", err)
	}
	fields := signatureFields(r2)
	if len(fields) == 0 || fields[len(fields)-1].v.Key("SubFilter").Name() != "ETSI.RFC3161" {
		return nil, errors.New("signing: unable to add a document timestamp: pdfsign wrote no document timestamp")
	}
	last := fields[len(fields)-1]
	ts, err := timestamp.Parse([]byte(last.v.Key("Contents").RawString()))
	if err != nil {
		return nil, fmt.Errorf("%w: the document timestamp does not parse: %v", ErrTSA, err)
	}
	if t := tokenOf(ts.RawToken); t == nil || !hasTimeStampingEKU(t.leaf) {
		return nil, fmt.Errorf("%w: the document timestamp is not signed by a timestamping certificate", ErrTSA)
	}
	return out, nil
}

// LastDocumentTimestamp returns the time and the authority's certificate of
// the file's last document timestamp; ok is false when it has none.
func LastDocumentTimestamp(in []byte) (at time.Time, tsaCert *x509.Certificate, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
		}
	}()
	r, err := openPDF(in)
	if err != nil {
		return time.Time{}, nil, false
	}
	var end int64 = -1
	for _, f := range signatureFields(r) {
		if f.v.Key("SubFilter").Name() != "ETSI.RFC3161" {
			continue
		}
		br := f.v.Key("ByteRange")
		if br.Len() != 4 || br.Index(2).Int64()+br.Index(3).Int64() < end {
			continue
		}
		ts, err := timestamp.Parse([]byte(f.v.Key("Contents").RawString()))
		if err != nil {
			continue
		}
		t := tokenOf(ts.RawToken)
		if t == nil {
			continue
		}
		end = br.Index(2).Int64() + br.Index(3).Int64()
		at, tsaCert, ok = ts.Time, t.leaf, true
	}
	return at, tsaCert, ok
}
