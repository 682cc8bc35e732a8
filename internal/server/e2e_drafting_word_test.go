package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2EBrowserDraftingWord is the story in Chromium with the
// real LibreOffice: the drafter fills the plan template's form and sees
// the converted PDF and the Word file to download, asks the head of
// section to review; the reviewer approves; the drafter submits it to the
// director, who finds the count on "Chờ tôi ký", opens it and signs it;
// the clerk finds it in "Chờ cấp số" and registers it, and the document
// page shows the number.
func TestE2EBrowserDraftingWord(t *testing.T) {
	env := newEnv(t, envOptions{signing: true, converter: realConverter(t)})
	const title = "Kế hoạch tổ chức Hội thi giáo viên chủ nhiệm lớp giỏi năm học 2026-2027"
	b := newE2EBrowser(t, env.baseURL, 240*time.Second)
	click := func(step, css string) {
		t.Helper()
		if status := b.submit(step, chromedp.Click(chromedp.CSS(css))); status != 200 {
			_, msg := b.find(".error")
			t.Fatalf("%s: status %d at %s (error: %q)", step, status, b.location(), msg)
		}
	}
	login := func(username, lands string) {
		t.Helper()
		b.navigate("/login")
		status := b.submit("log in as "+username,
			chromedp.SendKeys(chromedp.ID("username"), username),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Click(chromedp.ID("login-submit")))
		if u := b.location(); status != 200 || u.Path != lands {
			t.Fatalf("log in as %s: status %d at %s, want %s", username, status, u, lands)
		}
	}
	logout := func() {
		t.Helper()
		click("log out", `form[action="/logout"] button`)
	}
	// shots screenshots the page on a phone and a laptop; on the phone
	// nothing may scroll sideways.
	shots := func(name string) {
		t.Helper()
		for _, v := range []struct {
			suffix        string
			width, height int64
		}{{"phone", 390, 844}, {"laptop", 1280, 900}} {
			b.must("resize", chromedp.Do(b.ctx, chromedp.EmulateViewport(v.width, v.height)))
			png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			b.must("screenshot "+name, err)
			p := filepath.Join(b.shots, name+"-"+v.suffix+".png")
			b.must("screenshot "+name, os.WriteFile(p, png, 0o644))
			t.Logf("screenshot: %s", p)
			if v.suffix == "phone" {
				wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				b.must("measure "+name, err)
				if wide {
					t.Errorf("%s scrolls sideways on a phone", name)
				}
			}
		}
		b.must("reset the viewport", chromedp.Do(b.ctx, chromedp.ResetViewport()))
	}

	// (1) The drafter fills the template's form: the draft is the
	// template's DOCX, converted to PDF at once.
	login("chuyenvien.sgd", "/drafts")
	b.navigate("/drafts/new")
	b.must("fill the template form", chromedp.Do(b.ctx,
		chromedp.SetValue(chromedp.ID("tpl-doc-type"), "KH"),
		chromedp.SendKeys(chromedp.ID("tpl-title"), title),
		chromedp.SendKeys(chromedp.CSS(`#draft-template-form textarea[name="recipients"]`), "Phòng Giáo dục và Đào tạo các quận, huyện;\nLưu: VT, Phòng GDTrH."),
		chromedp.SetValue(chromedp.ID("tpl-signer"), fmt.Sprint(env.userID(t, "giamdoc.sgd"))),
	))
	shots("draft-template-form")
	click("create the draft from the template", "#draft-template-submit")
	m := regexp.MustCompile(`^/drafts/([0-9]+)$`).FindStringSubmatch(b.location().Path)
	if m == nil {
		_, msg := b.find(".error")
		t.Fatalf("after the template form: at %s (error: %q)", b.location(), msg)
	}
	draftPath, id := m[0], m[1]
	b.waitText("#draft-state", "Đang soạn thảo")
	b.waitText("#draft-title", title)
	if ok, _ := b.find("object.pdf-view"); !ok {
		t.Error("no PDF viewer on the draft page")
	}
	b.waitText("#download-source", "Tải bản Word")
	if _, link := b.find("#download-source"); !strings.HasSuffix(link, "("+title+".docx)") {
		t.Errorf("the Word link: %q", link)
	}
	shots("draft-word")
	b.must("pick the reviewer", chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`input[id="reviewer-truongphong.sgd"]`))))
	click("ask for a review", "#review-submit")
	b.waitText(".flash", "Đã gửi đề nghị góp ý")
	logout()

	// (2) The head of section approves.
	login("truongphong.sgd", "/drafts")
	b.waitText("#review-count", "1")
	b.navigate(draftPath)
	click("approve", "#approve-button")
	b.waitText("#reviews", "Đã duyệt")
	logout()

	// (3) The drafter submits it to the director.
	login("chuyenvien.sgd", "/drafts")
	b.navigate(draftPath)
	b.waitText("#reviews", "Đã duyệt")
	click("submit for signature", "#submit-button")
	b.waitText("#confirm-message", "Lê Hoài Nam")
	click("confirm the submission", "#confirm-button")
	b.waitText("#draft-state", "Chờ ký")
	logout()

	// (4) The director finds it counted on Chờ tôi ký and signs it.
	login("giamdoc.sgd", "/queues/sign")
	b.waitText("#sign-count", "1")
	b.waitText("#queue-items", title)
	b.navigate(draftPath)
	click("open the document to sign", "#open-to-sign")
	click("sign", "#sign-button")
	b.waitText("#confirm-message", "Lê Hoài Nam")
	click("confirm the signature", "#confirm-button")
	b.waitText("main", "Đã ký số")
	logout()

	// (5) The clerk finds it in Chờ cấp số and registers it.
	login("vanthu.sgd", "/queues/register")
	b.waitText("#register-count", "1")
	b.waitText("#queue-items", title)
	click("open the document", `#queue-items a[href="/documents/`+id+`"]`)
	click("register", "#register-button")
	b.waitText("#confirm-message", "Cấp số 01/KH-SGDĐT")
	click("confirm the registration", "#confirm-button")
	b.waitText("#verdict", "Hợp lệ: 2 chữ ký")
	b.waitText(".facts", "01/KH-SGDĐT")
}
