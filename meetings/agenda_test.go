package meetings_test

import (
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
)

func testAgendaReorder(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	m, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, title := range []string{"Khai mạc", "Báo cáo sơ kết", "Thảo luận", "Kết luận"} {
		it, err := f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if it.Position != i+1 {
			t.Fatalf("%s at %d, want appended at %d", title, it.Position, i+1)
		}
		ids = append(ids, it.ID)
	}
	order := []int64{ids[3], ids[0], ids[2], ids[1]}
	if err := f.svc.ReorderAgenda(f.ctx, f.who("giamdoc.sgd"), m.ID, order); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(f.ctx, org, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range got.Items {
		if it.ID != order[i] || it.Position != i+1 {
			t.Fatalf("agenda = %+v, want order %v", got.Items, order)
		}
	}
	if got.Revision != 6 {
		t.Errorf("revision = %d, want 6 (4 items and a reorder)", got.Revision)
	}
	other, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	foreignItem, err := f.svc.AddItem(f.ctx, org, other.ID, meetings.ItemInput{Title: "Mục khác"})
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]int64{
		"missing":   {ids[0], ids[1], ids[2]},
		"twice":     {ids[0], ids[1], ids[2], ids[2]},
		"foreign":   {ids[0], ids[1], ids[2], foreignItem.ID},
		"too many":  {ids[0], ids[1], ids[2], ids[3], foreignItem.ID},
		"empty":     nil,
		"unknown":   {ids[0], ids[1], ids[2], 999999},
		"same five": {ids[0], ids[1], ids[2], ids[3], ids[3]},
	} {
		t.Run(name, func(t *testing.T) {
			wantInvalid(t, f.svc.ReorderAgenda(f.ctx, org, m.ID, bad), "items")
		})
	}
	after, _ := f.svc.Get(f.ctx, org, m.ID)
	if after.Revision != 6 || after.Items[0].ID != order[0] {
		t.Error("a refused reorder changed the agenda")
	}
}

func testSecretDocumentRefused(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	m, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: "Công tác bảo vệ bí mật nhà nước"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := f.docs.AssignSecretNumber(f.ctx, org, documents.Meta{DocType: "KH", Title: "Kế hoạch mật", Confidentiality: "mat"},
		documents.NumberRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AttachDocument(f.ctx, org, m.ID, it.ID, secret.ID, 0)
	wantCode(t, err, "secret")
	// A document of another unit, never delivered here: as if it did not exist.
	foreign := f.document(f.who("vanthu.q1"), "Báo cáo của Quận 1")
	_, err = f.svc.AttachDocument(f.ctx, org, m.ID, it.ID, foreign.ID, 0)
	wantIs(t, err, domain.ErrNotFound)
	// A version that does not exist.
	own := f.document(org, "Kế hoạch công khai")
	_, err = f.svc.AttachDocument(f.ctx, org, m.ID, it.ID, own.ID, 7)
	wantInvalid(t, err, "version")
	// Its latest version (the registered one), named by number; then 0,
	// "the latest", is the same attachment.
	if _, err := f.svc.AttachDocument(f.ctx, org, m.ID, it.ID, own.ID, own.Versions[0].No); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AttachDocument(f.ctx, org, m.ID, it.ID, own.ID, 0)
	wantCode(t, err, "already_attached")
	got, _ := f.svc.Get(f.ctx, org, m.ID)
	if n := len(got.Items[0].Documents); n != 1 {
		t.Errorf("%d documents on the item, want only the public one", n)
	}
}

// TestDraftsNeverBecomeDocuments uploads a draft for a meeting and looks
// for it everywhere documents are listed or searched.
func testDraftsNeverBecomeDocuments(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	visible := f.document(org, "Quy chế phối hợp liên ngành đã ban hành")
	var before int
	if err := f.db.Get(&before, `SELECT count(*) FROM documents`); err != nil {
		t.Fatal(err)
	}
	sc := f.scene() // attaches "Dự thảo quy chế phối hợp" (draft) and one document
	var after int
	if err := f.db.Get(&after, `SELECT count(*) FROM documents`); err != nil {
		t.Fatal(err)
	}
	if after != before+1 { // the scene's own document, not the draft
		t.Fatalf("documents %d → %d: the draft became a document", before, after)
	}
	for _, username := range []string{"vanthu.sgd", "giamdoc.sgd", "thuky.vp", "daibieu.gdtrh", "vanthu.q1", "truongphong.q1"} {
		p := f.who(username)
		for _, q := range []string{"", "quy che phoi hop", "dự thảo", "du thao quy che"} {
			page, err := f.docs.List(f.ctx, p, documents.Filter{Query: q, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Items {
				if strings.Contains(documents.Fold(d.Title), "du thao") {
					t.Errorf("%s finds the draft with %q: %+v", username, q, d)
				}
			}
			if username == "vanthu.sgd" && q == "quy che phoi hop" && (len(page.Items) != 1 || page.Items[0].ID != visible.ID) {
				t.Errorf("search %q = %+v, want the issued quy chế only (the search works)", q, page.Items)
			}
		}
	}
	// The file's bytes are named by a meeting_files row: not an orphan.
	if _, err := f.docs.SweepOrphans(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	rc, _, _, err := f.svc.OpenDocument(f.ctx, org, sc.m.ID, sc.draft.ID)
	if err != nil {
		t.Fatalf("the draft was swept as an orphan: %v", err)
	}
	rc.Close()
	if _, err := f.blobs.Stat(f.ctx, sc.draft.ObjectKey); err != nil {
		t.Fatalf("draft object: %v", err)
	}
}
