package server

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

// A draft with its number and date left blank, signed by the person it
// names and then registered, carries the registered number and the issue
// date in their places; both signatures stay valid everywhere.
func TestRegisterWritesNumberAndDate(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 15, 3, 0, time.FixedZone("ICT", 7*3600))
	e := newEnv(t, envOptions{signing: true, now: func() time.Time { return at }})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")

	// A draft with its number typed is refused when submitted for signing.
	printed := e.create(t, clerk, f, "printed.pdf", func() []byte { b, _ := os.ReadFile("../../testdata/206-KH-SGDDT.pdf"); return b }())
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", printed.ID), director, map[string]any{"version_sha256": printed.Versions[0].SHA256})
	if er := decodeError(t, b); status != 409 || er.Error.Code != "number_prefilled" || !strings.Contains(er.Error.Message, "để trống") {
		t.Errorf("printed number: %d %s", status, b)
	}

	d := e.create(t, clerk, f, "a.pdf", fixturePDF(t))
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, _ := e.latest(t, clerk, d.ID)
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": v2})
	if status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	var reg struct {
		NumberSymbol string `json:"number_symbol"`
		IssueNotice  string `json:"issue_notice"`
	}
	json.Unmarshal(b, &reg)
	if reg.NumberSymbol != "01/KH-SGDĐT" || reg.IssueNotice != "" {
		t.Errorf("registered: %s", b)
	}
	_, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", d.ID), clerk, nil, "")
	testenv.CheckSignedPDF(t, pdf, 2)
	if dir := os.Getenv("VANBAN_RENDER_DIR"); dir != "" { // to look at it, or verify it with vanban verify
		os.WriteFile(filepath.Join(dir, "206-registered.pdf"), pdf, 0o644)
	}

	status, b, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/verification", d.ID), clerk, nil, "")
	var v struct{ Report signing.Report }
	if status != 200 || json.Unmarshal(b, &v) != nil {
		t.Fatalf("verification: %d %s", status, b)
	}
	r := v.Report
	wantDate := "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026"
	if !r.Valid || r.ModifiedAfterLastSignature || len(r.IssueMarks) != 2 || r.IssueMarks[0] != "Số: 01/KH-SGDĐT" || r.IssueMarks[1] != wantDate {
		t.Fatalf("report: %s", b)
	}
	if !strings.Contains(r.VerdictVI, "số và ngày ban hành do hệ thống ghi: Số: 01/KH-SGDĐT; "+wantDate) {
		t.Errorf("verdict %q", r.VerdictVI)
	}

	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s.pdf"), pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-f", "1", "-l", "1", "-r", "100", "-x", "0", "-y", "0", "-W", "827", "-H", "300", "-png", "-singlefile", filepath.Join(dir, "s.pdf"), filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join("testdata", "issued-fixture-page1.png")
	if *updateRender {
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
	if differ > total/200 {
		t.Errorf("page 1 differs from the reviewed rendering in %d of %d pixels (see %s)", differ, total, filepath.Join(dir, "page.png"))
	}
}

// A draft without the places of Decree 30 (a foreign layout) gets its
// number and date in the seal's text, and the clerk is told.
func TestRegisterForeignLayoutTellsTheClerk(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	d := e.create(t, clerk, f, "foreign.pdf", testenv.PDF(4000, 3))
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, _ := e.latest(t, clerk, d.ID)
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": v2})
	var reg struct {
		NumberSymbol string `json:"number_symbol"`
		IssueNotice  string `json:"issue_notice"`
	}
	if status != 200 || json.Unmarshal(b, &reg) != nil || reg.NumberSymbol != "01/KH-SGDĐT" || !strings.Contains(reg.IssueNotice, "chữ ký số cơ quan") {
		t.Fatalf("register: %d %s", status, b)
	}
	_, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", d.ID), clerk, nil, "")
	testenv.CheckSignedPDF(t, pdf, 2)
	if dir := os.Getenv("VANBAN_RENDER_DIR"); dir != "" { // to look at the seal's text
		os.WriteFile(filepath.Join(dir, "foreign-registered.pdf"), pdf, 0o644)
	}
}
