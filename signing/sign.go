package signing

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/mattetti/filebuffer"
	"golang.org/x/text/unicode/norm"
)

// Kind is the kind of signature: approval (the default) or certification.
type Kind int

const (
	// Approval signs the document as it is; later signatures keep it valid.
	Approval Kind = iota
	// Certification is the document's first signature and states, in
	// Options.Permission, which later changes it allows.
	Certification
)

// DocMDP permissions of a certification signature (ISO 32000-1, 12.8.2.2).
const (
	NoChanges                      = 1
	AllowFormFillingAndSigning     = 2
	AllowFormFillingAndAnnotations = 3
)

// Appearance makes a signature visible: the PNG is drawn in Rect on Page.
// It is the only appearance Sign draws; render any text into the PNG.
type Appearance struct {
	Page int        // 1-based; 0 means the last page
	Rect [4]float64 // llx, lly, urx, ury in PDF points
	PNG  []byte
	// Image, when set, is drawn instead of PNG: an appearance this
	// package drew (IssuedSealImage), encoded as it is and not cached.
	Image *image.RGBA
}

// Options describe one signature.
type Options struct {
	Key  Key
	Kind Kind
	// Permission is the DocMDP permission of a certification signature:
	// NoChanges, AllowFormFillingAndSigning or AllowFormFillingAndAnnotations.
	// It must be zero for an approval signature.
	Permission int
	// Name defaults to the certificate's common name.
	Name, Reason, Location, Contact string
	// Appearance is nil for an invisible signature.
	Appearance *Appearance
	// TSA, if set, timestamps the signature: PAdES B-T instead of B-B.
	TSA *TSA
	// MaxBytes refuses larger input when positive.
	MaxBytes int64
}

const (
	maxAppearancePixels = 25_000_000
	maxFieldRunes       = 1000
)

// Sign adds one PAdES signature (ETSI.CAdES.detached, SHA-256) to the PDF
// in an incremental update and returns the signed file. Earlier signatures
// stay valid. On error it returns no bytes.
func Sign(ctx context.Context, in []byte, o Options) ([]byte, error) {
	return sign1(ctx, in, false, o)
}

// SignHeadroom is the capacity beyond the PDF that SignOwned needs to
// write the signed file into the caller's buffer: the signature, its
// timestamp and an appearance image of up to about 900 KB.
const SignHeadroom = 1 << 20

// SignOwned is Sign for a caller that hands its buffer over: buf holds the
// PDF, and when cap(buf) leaves room for the update (SignHeadroom is
// enough) the signed file is written on into buf's backing array, so that
// the file is in memory once, not twice. The result is the signed file
// and shares buf's memory; buf's first len(buf) bytes are not changed.
// With less room it works as Sign does.
func SignOwned(ctx context.Context, buf []byte, o Options) ([]byte, error) {
	return sign1(ctx, buf, true, o)
}

func sign1(ctx context.Context, in []byte, owned bool, o Options) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signing: unable to sign: %w", err)
	}
	if o.MaxBytes > 0 && int64(len(in)) > o.MaxBytes {
		return nil, fmt.Errorf("%w: the PDF has %d bytes, the limit is %d", ErrTooLarge, len(in), o.MaxBytes)
	}
	leaf, err := checkSigningKey(o.Key, time.Now())
	if err != nil {
		return nil, err
	}
	fields, err := signatureTexts(o, leaf)
	if err != nil {
		return nil, err
	}
	sigType, perm, err := signatureKind(o)
	if err != nil {
		return nil, err
	}
	var img *encodedImage
	if o.Appearance != nil {
		if img, err = checkedAppearance(o.Appearance); err != nil {
			return nil, err
		}
	}
	if o.TSA != nil && o.TSA.URL == "" {
		return nil, errors.New("signing: unable to sign: the TSA has no URL")
	}

	r, err := openDocument(in)
	if err != nil {
		return nil, err
	}
	st, err := inspectForSigning(r)
	if err != nil {
		return nil, err
	}
	if st.noChanges {
		return nil, errors.New("signing: unable to sign: the document is certified with no changes allowed (DocMDP P=1)")
	}
	if o.Kind == Certification && st.signatures > 0 {
		return nil, errors.New("signing: unable to certify: the document is already signed; a certification signature must be the first")
	}
	if st.catalogVersion {
		// pdfsign writes /Version /1.5 into the new catalog when the header
		// says 1.4 or less, and also copies the catalog's own /Version: a PDF
		// 1.4 signed twice gets the key twice. Telling it the version is
		// already 1.5 or more keeps the one the catalog has.
		r.PDFVersion = "1.7"
	}

	signCtx := ctx
	if o.TSA != nil {
		var cancel context.CancelFunc
		signCtx, cancel = context.WithTimeout(ctx, o.TSA.timeout())
		defer cancel()
	}
	signer := &ctxSigner{ctx: ctx, s: o.Key.Signer}
	// What pdfsign's Document.Write fills in for the same builder calls
	// (PAdES B-B or B-T, SHA-256, no revocation data in the CMS), given to
	// its low-level signer directly: the builder would parse the file again
	// and copy it twice more.
	sd := sign.SignData{
		Signature: sign.SignDataSignature{
			CertType: sigType,
			Info:     sign.SignDataSignatureInfo{Name: fields[0], Reason: fields[1], Location: fields[2], ContactInfo: fields[3]},
		},
		Signer:          signer,
		DigestAlgorithm: crypto.SHA256,
		Certificate:     leaf,
		Updates:         map[uint32][]byte{},
		CompressLevel:   zlib.DefaultCompression,
		RevocationFunction: sign.NewRevocationFunction(sign.RevocationOptions{
			StopOnSuccess: true,
			Context:       signCtx,
		}),
		SubFilter: sign.SubFilterETSICAdESDetached,
		Context:   signCtx,
	}
	if sigType == sign.CertificationSignature {
		sd.Signature.DocMDPPerm = perm
	}
	if len(o.Key.Chain) > 1 {
		sd.CertificateChains = [][]*x509.Certificate{append([]*x509.Certificate{leaf}, o.Key.Chain[1:]...)}
	}
	extra := 64 << 10
	if o.TSA != nil {
		sd.TSA.URL = o.TSA.URL
		extra += 32 << 10
	}
	if a := o.Appearance; a != nil {
		page := a.Page
		if page == 0 {
			page = st.pages
		}
		if page < 1 || page > st.pages {
			return nil, fmt.Errorf("signing: unable to place the signature: page %d of a %d-page document", a.Page, st.pages)
		}
		w, h := a.Rect[2]-a.Rect[0], a.Rect[3]-a.Rect[1]
		sd.Appearance = sign.Appearance{
			Visible:     true,
			Page:        uint32(page),
			LowerLeftX:  a.Rect[0],
			LowerLeftY:  a.Rect[1],
			UpperRightX: a.Rect[0] + w,
			UpperRightY: a.Rect[1] + h,
		}
		ia := &imageAppearance{img: img}
		sd.PreSignCallback, sd.Appearance.Renderer = ia.preSign, ia.render
		extra += len(img.rgb) + len(img.alpha)
	}

	var out outputCapture
	src := &presizedInput{Reader: bytes.NewReader(in), extra: extra}
	if owned && cap(in)-len(in) >= extra {
		src.owned = in
	}
	if err := writeSigned(src, &out, r, int64(len(in)), sd); err != nil {
		switch signed, signErr := signer.state(); {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("signing: unable to sign: %w", ctx.Err())
		case signErr != nil:
			return nil, fmt.Errorf("signing: unable to sign: %w", err)
		case signed && o.TSA != nil:
			return nil, tsaError(err, o.TSA.timeout())
		case !signed:
			return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
		default:
			return nil, fmt.Errorf("signing: unable to sign: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signing: unable to sign: %w", err)
	}
	signed := out.b
	if err := checkSignedOutput(signed, fields); err != nil {
		return nil, err
	}
	return signed, nil
}

// checkSigningKey returns the leaf certificate if the key matches it and
// it is valid now.
func checkSigningKey(k Key, now time.Time) (*x509.Certificate, error) {
	leaf := k.Certificate()
	if leaf == nil || k.Signer == nil {
		return nil, errors.New("signing: unable to sign: no key or no certificate")
	}
	pub, ok := k.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("%w (certificate %q)", ErrKeyMismatch, leaf.Subject.CommonName)
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("%w: certificate %q is valid from %s to %s", ErrCertificateExpired,
			leaf.Subject.CommonName, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return leaf, nil
}

func signatureKind(o Options) (sign.CertType, sign.DocMDPPerm, error) {
	switch o.Kind {
	case Approval:
		if o.Permission != 0 {
			return 0, 0, errors.New("signing: unable to sign: a DocMDP permission applies only to a certification signature")
		}
		// Not written for an approval signature, but never left to a
		// default: a zero value once meant certification with P=1.
		return sign.ApprovalSignature, sign.AllowFillingExistingFormFieldsAndSignaturesPerms, nil
	case Certification:
		if o.Permission < NoChanges || o.Permission > AllowFormFillingAndAnnotations {
			return 0, 0, fmt.Errorf("signing: unable to certify: DocMDP permission %d is not 1, 2 or 3", o.Permission)
		}
		if o.Appearance != nil {
			return 0, 0, errors.New("signing: unable to certify: a certification signature is invisible (pdfsign draws only approval signatures)")
		}
		return sign.CertificationSignature, sign.DocMDPPerm(o.Permission), nil
	}
	return 0, 0, fmt.Errorf("signing: unable to sign: unknown signature kind %d", o.Kind)
}

func checkAppearance(a *Appearance) error {
	_, err := checkedAppearance(a)
	return err
}

// checkedAppearance checks a's placement and returns its image, validated
// and encoded once per distinct PNG.
func checkedAppearance(a *Appearance) (*encodedImage, error) {
	if a.Page < 0 {
		return nil, fmt.Errorf("signing: unable to place the signature: page %d", a.Page)
	}
	r := a.Rect
	if !(r[0] >= 0 && r[1] >= 0 && r[2] > r[0] && r[3] > r[1] && r[2] < 14400 && r[3] < 14400) {
		return nil, fmt.Errorf("signing: unable to place the signature: rectangle %v is not llx, lly, urx, ury in points", r)
	}
	if a.Image != nil {
		b := a.Image.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 || b.Dx()*b.Dy() > maxAppearancePixels {
			return nil, fmt.Errorf("%w: %dx%d pixels", ErrBadImage, b.Dx(), b.Dy())
		}
		return encodeImageLevel(a.Image, zlib.BestSpeed)
	}
	return appearanceImage(a.PNG)
}

// signatureTexts returns Name, Reason, Location and Contact as they are
// written. Name is never empty, so pdfsign never falls back to the raw CN.
func signatureTexts(o Options, leaf *x509.Certificate) ([4]string, error) {
	var out [4]string
	name := o.Name
	if strings.TrimSpace(name) == "" {
		name = leaf.Subject.CommonName
	}
	if strings.TrimSpace(name) == "" {
		return out, errors.New("signing: unable to sign: no signer name and the certificate has no common name")
	}
	labels := [4]string{"Name", "Reason", "Location", "Contact"}
	for i, s := range [4]string{name, o.Reason, o.Location, o.Contact} {
		v, err := pdfSafeText(s)
		if err != nil {
			return out, fmt.Errorf("signing: unable to write %s: %w", labels[i], err)
		}
		out[i] = v
	}
	return out, nil
}

// pdfSafeText prepares s for pdfsign, which writes non-ASCII text as a
// literal string of raw UTF-16BE bytes without escaping them. A byte that
// is '(' or ')' (unbalanced), '\\' or CR then corrupts the dictionary: ĩ is
// U+0129, bytes 01 29. Such letters are decomposed (ĩ = i + U+0303, which
// renders the same), ASCII parentheses and backslashes that would break the
// string become their fullwidth forms, and anything else that cannot be
// written safely is refused.
func pdfSafeText(s string) (string, error) {
	s = norm.NFC.String(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
	if len([]rune(s)) > maxFieldRunes {
		return "", fmt.Errorf("longer than %d characters", maxFieldRunes)
	}
	if isASCIIText(s) {
		return s, nil // pdfsign escapes ASCII text itself
	}
	var b strings.Builder
	for _, r := range s {
		if utf16Unsafe(r) && r > 0x7f {
			d := norm.NFD.String(string(r))
			for _, dr := range d {
				if utf16Unsafe(dr) {
					return "", fmt.Errorf("the character %q cannot be written into a PDF signature dictionary", r)
				}
			}
			b.WriteString(d)
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	if !parensBalanced(s) || strings.ContainsRune(s, '\\') {
		s = strings.NewReplacer("(", "\uff08", ")", "\uff09", "\\", "\uff3c").Replace(s)
	}
	return s, nil
}

func isASCIIText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return false
		}
	}
	return true
}

// utf16Unsafe reports whether r's UTF-16BE encoding holds a byte that a
// literal string cannot carry unescaped.
func utf16Unsafe(r rune) bool {
	for _, u := range utf16.Encode([]rune{r}) {
		for _, c := range [2]byte{byte(u >> 8), byte(u)} {
			switch c {
			case '(', ')', '\\', '\r':
				return true
			}
		}
	}
	return false
}

// parensBalanced reports whether the parenthesis bytes of s's UTF-16
// encoding nest, which a literal string allows unescaped.
func parensBalanced(s string) bool {
	depth := 0
	for _, u := range utf16.Encode([]rune(s)) {
		for _, c := range [2]byte{byte(u >> 8), byte(u)} {
			switch c {
			case '(':
				depth++
			case ')':
				depth--
				if depth < 0 {
					return false
				}
			}
		}
	}
	return depth == 0
}

type signingState struct {
	pages          int
	signatures     int
	noChanges      bool
	catalogVersion bool
}

func inspectForSigning(r *pdf.Reader) (st signingState, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	root := r.Trailer().Key("Root")
	if root.Kind() != pdf.Dict {
		return st, fmt.Errorf("%w: no document catalog", ErrBadPDF)
	}
	st.pages = int(root.Key("Pages").Key("Count").Int64())
	if st.pages < 1 {
		return st, fmt.Errorf("%w: the document has no pages", ErrBadPDF)
	}
	st.catalogVersion = !root.Key("Version").IsNull()
	for _, f := range signatureFields(r) {
		st.signatures++
		if p, ok := docMDP(f.v); ok && p == NoChanges {
			st.noChanges = true
		}
	}
	if p, ok := docMDP(root.Key("Perms").Key("DocMDP")); ok && p == NoChanges {
		st.noChanges = true
	}
	return st, nil
}

func writeSigned(in io.ReadSeeker, out io.Writer, r *pdf.Reader, size int64, sd sign.SignData) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdfsign panicked: %v", p)
		}
	}()
	//lint:ignore SA1019 the engine under pdfsign's builder (which parses and copies more), called as the builder calls it
	return sign.SignWithData(in, out, r, size, sd)
}

// presizedInput is the file to sign. pdfsign copies it into an empty
// buffer and appends the new objects: growing that buffer to the file plus
// extra first saves it doubling (and copying) as it fills. A buffer handed
// over (owned, with extra bytes of capacity to spare) becomes pdfsign's
// buffer instead of being copied: pdfsign appends after the file and,
// where it rewrites the file's own bytes, writes them back unchanged.
type presizedInput struct {
	*bytes.Reader
	extra int
	owned []byte
}

func (p *presizedInput) WriteTo(w io.Writer) (int64, error) {
	fb, ok := w.(*filebuffer.Buffer)
	if !ok {
		return p.Reader.WriteTo(w)
	}
	if p.owned != nil && fb.Buff.Len() == 0 && fb.Index == 0 {
		fb.Buff = bytes.NewBuffer(p.owned[: len(p.owned) : len(p.owned)+p.extra])
		fb.Index = int64(len(p.owned))
		return p.Reader.Seek(0, io.SeekEnd)
	}
	fb.Buff.Grow(p.Len() + p.extra)
	return p.Reader.WriteTo(w)
}

// outputCapture keeps the signed file pdfsign writes in one call from its
// own buffer, which nothing uses after SignWithData returns, instead of
// copying it.
type outputCapture struct{ b []byte }

func (c *outputCapture) Write(p []byte) (int, error) {
	if c.b == nil {
		c.b = p
	} else {
		c.b = append(c.b, p...)
	}
	return len(p), nil
}

// checkSignedOutput reopens what pdfsign wrote: the newest signature must
// end at the end of the file and its texts must read back as written.
func checkSignedOutput(out []byte, want [4]string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("signing: unable to sign: the signed file does not parse: %v", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return fmt.Errorf("signing: unable to sign: the signed file does not parse: %v", err)
	}
	var newest pdf.Value
	var end int64 = -1
	for _, f := range signatureFields(r) {
		br := f.v.Key("ByteRange")
		if br.Len() == 4 {
			if e := br.Index(2).Int64() + br.Index(3).Int64(); e > end {
				end, newest = e, f.v
			}
		}
	}
	if end != int64(len(out)) {
		return errors.New("signing: unable to sign: the new signature does not cover the whole file")
	}
	for i, k := range [4]string{"Name", "Reason", "Location", "ContactInfo"} {
		if got := newest.Key(k).Text(); norm.NFC.String(got) != norm.NFC.String(want[i]) {
			return fmt.Errorf("signing: unable to sign: /%s reads back as %q, not %q", k, got, want[i])
		}
	}
	return nil
}

// ctxSigner refuses to sign once ctx is done and records whether the key
// has signed, so that an error after it is known to come from the TSA.
type ctxSigner struct {
	ctx    context.Context
	s      crypto.Signer
	mu     sync.Mutex
	signed bool
	err    error
}

func (c *ctxSigner) Public() crypto.PublicKey { return c.s.Public() }

func (c *ctxSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	sig, err := c.s.Sign(rand, digest, opts)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.err = err
	} else {
		c.signed = true
	}
	return sig, err
}

func (c *ctxSigner) state() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signed, c.err
}
