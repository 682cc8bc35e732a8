package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// TestE2EBrowserSignAndSeal drives the signing workflow in a real headless
// Chromium: the clerk uploads a draft without a number, the director signs
// it with the button on the document page, the clerk registers the number
// and applies the department's signature and seal, and a school's clerk
// checks the signed file, and a tampered copy, on the verify page.
//
// The browser is /usr/bin/chromium or $VANBAN_CHROMIUM. Screenshots, and a
// render of the signed page, go to $VANBAN_SCREENSHOTS when set, otherwise
// to a temporary folder.
func TestE2EBrowserSignAndSeal(t *testing.T) {
	env := newEnv(t, envOptions{signing: true})
	base := env.baseURL
	const title = "Kế hoạch cải cách hành chính năm 2021"

	files := t.TempDir()
	pdfPath := filepath.Join(files, "Kế hoạch 206.pdf")
	if err := os.WriteFile(pdfPath, fixturePDF(t), 0o644); err != nil {
		t.Fatal(err)
	}

	br := newE2EBrowser(t, base, 120*time.Second)
	ctx, must, location, find, shots := br.ctx, br.must, br.location, br.find, br.shots
	navigate, submit := br.navigate, br.submit
	// waitText waits until the element's visible text contains want.
	waitText := func(css, want string) {
		t.Helper()
		err := br.pollJS(fmt.Sprintf(
			`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, css, want), 30*time.Second)
		if err != nil {
			_, got := find(css)
			_, msg := find(".error")
			t.Fatalf("wait for %q in %s at %s: %v\n%s holds: %q\nerror on the page: %q", want, css, location(), err, css, got, msg)
		}
	}
	screenshot := func(name string) string {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must("screenshot "+name, err)
		p := filepath.Join(shots, name)
		must("screenshot "+name, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot: %s", p)
		return p
	}
	login := func(username string) {
		t.Helper()
		if ok, _ := find("#username"); !ok {
			navigate("/login")
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
	logout := func() {
		t.Helper()
		if status := submit("log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); status != 200 || location().Path != "/login" {
			t.Fatalf("log out: status %d at %s, want the login page", status, location())
		}
	}

	// (1) The clerk uploads the draft, without a number or symbol: those
	// come when it is issued.
	navigate("/login")
	login("vanthu.sgd")
	if status := navigate("/documents/new"); status != 200 {
		t.Fatalf("GET /documents/new: status %d", status)
	}
	must("fill the upload form", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("doc_type"), "KH"),
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.SetValue(chromedp.ID("doc_date"), "2021-01-22"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{pdfPath}),
	))
	if status := submit("submit the upload form", chromedp.Click(chromedp.ID("upload-submit"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("upload: status %d at %s (error: %q)", status, location(), msg)
	}
	m := regexp.MustCompile(`^/documents/([0-9]+)$`).FindStringSubmatch(location().Path)
	if m == nil {
		t.Fatalf("after upload: at %s, want /documents/{id}", location())
	}
	docPath, docID := m[0], m[1]
	if _, facts := find(".facts"); !strings.Contains(facts, "chưa đăng ký số") {
		t.Errorf("a draft without a number shows:\n%s", facts)
	}
	if ok, _ := find("#sign-button"); ok {
		t.Error("the clerk is offered the signer's button")
	}
	logout()

	// (2) The director signs with the button on the document page.
	login("giamdoc.sgd")
	if status := navigate(docPath); status != 200 {
		t.Fatalf("director opens %s: status %d", docPath, status)
	}
	if ok, _ := find("#seal-button"); ok {
		t.Error("the signer is offered the clerk's seal button")
	}
	if ok, label := find("#sign-button"); !ok || !strings.Contains(label, "phiên bản 1") {
		t.Fatalf("director's page: #sign-button present %v, label %q", ok, label)
	}
	if status := submit("click #sign-button", chromedp.Click(chromedp.ID("sign-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("sign: status %d at %s (error: %q)", status, location(), msg)
	}
	// The confirmation names whose signature goes on which version.
	waitText("#confirm-message", "Ký số với tư cách Lê Hoài Nam")
	waitText("#confirm-message", "phiên bản 1")
	if status := submit("confirm the signature", chromedp.Click(chromedp.ID("confirm-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("sign: status %d at %s (error: %q)", status, location(), msg)
	}
	waitText("main", "Đã ký số")
	if _, flash := find(".flash"); !strings.HasPrefix(flash, "Đã ký số") {
		t.Errorf("flash after signing: %q", flash)
	}
	if _, sigs := find("#signatures"); !strings.Contains(sigs, "Lê Hoài Nam") {
		t.Errorf("signatures panel after signing lacks the signer Lê Hoài Nam:\n%s", sigs)
	}
	screenshot("signed.png")
	logout()

	// (3) The clerk registers it: the register's next number, 01, and the
	// department's signature and seal.
	login("vanthu.sgd")
	if status := navigate(docPath); status != 200 {
		t.Fatalf("clerk opens %s: status %d", docPath, status)
	}
	if ok, _ := find("#sign-button"); ok {
		t.Error("the clerk is offered the signer's button")
	}
	if status := submit("click #register-button", chromedp.Click(chromedp.ID("register-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("register: status %d at %s (error: %q)", status, location(), msg)
	}
	waitText("#confirm-message", "Cấp số 01/KH-SGDĐT")
	screenshot("register-confirm.png")
	if status := submit("confirm the registration", chromedp.Click(chromedp.ID("confirm-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("seal: status %d at %s (error: %q)", status, location(), msg)
	}
	waitText("#verdict", "Hợp lệ")
	waitText("main", "01/KH-SGDĐT")
	if _, verdict := find("#verdict"); !strings.HasPrefix(verdict, "Hợp lệ: 2 chữ ký") {
		t.Errorf("#verdict after sealing: %q", verdict)
	}
	if _, facts := find(".facts"); !strings.Contains(facts, "01/KH-SGDĐT") {
		t.Errorf("document facts lack 01/KH-SGDĐT:\n%s", facts)
	}
	_, sigs := find("#signatures")
	for _, want := range []string{"Lê Hoài Nam", "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", "Nguyên vẹn", "Chứng thư tin cậy"} {
		if !strings.Contains(sigs, want) {
			t.Errorf("signatures panel lacks %q:\n%s", want, sigs)
		}
	}
	for _, bad := range []string{"Đã bị thay đổi", "không thuộc nguồn tin cậy"} {
		if strings.Contains(sigs, bad) {
			t.Errorf("signatures panel says %q:\n%s", bad, sigs)
		}
	}
	if n := strings.Count(sigs, "Nguyên vẹn"); n != 2 {
		t.Errorf("%d intact signatures listed, want 2:\n%s", n, sigs)
	}
	if ok, _ := find("#download-3"); !ok {
		t.Error("no version 3 to download after sealing")
	}
	screenshot("sealed.png")

	// (4) The sealed file passes poppler, mupdf and qpdf; its last page is
	// rendered for a look at the signature and the seal.
	status, pdf, _ := env.request("GET", "/api/v1/documents/"+docID+"/versions/3/download", env.login("vanthu.sgd"), nil, "")
	if status != 200 || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("download version 3: status %d, %d bytes", status, len(pdf))
	}
	testenv.CheckSignedPDF(t, pdf, 2)
	signedPath := filepath.Join(files, "206-207 đã ký.pdf")
	must("save the signed file", os.WriteFile(signedPath, pdf, 0o644))
	must("keep the signed file", os.WriteFile(filepath.Join(shots, "sealed-v3.pdf"), pdf, 0o644))
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	render := t.TempDir()
	if out, err := exec.Command("pdftoppm", "-f", "12", "-l", "12", "-r", "60", "-png", signedPath, filepath.Join(render, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(render, "page*.png"))
	if len(pages) != 1 {
		t.Fatalf("pdftoppm rendered %v, want page 12 only", pages)
	}
	png, err := os.ReadFile(pages[0])
	must("read the render", err)
	p := filepath.Join(shots, "signed-page-12.png")
	must("copy the render", os.WriteFile(p, png, 0o644))
	t.Logf("render of page 12: %s", p)

	// (5) A school's clerk checks the file received, then a tampered copy.
	logout()
	login("vanthu.thcs1")
	tamperedPath := filepath.Join(files, "206-207 sửa.pdf")
	must("save the tampered file", os.WriteFile(tamperedPath, append(append([]byte{}, pdf...), "\n%%EOF\n% tampered\n"...), 0o644))
	verify := func(name, path string) string {
		t.Helper()
		if status := navigate("/verify"); status != 200 {
			t.Fatalf("GET /verify: status %d", status)
		}
		must("choose "+name, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("verify-file"), []string{path})))
		if status := submit("verify "+name, chromedp.Click(chromedp.ID("verify-submit"))); status != 200 {
			_, msg := find(".error")
			t.Fatalf("verify %s: status %d (error: %q)", name, status, msg)
		}
		ok, verdict := find("#verdict")
		if !ok {
			t.Fatalf("verify %s: no #verdict", name)
		}
		return verdict
	}
	if verdict := verify("the signed file", signedPath); !strings.HasPrefix(verdict, "Hợp lệ") {
		t.Errorf("verdict on the signed file: %q, want Hợp lệ", verdict)
	}
	screenshot("verify-valid.png")
	if verdict := verify("the tampered file", tamperedPath); !strings.HasPrefix(verdict, "Không hợp lệ") {
		t.Errorf("verdict on the tampered file: %q, want Không hợp lệ", verdict)
	}
	screenshot("verify-tampered.png")
	if docs, _ := env.countRows(); docs != 1 {
		t.Errorf("%d documents after verifying, want 1: verifying must not store", docs)
	}
}
