package meetings_test

import (
	"testing"

	"github.com/hcm-edu/vanban/meetings"
)

func testMeetingComments(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	person := f.who("daibieu.gdtrh")
	c, err := f.svc.AddComment(f.ctx, person, mid, 0, sc.draft.ID, "  Đề nghị sửa khoản 2 điều 5  ")
	if err != nil {
		t.Fatal(err)
	}
	if c.Body != "Đề nghị sửa khoản 2 điều 5" || c.ItemID == nil || *c.ItemID != sc.item.ID || c.AgendaDocumentID == nil || c.Name != "Đỗ Quốc Bảo" {
		t.Errorf("comment = %+v", c)
	}
	other, err := f.svc.AddItem(f.ctx, f.who("vanthu.sgd"), mid, meetings.ItemInput{Title: "Mục khác"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddComment(f.ctx, person, mid, other.ID, sc.draft.ID, "Sai mục")
	wantInvalid(t, err, "agenda_document_id")
	_, err = f.svc.AddComment(f.ctx, person, mid, 0, 999999, "Không có")
	wantInvalid(t, err, "agenda_document_id")
	if _, err := f.svc.AddComment(f.ctx, f.who("truongphong.q1"), mid, other.ID, 0, "Thống nhất"); err != nil {
		t.Fatal(err)
	}
	cs, err := f.svc.Comments(f.ctx, f.who("giamdoc.sgd"), mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != c.ID || *cs[1].ItemID != other.ID {
		t.Errorf("comments = %+v", cs)
	}
}
