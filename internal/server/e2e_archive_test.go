package server

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
	"github.com/hcm-edu/vanban/storage"
)

// answerFromQ1 has Quận 1's office sign, register and send the
// department a report answering its plan, and the department's clerk
// accept it: a signed incoming document of the department.
func answerFromQ1(t *testing.T, env *testEnv, title string) docJSON {
	t.Helper()
	f := validFields()
	f["doc_type"], f["title"], f["doc_date"] = "BC", title, time.Now().In(domain.VietnamTime).Format(time.DateOnly)
	clerk, head := env.login("vanthu.q1"), env.login("truongphong.q1")
	d := env.create(t, clerk, f, "Báo cáo.pdf", testenv.PDF(2, uint64(len(title))))
	if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), head, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("Quận 1 signs its answer: %d %s", status, b)
	}
	sha, _ := env.latest(t, clerk, d.ID)
	if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": sha, "copies": 1, "file_unit": "VP"}); status != 200 {
		t.Fatalf("Quận 1 registers its answer: %d %s", status, b)
	}
	if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", d.ID), clerk, map[string]any{
		"recipients": map[string]any{"units": []int64{env.unitID(t, "000.00.24.H29")}}}); status != 201 {
		t.Fatalf("Quận 1 sends its answer: %d %s", status, b)
	}
	runWebJobs(env)
	dept := env.login("vanthu.sgd")
	for _, it := range env.inbox(t, dept, "") {
		if it.DocumentID == d.ID {
			if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/inbox/%d/accept", it.ID), dept, nil); status != 200 {
				t.Fatalf("the department accepts the answer: %d %s", status, b)
			}
			return d
		}
	}
	t.Fatalf("the answer %d did not reach the department", d.ID)
	return d
}

// lockedStore is a store on a fresh bucket of the test S3 server with
// Object Lock. Its locked objects outlive the test (that is the point):
// the bucket is left behind.
func lockedStore(t *testing.T) *storage.S3 {
	t.Helper()
	s3 := testenv.RequireS3(t)
	blobs, err := storage.NewS3(context.Background(), storage.S3Options{Endpoint: s3.Endpoint, Bucket: randomBucket(),
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	return blobs
}

// TestE2EBrowserArchive is issue 16's "done when", in a real headless
// Chromium with the real PostgreSQL and the S3 server with Object Lock:
//  1. the department's clerk sets up the year's file list: a heading and
//     a file kept ten years, in the specialist's charge;
//  2. the specialist opens the file and files the issued plan; the clerk
//     files the incoming answers from their document pages;
//  3. the specialist closes the file;
//  4. the clerk prepares the hand-over; its list and record are signed
//     and registered;
//  5. the archive officer receives it: the file is frozen, on the page,
//     in the API and in the store (Object Lock);
//  6. the exported package re-imports into a fresh instance, where
//     `vanban verify` finds every document valid from the embedded data,
//     offline, five years later; pdfsig shows the document timestamp.
func TestE2EBrowserArchive(t *testing.T) {
	blobs := lockedStore(t)
	env := newEnv(t, envOptions{signing: true, blobs: blobs})
	// Signatures with the test TSA's timestamps, made B-LT by the job
	// (without its ten minutes' wait), as a production service runs them.
	roots, err := signing.LoadDevRootCerts(env.cfg.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	roots = append(roots, signingtest.TSARoot(t))
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	env.docs.EnableSigning(documents.SigningDeps{Keys: signing.DirKeys{Dir: env.cfg.KeysDir}, Roots: pool, RootCerts: roots,
		MaxBytes: 64 << 20, TSA: &signing.TSA{URL: signingtest.NewTSA(t)}})
	env.docs.SetLTVConfig(documents.LTVConfig{Delay: -1})
	plan := env.issuable(t, nil) // the 206 plan, signed and registered
	clerkToken := env.login("vanthu.sgd")
	if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", plan.ID), clerkToken, map[string]any{
		"recipients": map[string]any{"units": []int64{env.unitID(t, codeQ1Office)}}}); status != 201 {
		t.Fatalf("issue the plan: %d %s", status, b)
	}
	runWebJobs(env)
	answers := []docJSON{
		answerFromQ1(t, env, "Báo cáo triển khai kế hoạch cải cách hành chính tại Quận 1"),
		answerFromQ1(t, env, "Báo cáo kết quả cải cách hành chính quý IV tại Quận 1"),
	}
	var staffID int64
	if err := env.db.Get(&staffID, `SELECT id FROM users WHERE username = 'chuyenvien.sgd'`); err != nil {
		t.Fatal(err)
	}
	year := strconv.Itoa(time.Now().In(domain.VietnamTime).Year())

	br := newE2EBrowser(t, env.baseURL, 600*time.Second)
	ctx, must, find := br.ctx, br.must, br.find
	navigate, waitText, login, logout, click, choose := br.navigate, br.waitText, br.login, br.logout, br.click, br.choose
	began := time.Now()
	step := func(name string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), name) }
	typeIn := func(id, text string) {
		t.Helper()
		must("type in #"+id, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID(id), text)))
	}

	// (1) The clerk sets up the year's file list.
	step("(1) the file list")
	login("vanthu.sgd")
	navigate("/files?year=" + year)
	click("create the list", "#create-list")
	waitText("#files-title", "Danh mục hồ sơ năm "+year)
	typeIn("heading-code", "VP")
	typeIn("heading-title", "Văn phòng Sở")
	click("add a heading", "#add-heading")
	var heading int64
	if err := env.db.Get(&heading, `SELECT id FROM file_headings WHERE title = 'Văn phòng Sở'`); err != nil {
		t.Fatal(err)
	}
	choose("#file-heading", fmt.Sprint(heading))
	typeIn("file-code", "01.VP")
	typeIn("file-title", "Hồ sơ thực hiện Kế hoạch cải cách hành chính năm "+year)
	typeIn("file-retention", "10")
	choose("#file-responsible", fmt.Sprint(staffID))
	click("add a file", "#add-file")
	var file int64
	if err := env.db.Get(&file, `SELECT id FROM files WHERE code = '01.VP'`); err != nil {
		t.Fatal(err)
	}
	waitText(fmt.Sprintf("#file-%d", file), "Hồ sơ thực hiện Kế hoạch cải cách hành chính")
	logout()

	// (2) The specialist opens the file and files the plan; the clerk files
	// the incoming answers from their pages.
	step("(2) filing")
	filePath := fmt.Sprintf("/files/%d", file)
	login("chuyenvien.sgd")
	navigate(filePath)
	click("open the file", "#open-file")
	waitText("#file-state", "Đang lập")
	typeIn("item-document", plan.NumberSymbol)
	click("file the plan", "#add-item")
	waitText("#item-1", "Kế hoạch cải cách hành chính năm 2021")
	logout()
	login("vanthu.sgd")
	for i, a := range answers {
		navigate(fmt.Sprintf("/documents/%d", a.ID))
		choose("#file-document-select", fmt.Sprint(file))
		click("file an answer", "#file-document")
		waitText(fmt.Sprintf("#item-%d", i+2), a.Title)
	}
	logout()

	// (3) The specialist closes the file when its work is done; the job
	// makes its documents B-LTA.
	step("(3) closing")
	login("chuyenvien.sgd")
	navigate(filePath)
	click("close the file", "#close-file")
	waitText("#file-state", "Đã kết thúc")
	logout()
	runLTVJobs(env)
	for _, d := range append([]docJSON{plan}, answers...) {
		if l := padesLevel(t, env, clerkToken, d.ID); l != signing.LevelBLTA {
			t.Errorf("document %d after closing its file: %s, want B-LTA", d.ID, l)
		}
	}

	// (4) The clerk prepares the hand-over; its list and record are
	// documents the director signs and the clerk registers.
	step("(4) the hand-over")
	login("vanthu.sgd")
	navigate("/handovers")
	must("choose the file", chromedp.Do(ctx, chromedp.Click(chromedp.ID(fmt.Sprintf("handover-file-%d", file)))))
	click("prepare the hand-over", "#prepare-handover")
	waitText("#handover-state", "Đã chuẩn bị")
	handoverPath := br.location().Path
	var listDoc, recordDoc int64
	if err := env.db.QueryRow(`SELECT list_document_id, record_document_id FROM handovers`).Scan(&listDoc, &recordDoc); err != nil {
		t.Fatal(err)
	}
	director := env.login("giamdoc.sgd")
	for _, id := range []int64{listDoc, recordDoc} {
		sha, _ := env.latest(t, clerkToken, id)
		if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", id), director, map[string]any{"version_sha256": sha}); status != 200 {
			t.Fatalf("sign the hand-over's document %d: %d %s", id, status, b)
		}
		sha, _ = env.latest(t, clerkToken, id)
		if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", id), clerkToken, map[string]any{"version_sha256": sha, "copies": 1, "file_unit": "VP"}); status != 200 {
			t.Fatalf("register the hand-over's document %d: %d %s", id, status, b)
		}
	}
	logout()

	// (5) The archive officer receives it: frozen everywhere.
	step("(5) received and frozen")
	login("luutru.sgd")
	navigate(handoverPath)
	click("receive", "#receive-handover")
	waitText("#handover-state", "Đã nộp lưu")
	navigate(filePath)
	waitText("#frozen", "Đã nộp lưu — không thể thay đổi")
	if ok, _ := find("#add-item"); ok {
		t.Error("a frozen file still offers to add documents")
	}
	if ok, _ := find("#remove-item-1"); ok {
		t.Error("a frozen file still offers to remove documents")
	}
	logout()
	status, b := env.postJSON(t, fmt.Sprintf("/api/v1/files/%d/items", file), clerkToken, map[string]any{"document_id": plan.ID})
	if status != 409 || !strings.Contains(string(b), "file_frozen") {
		t.Errorf("adding to the frozen file: %d %s", status, b)
	}
	if _, err := env.db.Exec(`DELETE FROM file_items WHERE file_id = $1`, file); err == nil {
		t.Error("the database let a frozen file's items be deleted")
	}
	var keys []string
	if err := env.db.Select(&keys, `SELECT v.object_key FROM document_versions v JOIN file_items i ON i.document_id = v.document_id WHERE i.file_id = $1`, file); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var mode string
		if err := env.db.Get(&mode, `SELECT mode FROM locked_objects WHERE object_key = $1`, k); err != nil || mode != "object_lock" {
			t.Errorf("%s: lock %q, %v; want object_lock", k, mode, err)
		}
		if err := blobs.Delete(context.Background(), k); !errors.Is(err, storage.ErrLocked) {
			t.Errorf("%s: deleting a locked object: %v, want storage.ErrLocked", k, err)
		}
		if _, err := blobs.Stat(context.Background(), k); err != nil {
			t.Errorf("%s: gone from the store despite its lock: %v", k, err)
		}
	}

	// (6) The package, exported and re-imported into a fresh instance, is
	// found valid from what it carries alone: offline, five years later.
	step("(6) export, import, verify five years later")
	status, pkg, _ := env.request("GET", fmt.Sprintf("/api/v1/files/%d/export", file), clerkToken, nil, "")
	if status != 200 {
		t.Fatalf("export: %d %s", status, pkg[:min(len(pkg), 300)])
	}
	dir := t.TempDir()
	pkgPath := filepath.Join(dir, "hoso-01.VP.zip")
	rootsPath := filepath.Join(dir, "roots.pem")
	var pemRoots []byte
	for _, c := range roots {
		pemRoots = append(pemRoots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	for name, b := range map[string][]byte{pkgPath: pkg, rootsPath: pemRoots} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fresh, freshURL := testenv.NewDB(t)
	if _, err := demo.Seed(context.Background(), org.NewStore(fresh), auth.NewService(fresh, time.Hour), testPassword, 0); err != nil {
		t.Fatal(err)
	}
	vanban := vanbanProgram.Binary(t)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(vanban, args...)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+freshURL, "DATA_DIR="+filepath.Join(dir, "store"), "TRUST_ROOTS_FILE="+rootsPath,
			"S3_ENDPOINT=", "SIGNING_KEYS_DIR="+filepath.Join(dir, "no-keys"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("vanban %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Logf("import:\n%s", run("records", "import", "--as", "admin", pkgPath))
	var imported []struct {
		Title, Key string
	}
	if err := fresh.Select(&imported, `SELECT d.title, v.object_key AS key FROM documents d
		JOIN document_versions v ON v.document_id = d.id AND v.version_no = (SELECT max(version_no) FROM document_versions WHERE document_id = d.id)
		JOIN file_items i ON i.document_id = d.id ORDER BY i.seq`); err != nil {
		t.Fatal(err)
	}
	if len(imported) != 3 {
		t.Fatalf("the fresh instance holds %d filed documents, want 3", len(imported))
	}
	later := time.Now().In(domain.VietnamTime).AddDate(0, 0, 5*365-2).Format(time.DateOnly)
	for i, d := range imported {
		pdfPath := filepath.Join(dir, fmt.Sprintf("%d.pdf", i+1))
		b, err := os.ReadFile(filepath.Join(dir, "store", "objects", d.Key))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pdfPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// No network at all: a namespace of its own.
		cmd := exec.Command("unshare", "--net", "--map-root-user", vanban, "verify", "--offline", "--at", later, "--trust", rootsPath, pdfPath)
		out, err := cmd.CombinedOutput()
		if i == 0 {
			t.Logf("vanban verify --offline --at %s:\n%s", later, out)
		}
		if err != nil || !strings.Contains(string(out), "B-LTA") {
			t.Errorf("%s: vanban verify offline on %s: %v\n%s", d.Title, later, err, out)
		}
		out, err = exec.Command("pdfsig", pdfPath).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Vanban Test TSA") || !strings.Contains(string(out), "Total document signed") {
			t.Errorf("%s: pdfsig does not show the document timestamp: %v\n%s", d.Title, err, out)
		}
	}
	step("done")
}

// vanbanProgram is the service's binary, for its sub-commands.
var vanbanProgram = &testenv.Program{Package: "./cmd/vanban"}

// runLTVJobs runs the long-term validation jobs queued, now.
func runLTVJobs(e *testEnv) {
	e.t.Helper()
	w := notify.NewWorker(e.db, "test-ltv", e.docs.LTVHandlers(), notify.WorkerOptions{Logger: e.log})
	for range 20 {
		if _, err := e.db.Exec(`UPDATE jobs SET run_at = now() WHERE state = 'queued'`); err != nil {
			e.t.Fatal(err)
		}
		n, err := w.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// padesLevel is the document's PAdES level as the API gives it.
func padesLevel(t *testing.T, e *testEnv, token string, id int64) string {
	t.Helper()
	status, b, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d", id), token, nil, "")
	var out struct {
		Level string `json:"pades_level"`
	}
	if status != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("document %d: %d %s", id, status, b)
	}
	return out.Level
}
