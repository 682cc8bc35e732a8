package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

type signedDoc struct {
	docJSON
	Status string `json:"status"`
}

func (e *testEnv) postJSON(t testing.TB, path, token string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	status, out, _ := e.request("POST", path, token, bytes.NewReader(b), "application/json")
	return status, out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func (e *testEnv) latest(t *testing.T, token string, id int64) (string, int) {
	t.Helper()
	status, b, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d", id), token, nil, "")
	var d docJSON
	if status != 200 || json.Unmarshal(b, &d) != nil {
		t.Fatalf("get %d: %d %s", id, status, b)
	}
	return d.Versions[0].SHA256, d.Versions[0].Version
}

func TestSignThenSealThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	d := e.create(t, clerk, f, "Kế hoạch.pdf", fixturePDF(t))
	v1 := d.Versions[0].SHA256

	// Roles: the clerk cannot sign as the person, the signer cannot seal.
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), clerk, map[string]any{"version_sha256": v1}); status != 403 {
		t.Errorf("clerk signs as the person: %d %s", status, b)
	}
	// The organisation's signature needs the person's first.
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", d.ID), clerk, map[string]any{"version_sha256": v1, "number": 207, "symbol": "KH-SGDĐT"})
	if status != 409 || decodeError(t, b).Error.Code != "no_person_signature" {
		t.Errorf("seal before the person's signature: %d %s", status, b)
	}
	// Signing needs the version the signer saw.
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": strings.Repeat("0", 64)})
	if status != 409 || decodeError(t, b).Error.Code != "version_conflict" {
		t.Errorf("sign a version not seen: %d %s", status, b)
	}

	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": v1})
	if status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, no := e.latest(t, clerk, d.ID)
	if no != 2 {
		t.Fatalf("after signing the latest version is %d", no)
	}
	// The same request again names a version that is no longer the latest.
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": v1})
	if status != 409 {
		t.Errorf("signing twice from the same version: %d %s", status, b)
	}
	if status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", d.ID), director, map[string]any{"version_sha256": v2, "number": 207, "symbol": "KH-SGDĐT"}); status != 403 {
		t.Errorf("signer seals: %d %s", status, b)
	}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", d.ID), clerk, map[string]any{"version_sha256": v2})
	if status != 422 || decodeError(t, b).Error.Fields["number"] == "" {
		t.Errorf("seal without a number: %d %s", status, b)
	}
	// A typed number that skips the series is refused; the register's is taken.
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", d.ID), clerk, map[string]any{"version_sha256": v2, "number": 207, "symbol": "KH-SGDĐT"})
	if status != 422 || decodeError(t, b).Error.Fields["number"] == "" {
		t.Errorf("seal with a number that skips the series: %d %s", status, b)
	}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": v2})
	if status != 200 {
		t.Fatalf("seal: %d %s", status, b)
	}
	var sealed signedDoc
	json.Unmarshal(b, &sealed)
	if sealed.NumberSymbol != "01/KH-SGDĐT" || len(sealed.Versions) != 3 {
		t.Errorf("sealed document: %+v", sealed)
	}

	status, b, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/verification", d.ID), clerk, nil, "")
	var v struct{ Report signing.Report }
	if status != 200 || json.Unmarshal(b, &v) != nil {
		t.Fatalf("verification: %d %s", status, b)
	}
	r := v.Report
	if !r.Valid || len(r.Signatures) != 2 || r.ModifiedAfterLastSignature {
		t.Fatalf("report: %s", b)
	}
	for i, s := range r.Signatures {
		if !s.Intact || !s.Trusted || !s.CoversWholeDocument {
			t.Errorf("signature %d: %+v", i, s)
		}
	}
	if r.Signatures[0].Signer != "Lê Hoài Nam" || r.Signatures[1].Signer != "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh" {
		t.Errorf("signers %q, %q", r.Signatures[0].Signer, r.Signatures[1].Signer)
	}
	_, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", d.ID), clerk, nil, "")
	testenv.CheckSignedPDF(t, pdf, 2)

	// A school never sees it, nor its signatures.
	school := e.login("vanthu.thcs1")
	for _, p := range []string{"/verification", "/download"} {
		if status, _, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3%s", d.ID, p), school, nil, ""); status != 404 {
			t.Errorf("school GET %s: %d", p, status)
		}
	}
	if status, _ := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), school, map[string]any{"version_sha256": v2}); status != 404 {
		t.Errorf("school signs: %d", status)
	}

	// verifyPDF: the signed file is valid; the same file with bytes appended is not.
	body, ct := multipartBody(t, nil, "a.pdf", pdf)
	status, b, _ = e.request("POST", "/api/v1/verify", clerk, body, ct)
	json.Unmarshal(b, &r)
	if status != 200 || !r.Valid {
		t.Errorf("verifyPDF of the signed file: %d %s", status, b)
	}
	tampered := append(append([]byte{}, pdf...), "\n1 0 obj\n(AMOUNT DUE: 999,999,999 VND)\nendobj\n"...)
	body, ct = multipartBody(t, nil, "a.pdf", tampered)
	status, b, _ = e.request("POST", "/api/v1/verify", clerk, body, ct)
	r = signing.Report{}
	json.Unmarshal(b, &r)
	if status != 200 || r.Valid || !r.ModifiedAfterLastSignature {
		t.Errorf("verifyPDF of a tampered file: %d %s", status, b)
	}
}

func TestSealACopyWithTextMark(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk := e.login("vanthu.sgd")
	// A digitised paper original keeps its number and goes out as a copy.
	f := validFields()
	f["kind"], f["number"], f["symbol"] = "paper_copy", "206", "KH-SGDĐT"
	d := e.create(t, clerk, f, "Phụ lục.pdf", fixturePDF(t))
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", d.ID), clerk, map[string]any{"version_sha256": d.Versions[0].SHA256, "copy": true})
	if status != 200 {
		t.Fatalf("seal a copy: %d %s", status, b)
	}
	_, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/2/download", d.ID), clerk, nil, "")
	testenv.CheckSignedPDF(t, pdf, 1)
}

func TestSigningPreconditions(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	d := e.create(t, clerk, validFields(), "a.pdf", fixturePDF(t))
	v1 := d.Versions[0].SHA256

	// No signature image.
	if _, err := e.db.Exec(`DELETE FROM signature_images WHERE kind = 'signature'`); err != nil {
		t.Fatal(err)
	}
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": v1})
	if status != 409 || decodeError(t, b).Error.Code != "no_signature_image" {
		t.Errorf("no image: %d %s", status, b)
	}
	// Bad images are refused with a reason.
	for name, img := range map[string][]byte{
		"jpeg":    {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'},
		"garbage": []byte("not an image at all"),
	} {
		status, b, _ := e.request("PUT", "/api/v1/me/signature-image", director, bytes.NewReader(img), "image/png")
		if status != 422 || decodeError(t, b).Error.Code != "bad_image" {
			t.Errorf("%s image: %d %s", name, status, b)
		}
	}
	status, b, _ = e.request("PUT", "/api/v1/me/signature-image", director, bytes.NewReader(signing.DemoSignatureImage("Lê Hoài Nam")), "image/png")
	if status != 204 {
		t.Fatalf("upload a signature image: %d %s", status, b)
	}
	// No key for the signer.
	if err := os.Remove(signing.DevPersonPath(e.cfg.KeysDir, "giamdoc.sgd")); err != nil {
		t.Fatal(err)
	}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": v1})
	if status != 409 || decodeError(t, b).Error.Code != "no_key" {
		t.Errorf("no key: %d %s", status, b)
	}
	if _, n := e.latest(t, clerk, d.ID); n != 1 {
		t.Errorf("a refused signature made version %d", n)
	}
	// Another unit's seal image cannot be set.
	status, _, _ = e.request("PUT", "/api/v1/units/2/seal-image", clerk, bytes.NewReader(signing.DemoSealImage("x")), "image/png")
	if status != http.StatusNotFound {
		t.Errorf("seal image of another unit: %d", status)
	}
}

var shaInput = regexp.MustCompile(`name="version_sha256" value="([0-9a-f]{64})"`)

func TestSignAndSealInTheWebPages(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	d := e.create(t, e.login("vanthu.sgd"), f, "a.pdf", fixturePDF(t))
	path := fmt.Sprintf("/documents/%d", d.ID)

	director := newBrowser(t, e)
	director.login("giamdoc.sgd")
	_, page, _ := director.get(path)
	if !strings.Contains(page, `id="sign-button"`) || strings.Contains(page, `id="seal-button"`) {
		t.Fatalf("the signer's page must show the sign button only")
	}
	if !strings.Contains(page, "Chưa có chữ ký") && !strings.Contains(page, "chữ ký") {
		t.Errorf("no signatures panel")
	}
	m := shaInput.FindStringSubmatch(page)
	status, _, h := director.postForm(path+"/sign", url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {m[1]}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("sign form: %d", status)
	}
	_, page, _ = director.get(h.Get("Location"))
	if !strings.Contains(page, "Đã ký số") || !strings.Contains(page, "Lê Hoài Nam") {
		t.Errorf("after signing the page does not say so")
	}

	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	_, page, _ = clerk.get(path)
	if !strings.Contains(page, `id="seal-button"`) || strings.Contains(page, `id="sign-button"`) {
		t.Fatalf("the clerk's page must show the seal button only")
	}
	m = shaInput.FindStringSubmatch(page)
	// A mistake comes back on the page with the typed values.
	status, page, _ = clerk.postForm(path+"/seal", url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {m[1]}, "number": {"abc"}, "symbol": {"KH-SGDĐT"}}, "")
	if status != 422 || !strings.Contains(page, "Số") || !strings.Contains(page, `value="KH-SGDĐT"`) {
		t.Errorf("bad number: %d", status)
	}
	// A typed number is accepted only as the register's next one.
	status, _, h = clerk.postForm(path+"/seal", url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {m[1]}, "number": {"1"}, "symbol": {"KH-SGDĐT"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("seal form: %d", status)
	}
	_, page, _ = clerk.get(h.Get("Location"))
	if !strings.Contains(page, "Hợp lệ") || !strings.Contains(page, "01/KH-SGDĐT") {
		t.Errorf("after sealing the page shows no valid verdict")
	}
	// Without the CSRF token nothing is signed.
	if status, _, _ := clerk.postForm(path+"/seal", url.Values{"version_sha256": {m[1]}}, ""); status != http.StatusForbidden {
		t.Errorf("seal without CSRF: %d", status)
	}
}

func TestVerifyAndSettingsPages(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	b := newBrowser(t, e)
	b.login("vanthu.thcs1") // any user may verify a PDF received from elsewhere
	_, page, _ := b.get("/verify")
	upload := func(path, field, name string, content []byte, csrf string) (int, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("_csrf", csrf)
		fw, _ := w.CreateFormFile(field, name)
		fw.Write(content)
		w.Close()
		req, _ := http.NewRequest("POST", e.baseURL+path, &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		status, body, _ := b.do(req)
		return status, body
	}
	status, page := upload("/verify", "file", "a.pdf", fixturePDF(t), csrfOf(t, page))
	if status != 200 || !strings.Contains(page, `id="verdict"`) || !strings.Contains(page, "Không có chữ ký") {
		t.Errorf("verify an unsigned PDF: %d; want a verdict that it is not validly signed", status)
	}
	if docs, _ := e.countRows(); docs != 0 {
		t.Errorf("verifying stored %d documents", docs)
	}
	status, _ = upload("/verify", "file", "a.pdf", []byte("not a pdf"), csrfOf(t, page))
	if status != 415 {
		t.Errorf("verify a non-PDF: %d", status)
	}

	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	_, page, _ = clerk.get("/settings")
	if !strings.Contains(page, `id="seal-form"`) || strings.Contains(page, `id="signature-form"`) || !strings.Contains(page, "Đơn vị đã có ảnh con dấu") {
		t.Fatalf("a clerk's settings page shows the seal form only, with the demo seal")
	}
	b = clerk
	status, page = upload("/settings/seal", "image", "dau.jpg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'}, csrfOf(t, page))
	if status != 422 || !strings.Contains(page, "PNG") {
		t.Errorf("a JPEG seal: %d", status)
	}
	status, page = upload("/settings/seal", "image", "dau.png", signing.DemoSealImage("Sở Giáo dục và Đào tạo"), csrfOf(t, page))
	if status != 200 || !strings.Contains(page, "Đã lưu ảnh") {
		t.Errorf("a PNG seal: %d", status)
	}
}

func TestNothingIsSignedAfterTheSeal(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	d := e.create(t, clerk, validFields(), "a.pdf", fixturePDF(t))
	path := func(action string) string { return fmt.Sprintf("/api/v1/documents/%d/%s", d.ID, action) }
	if status, b := e.postJSON(t, path("sign"), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, _ := e.latest(t, clerk, d.ID)
	if status, b := e.postJSON(t, path("register"), clerk, map[string]any{"version_sha256": v2}); status != 200 {
		t.Fatalf("seal: %d %s", status, b)
	}
	v3, _ := e.latest(t, clerk, d.ID)
	for user, action := range map[string]string{director: "sign", clerk: "seal"} {
		status, b := e.postJSON(t, path(action), user, map[string]any{"version_sha256": v3})
		if status != 409 || decodeError(t, b).Error.Code != "already_sealed" {
			t.Errorf("%s after the seal: %d %s", action, status, b)
		}
	}
	var st string
	e.db.Get(&st, `SELECT status FROM documents WHERE id = $1`, d.ID)
	if _, n := e.latest(t, clerk, d.ID); n != 3 || st != "registered" {
		t.Errorf("after refused signatures: version %d, status %s", n, st)
	}
}

var updateRender = flag.Bool("update-render", false, "rewrite testdata/signed-fixture-page12.png from this run")

// TestSignedFixtureRendersAsReviewed signs the department's real plan as a
// director and a clerk would, renders its last page with poppler, and
// compares it with a reviewed reference image, so that a broken appearance
// (mojibake, a misplaced seal, a missing image) fails.
func TestSignedFixtureRendersAsReviewed(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	at := time.Date(2021, 1, 22, 9, 15, 3, 0, time.FixedZone("ICT", 7*3600))
	e := newEnv(t, envOptions{signing: true, now: func() time.Time { return at }})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	d := e.create(t, clerk, f, "a.pdf", fixturePDF(t))
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, _ := e.latest(t, clerk, d.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": v2}); status != 200 {
		t.Fatalf("seal: %d %s", status, b)
	}
	_, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", d.ID), clerk, nil, "")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s.pdf"), pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-f", "12", "-l", "12", "-r", "50", "-png", "-singlefile", filepath.Join(dir, "s.pdf"), filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join("testdata", "signed-fixture-page12.png")
	if *updateRender {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(ref, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: review it before committing", ref)
		return
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatalf("no reference image (run with -update-render and review it): %v", err)
	}
	differ, total, err := testenv.PixelDifference(got, want)
	if err != nil {
		t.Fatal(err)
	}
	// Rendering is deterministic here; the allowance covers anti-aliasing
	// differences between poppler builds, not a moved or missing image.
	if differ > total/200 {
		bad := filepath.Join(dir, "page.png")
		t.Errorf("the signed page differs from the reviewed rendering in %d of %d pixels (see %s)", differ, total, bad)
	}
}

func TestSigningBadInput(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	d := e.create(t, clerk, validFields(), "a.pdf", fixturePDF(t))
	path := fmt.Sprintf("/api/v1/documents/%d/sign", d.ID)
	sha := d.Versions[0].SHA256

	status, b, _ := e.request("POST", path, director, strings.NewReader("{not json"), "application/json")
	if status != 400 || decodeError(t, b).Error.Code != "bad_json" {
		t.Errorf("malformed JSON: %d %s", status, b)
	}
	status, b = e.postJSON(t, path, director, map[string]any{})
	if status != 422 || decodeError(t, b).Error.Fields["version_sha256"] == "" {
		t.Errorf("no version: %d %s", status, b)
	}
	status, b = e.postJSON(t, path, director, map[string]any{"version_sha256": sha, "page": 99})
	if status != 422 || decodeError(t, b).Error.Fields["page"] == "" {
		t.Errorf("page past the end: %d %s", status, b)
	}
	status, b = e.postJSON(t, path, director, map[string]any{"version_sha256": sha, "page": 1, "rect": []float64{500, 800, 900, 1200}})
	if status != 422 || decodeError(t, b).Error.Fields["rect"] == "" {
		t.Errorf("rectangle off the page: %d %s", status, b)
	}
	// A place over the text is refused (issue 11: never over text).
	status, b = e.postJSON(t, path, director, map[string]any{"version_sha256": sha, "page": 1, "rect": []float64{350, 60, 550, 160}})
	if status != 422 || decodeError(t, b).Error.Fields["rect"] == "" {
		t.Errorf("rectangle over text: %d %s", status, b)
	}
	// An explicit place gets the full appearance and a valid signature.
	status, b = e.postJSON(t, path, director, map[string]any{"version_sha256": sha, "page": 1, "rect": []float64{350, 790, 550, 836}})
	if status != 200 {
		t.Fatalf("sign at a given place: %d %s", status, b)
	}
	if _, n := e.latest(t, clerk, d.ID); n != 2 {
		t.Errorf("latest version %d after one signature", n)
	}

	big := bytes.Repeat([]byte{0}, 2<<20+10)
	status, b, _ = e.request("PUT", "/api/v1/me/signature-image", director, bytes.NewReader(big), "image/png")
	if status != 413 {
		t.Errorf("a 2 MiB+ image: %d %s", status, b)
	}
}

func TestEncryptedUploadIsRefused(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		testenv.Missing(t, "qpdf")
	}
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "plain.pdf"), filepath.Join(dir, "enc.pdf")
	os.WriteFile(plain, fixturePDF(t), 0o600)
	if out, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", plain, enc).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, out)
	}
	b, _ := os.ReadFile(enc)
	e := newEnv(t, envOptions{})
	body, ct := multipartBody(t, validFields(), "enc.pdf", b)
	status, out, _ := e.request("POST", "/api/v1/documents", e.login("vanthu.sgd"), body, ct)
	if status != 422 || decodeError(t, out).Error.Code != "encrypted_pdf" {
		t.Errorf("encrypted upload: %d %s", status, out)
	}
	if docs, _ := e.countRows(); docs != 0 || e.countObjects() != 0 {
		t.Errorf("an encrypted upload left %d documents", docs)
	}
}
