package routing_test

// What vanban issues is the official record (Decree 30/2020): numbers come
// from the register only, only what the competent person and then the
// organisation signed goes out, a recalled document stays recalled, relay
// follows the hierarchy, previews change nothing. Each bad input leaves
// everything as it was.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

// wantPrecondition fails unless err is a *domain.PreconditionError with
// code and a message.
func wantPrecondition(t *testing.T, what string, err error, code string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != code || pe.Message == "" {
		t.Fatalf("%s: err = %v, want the precondition %s", what, err, code)
	}
}

// wantField fails unless err is a *domain.ValidationError naming field,
// and returns its message.
func wantField(t *testing.T, what string, err error, field string) string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields[field] == "" {
		t.Fatalf("%s: err = %v, want a message for %s", what, err, field)
	}
	return ve.Fields[field]
}

// snapshot counts the rows every action of the record writes: when a bad
// request or a preview leaves them equal, nothing changed.
func (f *fixture) snapshot() string {
	f.t.Helper()
	var s string
	err := f.db.Get(&s, `SELECT concat_ws(' ',
		(SELECT count(*) FROM documents), (SELECT count(*) FROM document_versions), (SELECT count(*) FROM document_signatures),
		(SELECT count(*) FROM registrations), (SELECT coalesce(sum(last_number), 0) FROM number_counters),
		(SELECT count(*) FROM dispatches), (SELECT count(*) FROM deliveries), (SELECT count(*) FROM audit_log),
		(SELECT count(*) FROM jobs), (SELECT string_agg(id || status || coalesce(number_symbol, '') || doc_date, ',' ORDER BY id) FROM documents))`)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) unchanged(before, what string) {
	f.t.Helper()
	if after := f.snapshot(); after != before {
		f.t.Fatalf("%s changed the record:\n before %s\n after  %s", what, before, after)
	}
}

func (f *fixture) upload(p auth.Principal, m documents.Meta, paper bool) (documents.Document, error) {
	f.t.Helper()
	f.seq++
	up, err := f.docs.Spool(f.ctx, bytes.NewReader(testenv.PDF(2000, f.seq)), "Kế hoạch.pdf")
	if err != nil {
		f.t.Fatal(err)
	}
	defer up.Close()
	if paper {
		return f.docs.CreatePaperCopy(f.ctx, p, m, up)
	}
	return f.docs.Create(f.ctx, p, m, up)
}

func TestNoUploadRegisters(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	before := f.snapshot()
	// A number typed at upload made a registered document that could be
	// issued without any signature: now refused, for every role.
	for _, p := range []auth.Principal{clerk, f.who("giamdoc.sgd"), f.who("chuyenvien.sgd")} {
		_, err := f.upload(p, documents.Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2026-11-20", Number: "15", Symbol: "KH-SGDĐT"}, false)
		if msg := wantField(t, p.Username, err, "number"); !strings.Contains(msg, "do hệ thống cấp") {
			t.Fatalf("message %q does not say the system gives the number", msg)
		}
	}
	f.unchanged(before, "uploads with a typed number")

	// A paper original keeps its number as a digitised copy: out of the
	// register, sent only with the copy mark.
	paper := documents.Meta{DocType: "KH", Title: "Kế hoạch năm 2021 (bản giấy)", DocDate: "2021-01-22", Number: "206", Symbol: "KH-SGDĐT"}
	if _, err := f.upload(f.who("chuyenvien.sgd"), paper, true); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a staff member digitising: %v", err)
	}
	d, err := f.upload(clerk, paper, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Origin != documents.OriginPaperCopy || d.Status != "draft" || d.NumberSymbol == nil || *d.NumberSymbol != "206/KH-SGDĐT" {
		t.Fatalf("paper copy = %+v", d)
	}
	if _, err := f.upload(clerk, paper, true); err == nil {
		t.Fatal("the same paper original digitised twice")
	}
	req := routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{f.unit("000.01.24.H29").ID}}}
	_, err = f.rt.Issue(f.ctx, clerk, d.ID, req)
	wantPrecondition(t, "issuing a paper copy without its mark", err, "no_copy_mark")
	d, err = f.docs.Seal(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: d.Versions[0].SHA256, Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.rt.Issue(f.ctx, clerk, d.ID, req); err != nil || res.Delivered != 1 {
		t.Fatalf("issuing the marked copy: %+v %v", res, err)
	}
	// The register of outgoing documents holds only what it numbered.
	var n int
	f.db.Get(&n, `SELECT count(*) FROM registrations`)
	if n != 0 {
		t.Fatalf("%d registrations for a paper copy", n)
	}
	var last int
	f.db.Get(&last, `SELECT coalesce(sum(last_number), 0) FROM number_counters`)
	if last != 0 {
		t.Fatalf("the paper copy moved the series to %d", last)
	}
	// A number is unique in its year across paper and electronic
	// documents (art. 15.1): a paper original cannot bring one the
	// register gave.
	f.register(clerk, f.sign(clerk, f.draft(clerk, "thuong")))
	today := time.Now().In(domain.VietnamTime).Format(time.DateOnly)
	before = f.snapshot()
	_, err = f.upload(clerk, documents.Meta{DocType: "TB", Title: "Thông báo (bản giấy)", DocDate: today, Number: "1", Symbol: "TB-SGDĐT"}, true)
	wantField(t, "a paper original with the register's number", err, "number")
	f.unchanged(before, "a paper original with a number taken")
	// The database refuses an outgoing document numbered outside the register.
	_, err = f.db.Exec(`UPDATE documents SET number = 7, symbol = 'KH-SGDĐT' WHERE id = $1`, f.draft(clerk, "thuong").ID)
	if err == nil || !strings.Contains(err.Error(), "without its registration") {
		t.Fatalf("numbering in SQL: %v", err)
	}
}

func TestTypedNumberOnlyContinuesTheSeries(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	d := f.sign(clerk, f.draft(clerk, "thuong"))
	seal := func(d documents.Document, number, symbol string) (documents.Document, error) {
		return f.docs.Seal(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: d.Versions[0].SHA256, Number: number, Symbol: symbol})
	}
	before := f.snapshot()
	// Sealing with 15 made the next automatic number 16, leaving 02–14
	// missing: a number that would skip is refused, and the series stays.
	_, err := seal(d, "15", "KH-SGDĐT")
	if msg := wantField(t, "skipping to 15", err, "number"); !strings.Contains(msg, "01/KH-SGDĐT") {
		t.Fatalf("message %q does not name the next number", msg)
	}
	f.unchanged(before, "a number that would skip")
	_, err = seal(d, "1", "QĐ-SGDĐT")
	wantField(t, "another symbol", err, "symbol")
	f.unchanged(before, "a symbol not the register's")
	// The next number typed is the same as taking it.
	d, err = seal(d, "1", "KH-SGDĐT")
	if err != nil || *d.NumberSymbol != "01/KH-SGDĐT" || d.Status != "registered" {
		t.Fatalf("continuing the series: %+v %v", d, err)
	}
	second := f.register(clerk, f.sign(clerk, f.draft(clerk, "thuong")))
	if *second.NumberSymbol != "02/KH-SGDĐT" {
		t.Fatalf("next = %s", *second.NumberSymbol)
	}
	third := f.sign(clerk, f.draft(clerk, "thuong"))
	before = f.snapshot()
	_, err = seal(third, "2", "KH-SGDĐT")
	wantField(t, "reusing 2", err, "number")
	f.unchanged(before, "a number used already")
	var numbers []int
	f.db.Select(&numbers, `SELECT number FROM registrations WHERE series = 'outgoing' ORDER BY number`)
	if fmt.Sprint(numbers) != "[1 2]" {
		t.Fatalf("register = %v", numbers)
	}
}

func TestTwoClerksRegisterTheSameDocument(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	if _, err := f.users.CreateUser(f.ctx, auth.NewUser{Username: "vanthu2.sgd", FullName: "Lê Thị Hoa", Position: "Văn thư",
		UnitID: clerk.UnitID, Roles: []string{auth.RoleClerk}, Password: password}); err != nil {
		t.Fatal(err)
	}
	other := f.who("vanthu2.sgd")
	for round := range 3 {
		d := f.sign(clerk, f.draft(clerk, "thuong"))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []auth.Principal{clerk, other} {
			wg.Go(func() {
				_, errs[i] = f.docs.AssignNumber(f.ctx, p, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v, want exactly one registration", round, errs)
		}
		for _, err := range errs {
			if err != nil {
				wantPrecondition(t, "the second clerk", err, "already_numbered")
			}
		}
	}
	var numbers []int
	f.db.Select(&numbers, `SELECT number FROM registrations ORDER BY number`)
	var last int
	f.db.Get(&last, `SELECT last_number FROM number_counters WHERE series = 'outgoing'`)
	if fmt.Sprint(numbers) != "[1 2 3]" || last != 3 {
		t.Fatalf("register = %v, counter %d", numbers, last)
	}
}

func TestOnlySignedAndSealedDocumentsGoOut(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	q1 := f.unit("000.01.24.H29")
	req := routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{q1.ID}}}
	unsigned := f.draft(clerk, "thuong")
	personOnly := f.sign(clerk, f.draft(clerk, "thuong"))
	before := f.snapshot()
	for name, d := range map[string]documents.Document{"unsigned": unsigned, "signed by the person only": personOnly} {
		_, err := f.rt.Issue(f.ctx, clerk, d.ID, req)
		wantPrecondition(t, "issuing "+name, err, "not_registered")
		_, err = f.rt.PreviewIssue(f.ctx, clerk, d.ID, req)
		wantPrecondition(t, "previewing "+name, err, "not_registered")
		_, _, err = f.rt.ExportPackage(f.ctx, clerk, d.ID, q1.Code)
		wantPrecondition(t, "exporting "+name, err, "not_registered")
	}
	// The register refuses what the competent person has not signed.
	_, err := f.docs.AssignNumber(f.ctx, clerk, unsigned.ID, documents.NumberRequest{VersionSHA256: unsigned.Versions[0].SHA256})
	wantPrecondition(t, "registering an unsigned draft", err, "no_person_signature")
	f.unchanged(before, "refused issues")

	// The database refuses what the domain would: an issue without the
	// number and both signatures, whoever writes the row.
	for _, d := range []documents.Document{unsigned, personOnly} {
		_, err := f.db.Exec(`INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, created_by)
			VALUES ($1, $2, 'issue', 1, 'thuong', 1, $3)`, d.ID, clerk.UnitID, clerk.UserID)
		if err == nil || !strings.Contains(err.Error(), "signatures to be issued") {
			t.Fatalf("dispatch of document %d in SQL: %v", d.ID, err)
		}
	}
	// A legacy document numbered at upload, never signed (migration 6
	// names it a paper copy), cannot go out either.
	legacy := f.draft(clerk, "thuong")
	f.db.MustExec(`UPDATE documents SET origin = 'paper_copy', number = 15, symbol = 'KH-SGDĐT', status = 'registered' WHERE id = $1`, legacy.ID)
	_, err = f.rt.Issue(f.ctx, clerk, legacy.ID, req)
	wantPrecondition(t, "issuing a legacy numbered upload", err, "no_copy_mark")

	ok := f.register(clerk, personOnly)
	if !ok.PersonSigned || ok.SealKind != "organisation" {
		t.Fatalf("registered = %+v", ok)
	}
	if res, err := f.rt.Issue(f.ctx, clerk, ok.ID, req); err != nil || res.Delivered != 1 {
		t.Fatalf("issue: %+v %v", res, err)
	}
	if _, _, err := f.rt.ExportPackage(f.ctx, clerk, ok.ID, q1.Code); err != nil {
		t.Fatalf("export: %v", err)
	}
}

func TestRecalledDocumentStaysRecalled(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	director := f.who("giamdoc.sgd")
	q1 := f.unit("000.01.24.H29")
	d := f.document(clerk, "yes", "thuong")
	f.issue(clerk, d.ID, routing.Recipients{Units: []int64{q1.ID}}, "")
	if _, err := f.rt.Recall(f.ctx, clerk, d.ID, "Sai nội dung"); err != nil {
		t.Fatal(err)
	}
	d, _ = f.docs.Get(f.ctx, clerk, d.ID)
	sha := d.Versions[0].SHA256
	before := f.snapshot()
	_, err := f.docs.Seal(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: sha})
	wantPrecondition(t, "sealing", err, "recalled")
	_, err = f.docs.Seal(f.ctx, clerk, d.ID, documents.SealRequest{VersionSHA256: sha, Copy: true})
	wantPrecondition(t, "copy-marking", err, "recalled")
	_, err = f.docs.AssignNumber(f.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: sha})
	wantPrecondition(t, "registering", err, "recalled")
	_, err = f.docs.SignAsPerson(f.ctx, director, d.ID, documents.SignRequest{VersionSHA256: sha})
	wantPrecondition(t, "signing", err, "recalled")
	_, err = f.rt.Issue(f.ctx, clerk, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}})
	wantPrecondition(t, "issuing", err, "recalled")
	for name, q := range map[string]string{
		"status":  `UPDATE documents SET status = 'registered' WHERE id = $1`,
		"number":  `UPDATE documents SET number = 9, symbol = 'KH-SGDĐT' WHERE id = $1`,
		"version": `INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by) SELECT document_id, 99, object_key, sha256, size_bytes, media_type, file_name, created_by FROM document_versions WHERE document_id = $1 AND version_no = 1`,
	} {
		if _, err := f.db.Exec(q, d.ID); err == nil || !strings.Contains(err.Error(), "frozen") {
			t.Fatalf("%s of a recalled document in SQL: %v", name, err)
		}
	}
	f.unchanged(before, "acting on a recalled document")
}

func TestRelayFollowsTheHierarchy(t *testing.T) {
	f := newFixture(t, 40)
	clerk := f.who("vanthu.sgd")
	q1, q2 := f.unit("000.01.24.H29"), f.unit("000.02.24.H29")
	school := f.unit("001.01.24.H29") // THCS Văn Lang, under Quận 1
	doc := f.document(clerk, "yes", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"district_offices"}, Units: []int64{school.ID}}, "")
	q1clerk, schoolClerk := f.who("vanthu.q1"), f.who("vanthu.thcs1")
	dq1, dschool := f.inboxOf(q1clerk, doc.ID), f.inboxOf(schoolClerk, doc.ID)
	for _, x := range []struct {
		p  auth.Principal
		id int64
	}{{q1clerk, dq1.ID}, {schoolClerk, dschool.ID}} {
		if _, err := f.rt.Accept(f.ctx, x.p, x.id); err != nil {
			t.Fatal(err)
		}
	}
	var q1schools, q2schools, offices []int64
	f.db.Select(&q1schools, `SELECT id FROM units WHERE parent_id = $1 ORDER BY id`, q1.ID)
	f.db.Select(&q2schools, `SELECT id FROM units WHERE parent_id = $1 ORDER BY id`, q2.ID)
	f.db.Select(&offices, `SELECT id FROM units WHERE kind = 'office' ORDER BY id`)
	if len(q1schools) < 3 || len(q2schools) == 0 || len(offices) == 0 {
		t.Fatalf("schools of Quận 1 %v, of Quận 2 %v, offices %v", q1schools, q2schools, offices)
	}

	// What the form offers: a district office its own schools, a school
	// no one, the department every unit.
	targets := func(p auth.Principal) []int64 {
		ts, err := f.rt.RelayTargets(f.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, u := range ts {
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := targets(q1clerk); fmt.Sprint(got) != fmt.Sprint(q1schools) {
		t.Fatalf("Quận 1 relays to %v, want its schools %v", got, q1schools)
	}
	if got := targets(schoolClerk); len(got) != 0 {
		t.Fatalf("a school relays to %v", got)
	}
	var all int
	f.db.Get(&all, `SELECT count(*) FROM units WHERE id <> $1`, clerk.UnitID)
	if got := targets(clerk); len(got) != all {
		t.Fatalf("the department reaches %d units, want %d", len(got), all)
	}
	groups, err := f.rt.RelayGroups(f.ctx, q1clerk)
	if err != nil || len(groups) != 1 || groups[0].ID != fmt.Sprintf("district:%d", q1.ID) {
		t.Fatalf("Quận 1's relay groups = %+v, %v", groups, err)
	}

	// Out of reach: nothing sent, a message naming the units.
	before := f.snapshot()
	for name, c := range map[string]struct {
		p   auth.Principal
		id  int64
		req routing.Recipients
	}{
		"a district office to another district's schools": {q1clerk, dq1.ID, routing.Recipients{Units: []int64{q1schools[0], q2schools[0]}}},
		"a district office to every school":               {q1clerk, dq1.ID, routing.Recipients{Groups: []string{"schools"}}},
		"a district office to the department's offices":   {q1clerk, dq1.ID, routing.Recipients{Groups: []string{"offices"}}},
		"a school to its district's schools":              {schoolClerk, dschool.ID, routing.Recipients{Groups: []string{fmt.Sprintf("district:%d", q1.ID)}}},
		"a school to an office":                           {schoolClerk, dschool.ID, routing.Recipients{Units: []int64{offices[0]}}},
	} {
		_, err := f.rt.Relay(f.ctx, c.p, c.id, routing.IssueRequest{Recipients: c.req})
		if msg := wantField(t, name, err, "recipients"); !strings.Contains(msg, "trực thuộc") {
			t.Fatalf("%s: message %q", name, msg)
		}
		pv, err := f.rt.PreviewRelay(f.ctx, c.p, c.id, routing.IssueRequest{Recipients: c.req})
		if err != nil || pv.Allowed || len(pv.Refused) == 0 || !strings.Contains(pv.Message, "từ chối") {
			t.Fatalf("%s: preview %+v, %v", name, pv, err)
		}
	}
	f.unchanged(before, "relays out of reach")

	res, err := f.rt.Relay(f.ctx, q1clerk, dq1.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{fmt.Sprintf("district:%d", q1.ID)}}})
	// THCS Văn Lang has it already, from the department.
	if err != nil || res.Delivered != len(q1schools)-1 || res.Skipped != 1 {
		t.Fatalf("relay to Quận 1's schools: %+v %v", res, err)
	}
	// An administrator's grant widens the reach.
	f.db.MustExec(`INSERT INTO relay_grants (unit_id, reaches_unit_id, note) VALUES ($1, $2, 'liên quận')`, q1.ID, q2.ID)
	if got := targets(q1clerk); len(got) != len(q1schools)+1+len(q2schools) {
		t.Fatalf("with the grant Quận 1 reaches %v", got)
	}
	if res, err := f.rt.Relay(f.ctx, q1clerk, dq1.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: q2schools}}); err != nil || res.Delivered != len(q2schools) {
		t.Fatalf("relay under the grant: %+v %v", res, err)
	}
}

func TestPreviewsChangeNothing(t *testing.T) {
	f := newFixture(t, 40)
	clerk, director := f.who("vanthu.sgd"), f.who("giamdoc.sgd")
	draft := f.draft(clerk, "thuong")
	before := f.snapshot()
	pv, err := f.docs.PreviewSign(f.ctx, director, draft.ID, draft.Versions[0].SHA256)
	if err != nil || pv.Version != 1 || !strings.Contains(pv.As, director.FullName) || !strings.Contains(pv.Message, "phiên bản 1") {
		t.Fatalf("sign preview = %+v, %v", pv, err)
	}
	_, err = f.docs.PreviewSign(f.ctx, clerk, draft.ID, draft.Versions[0].SHA256)
	if !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a clerk previewing the person's signature: %v", err)
	}
	_, err = f.docs.PreviewRegister(f.ctx, clerk, draft.ID, documents.NumberRequest{VersionSHA256: draft.Versions[0].SHA256})
	wantPrecondition(t, "previewing the register of an unsigned draft", err, "no_person_signature")
	f.unchanged(before, "previews of a draft")

	signed := f.sign(clerk, draft)
	sha := signed.Versions[0].SHA256
	before = f.snapshot()
	// A registration under way holds the series and the document: a
	// preview neither waits for it nor holds it.
	tx := f.db.MustBegin()
	tx.MustExec(`INSERT INTO number_counters (unit_id, year, series, last_number) VALUES ($1, $2, 'outgoing', 0)
		ON CONFLICT DO NOTHING`, clerk.UnitID, time.Now().In(domain.VietnamTime).Year())
	tx.MustExec(`SELECT 1 FROM number_counters WHERE unit_id = $1 FOR UPDATE`, clerk.UnitID)
	tx.MustExec(`SELECT 1 FROM documents WHERE id = $1 FOR UPDATE`, signed.ID)
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	reg, err := f.docs.PreviewRegister(ctx, clerk, signed.ID, documents.NumberRequest{VersionSHA256: sha})
	cancel()
	tx.Rollback()
	today := time.Now().In(domain.VietnamTime)
	if err != nil || reg.NumberSymbol != "01/KH-SGDĐT" || reg.Date != today.Format(time.DateOnly) || !strings.Contains(reg.Message, "01/KH-SGDĐT") {
		t.Fatalf("register preview = %+v, %v", reg, err)
	}
	seal, err := f.docs.PreviewSeal(f.ctx, clerk, signed.ID, documents.SealRequest{VersionSHA256: sha, Number: "1", Symbol: "KH-SGDĐT"})
	if err != nil || seal.NumberSymbol != "01/KH-SGDĐT" {
		t.Fatalf("seal preview = %+v, %v", seal, err)
	}
	_, err = f.docs.PreviewSeal(f.ctx, clerk, signed.ID, documents.SealRequest{VersionSHA256: sha, Number: "15", Symbol: "KH-SGDĐT"})
	wantField(t, "previewing a skip", err, "number")
	_, err = f.docs.PreviewRegister(f.ctx, clerk, signed.ID, documents.NumberRequest{VersionSHA256: "00"})
	var ce *documents.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("previewing another version: %v", err)
	}
	f.unchanged(before, "previews of the register")

	// What the preview named is what registering then does.
	d := f.register(clerk, signed)
	if *d.NumberSymbol != reg.NumberSymbol {
		t.Fatalf("registered %s, previewed %s", *d.NumberSymbol, reg.NumberSymbol)
	}
	req := routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"district_offices"}, Units: []int64{f.unit("001.00.24.H29").ID}}}
	before = f.snapshot()
	iss, err := f.rt.PreviewIssue(f.ctx, clerk, d.ID, req)
	if err != nil || !iss.Allowed || iss.Units != 23 || len(iss.Groups) != 1 || iss.Groups[0].Units != 22 ||
		!strings.Contains(iss.Message, "tới 23 đơn vị") || !strings.Contains(iss.Message, "01/KH-SGDĐT") {
		t.Fatalf("issue preview = %+v, %v", iss, err)
	}
	f.unchanged(before, "the preview of an issue")
	res := f.issue(clerk, d.ID, req.Recipients, "")
	if res.Delivered != iss.Units {
		t.Fatalf("issued to %d, previewed %d", res.Delivered, iss.Units)
	}
	again, err := f.rt.PreviewIssue(f.ctx, clerk, d.ID, req)
	if err != nil || again.Units != 0 || again.Already != 23 || again.Allowed {
		t.Fatalf("preview of the same issue again = %+v, %v", again, err)
	}
	q1clerk := f.who("vanthu.q1")
	dl := f.inboxOf(q1clerk, d.ID)
	if _, err := f.rt.Accept(f.ctx, q1clerk, dl.ID); err != nil {
		t.Fatal(err)
	}
	before = f.snapshot()
	rl, err := f.rt.PreviewRelay(f.ctx, q1clerk, dl.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{fmt.Sprintf("district:%d", dl.RecipientUnitID)}}})
	if err != nil || !rl.Allowed || rl.Units < 3 || rl.Kind != "relay" {
		t.Fatalf("relay preview = %+v, %v", rl, err)
	}
	f.unchanged(before, "the preview of a relay")
}

func TestOneUrgency(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	q1 := f.unit("000.01.24.H29")
	d := f.document(clerk, "yes", "thuong")
	before := f.snapshot()
	// The clerk chose "Khẩn" on the issue form for a document whose
	// urgency is "Thường": the inbox said one, the document page the other.
	_, err := f.rt.Issue(f.ctx, clerk, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{q1.ID}}, Urgency: "khan"})
	wantField(t, "another urgency at issue", err, "urgency")
	f.unchanged(before, "an issue with another urgency")
	f.issue(clerk, d.ID, routing.Recipients{Units: []int64{q1.ID}}, "")
	got := f.inboxOf(f.who("vanthu.q1"), d.ID)
	if got.Urgency != d.Urgency {
		t.Fatalf("inbox urgency %s, document %s", got.Urgency, d.Urgency)
	}
	// Rows written before this rule show the document's urgency too.
	f.db.MustExec(`UPDATE deliveries SET urgency = 'khan' WHERE id = $1`, got.ID)
	if got = f.inboxOf(f.who("vanthu.q1"), d.ID); got.Urgency != "thuong" {
		t.Fatalf("inbox shows the delivery's old urgency %s", got.Urgency)
	}
}

func TestRegistersReadRight(t *testing.T) {
	f := newFixture(t, 40)
	clerk := f.who("vanthu.sgd")
	q1 := f.unit("000.01.24.H29")
	d := f.document(clerk, "yes", "thuong")
	f.issue(clerk, d.ID, routing.Recipients{Groups: []string{"district_offices"}}, "")
	q1clerk := f.who("vanthu.q1")
	dl := f.inboxOf(q1clerk, d.ID)
	if _, err := f.rt.Accept(f.ctx, q1clerk, dl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Relay(f.ctx, q1clerk, dl.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{fmt.Sprintf("district:%d", q1.ID)}}}); err != nil {
		t.Fatal(err)
	}
	school := f.who("vanthu.thcs1")
	if _, err := f.rt.Accept(f.ctx, school, f.inboxOf(school, d.ID).ID); err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(domain.VietnamTime).Year()
	in, err := f.rt.RegisterBook(f.ctx, school, routing.RegisterIncoming, year)
	if err != nil || len(in.Incoming) != 1 {
		t.Fatalf("incoming register = %+v, %v", in, err)
	}
	dept := f.unit("000.00.24.H29")
	if row := in.Incoming[0]; row.Author != dept.Name || row.RelayedBy != q1.Name {
		t.Fatalf("author %q, relayed by %q; want %q, %q", row.Author, row.RelayedBy, dept.Name, q1.Name)
	}
	var csv bytes.Buffer
	if err := registers.WriteIncomingCSV(&csv, in.Incoming); err != nil || !strings.Contains(csv.String(), "Chuyển tiếp qua "+q1.Name) {
		t.Fatalf("incoming CSV:\n%s\n%v", csv.String(), err)
	}

	out, err := f.rt.RegisterBook(f.ctx, clerk, routing.RegisterOutgoing, year)
	if err != nil || len(out.Outgoing) != 1 || len(out.Outgoing[0].AllRecipients) != 22 {
		t.Fatalf("outgoing register = %+v, %v", out, err)
	}
	csv.Reset()
	if err := registers.WriteOutgoingCSV(&csv, out.Outgoing); err != nil {
		t.Fatal(err)
	}
	var names []string
	f.db.Select(&names, `SELECT name FROM units WHERE kind = 'district_office'`)
	for _, n := range names {
		if !strings.Contains(csv.String(), n) {
			t.Fatalf("the CSV lacks %s:\n%s", n, csv.String())
		}
	}
	if strings.Contains(csv.String(), "…") {
		t.Fatalf("the CSV shortens the recipients:\n%s", csv.String())
	}
}
