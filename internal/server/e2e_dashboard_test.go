package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/xuri/excelize/v2"
)

// TestE2EBrowserDashboard is issue 18's "done when", in a real headless
// Chromium: the department issues a plan to Quận 1's schools with a
// deadline already past; the department's leader sees the targets on the
// dashboard, clicks Quận 1's bar, then a school's, and finds the plan in
// the school's overdue cases; he exports the district view as XLSX and as
// PDF (both opened and read); Quận 1's head sees only his own district.
func TestE2EBrowserDashboard(t *testing.T) {
	env := newEnv(t, envOptions{signing: true})
	doc := env.issuable(t, nil)
	q1 := webUnitID(env, codeQ1Office)
	school := webUnitID(env, codeTHCSVL)
	q3 := webUnitID(env, "000.02.24.H29") // Quận 3
	city := webUnitID(env, "000.00.24.H29")
	body := fmt.Sprintf(`{"recipients":{"groups":["district:%d"]}}`, q1)
	if status, out, _ := env.request("POST", fmt.Sprintf("/api/v1/documents/%d/issue", doc.ID), env.login("vanthu.sgd"), strings.NewReader(body), "application/json"); status != 201 {
		t.Fatalf("issue to Quận 1's schools: %d %s", status, out)
	}
	runWebJobs(env)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, -5).Format(time.DateOnly)
	res := env.db.MustExec(`UPDATE deliveries SET due_date = $2 WHERE document_id = $1`, doc.ID, due)
	if n, _ := res.RowsAffected(); n != 3 {
		t.Fatalf("deliveries to Quận 1's schools: %d, want 3", n)
	}

	br := newE2EBrowser(t, env.baseURL, 120*time.Second)
	ctx, must, find := br.ctx, br.must, br.find
	navigate, waitText, login, logout, click := br.navigate, br.waitText, br.login, br.logout, br.click
	began := time.Now()
	step := func(name string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), name) }
	shots := func(name string, widths ...int64) {
		t.Helper()
		for _, w := range widths {
			suffix := map[int64]string{1280: "laptop", 768: "tablet"}[w]
			must("resize", chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			must("screenshot "+name, err)
			p := filepath.Join(br.shots, name+"-"+suffix+".png")
			must("screenshot "+name, os.WriteFile(p, png, 0o644))
			t.Logf("screenshot: %s", p)
			if w == 768 {
				wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				must("measure "+name, err)
				if wide {
					t.Errorf("%s scrolls sideways on a tablet", name)
				}
			}
		}
		must("reset the viewport", chromedp.Do(ctx, chromedp.ResetViewport()))
	}
	// download fetches a link of the page with the session, as a click
	// would: its type, its Content-Disposition and its bytes.
	download := func(css string) (string, string, []byte) {
		t.Helper()
		type file struct {
			Type, Disposition, Body string
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[file](fmt.Sprintf(`(async () => {
			const r = await fetch(document.querySelector(%q).href);
			const b = new Uint8Array(await r.arrayBuffer()); let s = "";
			for (const c of b) s += String.fromCharCode(c);
			return {Type: r.status + " " + r.headers.get("Content-Type"), Disposition: r.headers.get("Content-Disposition") || "", Body: btoa(s)}; })()`, css),
			chromedp.EvalAwaitPromise))
		must("download "+css, err)
		b, err := base64.StdEncoding.DecodeString(f.Body)
		must("decode "+css, err)
		return f.Type, f.Disposition, b
	}

	// (1) The department's leader: the city's targets.
	step("(1) the city")
	login("giamdoc.sgd")
	click("open the dashboard", "#nav-dashboard")
	waitText("#dash-title", "toàn thành phố")
	waitText("#target-on_time", "Hồ sơ xử lý đúng hạn")
	waitText("#target-on_time", "Mục tiêu 98%")
	waitText("#target-signed", "Mục tiêu 100%")
	waitText("#target-overdue", "3")
	waitText("#target-leaders", "Mục tiêu 100%")
	waitText("#target-meetings", "Chưa có dữ liệu") // no meeting held: no data, not 0%
	for _, id := range []string{"trend-signed", "trend-on-time", "trend-leaders", "units-chart"} {
		if ok, _ := find(fmt.Sprintf(`#%s svg[role="img"] title`, id)); !ok {
			t.Errorf("no accessible chart #%s", id)
		}
	}
	if ok, _ := find(`#details-link[href^="/indicators?"]`); !ok {
		t.Error("no link to the long table")
	}
	// Quận 1 is behind: its bar comes before a district with no data.
	order, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#units-chart a.bar-link")].map(a => a.dataset.unitLabel).join("|")`))
	must("read the bars", err)
	if i, j := strings.Index(order, "Quận 1|"), strings.Index(order, "Quận 3|"); i < 0 || j < 0 || i > j {
		t.Errorf("the bars' order: %s", order)
	}
	shots("dashboard-city", 1280, 768)

	// (2) Drill down: Quận 1's bar, then the school's.
	step("(2) Quận 1")
	click("click Quận 1's bar", fmt.Sprintf(`#units-chart a.bar-link[href$="unit=%d"]`, q1))
	waitText("#dash-title", "Quận 1 và các trường trực thuộc")
	waitText("#up-link", "Sở Giáo dục và Đào tạo")
	waitText("#units", "Trường THCS Văn Lang")
	waitText("#target-overdue", "3")
	shots("dashboard-district", 1280, 768)

	// (3) The district view's exports.
	step("(3) exports")
	typ, disp, xlsx := download("#export-xlsx")
	if !strings.HasPrefix(typ, "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") ||
		!strings.Contains(disp, "filename*=UTF-8''Ch%E1%BB%89%20s%E1%BB%91") {
		t.Fatalf("the XLSX: %s, %s", typ, disp)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(xlsx))
	must("open the XLSX", err)
	defer wb.Close()
	if v, _ := wb.GetCellValue("Chỉ tiêu", "A2"); !strings.Contains(v, "Quận 1 và các trường trực thuộc") {
		t.Errorf("the XLSX's scope: %q", v)
	}
	if v, _ := wb.GetCellValue("Chỉ tiêu", "A7"); v != "Hồ sơ xử lý đúng hạn" {
		t.Errorf("the XLSX's targets: %q", v)
	}
	rows, err := wb.GetRows("Đơn vị trực thuộc")
	must("read the units sheet", err)
	if len(rows) != 8 || rows[4][0] != "Đơn vị" || !strings.HasPrefix(rows[5][0], "Trường ") {
		t.Errorf("the XLSX's units: %q", rows)
	}
	typ, disp, pdf := download("#export-pdf")
	if !strings.HasPrefix(typ, "200 application/pdf") || !strings.Contains(disp, ".pdf") {
		t.Fatalf("the PDF: %s, %s", typ, disp)
	}
	text := oneLine(pdfText(t, pdf))
	for _, want := range []string{"CHỈ SỐ THỰC HIỆN KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH", "Phòng Giáo dục và Đào tạo Quận 1 và các trường trực thuộc",
		"Hồ sơ xử lý đúng hạn", "Mục tiêu 98%", "Trường THCS Văn Lang", "Cách tính", "Trang 1/"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}

	// (4) The school's overdue cases.
	step("(4) the school")
	click("click the school's bar", fmt.Sprintf(`#units-chart a.bar-link[href$="unit=%d"]`, school))
	waitText("#dash-title", "Trường THCS Văn Lang")
	waitText("#overdue", doc.Title)
	waitText("#overdue tbody tr:first-child", "5 ngày")
	if ok, _ := find(`#overdue a[href^="/inbox/"]`); !ok {
		t.Error("the overdue case has no link to its delivery")
	}
	waitText("#up-link", "Quận 1")
	shots("dashboard-school", 768)
	// A district with nothing going on: no data, never 0% or 100%.
	if status := navigate(fmt.Sprintf("/dashboard?unit=%d", q3)); status != 200 {
		t.Fatalf("Quận 3's dashboard: %d", status)
	}
	for _, id := range []string{"signed", "on_time", "median", "overdue", "leaders", "meetings"} {
		if _, text := find("#target-" + id); !strings.Contains(text, "Chưa có dữ liệu") || strings.Contains(text, "0%\n") {
			t.Errorf("Quận 3's %s: %q", id, text)
		}
	}
	waitText("#overdue-empty", "Không có hồ sơ quá hạn")
	logout()

	// (5) Quận 1's head: his district only.
	step("(5) Quận 1's head")
	login("truongphong.q1")
	navigate("/dashboard")
	waitText("#dash-title", "Quận 1 và các trường trực thuộc")
	if ok, _ := find("#up-link"); ok {
		t.Error("a district office is offered the city")
	}
	for _, id := range []int64{q3, city} {
		if status := navigate(fmt.Sprintf("/dashboard?unit=%d", id)); status != 404 {
			t.Errorf("Quận 1 opens unit %d: %d, want 404", id, status)
		}
		if status := navigate(fmt.Sprintf("/dashboard/export?format=pdf&unit=%d", id)); status != 404 {
			t.Errorf("Quận 1 exports unit %d: %d, want 404", id, status)
		}
	}
	if status := navigate(fmt.Sprintf("/dashboard?unit=%d", school)); status != 200 {
		t.Errorf("Quận 1 opens its school: %d", status)
	}
	waitText("#up-link", "Quận 1")
	// The same through the API, for the operations centre.
	headTok := env.login("truongphong.q1")
	if status, out, h := env.request("GET", "/api/v1/dashboard/export?format=pdf", headTok, nil, ""); status != 200 ||
		h.Get("Content-Type") != "application/pdf" || !strings.Contains(oneLine(pdfText(t, out)), "Quận 1 và các trường trực thuộc") {
		t.Errorf("the API's PDF: %d %s", status, h.Get("Content-Type"))
	}
	for q, want := range map[string]int{fmt.Sprintf("unit=%d", q3): 404, "format=csv": 422, "from=2090-01&to=2090-01": 422} {
		if status, out, _ := env.request("GET", "/api/v1/dashboard/export?"+q, headTok, nil, ""); status != want {
			t.Errorf("the API's export with %s: %d %s, want %d", q, status, out, want)
		}
	}
	// Bad periods are said on the page.
	for q, want := range map[string]string{"from=2090-01&to=2090-02": "ở tương lai", "from=2026-12&to=2026-01": "tháng bắt đầu phải trước",
		"from=2010-01&to=2026-01": "tối đa 60 tháng", "from=2026&to=2026-01": "tháng dạng YYYY-MM"} {
		if status := navigate("/dashboard?" + q); status != 422 {
			t.Errorf("period %s: %d, want 422", q, status)
		}
		if ok, msg := find(".error"); !ok || !strings.Contains(msg, "Chưa xem được chỉ số: ") || !strings.Contains(msg, want) {
			t.Errorf("period %s: error %q", q, msg)
		}
	}
	step("done")
}
