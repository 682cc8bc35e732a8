package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A restricted document is 404 to a colleague of the same unit on every
// read path of the API and the pages, and readable by the people and
// sections named, its creator and its signer; a unit it was sent to still
// reads it; its access history shows who opened it, to those entitled.
func TestRestrictedDocumentThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	named, member, colleague := e.login("truongphong.sgd"), e.login("phogiamdoc.sgd"), e.login("chuyenvien.sgd")
	admin, otherClerk := e.login("admin"), e.login("vanthu.q1")
	reg := e.signAndRegister(t, clerk, director)
	var unit, q1 int64
	e.db.Get(&unit, `SELECT unit_id FROM users WHERE username = 'vanthu.sgd'`)
	e.db.Get(&q1, `SELECT unit_id FROM users WHERE username = 'vanthu.q1'`)
	var sec, q1sec int64
	e.db.Get(&sec, `INSERT INTO sections (unit_id, name) VALUES ($1, 'Phòng Tổ chức cán bộ') RETURNING id`, unit)
	e.db.Get(&q1sec, `INSERT INTO sections (unit_id, name) VALUES ($1, 'Tổ văn phòng') RETURNING id`, q1)
	e.db.MustExec(`UPDATE users SET section_id = $1 WHERE username = 'phogiamdoc.sgd'`, sec)
	doc := fmt.Sprintf("/api/v1/documents/%d", reg.ID)
	reads := []string{doc, doc + "/versions/1/download", doc + "/versions/1/link", doc + "/versions/1/verification",
		doc + "/attachments", doc + "/signatures", doc + "/restriction"}
	listed := func(token string) bool {
		for _, q := range []string{"", "?q=cai+cach+hanh+chinh"} {
			var page struct{ Items []docJSON }
			e.call(t, "GET", "/api/v1/documents"+q, token, nil, 200, &page)
			for _, d := range page.Items {
				if d.ID == reg.ID {
					return true
				}
			}
		}
		return false
	}
	readsAs := func(who, token string, want int) {
		t.Helper()
		for _, p := range reads {
			if status, b, _ := e.request("GET", p, token, nil, ""); status != want {
				t.Errorf("%s GET %s: %d %s, want %d", who, p, status, b, want)
			}
		}
		if l := listed(token); l != (want == 200) {
			t.Errorf("%s: listed %v", who, l)
		}
	}
	readsAs("colleague", colleague, 200)

	// Bad input, and no right.
	put := doc + "/restriction"
	for _, body := range []map[string]any{
		{"restricted": true, "users": []int64{e.userID(t, "vanthu.q1")}},
		{"restricted": true, "users": []int64{99999}},
		{"restricted": true, "sections": []int64{q1sec}},
		{"restricted": true, "sections": []int64{99999}},
	} {
		e.call(t, "PUT", put, clerk, body, 422, nil)
	}
	e.call(t, "PUT", put, colleague, map[string]any{"restricted": true}, 403, nil)
	e.call(t, "PUT", put, otherClerk, map[string]any{"restricted": true}, 404, nil)
	e.call(t, "PUT", put, clerk, "not an object", 400, nil)

	var r struct {
		Restricted bool
		Users      []struct{ ID int64 }
		Sections   []struct{ ID int64 }
	}
	e.call(t, "PUT", put, clerk, map[string]any{"restricted": true, "users": []int64{e.userID(t, "truongphong.sgd")}, "sections": []int64{sec}}, 200, &r)
	if !r.Restricted || len(r.Users) != 1 || len(r.Sections) != 1 {
		t.Fatalf("restriction = %+v", r)
	}
	readsAs("colleague", colleague, 404)
	readsAs("admin", admin, 404)
	readsAs("named", named, 200)
	readsAs("section member", member, 200)
	readsAs("signer", director, 200)
	readsAs("creator", clerk, 200)
	e.call(t, "PUT", put, colleague, map[string]any{"restricted": false}, 404, nil)

	// Sent to Q1, it is read there as any document sent: the restriction
	// narrows its own unit only.
	e.call(t, "POST", doc+"/issue", clerk, map[string]any{"recipients": map[string]any{"units": []int64{q1}}}, 201, nil)
	e.call(t, "GET", doc, otherClerk, nil, 200, nil)
	e.call(t, "PUT", put, otherClerk, map[string]any{"restricted": false}, 403, nil)
	var seen struct {
		Restricted bool
		Users      []any
	}
	e.call(t, "GET", doc+"/restriction", otherClerk, nil, 200, &seen)
	if !seen.Restricted || len(seen.Users) != 0 {
		t.Errorf("Q1 sees the restriction as %+v", seen)
	}

	// The history: who opened it, for the creator; 404 to the others.
	var hist struct {
		Items []struct {
			UserName string `json:"user_name"`
			Kind     string
		}
		More bool
	}
	e.call(t, "GET", doc+"/access-history", clerk, nil, 200, &hist)
	var who []string
	for _, a := range hist.Items {
		who = append(who, a.UserName+" "+a.Kind)
	}
	if !strings.Contains(strings.Join(who, "|"), "Phạm Thị Minh Thư download") || !strings.Contains(strings.Join(who, "|"), "Nguyễn Văn Hiếu download") {
		t.Errorf("history = %v", who)
	}
	for _, tok := range []string{named, colleague, otherClerk} {
		e.call(t, "GET", doc+"/access-history", tok, nil, 404, nil)
	}
	e.call(t, "GET", doc+"/access-history?page=0", clerk, nil, 422, nil)

	// Statistics.
	var st struct {
		Total struct{ Total, Downloads int }
		Units []struct{ UnitName string }
	}
	e.call(t, "GET", "/api/v1/admin/access-stats", admin, nil, 200, &st)
	if st.Total.Total == 0 || st.Total.Downloads == 0 || len(st.Units) == 0 {
		t.Errorf("stats = %+v", st)
	}
	today := time.Now().Format(time.DateOnly)
	e.call(t, "GET", "/api/v1/admin/access-stats?from="+today+"&to=2020-01-01", admin, nil, 422, nil)
	e.call(t, "GET", fmt.Sprintf("/api/v1/admin/access-stats?unit=%d", q1), admin, nil, 200, nil)
	e.call(t, "GET", "/api/v1/admin/access-stats", clerk, nil, 403, nil)

	// Lifting restores.
	e.call(t, "PUT", put, clerk, map[string]any{"restricted": false}, 200, nil)
	readsAs("colleague after lifting", colleague, 200)
	var n int
	e.db.Get(&n, `SELECT count(*) FROM audit_log WHERE document_id = $1 AND action IN ('document.restrict', 'document.unrestrict')`, reg.ID)
	if n != 2 {
		t.Errorf("%d restriction audit entries, want 2", n)
	}
}

// The document page shows who sees a restricted document and, to those
// entitled, its access history; the form changes and lifts it; the
// administrator's statistics download as CSV with a BOM.
func TestRestrictionAndAccessHistoryPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	clerkTok := e.login("vanthu.sgd")
	d := e.create(t, clerkTok, validFields(), "Kế hoạch.pdf", fixturePDF(t))
	e.db.MustExec(`UPDATE documents SET status = 'signed' WHERE id = $1`, d.ID)
	page := fmt.Sprintf("/documents/%d", d.ID)

	colleague := newBrowser(t, e)
	colleague.login("chuyenvien.sgd")
	if status, body, _ := colleague.get(page); status != 200 || strings.Contains(body, "Lịch sử truy cập") {
		t.Fatalf("colleague's page: %d, history shown %v", status, strings.Contains(body, "Lịch sử truy cập"))
	}
	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	status, body, _ := clerk.get(page)
	if status != 200 || !strings.Contains(body, "Lịch sử truy cập") || !strings.Contains(body, "Trần Văn Lĩnh") || !strings.Contains(body, `id="restriction-form"`) {
		t.Fatalf("clerk's page: %d, history or form missing", status)
	}
	form := url.Values{"_csrf": {csrfOf(t, body)}, "action": {"restrict"}, "users": {fmt.Sprint(e.userID(t, "truongphong.sgd"))}}
	if status, _, h := clerk.postForm(page+"/restriction", form, e.baseURL); status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=restricted") {
		t.Fatalf("restrict: %d %q", status, h.Get("Location"))
	}
	_, body, _ = clerk.get(page + "?done=restricted")
	if !strings.Contains(body, "Hạn chế: chỉ những người sau được xem") || !strings.Contains(body, "Phạm Thị Minh Thư") {
		t.Error("the page does not say who sees the document")
	}
	if status, _, _ := colleague.get(page); status != 404 {
		t.Errorf("colleague's page of the restricted document: %d", status)
	}
	form.Set("action", "lift")
	if status, _, _ := clerk.postForm(page+"/restriction", form, e.baseURL); status != http.StatusSeeOther {
		t.Fatalf("lift: %d", status)
	}
	if status, _, _ := colleague.get(page); status != 200 {
		t.Errorf("colleague's page after lifting: %d", status)
	}

	admin := newBrowser(t, e)
	admin.login("admin")
	if status, body, _ := admin.get("/admin/access-stats"); status != 200 || !strings.Contains(body, "Thống kê truy cập") {
		t.Fatalf("stats page: %d", status)
	}
	status, body, h := admin.get("/admin/access-stats?format=csv")
	if status != 200 || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, "Văn bản,") {
		t.Fatalf("CSV: %d %q", status, body[:min(len(body), 80)])
	}
	if status, _, _ := clerk.get("/admin/access-stats"); status != 403 {
		t.Errorf("a clerk's stats page: %d", status)
	}
}
