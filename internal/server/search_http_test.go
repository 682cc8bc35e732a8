package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The school finds the plan it received by a phrase of its text typed
// without accents, on /search, through the documents list's search box,
// in its inbox and through the API; another school does not; a restricted
// document's text shows in no snippet of those it is hidden from.
func TestSearchReceivedAndRestricted(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk := e.login("vanthu.sgd")
	doc := e.issuable(t, nil)
	e.call(t, "POST", fmt.Sprintf("/api/v1/documents/%d/issue", doc.ID), clerk,
		map[string]any{"recipients": map[string]any{"units": []int64{webUnitID(e, codeTHCSVL)}}}, 201, nil)
	body := strings.Repeat("Nội dung trang một và trang hai của kế hoạch. ", 120) +
		"Trang 3. Tổ chức Hội thi giáo viên dạy giỏi cấp thành phố vào tháng Năm. " + strings.Repeat("Phụ lục. ", 40)
	e.db.MustExec(`INSERT INTO document_texts (document_id, version_no, state, method, body) VALUES ($1, 1, 'done', 'text', $2)
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = EXCLUDED.state, method = EXCLUDED.method, body = EXCLUDED.body`, doc.ID, body)
	// Restricted to its creator, the director, in the department.
	var secret int64
	e.db.Get(&secret, `INSERT INTO documents (unit_id, doc_type, title, doc_date, urgency, confidentiality, status, created_by, restricted)
		SELECT unit_id, 'BC', 'Hồ sơ kỷ luật', '2026-03-02', 'thuong', 'thuong', 'signed', id, true FROM users WHERE username = 'giamdoc.sgd' RETURNING id`)
	e.db.MustExec(`INSERT INTO document_texts (document_id, version_no, state, method, body) VALUES ($1, 1, 'done', 'text', 'Giáo viên dạy giỏi bị kỷ luật vì lộ đề thi')
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = EXCLUDED.state, method = EXCLUDED.method, body = EXCLUDED.body`, secret)

	type result struct {
		Items []struct {
			ID       int64  `json:"id"`
			Received bool   `json:"received"`
			Snippet  string `json:"snippet"`
		} `json:"items"`
		Total     int  `json:"total"`
		Truncated bool `json:"truncated"`
	}
	search := func(token, q string) (result, string) {
		t.Helper()
		var r result
		raw := e.call(t, "GET", "/api/v1/search?q="+url.QueryEscape(q), token, nil, 200, &r)
		return r, string(raw)
	}
	school := e.login("vanthu.thcs1")
	r, _ := search(school, "hoi thi giao vien day gioi cap thanh pho")
	if len(r.Items) != 1 || r.Items[0].ID != doc.ID || !r.Items[0].Received ||
		!strings.Contains(r.Items[0].Snippet, "<mark>Hội</mark> <mark>thi</mark> <mark>giáo</mark> <mark>viên</mark> <mark>dạy</mark> <mark>giỏi</mark>") {
		t.Fatalf("the school's search: %+v", r)
	}
	if r, _ := search(e.login("vanthu.thpt1"), "hoi thi giao vien"); len(r.Items) != 0 {
		t.Errorf("another school finds %+v", r.Items)
	}
	for _, who := range []string{"chuyenvien.sgd", "vanthu.thcs1", "vanthu.sgd"} {
		r, raw := search(e.login(who), "giao vien day gioi")
		for _, h := range r.Items {
			if h.ID == secret {
				t.Errorf("%s finds the restricted document", who)
			}
		}
		if strings.Contains(raw, "lộ đề") || strings.Contains(raw, "kỷ luật") {
			t.Errorf("%s sees the restricted text: %s", who, raw)
		}
	}
	if r, _ := search(e.login("giamdoc.sgd"), "lo de thi"); len(r.Items) != 1 || !strings.Contains(r.Items[0].Snippet, "<mark>lộ</mark> <mark>đề</mark> <mark>thi</mark>") {
		t.Errorf("its creator: %+v", r)
	}

	// Bad input: words, a message, a bound, a 422 with Vietnamese.
	for _, q := range []string{"' OR 1=1 --", "a & !b | c:*", "hoi thi')) ; DROP TABLE documents; --"} {
		search(school, q)
	}
	for _, q := range []string{"?? ̀ ́ !!", "("} {
		e.call(t, "GET", "/api/v1/search?q="+url.QueryEscape(q), school, nil, 422, nil)
	}
	if r, _ := search(school, strings.Repeat("giao vien day gioi ", 60)); !r.Truncated || len(r.Items) != 1 {
		t.Errorf("a long query: %+v", r)
	}
	if raw := e.call(t, "GET", "/api/v1/search?origin=all&status=x", school, nil, 422, nil); !strings.Contains(string(raw), "nguồn phải là") {
		t.Errorf("bad filters: %s", raw)
	}

	// Saved searches and the export.
	var ss struct{ ID int64 }
	e.call(t, "POST", "/api/v1/saved-searches", school, map[string]any{"name": "Hội thi", "params": map[string]any{"q": "hoi thi", "origin": "received"}, "columns": []string{"number", "title"}}, 201, &ss)
	var list struct{ Items []struct{ Name string } }
	e.call(t, "GET", "/api/v1/saved-searches", school, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "Hội thi" {
		t.Errorf("saved: %+v", list)
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/saved-searches/%d", ss.ID), e.login("vanthu.thpt1"), nil, 404, nil)
	status, csv, h := e.request("GET", "/api/v1/search/export?q=hoi+thi&col=number&col=title", school, nil, "")
	if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
		string(csv) != "\uFEFF\"Số, ký hiệu\",Trích yếu\n"+doc.NumberSymbol+","+doc.Title+"\n" {
		t.Errorf("export: %d %q", status, csv)
	}
	e.call(t, "DELETE", fmt.Sprintf("/api/v1/saved-searches/%d", ss.ID), school, nil, 204, nil)

	// The pages: the documents list's search box finds it too, and /search.
	b := newBrowser(t, e)
	b.login("vanthu.thcs1")
	status, page, _ := b.get("/documents?q=" + url.QueryEscape("hoi thi giao vien"))
	if status != 200 || !strings.Contains(page, doc.Title) || strings.Contains(page, "Chưa có văn bản nào khớp") {
		t.Fatalf("documents search box: %d\n%s", status, page)
	}
	status, page, _ = b.get("/search?q=" + url.QueryEscape("hoi thi giao vien"))
	if status != 200 || !strings.Contains(page, fmt.Sprintf(`id="hit-%d"`, doc.ID)) || !strings.Contains(page, "<mark>giáo</mark>") ||
		strings.Contains(page, "Chưa có văn bản nào khớp") {
		t.Fatalf("/search: %d\n%s", status, page)
	}
	status, page, _ = b.get("/search?q=" + url.QueryEscape("<script>alert(1)</script>") + "&col=title&col=snippet")
	if status != 200 || strings.Contains(page, "<script>alert") {
		t.Errorf("/search escapes: %d", status)
	}
	status, page, _ = b.get("/search?q=%21%21")
	if status != 422 || !strings.Contains(page, "không có chữ hay số") {
		t.Errorf("/search without words: %d", status)
	}
	_, page, _ = b.get("/search?q=hoi+thi")
	// A refused name: the results and the save form come back with the search.
	status, refused, _ := b.postForm("/search/saved", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"  "}, "q": {"hoi thi"}, "col": {"title"}}, "")
	if status != 422 || !strings.Contains(refused, `id="save-search"`) || !strings.Contains(refused, `<input type="hidden" name="q" value="hoi thi">`) ||
		!strings.Contains(refused, `id="search-count"`) {
		t.Errorf("a refused save lost the search: %d\n%s", status, refused)
	}
	status, _, h = b.postForm("/search/saved", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Hội thi"}, "q": {"hoi thi"}, "col": {"title"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("save: %d", status)
	}
	_, page, _ = b.get(h.Get("Location"))
	if !strings.Contains(page, "Đã lưu tìm kiếm") || !strings.Contains(page, `id="saved-searches"`) {
		t.Errorf("after saving: %s", page)
	}
	status, page, _ = b.get("/inbox?q=" + url.QueryEscape("giao vien day gioi"))
	if status != 200 || !strings.Contains(page, doc.Title) || !strings.Contains(page, `id="inbox-search"`) {
		t.Errorf("inbox search: %d", status)
	}
	if _, page, _ = b.get("/inbox?q=khong+co+dau"); strings.Contains(page, doc.Title) {
		t.Errorf("inbox search finds what does not match")
	}
}
