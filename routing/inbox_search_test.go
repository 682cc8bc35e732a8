package routing_test

import (
	"slices"
	"testing"

	"github.com/hcm-edu/vanban/routing"
)

// The inbox finds by words of the trích yếu, the text of the PDF or the
// sender, accents optional, and pages both ways.
func TestInboxSearchAndPaging(t *testing.T) {
	f := newFixture(t, 0)
	clerk, school := f.who("vanthu.sgd"), f.who("vanthu.thpt1")
	var docs []int64
	for range 5 {
		d := f.document(clerk, "yes", "thuong")
		f.issue(clerk, d.ID, routing.Recipients{Units: []int64{school.UnitID}}, "")
		docs = append(docs, d.ID)
	}
	f.db.MustExec(`INSERT INTO document_texts (document_id, version_no, state, method, body) VALUES ($1, 1, 'done', 'text', 'Hội thi giáo viên dạy giỏi')
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = EXCLUDED.state, method = EXCLUDED.method, body = EXCLUDED.body`, docs[2])
	inbox := func(fl routing.InboxFilter) routing.Page {
		t.Helper()
		p, err := f.rt.Inbox(f.ctx, school, fl)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	docIDs := func(p routing.Page) []int64 {
		var out []int64
		for _, d := range p.Items {
			out = append(out, d.DocumentID)
		}
		return out
	}
	if got := docIDs(inbox(routing.InboxFilter{Query: "giao vien day"})); !slices.Equal(got, []int64{docs[2]}) {
		t.Errorf("by text: %v", got)
	}
	if got := docIDs(inbox(routing.InboxFilter{Query: "so giao duc dao tao"})); len(got) != 5 {
		t.Errorf("by sender: %v", got)
	}
	if got := docIDs(inbox(routing.InboxFilter{Query: "' OR 1=1 --"})); len(got) != 0 {
		t.Errorf("syntax as words: %v", got)
	}
	if got := docIDs(inbox(routing.InboxFilter{Query: "thử nghiệm & !b | c:* ("})); len(got) != 0 {
		t.Errorf("tsquery syntax as words: %v", got)
	}
	if _, err := f.rt.Inbox(f.ctx, school, routing.InboxFilter{Query: "?!"}); err == nil {
		t.Error("no words: no error")
	}
	// Pages of two: forward, then back.
	p1 := inbox(routing.InboxFilter{Limit: 2})
	p2 := inbox(routing.InboxFilter{Limit: 2, Cursor: p1.NextCursor})
	p3 := inbox(routing.InboxFilter{Limit: 2, Cursor: p2.NextCursor})
	if p1.PrevCursor != "" || p2.PrevCursor == "" || p3.NextCursor != "" || len(p3.Items) != 1 {
		t.Fatalf("forward: %q %q %q %d", p1.PrevCursor, p2.PrevCursor, p3.NextCursor, len(p3.Items))
	}
	back2 := inbox(routing.InboxFilter{Limit: 2, Before: p3.PrevCursor})
	back1 := inbox(routing.InboxFilter{Limit: 2, Before: back2.PrevCursor})
	if !slices.Equal(docIDs(back2), docIDs(p2)) || !slices.Equal(docIDs(back1), docIDs(p1)) || back1.PrevCursor != "" || back2.NextCursor == "" {
		t.Errorf("back: %v %v, want %v %v; prev %q", docIDs(back2), docIDs(back1), docIDs(p2), docIDs(p1), back1.PrevCursor)
	}
}
