package documents_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

// searchEnv is demoEnv with a stand-in for the deliveries: a unit sees
// another unit's document when test_reach names it.
func newSearchEnv(t *testing.T) *demoEnv {
	e := newDemoEnv(t)
	e.db.MustExec(`CREATE TABLE test_reach (document_id bigint, unit_id bigint)`)
	e.docs.AddLink(documents.Link{Reach: `EXISTS (SELECT 1 FROM test_reach tr WHERE tr.document_id = d.id AND tr.unit_id = :unit)`})
	return e
}

// doc records a document of p's unit with the given text, straight in SQL.
func (e *demoEnv) doc(p auth.Principal, status, title, body string, number int) int64 {
	e.t.Helper()
	var id int64
	var num, sym any
	if number > 0 {
		num, sym = number, "KH-SGDĐT"
	}
	if err := e.db.Get(&id, `INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality, status, created_by, origin)
		VALUES ($1, 'KH', $2, $3, $4, '2026-03-02', 'thuong', 'thuong', $5, $6, CASE WHEN $2::int IS NULL THEN 'outgoing' ELSE 'paper_copy' END) RETURNING id`,
		p.UnitID, num, sym, title, status, p.UserID); err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		e.db.MustExec(`INSERT INTO document_texts (document_id, version_no, state, method, body) VALUES ($1, 1, 'done', 'text', $2)
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = EXCLUDED.state, method = EXCLUDED.method, body = EXCLUDED.body`, id, body)
	}
	return id
}

func ids(r documents.SearchResult) []int64 {
	var out []int64
	for _, h := range r.Items {
		out = append(out, h.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	e := newSearchEnv(t)
	dept, drafter, school, other := e.who("chuyenvien.sgd"), e.who("vanthu.sgd"), e.who("vanthu.thpt1"), e.who("vanthu.thcs1")
	body := strings.Repeat("Nội dung chung của kế hoạch năm học. ", 200) +
		"Trang 3: tổ chức Hội thi giáo viên dạy giỏi cấp thành phố vào tháng Năm. " + strings.Repeat("Phần cuối. ", 50)
	plan := e.doc(drafter, "issued", "Kế hoạch tổ chức các hoạt động năm học 2026", body, 206)
	e.db.MustExec(`INSERT INTO test_reach VALUES ($1, $2)`, plan, school.UnitID)
	titleHit := e.doc(drafter, "issued", "Hội thi giáo viên dạy giỏi", "", 207)
	draft := e.doc(drafter, "draft", "Dự thảo hội thi giáo viên dạy giỏi", "giáo viên dạy giỏi bí mật", 0)
	restricted := e.doc(drafter, "issued", "Hồ sơ kỷ luật", "giáo viên dạy giỏi bị kỷ luật, nội dung hạn chế", 208)
	e.db.MustExec(`UPDATE documents SET restricted = true WHERE id = $1`, restricted)

	search := func(p auth.Principal, f documents.SearchFilter) documents.SearchResult {
		t.Helper()
		r, err := e.docs.Search(e.ctx, p, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		return r
	}
	// The school finds the plan it received by a phrase of its body typed
	// without accents, the snippet shows the accents, the words marked.
	r := search(school, documents.SearchFilter{Query: "hoi thi giao vien day gioi"})
	if got := ids(r); !slices.Equal(got, []int64{plan}) {
		t.Fatalf("school found %v, want the plan %d", got, plan)
	}
	h := r.Items[0]
	if !h.Received || !strings.Contains(string(h.Snippet), "<mark>Hội</mark> <mark>thi</mark> <mark>giáo</mark> <mark>viên</mark> <mark>dạy</mark> <mark>giỏi</mark>") {
		t.Errorf("received %v, snippet %q", h.Received, h.Snippet)
	}
	if n := len([]rune(string(h.Snippet))); n > 400 {
		t.Errorf("snippet too long: %q", h.Snippet)
	}
	// Another unit finds nothing.
	if got := ids(search(other, documents.SearchFilter{Query: "hoi thi giao vien"})); len(got) != 0 {
		t.Errorf("another school found %v", got)
	}
	// In the department a title match ranks above a body-only one; the
	// draft and the restricted document stay with those who see them.
	got := ids(search(dept, documents.SearchFilter{Query: "giao vien day gioi"}))
	if !slices.Equal(got, []int64{titleHit, plan}) {
		t.Errorf("staff found %v, want %v", got, []int64{titleHit, plan})
	}
	got = ids(search(drafter, documents.SearchFilter{Query: "giao vien day gioi"}))
	if !slices.Contains(got, draft) || !slices.Contains(got, restricted) || got[len(got)-1] == titleHit {
		t.Errorf("drafter found %v", got)
	}
	// Origin, number, filters.
	if got := ids(search(school, documents.SearchFilter{Query: "206/KH", Origin: "own"})); len(got) != 0 {
		t.Errorf("own only: %v", got)
	}
	if got := ids(search(school, documents.SearchFilter{Query: "206 KH-SGDĐT", Origin: "received", Issuer: "so giao duc"})); !slices.Equal(got, []int64{plan}) {
		t.Errorf("by number: %v", got)
	}
	if got := ids(search(school, documents.SearchFilter{Status: "issued", Sort: "date"})); !slices.Equal(got, []int64{plan}) {
		t.Errorf("no words: %v", got)
	}
	// Bad input: syntax is words, no words is a message, too many words
	// are cut, unknown filters are refused.
	for _, q := range []string{"' OR 1=1 --", "a & !b | c:*", "(", `"); DROP TABLE documents; --`} {
		if _, err := e.docs.Search(e.ctx, school, documents.SearchFilter{Query: q}); err != nil && !strings.Contains(err.Error(), "validation") {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%q: %v", q, err)
			}
		}
	}
	var ve *domain.ValidationError
	if _, err := e.docs.Search(e.ctx, school, documents.SearchFilter{Query: "́ ̀ ?!"}); !errors.As(err, &ve) || ve.Fields["q"] == "" {
		t.Errorf("only marks: %v", err)
	}
	if r := search(school, documents.SearchFilter{Query: strings.Repeat("giáo viên ", 1000)}); !r.Truncated || len(r.Words) != 16 || len(r.Items) != 1 {
		t.Errorf("long query: truncated %v, %d words, %d items", r.Truncated, len(r.Words), len(r.Items))
	}
	if _, err := e.docs.Search(e.ctx, school, documents.SearchFilter{Origin: "x", Status: "y", Urgency: "z", Sort: "w", From: "hôm qua"}); !errors.As(err, &ve) || len(ve.Fields) != 5 {
		t.Errorf("bad filters: %v", err)
	}

	// Saved searches are per person; export writes the chosen columns.
	ss, err := e.docs.SaveSearch(e.ctx, school, "Hội thi", documents.SearchFilter{Query: "hoi thi", Origin: "received"}, []string{"title", "number"})
	if err != nil || !slices.Equal([]string(ss.Columns), []string{"number", "title"}) || ss.Params.Query != "hoi thi" {
		t.Fatalf("save: %+v %v", ss, err)
	}
	if l, _ := e.docs.SavedSearches(e.ctx, other); len(l) != 0 {
		t.Errorf("another person sees %v", l)
	}
	if err := e.docs.DeleteSavedSearch(e.ctx, other, ss.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another person deletes: %v", err)
	}
	ex, err := e.docs.SearchExport(e.ctx, school, ss.Params, false)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := documents.WriteSearchCSV(&buf, ex, ss.Columns); err != nil {
		t.Fatal(err)
	}
	if want := "\uFEFFSố, ký hiệu,Trích yếu\n206/KH-SGDĐT,Kế hoạch tổ chức các hoạt động năm học 2026\n"; buf.String() != strings.ReplaceAll(want, "Số, ký hiệu", `"Số, ký hiệu"`) {
		t.Errorf("csv %q", buf.String())
	}
	if err := e.docs.DeleteSavedSearch(e.ctx, school, ss.ID); err != nil {
		t.Error(err)
	}
}

func TestSnippet(t *testing.T) {
	got := documents.Snippet("<b>Trường</b> & ĐOÀN thể: tổ chức", []string{"truong", "doan"}, 40)
	if want := "&lt;b&gt;<mark>Trường</mark>&lt;/b&gt; &amp; <mark>ĐOÀN</mark> thể: tổ chức"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Decomposed input shows composed.
	if got := documents.Highlight("Hội thi", []string{"hoi"}); got != "<mark>Hội</mark> thi" {
		t.Errorf("got %q", got)
	}
}

// The count is the same whether the branches' rows hold every match or a
// branch filled the ranking pool and the matches are counted again.
func TestSearchCountsPastThePool(t *testing.T) {
	e := newSearchEnv(t)
	drafter := e.who("vanthu.sgd")
	for i := range 7 {
		title, body := "Hội thảo chuyên đề số "+strconv.Itoa(i+1), ""
		if i%3 == 1 { // found by its text alone
			title, body = "Chuyên đề số "+strconv.Itoa(i+1), "Nội dung hội thảo chuyên đề."
		}
		e.doc(drafter, "issued", title, body, 400+i)
	}
	for _, pool := range []int{1000, 3, 2, 1} {
		for _, fromBranches := range []bool{true, false} {
			restore := documents.SetSearchRankPool(pool)
			restoreCount := documents.SetSearchCountFromBranches(fromBranches)
			r, err := e.docs.Search(e.ctx, drafter, documents.SearchFilter{Query: "hoi thao", Limit: 1})
			restoreCount()
			restore()
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != 7 || r.More || len(r.Items) != 1 {
				t.Errorf("pool %d, from branches %v: total %d, more %v, %d items; want 7, no more, 1 item", pool, fromBranches, r.Total, r.More, len(r.Items))
			}
		}
	}
}

// A search counts its results up to a cap, and says there are more: the
// pages still go on to the last result.
func TestSearchCountsUpToACap(t *testing.T) {
	e := newSearchEnv(t)
	drafter := e.who("vanthu.sgd")
	defer documents.SetSearchTotalCap(3)()
	var all []int64
	for i := range 5 {
		title, body := "Hội thảo chuyên đề số "+strconv.Itoa(i+1), ""
		if i%2 == 1 { // found by its text alone
			title, body = "Chuyên đề số "+strconv.Itoa(i+1), "Nội dung hội thảo chuyên đề."
		}
		all = append(all, e.doc(drafter, "issued", title, body, 300+i))
	}
	seen := map[int64]bool{}
	for page := 1; page <= 3; page++ {
		r, err := e.docs.Search(e.ctx, drafter, documents.SearchFilter{Query: "hoi thao", Page: page, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 3 || !r.More || !r.HasNext() && page < 3 {
			t.Fatalf("page %d: total %d, more %v, next %v; want 3, more, a next page", page, r.Total, r.More, r.HasNext())
		}
		for _, id := range ids(r) {
			seen[id] = true
		}
		if page == 1 && (len(r.Items) != 2 || r.Items[0].Snippet != "" || r.Items[1].Snippet != "") {
			t.Errorf("page 1 should hold two title matches first: %+v", ids(r))
		}
	}
	for _, id := range all {
		if !seen[id] {
			t.Errorf("document %d never listed (seen %v, want %v)", id, seen, all)
		}
	}
}
