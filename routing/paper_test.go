package routing_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/routing"
)

// A school's clerk uploads the scan of a paper letter that came by post:
// it arrives in the school's own inbox from the issuing body (recorded as
// an external unit), gets its incoming number when accepted, its text is
// queued for OCR, and the school's clerk signs the digitised copy with
// the copy mark; nobody else does.
func TestReceivePaper(t *testing.T) {
	f := newFixture(t, 1)
	clerk := f.who("vanthu.thpt1")
	scan, err := os.ReadFile("../testdata/scanned-letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	arrival := routing.PaperArrival{From: "Hội Khuyến học phường Bến Nghé", Due: "2026-12-14",
		Meta: documents.Meta{DocType: "CV", Number: "15", Symbol: "TM-HKH", DocDate: "2026-12-01", Title: "Thư mời dự lễ trao học bổng", Urgency: "khan"}}
	receive := func(who string, a routing.PaperArrival, data []byte) (routing.Delivery, error) {
		up, err := f.docs.SpoolScan(f.ctx, []io.Reader{bytes.NewReader(data)}, []string{"thu-moi.pdf"})
		if err != nil {
			return routing.Delivery{}, err
		}
		defer up.Close()
		return f.rt.ReceivePaper(f.ctx, f.who(who), a, up)
	}
	if _, err := receive("chuyenvien.sgd", arrival, scan); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff received a paper document: %v", err)
	}
	noFrom := arrival
	noFrom.From = "  "
	if _, err := receive("vanthu.thpt1", noFrom, scan); err == nil {
		t.Fatal("a paper document without its issuing body")
	} else {
		wantField(t, "no issuing body", err, "from")
	}
	del, err := receive("vanthu.thpt1", arrival, scan)
	if err != nil {
		t.Fatal(err)
	}
	if del.Status != routing.Arrived || del.RecipientUnitID != clerk.UnitID {
		t.Fatalf("delivery = %+v", del)
	}
	d, err := f.docs.Get(f.ctx, clerk, del.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := f.units.Get(f.ctx, d.UnitID)
	if err != nil || d.Origin != documents.OriginReceivedPaper || sender.Kind != "external" || sender.Name != arrival.From ||
		d.NumberSymbol == nil || *d.NumberSymbol != "15/TM-HKH" {
		t.Fatalf("document %+v from %+v, %v", d, sender, err)
	}
	var jobs int
	if err := f.db.Get(&jobs, `SELECT count(*) FROM jobs WHERE kind = $1 AND payload->>'document_id' = $2`, documents.JobExtractText, d.ID); err != nil || jobs != 1 {
		t.Fatalf("%d text jobs, %v; want the OCR queued", jobs, err)
	}
	// A second letter from the same body finds it.
	again := arrival
	again.Number = "16"
	del2, err := receive("vanthu.thpt1", again, scan)
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := f.docs.Get(f.ctx, clerk, del2.DocumentID); d2.UnitID != d.UnitID {
		t.Fatalf("the same body recorded twice: %d and %d", d2.UnitID, d.UnitID)
	}
	accepted, err := f.rt.Accept(f.ctx, clerk, del.ID)
	if err != nil || accepted.IncomingNumber == nil {
		t.Fatalf("accept = %+v, %v", accepted, err)
	}
	// The copy mark: the receiving unit's clerk, once.
	if _, err := f.docs.CertifyPaperCopy(f.ctx, f.who("vanthu.q1"), d.ID, documents.SealRequest{VersionSHA256: d.Versions[0].SHA256, Copy: true}); err == nil {
		t.Fatal("another unit's clerk certified the copy")
	}
	c, err := f.docs.CertifyPaperCopy(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: d.Versions[0].SHA256, Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.SealKind != "copy" || len(c.Versions) != 2 || c.Status != "issued" {
		t.Fatalf("certified copy = %+v", c)
	}
	var signedBy int64
	if err := f.db.Get(&signedBy, `SELECT unit_id FROM document_signatures WHERE document_id = $1 AND kind = 'copy'`, d.ID); err != nil || signedBy != clerk.UnitID {
		t.Fatalf("the copy mark is unit %d's, %v; want the receiving unit %d", signedBy, err, clerk.UnitID)
	}
	_, err = f.docs.CertifyPaperCopy(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: c.Versions[0].SHA256, Copy: true})
	wantPrecondition(t, "a second copy mark", err, "already_certified")
	if _, err := f.docs.CertifyPaperCopy(f.ctx, clerk, f.draft(clerk, "thuong").ID, documents.SealRequest{VersionSHA256: "x", Copy: true}); err == nil {
		t.Fatal("a copy mark on a draft of the unit's own")
	}
}

// A scan is a PDF, or JPEG and PNG images made into one; anything else is
// refused with a Vietnamese message.
func TestSpoolScan(t *testing.T) {
	f := newFixture(t, 1)
	if _, err := f.docs.SpoolScan(f.ctx, []io.Reader{strings.NewReader("Xin chào, đây không phải bản quét")}, []string{"thu.txt"}); !errors.Is(err, documents.ErrNotScan) {
		t.Fatalf("text file: %v", err)
	}
	var ve *domain.ValidationError
	if err := documents.ErrNotScan; !errors.As(error(err), &ve) || !strings.Contains(ve.Fields["file"], "PDF hoặc ảnh JPEG, PNG") {
		t.Fatalf("message %v", err)
	}
	img := image.NewGray(image.Rect(0, 0, 400, 300)) // a dark photo
	var a, b bytes.Buffer
	jpeg.Encode(&a, img, nil)
	jpeg.Encode(&b, img, nil)
	up, err := f.docs.SpoolScan(f.ctx, []io.Reader{&a, &b}, []string{"anh-1.jpg", "anh-2.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if up.FileName != "anh-1.pdf" || up.Pages != 2 {
		t.Fatalf("upload %s of %d pages; want anh-1.pdf, 2 pages", up.FileName, up.Pages)
	}
}
