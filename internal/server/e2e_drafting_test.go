package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2EBrowserDrafting is the story in Chromium: the drafter
// uploads a PDF draft and asks the head of section to review it; the
// reviewer comments and approves; the drafter submits it to the director,
// who finds it in "Chờ tôi ký" (count in the menu) and returns it with a
// reason; the drafter finds it in "Bị trả lại", uploads a revision and
// submits again; the director signs it on the document page; the clerk
// finds it in "Chờ cấp số".
func TestE2EBrowserDrafting(t *testing.T) {
	env := newEnv(t, envOptions{signing: true})
	const title = "Kế hoạch tổ chức kỳ thi chọn học sinh giỏi năm 2027"
	files := t.TempDir()
	v1 := filepath.Join(files, "Kế hoạch 206.pdf")
	v2 := filepath.Join(files, "Kế hoạch 206 (sửa).pdf")
	if err := os.WriteFile(v1, fixturePDF(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, env.otherPDF(t), 0o644); err != nil {
		t.Fatal(err)
	}
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

	// (1) The drafter uploads the draft and asks for a review.
	login("chuyenvien.sgd", "/drafts")
	b.navigate("/drafts/new")
	b.must("fill the draft form", chromedp.Do(b.ctx,
		chromedp.SetValue(chromedp.ID("draft-doc-type"), "KH"),
		chromedp.SendKeys(chromedp.ID("draft-title"), title),
		chromedp.SetUploadFiles(chromedp.ID("draft-file"), []string{v1}),
	))
	click("create the draft", "#draft-upload-submit")
	m := regexp.MustCompile(`^/drafts/([0-9]+)$`).FindStringSubmatch(b.location().Path)
	if m == nil {
		t.Fatalf("after upload: at %s", b.location())
	}
	draftPath, id := m[0], m[1]
	b.waitText("#draft-state", "Đang soạn thảo")
	if ok, _ := b.find("object.pdf-view"); !ok {
		t.Error("no PDF viewer on the draft page")
	}
	if ok, _ := b.find("#download-pdf"); !ok {
		t.Error("no download link beside the viewer")
	}
	shots("draft")
	b.must("pick the reviewer", chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`input[id="reviewer-truongphong.sgd"]`))))
	click("ask for a review", "#review-submit")
	b.waitText(".flash", "Đã gửi đề nghị góp ý")
	logout()

	// (2) The reviewer comments and approves.
	login("truongphong.sgd", "/drafts")
	b.waitText("#review-count", "1")
	b.navigate("/queues/review")
	b.waitText("#queue-items", title)
	b.navigate(draftPath)
	b.must("type a comment", chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("comment-body"), "Mục II cần nêu rõ thời gian tổ chức")))
	click("comment", "#comment-submit")
	b.waitText("#comment-list", "Mục II cần nêu rõ thời gian tổ chức")
	click("approve", "#approve-button")
	b.waitText("#reviews", "Đã duyệt")
	logout()

	// (3) The drafter submits it to the director.
	login("chuyenvien.sgd", "/drafts")
	b.navigate(draftPath)
	b.waitText("#reviews", "Đã duyệt")
	b.waitText("#reviews", "Ký nháy: PTMT") // Phạm Thị Minh Thư's initials mark
	click("submit for signature", "#submit-button")
	b.waitText("#confirm-message", "Lê Hoài Nam")
	click("confirm the submission", "#confirm-button")
	b.waitText("#draft-state", "Chờ ký")
	logout()

	// (4) The director lands on Chờ tôi ký and returns it with a reason.
	login("giamdoc.sgd", "/queues/sign")
	b.waitText("#sign-count", "1")
	b.waitText("#queue-items", title)
	shots("sign-queue")
	if ok, _ := b.find(`#batch-sign input[name="doc"][value^="` + id + `:"]`); !ok {
		t.Error("no batch-signing checkbox for the draft")
	}
	b.navigate(draftPath)
	b.must("type the reason", chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("return-reason-input"), "Bổ sung dự toán kinh phí ở mục IV")))
	click("return", "#return-button")
	b.waitText("#confirm-message", "Bổ sung dự toán kinh phí ở mục IV")
	click("confirm the return", "#confirm-button")
	b.waitText("#draft-state", "Bị trả lại")
	logout()

	// (5) The drafter finds it returned, uploads a revision, submits again.
	login("chuyenvien.sgd", "/drafts")
	b.waitText("#returned-count", "1")
	b.navigate("/queues/returned")
	b.waitText("#queue-items", "Bổ sung dự toán kinh phí ở mục IV")
	b.navigate(draftPath)
	b.must("choose the revision", chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("revision-file"), []string{v2})))
	click("upload the revision", "#revision-submit")
	b.waitText("#revisions", "Bản sửa 2")
	click("submit again", "#submit-button")
	b.waitText("#confirm-message", "bản sửa 2")
	click("confirm the submission", "#confirm-button")
	b.waitText("#draft-state", "Chờ ký")
	logout()

	// (6) The director signs it on the document page.
	login("giamdoc.sgd", "/queues/sign")
	b.navigate(draftPath)
	click("open the document to sign", "#open-to-sign")
	click("sign", "#sign-button")
	b.waitText("#confirm-message", "Lê Hoài Nam")
	click("confirm the signature", "#confirm-button")
	b.waitText("main", "Đã ký số")
	if ok, n := b.find("#sign-count"); ok {
		t.Errorf("Chờ tôi ký still counts %s after the signature", n)
	}
	logout()

	// (7) The clerk lands on Chờ cấp số and finds it.
	login("vanthu.sgd", "/queues/register")
	b.waitText("#queue-items", title)
	if _, n := b.find("#register-count"); strings.TrimSpace(n) != "1" {
		t.Errorf("Chờ cấp số count %q", n)
	}
}
