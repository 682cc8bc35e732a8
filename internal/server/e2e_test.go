package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/domain"
)

// TestE2EBrowser drives the web UI in a real headless Chromium: login, empty
// list, upload through the form, the document page, search without accents,
// download, the list on a phone, the upload form's error path, and what
// another unit's clerk may not see.
//
// The browser is /usr/bin/chromium or $VANBAN_CHROMIUM. Screenshots go to
// $VANBAN_SCREENSHOTS when set, otherwise to a temporary folder.
func TestE2EBrowser(t *testing.T) {
	env := newEnv(t, envOptions{})
	base := env.baseURL
	const title = "Kế hoạch cải cách hành chính năm 2021"

	// The upload carries a Vietnamese file name, which the download must keep.
	fixture := fixturePDF(t)
	files := t.TempDir()
	pdfPath := filepath.Join(files, "Kế hoạch 206.pdf")
	notPDFPath := filepath.Join(files, "ghi chú.pdf")
	downloads := t.TempDir()
	if err := os.WriteFile(pdfPath, fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPDFPath, []byte("Đây không phải là tệp PDF.\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	br := newE2EBrowser(t, base, 90*time.Second)
	ctx, must, location, find, shots := br.ctx, br.must, br.location, br.find, br.shots
	navigate, submit := br.navigate, br.submit
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must("screenshot "+name, err)
		p := filepath.Join(shots, name)
		must("screenshot "+name, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot: %s", p)
	}
	noHorizontalScroll := func(what string) {
		t.Helper()
		type widths struct {
			Scroll int `json:"scroll"`
			Inner  int `json:"inner"`
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[widths](
			`({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`))
		must("measure "+what, err)
		if w.Scroll > w.Inner {
			t.Errorf("%s scrolls sideways on a phone: scrollWidth %d > innerWidth %d", what, w.Scroll, w.Inner)
		}
	}
	login := func(username string) {
		t.Helper()
		if ok, _ := find("#username"); !ok {
			t.Fatalf("login as %s: no login form at %s", username, location())
		}
		status := submit("log in as "+username,
			chromedp.SendKeys(chromedp.ID("username"), username),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Click(chromedp.ID("login-submit")))
		if u := location(); status != 200 || !landingPage(u.Path) {
			_, msg := find(".error")
			t.Fatalf("log in as %s: status %d at %s, want 200 at /documents (error: %q)", username, status, u, msg)
		}
	}

	// (1) A page behind the login redirects to the login form, which then
	// leads back to it.
	if status := navigate("/documents"); status != 200 {
		t.Fatalf("GET /documents without a session: status %d after redirects, want the login page", status)
	}
	if u := location(); u.Path != "/login" || u.Query().Get("next") != "/documents" {
		t.Fatalf("GET /documents without a session: at %s, want /login?next=/documents", u)
	}
	login("vanthu.sgd")
	if _, who := find(".who"); !strings.Contains(who, "Nguyễn Thị Thu Hà") {
		t.Errorf("header after login shows %q, want the clerk's name Nguyễn Thị Thu Hà", who)
	}

	// (2) No documents yet.
	if ok, text := find("#empty"); !ok || !strings.Contains(text, "Chưa có văn bản nào") {
		t.Fatalf("empty list: #empty present %v, text %q", ok, text)
	}
	if ok, _ := find("#documents"); ok {
		t.Fatal("empty list: #documents is shown")
	}

	// (3) Upload through the form.
	if status := navigate("/documents/new"); status != 200 {
		t.Fatalf("GET /documents/new: status %d", status)
	}
	must("fill the upload form", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("doc_type"), "KH"),
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.SetValue(chromedp.ID("doc_date"), "2021-01-22"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{pdfPath}),
	))
	if typed, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("title"))); err != nil || typed != title {
		t.Fatalf("typed title reads back %q (%v), want %q", typed, err, title)
	}
	if status := submit("submit the upload form", chromedp.Click(chromedp.ID("upload-submit"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("upload: status %d at %s (error: %q)", status, location(), msg)
	}
	docURL := location()
	if !regexp.MustCompile(`^/documents/[0-9]+$`).MatchString(docURL.Path) || docURL.Query().Get("created") != "1" {
		t.Fatalf("after upload: at %s, want /documents/{id}?created=1", docURL)
	}
	docPath := docURL.Path

	// (4) The document page: the title with its diacritics, who uploaded it
	// and when (Vietnam time, a few moments ago).
	if _, flash := find(".flash"); flash != "Đã tải lên văn bản." {
		t.Errorf("flash after upload: %q", flash)
	}
	if _, got := find("#doc-title"); got != title {
		t.Errorf("#doc-title = %q, want %q", got, title)
	}
	_, creator := find("#doc-creator")
	m := regexp.MustCompile(`^Nguyễn Thị Thu Hà, (\d{2}:\d{2} \d{2}/\d{2}/\d{4})$`).FindStringSubmatch(creator)
	if m == nil {
		t.Errorf("#doc-creator = %q, want \"Nguyễn Thị Thu Hà, HH:MM DD/MM/YYYY\"", creator)
	} else if at, err := time.ParseInLocation("15:04 02/01/2006", m[1], domain.VietnamTime); err != nil {
		t.Errorf("#doc-creator time %q: %v", m[1], err)
	} else if d := time.Since(at); d < -time.Minute || d > 5*time.Minute {
		t.Errorf("#doc-creator time %q is %v away from now; is it in Vietnam time (UTC+07:00)?", m[1], d)
	}
	// A draft has no number until the clerk registers it.
	if _, facts := find(".facts"); !strings.Contains(facts, "chưa đăng ký số") || !strings.Contains(facts, "22/01/2021") {
		t.Errorf("document facts lack \"chưa đăng ký số\" or the date 22/01/2021:\n%s", facts)
	}
	if _, versions := find(".versions"); !strings.Contains(versions, "Kế hoạch 206.pdf") {
		t.Errorf("version list lacks the file name Kế hoạch 206.pdf:\n%s", versions)
	}
	screenshot("document.png")

	// (5) The list shows it; search works without accents.
	navigate("/documents")
	if ok, list := find("#documents"); !ok || !strings.Contains(list, title) || !strings.Contains(list, "Nguyễn Thị Thu Hà") {
		t.Fatalf("list after upload: #documents present %v, text %q", ok, list)
	}
	search := func(q string) {
		t.Helper()
		submit("search "+q,
			chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), q),
			chromedp.Submit(chromedp.CSS(`input[name="q"]`)))
		if got := location().Query().Get("q"); got != q {
			t.Fatalf("search %q: at %s", q, location())
		}
	}
	search("cai cach hanh chinh")
	if ok, list := find("#documents"); !ok || !strings.Contains(list, title) {
		t.Errorf("search \"cai cach hanh chinh\" does not find the document: #documents present %v, text %q", ok, list)
	}
	navigate("/documents")
	search("khong co")
	if ok, text := find("#empty"); !ok || !strings.Contains(text, "khớp với điều kiện lọc") {
		t.Errorf("search \"khong co\": #empty present %v, text %q", ok, text)
	}
	if ok, _ := find("#documents"); ok {
		t.Error("search \"khong co\" lists documents")
	}

	// (6) Download: the browser saves the very bytes, under the name given.
	navigate(docPath)
	must("allow downloads", chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName,
			DownloadPath:  downloads,
			EventsEnabled: new(true),
		})
		return err
	})))
	dctx, cancelDownload := context.WithTimeout(ctx, 30*time.Second)
	begins := chromedp.Events(dctx, browser.DownloadWillBegin)
	progress := chromedp.Events(dctx, browser.DownloadProgress)
	must("click #download-1", chromedp.Do(ctx, chromedp.Click(chromedp.ID("download-1"))))
	var done browser.EventDownloadProgress
	for ev, err := range progress {
		must("wait for the download", err)
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("download %s was cancelled", ev.GUID)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			done = ev
			break
		}
	}
	var begin browser.EventDownloadWillBegin
	for ev, err := range begins {
		must("wait for the start of the download", err)
		begin = ev
		break
	}
	cancelDownload()
	if begin.GUID != done.GUID {
		t.Errorf("download started %q but completed %q", begin.GUID, done.GUID)
	}
	if begin.SuggestedFilename != "Kế hoạch 206.pdf" {
		t.Errorf("download file name %q, want %q", begin.SuggestedFilename, "Kế hoạch 206.pdf")
	}
	got, err := os.ReadFile(filepath.Join(downloads, done.GUID))
	must("read the downloaded file", err)
	if !bytes.Equal(got, fixture) {
		t.Errorf("downloaded %d bytes that differ from the %d uploaded", len(got), len(fixture))
	}

	// (7) On a phone the list fits the screen's width.
	must("emulate a phone", chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))))
	navigate("/documents")
	if ok, _ := find("#documents"); !ok {
		t.Fatal("phone: no #documents")
	}
	noHorizontalScroll("the list")
	screenshot("documents-mobile.png")
	navigate(docPath)
	noHorizontalScroll("the document page")
	screenshot("document-mobile.png")
	must("leave the phone", chromedp.Do(ctx, chromedp.ResetViewport()))

	// (9) A file that is not a PDF: a Vietnamese message, and the form keeps
	// what was typed.
	const title2 = "Công văn về việc tổ chức ôn tập học kỳ I"
	navigate("/documents/new")
	must("fill the upload form", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("doc_type"), "CV"),
		chromedp.SendKeys(chromedp.ID("title"), title2),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{notPDFPath}),
	))
	if status := submit("submit a file that is not a PDF", chromedp.Click(chromedp.ID("upload-submit"))); status != 415 {
		t.Errorf("upload of a non-PDF: status %d, want 415", status)
	}
	if ok, msg := find(`.error[role="alert"]`); !ok || !strings.Contains(msg, "Chỉ nhận tệp PDF") {
		t.Errorf("upload of a non-PDF: error present %v, message %q", ok, msg)
	}
	if kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("title"))); err != nil || kept != title2 {
		t.Errorf("after the error the title field holds %q (%v), want %q", kept, err, title2)
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("doc_type"))); err != nil || v != "CV" {
		t.Errorf("after the error the type is %q (%v), want CV", v, err)
	}
	if n, _ := env.countRows(); n != 1 {
		t.Errorf("%d documents after the refused upload, want 1", n)
	}

	// (8) Another unit's clerk sees nothing of the department's documents.
	if status := submit("log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); status != 200 || location().Path != "/login" {
		t.Fatalf("log out: status %d at %s, want the login page", status, location())
	}
	if status := navigate("/documents"); status != 200 || location().Path != "/login" {
		t.Fatalf("after log out /documents gives %d at %s, want the login page", status, location())
	}
	login("vanthu.thcs1")
	if ok, text := find("#empty"); !ok || !strings.Contains(text, "Chưa có văn bản nào") {
		t.Errorf("school's list: #empty present %v, text %q", ok, text)
	}
	if status := navigate(docPath); status != 404 {
		t.Errorf("school opens the department's document: status %d, want 404", status)
	}
	if ok, _ := find("#doc-title"); ok {
		t.Error("school sees the department's document page")
	}
	if _, body := find("main"); !strings.Contains(body, "Không tìm thấy") || strings.Contains(body, title) {
		t.Errorf("404 page text: %q", body)
	}
	if ok, _ := find("#download-1"); ok {
		t.Error("the 404 page offers a download")
	}
}
