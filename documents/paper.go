package documents

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// OriginReceivedPaper is a paper document that arrived by post, scanned
// by the receiving unit's clerk (Decree 30/2020 art. 22.3.b); its copy
// mark is the receiving organisation's (art. 25.1.c).
const OriginReceivedPaper = "received_paper"

// ErrNotScan: an upload that is neither a PDF nor a JPEG or PNG image.
var ErrNotScan = &domain.ValidationError{Fields: map[string]string{"file": "tệp quét phải là PDF hoặc ảnh JPEG, PNG"}}

// Scan gathers the parts of the scan of a paper document as they arrive
// (Add), then spools them (Finish): one PDF as it is, or JPEG and PNG
// images made into a PDF of one A4 page each, in order.
type Scan struct {
	s     *Service
	up    *Upload
	imgs  []io.Reader
	total int64
	name  string
}

// NewScan starts a scan's upload.
func (s *Service) NewScan() *Scan { return &Scan{s: s} }

// Add takes the next file of the scan: a PDF is spooled at once (alone),
// an image kept in memory, within the upload limit.
func (sc *Scan) Add(ctx context.Context, r io.Reader, name string) error {
	if sc.up != nil {
		return &domain.ValidationError{Fields: map[string]string{"file": "chỉ một tệp PDF, hoặc nhiều ảnh (mỗi ảnh một trang)"}}
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(8)
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		if len(sc.imgs) > 0 {
			return &domain.ValidationError{Fields: map[string]string{"file": "chỉ một tệp PDF, hoặc nhiều ảnh (mỗi ảnh một trang)"}}
		}
		up, err := sc.s.Spool(ctx, br, name)
		sc.up = up
		return err
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}), bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		b, err := io.ReadAll(io.LimitReader(br, sc.s.maxBytes-sc.total+1))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrIncomplete, err)
		}
		if sc.total += int64(len(b)); sc.total > sc.s.maxBytes {
			return fmt.Errorf("%w: at most %d bytes", ErrTooLarge, sc.s.maxBytes)
		}
		if sc.name == "" {
			sc.name = name
		}
		sc.imgs = append(sc.imgs, bytes.NewReader(b))
		return nil
	}
	return ErrNotScan
}

// Finish returns the spooled PDF of the scan; the caller closes it.
func (sc *Scan) Finish(ctx context.Context) (*Upload, error) {
	if sc.up != nil {
		return sc.up, nil
	}
	if len(sc.imgs) == 0 {
		return nil, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp quét của văn bản (PDF hoặc ảnh JPEG, PNG)"}}
	}
	pdf, err := ImagesToPDF(sc.imgs)
	if err != nil {
		return nil, &domain.ValidationError{Fields: map[string]string{"file": "không đọc được ảnh quét: " + err.Error()}}
	}
	sc.imgs = nil
	return sc.s.Spool(ctx, bytes.NewReader(pdf), strings.TrimSuffix(sc.name, filepath.Ext(sc.name))+".pdf")
}

// Close removes what was spooled, when Finish was not reached.
func (sc *Scan) Close() { sc.up.Close() }

// SpoolScan spools the scan of a paper document from files (see Scan).
func (s *Service) SpoolScan(ctx context.Context, files []io.Reader, names []string) (*Upload, error) {
	sc := s.NewScan()
	for i, f := range files {
		if err := sc.Add(ctx, f, names[i]); err != nil {
			sc.Close()
			return nil, err
		}
	}
	return sc.Finish(ctx)
}

// ImagesToPDF makes a PDF of one A4 page per image, the image as large as
// fits.
func ImagesToPDF(imgs []io.Reader) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("documents: unable to read the image: %v", r)
		}
	}()
	// Centred on A4 and as large as fits: the default (the page as large
	// as the image in points) makes a 200-dpi scan a page of 58 cm.
	imp := pdfcpu.DefaultImportConfig()
	imp.Pos, imp.Scale = types.Center, 1
	var b bytes.Buffer
	if err := api.ImportImages(nil, &b, imgs, imp, nil); err != nil {
		return nil, fmt.Errorf("documents: unable to make a PDF of the images: %v", err)
	}
	return b.Bytes(), nil
}

// CheckReceivedPaperMeta checks the metadata of a received paper
// document as ReceivePaperTx will, before its scan is stored.
func CheckReceivedPaperMeta(m Meta) error {
	_, err := m.validateReceivedPaper(time.Now())
	return err
}

// validateReceivedPaper: a received paper document carries its number and
// symbol as printed (the copy mark names them).
func (m Meta) validateReceivedPaper(now time.Time) (parsedMeta, error) {
	pm, err := m.validate(now)
	if err != nil {
		return pm, err
	}
	if pm.number == nil {
		return pm, &domain.ValidationError{Fields: map[string]string{"number": "cần số và ký hiệu như in trên văn bản giấy"}}
	}
	return pm, nil
}

// ReceivePaperTx records, inside tx, a paper document from owner (its
// issuing body, usually an external unit) scanned by p's clerk: its
// metadata as printed and the scan as version 1, status issued, origin
// OriginReceivedPaper. The caller delivers it to p's unit.
func (s *Service) ReceivePaperTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, owner int64, m Meta, up *Upload) (int64, error) {
	if !p.Has(auth.RoleClerk) {
		return 0, domain.ErrForbidden
	}
	pm, err := m.validateReceivedPaper(time.Now())
	if err != nil {
		return 0, err
	}
	if up == nil || up.f == nil {
		return 0, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp quét của văn bản (PDF hoặc ảnh JPEG, PNG)"}}
	}
	if err := up.signable(); err != nil {
		return 0, err
	}
	pm.status, pm.origin = "issued", OriginReceivedPaper
	return s.insertTx(ctx, tx, owner, p.UserID, pm, up)
}

// CertifyPaperCopy applies the organisation's signature with the copy mark
// (sao y, Decree 30/2020 art. 25.1.c) of p's unit to the scan of a paper
// document p's unit received: the digitised copy then carries the
// receiving organisation's signature. Only that unit's clerk does it, once.
func (s *Service) CertifyPaperCopy(ctx context.Context, p auth.Principal, id int64, req SealRequest) (Document, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return Document{}, err
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if err := s.certifyRule(ctx, p, d); err != nil {
		return d, err
	}
	// The copy is the receiving unit's: its clerk signs as if d were its own.
	mine := d
	mine.UnitID = p.UnitID
	in, err := s.readLatestOf(ctx, d, req.VersionSHA256, deps.MaxBytes)
	if err != nil {
		return d, err
	}
	if err := s.stepUp(ctx, p, req.OTP); err != nil {
		return d, err
	}
	out, sig, key, release, err := s.sealBytes(ctx, deps, mine, in, *d.Number, *d.Symbol, true)
	if err != nil {
		return d, err
	}
	defer release()
	if _, err := s.addSignedVersion(ctx, p, d, out, sig, key, "issued", nil, nil); err != nil {
		return d, err
	}
	return s.Get(ctx, p, id)
}

// certifyRule: the clerk of a unit that received d on paper, once.
func (s *Service) certifyRule(ctx context.Context, p auth.Principal, d Document) error {
	if d.Origin != OriginReceivedPaper || !p.Has(auth.RoleClerk) {
		return &domain.PreconditionError{Code: "not_received_paper", Message: "Chỉ văn thư của đơn vị tiếp nhận văn bản giấy mới ký số bản sao (sao y) được"}
	}
	var received bool
	if err := s.db.GetContext(ctx, &received, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE document_id = $1 AND recipient_unit_id = $2)`, d.ID, p.UnitID); err != nil {
		return fmt.Errorf("documents: unable to check the delivery: %w", err)
	}
	if !received {
		return domain.ErrForbidden
	}
	switch {
	case d.Status == "recalled":
		return ErrRecalled
	case d.SealKind == "copy":
		return &domain.PreconditionError{Code: "already_certified", Message: "Bản số hóa đã có chữ ký số sao y của cơ quan"}
	case d.Number == nil || d.Symbol == nil:
		return &domain.PreconditionError{Code: "no_number", Message: "Văn bản cần số và ký hiệu để ghi vào dấu sao y"}
	}
	return nil
}

// readLatestOf reads the bytes of d's latest version, which the caller
// saw as sawSHA, as readLatest does without its rule of who signs.
func (s *Service) readLatestOf(ctx context.Context, d Document, sawSHA string, max int64) ([]byte, error) {
	latest := d.Versions[0]
	if strings.TrimSpace(sawSHA) == "" {
		return nil, &domain.ValidationError{Fields: map[string]string{"version_sha256": "cần SHA-256 của phiên bản bạn đã xem (để không ký nhầm phiên bản khác)"}}
	}
	if !strings.EqualFold(strings.TrimSpace(sawSHA), latest.SHA256) {
		return nil, &ConflictError{Current: latest.SHA256}
	}
	if latest.Size > max {
		return nil, fmt.Errorf("%w: %d bytes, signing takes at most %d", ErrTooLarge, latest.Size, max)
	}
	rc, err := s.Open(ctx, latest, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	in, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read version %d: %w", latest.No, err)
	}
	if sum := sha256.Sum256(in); hex.EncodeToString(sum[:]) != latest.SHA256 {
		return nil, fmt.Errorf("documents: stored bytes of document %d version %d do not match their SHA-256", d.ID, latest.No)
	}
	if encryptedPDF(in) {
		return nil, &domain.PreconditionError{Code: "restricted_pdf", Message: restrictedMessage}
	}
	return in, s.checkBytes(ctx, in)
}
