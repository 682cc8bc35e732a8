package documents_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// section makes a section of p's unit with the given members.
func (e *demoEnv) section(name string, unit int64, members ...auth.Principal) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `INSERT INTO sections (unit_id, name) VALUES ($1, $2) RETURNING id`, unit, name); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		e.db.MustExec(`UPDATE users SET section_id = $1 WHERE id = $2`, id, m.UserID)
	}
	return id
}

// signed marks document id signed, so that its whole unit sees it (the
// signature itself is not what these tests are about).
func (e *demoEnv) signed(id int64) {
	e.t.Helper()
	e.db.MustExec(`UPDATE documents SET status = 'signed' WHERE id = $1`, id)
}

// reads tries every read path of document d as p and returns those that
// let p through.
func (e *demoEnv) reads(p auth.Principal, d documents.Document, a documents.Attachment) []string {
	e.t.Helper()
	var got []string
	check := func(path string, err error) {
		switch {
		case err == nil:
			got = append(got, path)
		case !errors.Is(err, domain.ErrNotFound):
			e.t.Errorf("%s %s: %v, want not found", p.Username, path, err)
		}
	}
	_, err := e.docs.Get(e.ctx, p, d.ID)
	check("get", err)
	_, err = e.docs.Version(e.ctx, p, d.ID, 1)
	check("version", err)
	_, err = e.docs.Attachments(e.ctx, p, d.ID)
	check("attachments", err)
	_, err = e.docs.Attachment(e.ctx, p, d.ID, a.ID)
	check("attachment", err)
	_, err = e.docs.Signatures(e.ctx, p, d.ID)
	check("signatures", err)
	_, err = e.docs.Verification(e.ctx, p, d.ID, 1)
	check("verification", err)
	_, err = e.docs.Restriction(e.ctx, p, d.ID)
	check("restriction", err)
	for _, q := range []string{"", "ho so ky luat"} {
		page, err := e.docs.List(e.ctx, p, documents.Filter{Query: q})
		if err != nil {
			e.t.Fatal(err)
		}
		if slices.ContainsFunc(page.Items, func(x documents.Document) bool { return x.ID == d.ID }) {
			got = append(got, "list:"+q)
		}
	}
	return got
}

// A restricted document is seen inside its unit only by the people named,
// the members of the sections named and its creator; to everyone else it
// does not exist, on every read path, as a document of another unit. A
// change is audited, its owner told, and takes effect at once.
func TestRestrictedDocument(t *testing.T) {
	e := newDemoEnv(t)
	owner, clerk, head := e.who("chuyenvien.sgd"), e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	named, member, colleague, admin := e.who("truongphong.sgd"), e.who("phogiamdoc.sgd"), e.who("giamdoc.sgd"), e.who("admin")
	other := e.who("vanthu.q1")
	sec := e.section("Phòng Tổ chức cán bộ", owner.UnitID, member)
	otherSec := e.section("Tổ văn phòng", other.UnitID)
	d, err := e.docs.Create(e.ctx, owner, documents.Meta{DocType: "BC", Title: "Hồ sơ kỷ luật viên chức", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 7)))
	if err != nil {
		t.Fatal(err)
	}
	att := e.mustAttach(owner, d.ID, "Biên bản", 8)
	e.signed(d.ID)
	all := []string{"get", "version", "attachments", "attachment", "signatures", "verification", "restriction", "list:", "list:ho so ky luat"}
	if got := e.reads(colleague, d, att); !slices.Equal(got, all) {
		t.Fatalf("before the restriction a colleague reads %v", got)
	}

	// Bad input: people and sections of another unit, unknown ones; a
	// colleague without the right.
	for _, ch := range []documents.RestrictionChange{
		{Restricted: true, Users: []int64{other.UserID}},
		{Restricted: true, Users: []int64{987654}},
		{Restricted: true, Sections: []int64{otherSec}},
		{Restricted: true, Sections: []int64{987654}},
	} {
		var v *domain.ValidationError
		if _, err := e.docs.SetRestriction(e.ctx, owner, d.ID, ch); !errors.As(err, &v) {
			t.Errorf("%+v: err = %v, want a validation error", ch, err)
		}
	}
	if _, err := e.docs.SetRestriction(e.ctx, named, d.ID, documents.RestrictionChange{Restricted: true}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("a colleague restricting: %v, want forbidden", err)
	}
	if _, err := e.docs.SetRestriction(e.ctx, other, d.ID, documents.RestrictionChange{Restricted: true}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another unit restricting: %v, want not found", err)
	}

	r, err := e.docs.SetRestriction(e.ctx, owner, d.ID, documents.RestrictionChange{Restricted: true,
		Users: []int64{named.UserID, named.UserID}, Sections: []int64{sec}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Restricted || len(r.Users) != 1 || r.Users[0].ID != named.UserID || len(r.Sections) != 1 || !r.CanChange ||
		r.RestrictionText() != named.FullName+", Phòng Tổ chức cán bộ" {
		t.Fatalf("restriction = %+v", r)
	}
	for _, p := range []auth.Principal{colleague, clerk, head, admin, other} {
		if got := e.reads(p, d, att); len(got) != 0 {
			t.Errorf("%s still reads %v", p.Username, got)
		}
	}
	for _, p := range []auth.Principal{owner, named, member} {
		if got := e.reads(p, d, att); !slices.Equal(got, all) {
			t.Errorf("%s reads only %v", p.Username, got)
		}
	}
	if _, err := e.docs.AccessHistory(e.ctx, clerk, d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the clerk's history of a document hidden from them: %v", err)
	}

	// The clerk, once named, changes it: the owner is told; the person
	// removed loses sight at once.
	if _, err := e.docs.SetRestriction(e.ctx, owner, d.ID, documents.RestrictionChange{Restricted: true,
		Users: []int64{named.UserID, clerk.UserID}, Sections: []int64{sec}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.docs.SetRestriction(e.ctx, clerk, d.ID, documents.RestrictionChange{Restricted: true,
		Users: []int64{clerk.UserID}, Sections: []int64{sec}}); err != nil {
		t.Fatal(err)
	}
	if got := e.reads(named, d, att); len(got) != 0 {
		t.Errorf("the person removed still reads %v", got)
	}
	var notes []string
	e.db.Select(&notes, `SELECT kind FROM notifications WHERE user_id = $1 AND document_id = $2`, owner.UserID, d.ID)
	if !slices.Equal(notes, []string{"document.access_changed"}) {
		t.Errorf("owner's notifications = %v", notes)
	}
	// Lifting restores everyone's sight and forgets the names.
	r, err = e.docs.SetRestriction(e.ctx, clerk, d.ID, documents.RestrictionChange{Restricted: false, Users: []int64{clerk.UserID}})
	if err != nil || r.Restricted || len(r.Users)+len(r.Sections) != 0 {
		t.Fatalf("lifted = %+v, %v", r, err)
	}
	if got := e.reads(colleague, d, att); !slices.Equal(got, all) {
		t.Errorf("after lifting a colleague reads %v", got)
	}
	want := []string{"document.create", "document.attachment.add", "document.restrict", "document.restriction_change", "document.restriction_change", "document.unrestrict"}
	if got := e.actions(d.ID); !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

// The access history is for the creator and the unit's clerks, head and
// administrators, 50 to a page, newest first; written behind, it is
// complete when read.
func TestAccessHistoryEntitled(t *testing.T) {
	e := newDemoEnv(t)
	e.docs.BatchAccess(nil)
	owner, clerk, admin, staff, other := e.who("chuyenvien.sgd"), e.who("vanthu.sgd"), e.who("admin"), e.who("truongphong.sgd"), e.who("vanthu.q1")
	d, err := e.docs.Create(e.ctx, owner, documents.Meta{DocType: "KH", Title: "Kế hoạch kiểm tra", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 9)))
	if err != nil {
		t.Fatal(err)
	}
	e.signed(d.ID)
	for range 51 {
		if err := e.docs.RecordView(e.ctx, staff, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.docs.RecordView(e.ctx, clerk, d, "last"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Principal{owner, clerk, admin} {
		pg, err := e.docs.AccessHistoryPage(e.ctx, p, d.ID, 1)
		if err != nil || len(pg.Items) != 50 || !pg.More || pg.Items[0].RequestID != "last" || pg.Items[0].UnitName == "" {
			t.Fatalf("%s: page 1 = %d items, more %v, %v", p.Username, len(pg.Items), pg.More, err)
		}
		pg, err = e.docs.AccessHistoryPage(e.ctx, p, d.ID, 2)
		if err != nil || len(pg.Items) != 2 || pg.More {
			t.Fatalf("%s: page 2 = %d items, more %v, %v", p.Username, len(pg.Items), pg.More, err)
		}
	}
	for _, p := range []auth.Principal{staff, other} {
		if _, err := e.docs.AccessHistoryPage(e.ctx, p, d.ID, 1); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: %v, want not found", p.Username, err)
		}
	}

	// Statistics: administrators only, over their units.
	if _, err := e.docs.AccessStats(e.ctx, clerk, documents.StatsFilter{}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("a clerk's statistics: %v", err)
	}
	st, err := e.docs.AccessStats(e.ctx, admin, documents.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Views != 52 || st.Total.Total != 52 || len(st.Units) != 1 || st.Units[0].Views != 52 ||
		len(st.Documents) != 1 || st.Documents[0].DocumentID != d.ID || len(st.Days) != 1 || st.Days[0].Total != 52 {
		t.Errorf("stats = %+v", st)
	}
	st, err = e.docs.AccessStats(e.ctx, admin, documents.StatsFilter{UnitID: other.UnitID})
	if err != nil || st.Total.Total != 0 {
		t.Errorf("stats of Q1 = %+v, %v", st.Total, err)
	}
	var v *domain.ValidationError
	if _, err := e.docs.AccessStats(e.ctx, admin, documents.StatsFilter{From: "2026-12-01", To: "2026-11-01"}); !errors.As(err, &v) {
		t.Errorf("a period backwards: %v", err)
	}
	if err := e.docs.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM document_access`); err != nil || n != 52 {
		t.Errorf("%d rows, want 52", n)
	}
}

// Written behind, reads reach the table by themselves within the flush
// period, and Close writes what is left: none is lost.
func TestAccessWrittenBehind(t *testing.T) {
	e := newDemoEnv(t)
	e.docs.BatchAccess(nil)
	clerk := e.who("vanthu.sgd")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 3)))
	if err != nil {
		t.Fatal(err)
	}
	for range 250 {
		if err := e.docs.RecordView(e.ctx, clerk, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	deadline := time.Now().Add(5 * time.Second)
	for n < 250 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		e.db.Get(&n, `SELECT count(*) FROM document_access`)
	}
	if n != 250 {
		t.Fatalf("%d rows written behind, want 250", n)
	}
	if err := e.docs.RecordView(e.ctx, clerk, d, "last"); err != nil {
		t.Fatal(err)
	}
	if err := e.docs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.docs.RecordView(e.ctx, clerk, d, "after"); err != nil { // written at once after Close
		t.Fatal(err)
	}
	e.db.Get(&n, `SELECT count(*) FROM document_access`)
	if n != 252 {
		t.Errorf("%d rows after Close, want 252", n)
	}
}
