package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/domain"
)

// TestE2EBrowserRouting drives routing in a real headless Chromium: the
// department's clerk issues a numbered document to the Quận 1 office and
// a school from the document page; the school's clerk sees it in the inbox
// with the bell and accepts it; the board shows 1/2 accepted; the office's
// clerk refuses it with a reason and the board shows the refusal.
//
// Screenshots of the issue form, the inbox, the delivery page and the
// board, at laptop and phone widths, go to $VANBAN_SCREENSHOTS when set.
func TestE2EBrowserRouting(t *testing.T) {
	env := newEnv(t, envOptions{signing: true})
	const title = "Kế hoạch cải cách hành chính năm 2021"
	f := validFields()
	f["urgency"] = "khan" // the document's, which the issue keeps
	doc := env.issuable(t, f)
	docPath := fmt.Sprintf("/documents/%d", doc.ID)
	q1, school := webUnitID(env, codeQ1Office), webUnitID(env, codeTHCSVL)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 14).Format(time.DateOnly)

	br := newE2EBrowser(t, env.baseURL, 180*time.Second)
	ctx, must, location, find := br.ctx, br.must, br.location, br.find
	navigate := br.navigate
	poll, waitText := br.poll, br.waitText
	// shots takes the whole page at a laptop's and a phone's width.
	shots := func(name string) {
		t.Helper()
		for _, v := range []struct {
			suffix        string
			width, height int64
		}{{"laptop", 1280, 900}, {"phone", 390, 844}} {
			must("resize for "+name, chromedp.Do(ctx, chromedp.EmulateViewport(v.width, v.height)))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			must("screenshot "+name, err)
			p := filepath.Join(br.shots, name+"-"+v.suffix+".png")
			must("screenshot "+name, os.WriteFile(p, png, 0o644))
			t.Logf("screenshot: %s", p)
		}
		must("reset the viewport", chromedp.Do(ctx, chromedp.ResetViewport()))
	}
	login, logout, click := br.login, br.logout, br.click
	unitBox := func(id int64) string { return fmt.Sprintf("issue-unit-%d", id) }

	// (1) The department's clerk issues the document to the Quận 1 office
	// and Trường THCS Văn Lang, found with the filter typed without marks.
	login("vanthu.sgd")
	navigate(docPath)
	waitText("#issue-form", "Nơi nhận")
	shots("issue-form")
	must("filter the units", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("issue-unit-filter"), "van lang")))
	poll("the filter to keep only Văn Lang", fmt.Sprintf(`(() => {
		const vl = document.getElementById(%q).closest("label"), q1 = document.getElementById(%q).closest("label");
		return !vl.hidden && q1.hidden; })()`, unitBox(school), unitBox(q1)))
	must("choose the school", chromedp.Do(ctx, chromedp.Click(chromedp.ID(unitBox(school)))))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.getElementById("issue-unit-filter");
		f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`))
	must("clear the filter", err)
	must("choose the office", chromedp.Do(ctx,
		chromedp.Click(chromedp.ID(unitBox(q1))),
		chromedp.SetValue(chromedp.ID("issue-due"), due),
		chromedp.SendKeys(chromedp.ID("issue-note"), "Đề nghị các đơn vị triển khai"),
	))
	waitText("[data-picker-count]", "2 đơn vị chọn riêng")
	click("issue", "#issue-button")
	// The confirmation names the consequence before anything is sent.
	waitText("#confirm-message", "Phát hành văn bản số 01/KH-SGDĐT")
	waitText("#confirm-message", "tới 2 đơn vị")
	shots("issue-confirm")
	click("confirm the issue", "#confirm-button")
	waitText(".flash", "Đã phát hành văn bản đến 2 đơn vị")
	logout()
	runWebJobs(env)

	// (2) The school's clerk finds it in the inbox, with the bell, and
	// accepts it.
	login("vanthu.thcs1")
	if ok, n := find("#bell-count"); !ok || n != "1" {
		t.Errorf("bell of the school's clerk: present %v, count %q, want 1", ok, n)
	}
	navigate("/inbox")
	waitText("#inbox", title)
	_, row := find("#inbox tbody tr")
	// Only a signed and registered document goes out: its signatures are checked.
	for _, want := range []string{"01/KH-SGDĐT", "Sở Giáo dục và Đào tạo", "Khẩn", "Đã đến", "Hợp lệ"} {
		if !strings.Contains(row, want) {
			t.Errorf("inbox row lacks %q:\n%s", want, row)
		}
	}
	shots("inbox")
	click("open the delivery", "#inbox .title-cell a")
	if !strings.HasPrefix(location().Path, "/inbox/") {
		t.Fatalf("the inbox link goes to %s", location())
	}
	click("accept", "#accept-button")
	waitText(".flash", "Đã tiếp nhận văn bản, số đến 1.")
	waitText("#incoming-number", "1")
	waitText("#delivery-state", "Đã tiếp nhận")
	waitText("#history", "Tiếp nhận")
	shots("delivery")
	logout()

	// (3) The sender's board: one of two accepted.
	login("vanthu.sgd")
	navigate(docPath)
	click("open the board", "#board-link")
	waitText("#board-summary", "1/2 đơn vị đã tiếp nhận")
	waitText("#board", "Trường THCS Văn Lang")
	logout()

	// (4) The Quận 1 office's clerk refuses it with a reason.
	login("vanthu.q1")
	navigate("/inbox")
	waitText("#inbox", title)
	click("open the delivery", "#inbox .title-cell a")
	must("type the reason", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("refuse-reason"), "Gửi nhầm: văn bản dành cho các trường")))
	click("refuse", "#refuse-button")
	waitText(".flash", "Đã từ chối nhận văn bản")
	waitText("#delivery-reason", "Gửi nhầm")
	logout()

	// (5) The board shows the refusal, its reason and who refused.
	login("vanthu.sgd")
	navigate(docPath + "/deliveries")
	waitText("#board-summary", "1 từ chối")
	_, board := find("#board")
	for _, want := range []string{"Từ chối", "Gửi nhầm: văn bản dành cho các trường", "Phạm Thị Ngọc Ánh", "Phòng Giáo dục và Đào tạo Quận 1"} {
		if !strings.Contains(board, want) {
			t.Errorf("board lacks %q:\n%s", want, board)
		}
	}
	shots("board")

	// The sender was told of the refusal; the other pages render.
	navigate("/notifications")
	waitText("#notifications", "Văn bản bị từ chối")
	shots("notifications")
	navigate("/indicators")
	waitText("#indicators", "Sở Giáo dục và Đào tạo")
	shots("indicators")
	navigate("/registers?kind=outgoing")
	waitText("main", "Sổ đăng ký văn bản đi")
	shots("registers")
}
