package documents_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/fonts"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// blockPDF is a one-page draft whose signer block prints lines (the
// capacity, the title) above the signature and name below it, in a font
// with Vietnamese glyphs, as Appendix I ô 7 lays it out.
func blockPDF(t testing.TB, name string, lines ...string) []byte {
	t.Helper()
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: 595, Ht: 842}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddPage()
	pdf.SetFont("serif", "B", 13)
	pdf.Text(100, 80, "SỞ GIÁO DỤC VÀ ĐÀO TẠO")
	pdf.Text(330, 80, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	pdf.SetFont("serif", "", 13)
	pdf.Text(80, 120, "Số:        /KH-SGDĐT")
	pdf.Text(260, 120, "Thành phố Hồ Chí Minh, ngày      tháng      năm")
	for y := 200.0; y < 520; y += 18 {
		pdf.Text(80, y, "Nội dung kế hoạch, dòng chữ trên trang.")
	}
	pdf.SetFont("serif", "B", 13)
	y := 620.0 - 18*float64(len(lines)-1)
	for _, l := range lines {
		pdf.Text(390, y, l)
		y += 18
	}
	pdf.Text(395, 720, name)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (e *demoEnv) upload(clerk auth.Principal, docType string, pdf []byte) documents.Document {
	e.t.Helper()
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: docType, Title: "Kế hoạch thử thẩm quyền ký", DocDate: "2026-11-20"}, e.spool(pdf))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func wantAuthorityRefused(t *testing.T, what string, err error, says string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != "no_signing_authority" || !strings.Contains(pe.Message, says) {
		t.Fatalf("%s: err = %v (%+v), want no_signing_authority saying %q", what, err, pe, says)
	}
}

// A deputy signs the "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" block in that capacity,
// recorded with the signature; without the capacity held for that type on
// that day (never given, expired, not yet in force, revoked, another
// type), the signature is refused, naming what is missing.
func TestSigningCapacity(t *testing.T) {
	e := newDemoEnv(t)
	clerk, director, deputy := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("phogiamdoc.sgd")
	kt := e.upload(clerk, "KH", blockPDF(t, deputy.FullName, "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"))
	sha := kt.Versions[0].SHA256

	// Refusals first, on the same version: the deputy's KT. authority,
	// changed in place, is not in force.
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM signing_authorities WHERE user_id = $1 AND capacity = 'KT'`, deputy.UserID); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(domain.VietnamTime)
	for _, c := range []struct {
		name, set string
		args      []any
		says      string
	}{
		{"expired", `valid_from = $2, valid_to = $3`, []any{today.AddDate(0, -2, 0).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)}, "đã hết hạn ngày " + today.AddDate(0, 0, -1).Format("02/01/2006")},
		{"not yet", `valid_from = $2, valid_to = $3`, []any{today.AddDate(0, 0, 1).Format(time.DateOnly), nil}, "chỉ có hiệu lực từ ngày"},
		{"another type", `valid_from = $2, doc_types = $3`, []any{today.Format(time.DateOnly), "{QĐ,TB}"}, "không gồm loại văn bản «Kế hoạch»"},
	} {
		e.db.MustExec(`UPDATE signing_authorities SET `+c.set+` WHERE id = $1`, append([]any{id}, c.args...)...)
		_, err := e.docs.SignAsPerson(e.ctx, deputy, kt.ID, documents.SignRequest{VersionSHA256: sha})
		wantAuthorityRefused(t, c.name, err, c.says)
	}
	e.db.MustExec(`UPDATE signing_authorities SET doc_types = '{}', valid_from = $2, valid_to = NULL, revoked_at = now(), revoked_by = $3 WHERE id = $1`,
		id, today.Format(time.DateOnly), director.UserID)
	_, err := e.docs.SignAsPerson(e.ctx, deputy, kt.ID, documents.SignRequest{VersionSHA256: sha})
	wantAuthorityRefused(t, "revoked", err, "đã bị thu hồi")
	// Never given: the director does not sign another's KT. block (the
	// name check refuses first), and a TL. authority is not a KT. one.
	e.db.MustExec(`UPDATE signing_authorities SET capacity = 'TL', basis = 'Quy chế làm việc' , revoked_at = NULL, revoked_by = NULL WHERE id = $1`, id)
	_, err = e.docs.SignAsPerson(e.ctx, deputy, kt.ID, documents.SignRequest{VersionSHA256: sha})
	wantAuthorityRefused(t, "held as TL.", err, "«KT. GIÁM ĐỐC», nhưng bạn chưa được giao thẩm quyền này")
	if d, _ := e.docs.Get(e.ctx, clerk, kt.ID); len(d.Versions) != 1 || d.PersonSigned {
		t.Fatalf("a refused signature changed the document: %+v", d.Versions)
	}

	// Held: the deputy signs, and the capacity is recorded and shown.
	e.db.MustExec(`UPDATE signing_authorities SET capacity = 'KT' WHERE id = $1`, id)
	signed, err := e.docs.SignAsPerson(e.ctx, deputy, kt.ID, documents.SignRequest{VersionSHA256: sha})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := e.docs.Signatures(e.ctx, clerk, signed.ID)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("signatures %v %v", sigs, err)
	}
	g := sigs[0]
	if g.Capacity != "KT" || g.CapacityLine != "KT. GIÁM ĐỐC" || g.Position != "PHÓ GIÁM ĐỐC" || g.AuthorityID == nil || *g.AuthorityID != id ||
		g.SignedAs != "KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC Nguyễn Văn Hiếu" {
		t.Fatalf("signature = %+v", g)
	}
	v, err := e.docs.Verification(e.ctx, clerk, signed.ID, signed.Versions[0].No)
	if err != nil || !v.Report.Valid || len(v.Signers) != 1 || v.Signers[0].SignedAs != g.SignedAs {
		t.Fatalf("verification: %+v %v", v.Signers, err)
	}
	if got := e.actions(signed.ID); got[len(got)-1] != "document.sign" {
		t.Fatalf("audit %v", got)
	}

	// A deputy's block without KT. is the head's title: refused.
	plain := e.upload(clerk, "KH", blockPDF(t, deputy.FullName, "PHÓ GIÁM ĐỐC"))
	_, err = e.docs.SignAsPerson(e.ctx, deputy, plain.ID, documents.SignRequest{VersionSHA256: plain.Versions[0].SHA256})
	wantAuthorityRefused(t, "a deputy in the head's place", err, "chức vụ «PHÓ GIÁM ĐỐC»")

	// The head signs in their own title; the marks and case of the block
	// do not matter.
	head := e.upload(clerk, "KH", blockPDF(t, director.FullName, "Giám Đốc"))
	hs, err := e.docs.SignAsPerson(e.ctx, director, head.ID, documents.SignRequest{VersionSHA256: head.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if sigs, _ := e.docs.Signatures(e.ctx, clerk, hs.ID); sigs[0].Capacity != "" || sigs[0].CapacityLine != "GIÁM ĐỐC" || sigs[0].SignedAs != "Giám Đốc Lê Hoài Nam" {
		t.Fatalf("head's signature = %+v", sigs[0])
	}

	// A block that cannot be read: any capacity held for the type will do,
	// and none is refused.
	blank := e.upload(clerk, "QĐ", testenv.PDF(3000, 7))
	if _, err := e.docs.SignAsPerson(e.ctx, deputy, blank.ID, documents.SignRequest{VersionSHA256: blank.Versions[0].SHA256}); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`UPDATE signing_authorities SET revoked_at = now(), revoked_by = $2 WHERE user_id = $1`, deputy.UserID, director.UserID)
	blank2 := e.upload(clerk, "QĐ", testenv.PDF(3000, 8))
	_, err = e.docs.SignAsPerson(e.ctx, deputy, blank2.ID, documents.SignRequest{VersionSHA256: blank2.Versions[0].SHA256})
	wantAuthorityRefused(t, "no authority at all", err, "chưa được giao thẩm quyền ký văn bản loại «Quyết định»")
}

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 {
		t.Fatalf("err = %v, want one invalid field", err)
	}
	for k := range ve.Fields {
		return k
	}
	return ""
}

// The unit's head grants and revokes; bad input names its field.
func TestGrantAndRevokeAuthority(t *testing.T) {
	e := newDemoEnv(t)
	admin, director, deputy, staff, other := e.who("admin"), e.who("giamdoc.sgd"), e.who("phogiamdoc.sgd"), e.who("chuyenvien.sgd"), e.who("truongphong.q1")
	today := time.Now().In(domain.VietnamTime).Format(time.DateOnly)
	ok := documents.AuthorityGrant{UserID: deputy.UserID, Capacity: "TUQ", OnBehalfOf: "giám đốc", DocTypes: []string{"TB", "GM"},
		ValidFrom: today, ValidTo: time.Now().AddDate(0, 1, 0).Format(time.DateOnly), Basis: "Giấy ủy quyền số 03/GUQ-SGDĐT ngày 01/12/2026"}
	for name, c := range map[string]struct {
		change func(g *documents.AuthorityGrant)
		field  string
	}{
		"unknown user":         {func(g *documents.AuthorityGrant) { g.UserID = 999999 }, "user_id"},
		"user of another unit": {func(g *documents.AuthorityGrant) { g.UserID = other.UserID }, "user_id"},
		"not a signer":         {func(g *documents.AuthorityGrant) { g.UserID = staff.UserID }, "user_id"},
		"end before start":     {func(g *documents.AuthorityGrant) { g.ValidTo = "2020-01-01" }, "valid_to"},
		"TUQ. without basis":   {func(g *documents.AuthorityGrant) { g.Basis = " " }, "basis"},
		"TUQ. without end":     {func(g *documents.AuthorityGrant) { g.ValidTo = "" }, "valid_to"},
		"unknown type":         {func(g *documents.AuthorityGrant) { g.DocTypes = []string{"TB", "XYZ"} }, "doc_types"},
		"unknown capacity":     {func(g *documents.AuthorityGrant) { g.Capacity = "PT" }, "capacity"},
		"nothing signed for":   {func(g *documents.AuthorityGrant) { g.OnBehalfOf = "" }, "on_behalf_of"},
		"KT. without basis":    {func(g *documents.AuthorityGrant) { g.Capacity, g.Basis = "KT", "" }, "basis"},
		"head by the head":     {func(g *documents.AuthorityGrant) { g.Capacity = "" }, "capacity"},
	} {
		g := ok
		c.change(&g)
		_, err := e.docs.GrantAuthority(e.ctx, director, g)
		if f := fieldOf(t, err); f != c.field {
			t.Errorf("%s: field %s, want %s", name, f, c.field)
		}
	}
	if _, err := e.docs.GrantAuthority(e.ctx, staff, ok); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff grants: %v", err)
	}
	if _, err := e.docs.GrantAuthority(e.ctx, deputy, ok); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a deputy grants: %v", err)
	}
	a, err := e.docs.GrantAuthority(e.ctx, director, ok)
	if err != nil {
		t.Fatal(err)
	}
	if a.Line != "TUQ. GIÁM ĐỐC" || a.GrantedByName != director.FullName || a.ValidFrom != today || len(a.DocTypes) != 2 {
		t.Fatalf("granted %+v", a)
	}
	held, err := e.docs.HeldAuthorities(e.ctx, deputy.UserID, "TB", time.Now())
	if err != nil || len(held) != 2 {
		t.Fatalf("held for TB: %+v %v", held, err)
	}
	if held, _ := e.docs.HeldAuthorities(e.ctx, deputy.UserID, "KH", time.Now()); len(held) != 1 || held[0].Capacity != "KT" {
		t.Fatalf("held for KH: %+v", held)
	}
	// Another unit's head sees nothing of it; the administrator records a head.
	if _, err := e.docs.RevokeAuthority(e.ctx, other, a.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit revokes: %v", err)
	}
	if _, err := e.docs.GrantAuthority(e.ctx, admin, documents.AuthorityGrant{UserID: deputy.UserID, Capacity: "Q", OnBehalfOf: "GIÁM ĐỐC"}); err != nil {
		t.Fatalf("the administrator records an acting head: %v", err)
	}
	r, err := e.docs.RevokeAuthority(e.ctx, director, a.ID)
	if err != nil || r.RevokedAt == nil || r.RevokedBy == nil || *r.RevokedBy != director.UserID {
		t.Fatalf("revoked %+v %v", r, err)
	}
	var pe *domain.PreconditionError
	if _, err := e.docs.RevokeAuthority(e.ctx, director, a.ID); !errors.As(err, &pe) {
		t.Fatalf("revoked twice: %v", err)
	}
	list, err := e.docs.Authorities(e.ctx, director)
	if err != nil || len(list) != 4 { // the director's, the deputy's KT., the TUQ. revoked, the Q.
		t.Fatalf("list %d %v", len(list), err)
	}
}

// A batch signs each document as SignAsPerson does; the one that changed
// since the list was shown is refused with a conflict, alone.
func TestSignBatch(t *testing.T) {
	e := newDemoEnv(t)
	clerk, director := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	var items []documents.BatchItem
	for i := range 3 {
		d := e.upload(clerk, "KH", blockPDF(t, director.FullName, "GIÁM ĐỐC"))
		items = append(items, documents.BatchItem{ID: d.ID, VersionSHA256: d.Versions[0].SHA256})
		if i == 1 { // a revision after the list was shown
			if _, err := e.docs.ReplaceDraft(e.ctx, clerk, d.ID, e.spool(testenv.PDF(2000, 9)), "Sửa"); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := e.docs.SignBatch(e.ctx, director, items, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.ID != items[i].ID {
			t.Fatalf("result %d is for %d", i, r.ID)
		}
		var ce *documents.ConflictError
		switch {
		case i == 1 && !errors.As(r.Err, &ce):
			t.Fatalf("the changed document: %v", r.Err)
		case i != 1 && (r.Err != nil || !r.Document.PersonSigned):
			t.Fatalf("document %d: %v", r.ID, r.Err)
		}
	}
	if d, _ := e.docs.Get(e.ctx, clerk, items[1].ID); d.PersonSigned || len(d.Versions) != 2 {
		t.Fatalf("the changed document was signed: %+v", d)
	}
	// Bounds of a batch.
	if _, err := e.docs.SignBatch(e.ctx, director, nil, "", ""); fieldOf(t, err) != "items" {
		t.Fatal("an empty batch")
	}
	long := make([]documents.BatchItem, documents.MaxBatch+1)
	for i := range long {
		long[i].ID = int64(i + 1)
	}
	if _, err := e.docs.SignBatch(e.ctx, director, long, "", ""); fieldOf(t, err) != "items" {
		t.Fatal("a batch too long")
	}
	if _, err := e.docs.SignBatch(e.ctx, director, []documents.BatchItem{items[0], items[0]}, "", ""); fieldOf(t, err) != "items" {
		t.Fatal("a document twice")
	}
	if _, err := e.docs.SignBatch(e.ctx, clerk, items[:1], "", ""); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a clerk's batch: %v", err)
	}
}
