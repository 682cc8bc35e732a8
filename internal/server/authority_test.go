package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/fonts"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// signerBlockPDF is a draft of the department whose signer block prints
// lines above the signature and name below it (Appendix I, ô 7).
func signerBlockPDF(t testing.TB, name string, lines ...string) []byte {
	t.Helper()
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: 595, Ht: 842}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddPage()
	pdf.SetFont("serif", "B", 13)
	pdf.Text(100, 80, "SỞ GIÁO DỤC VÀ ĐÀO TẠO")
	pdf.Text(330, 80, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	pdf.SetFont("serif", "", 13)
	pdf.Text(80, 120, "Số:        /KH-SGDĐT")
	pdf.Text(260, 120, "Thành phố Hồ Chí Minh, ngày      tháng      năm")
	for y := 200.0; y < 520; y += 18 {
		pdf.Text(80, y, "Nội dung kế hoạch, dòng chữ trên trang.")
	}
	pdf.SetFont("serif", "B", 13)
	y := 620.0 - 18*float64(len(lines)-1)
	for _, l := range lines {
		pdf.Text(390, y, l)
		y += 18
	}
	pdf.Text(395, 720, name)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The deputy director signs a "KT. GIÁM ĐỐC" draft stored in S3; the
// capacity is in the signature list and verification, and the edXML export
// writes it as SignerInfo/Competence with the title as Position.
func TestDeputySignsAndExportNamesTheCapacity(t *testing.T) {
	s3 := testenv.RequireS3(t)
	e := newEnv(t, envOptions{signing: true, blobs: newS3Store(t, s3, s3.Endpoint)})
	clerk, deputy := e.login("vanthu.sgd"), e.login("phogiamdoc.sgd")
	d := e.create(t, clerk, validFields(), "Kế hoạch.pdf", signerBlockPDF(t, "Nguyễn Văn Hiếu", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"))
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), deputy, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	want := "KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC Nguyễn Văn Hiếu"
	for _, path := range []string{fmt.Sprintf("/api/v1/documents/%d/signatures", d.ID), fmt.Sprintf("/api/v1/documents/%d/versions/2/verification", d.ID)} {
		status, b, _ := e.request("GET", path, clerk, nil, "")
		if status != 200 || !strings.Contains(string(b), `"signed_as":"`+want+`"`) || !strings.Contains(string(b), `"capacity":"KT"`) {
			t.Fatalf("%s: %d %s", path, status, b)
		}
	}
	sha, _ := e.latest(t, clerk, d.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": sha}); status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	q1 := e.unitID(t, "000.01.24.H29")
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", d.ID), clerk,
		map[string]any{"recipients": map[string]any{"units": []int64{q1}}, "steering": 1}); status != 201 {
		t.Fatalf("issue: %d %s", status, b)
	}
	status, x, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/edxml?to=000.01.24.H29", d.ID), clerk, nil, "")
	if status != 200 {
		t.Fatalf("export: %d %s", status, x)
	}
	for _, w := range []string{`Competence>KT. GIÁM ĐỐC<`, `Position>PHÓ GIÁM ĐỐC<`, `FullName>Nguyễn Văn Hiếu<`} {
		if !regexp.MustCompile(regexp.QuoteMeta(w)).Match(x) {
			t.Errorf("the export lacks %s", w)
		}
	}
	// The document page names the capacity too.
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	if _, page, _ := b.get(fmt.Sprintf("/documents/%d", d.ID)); !strings.Contains(page, want) {
		t.Error("the document page does not name the capacity")
	}
}

// The head grants through the API and the page; bad input names its field.
func TestAuthoritiesThroughTheAPIAndPage(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	director, staff := e.login("giamdoc.sgd"), e.login("chuyenvien.sgd")
	var me struct {
		ID int64 `json:"id"`
	}
	_, b, _ := e.request("GET", "/api/v1/me", e.login("phogiamdoc.sgd"), nil, "")
	json.Unmarshal(b, &me)
	grant := map[string]any{"user_id": me.ID, "capacity": "TUQ", "on_behalf_of": "GIÁM ĐỐC", "doc_types": []string{"TB"},
		"valid_to": "2099-12-31", "basis": "Giấy ủy quyền số 03/GUQ-SGDĐT ngày 01/12/2026"}
	for field, change := range map[string]map[string]any{
		"user_id":   {"user_id": 999999},
		"valid_to":  {"valid_to": "2000-01-01"},
		"basis":     {"basis": ""},
		"doc_types": {"doc_types": []string{"XX"}},
	} {
		body := map[string]any{}
		for k, v := range grant {
			body[k] = v
		}
		for k, v := range change {
			body[k] = v
		}
		status, b := e.postJSON(t, "/api/v1/authorities", director, body)
		if pr := decodeError(t, b); status != 422 || pr.Error.Fields[field] == "" {
			t.Errorf("%s: %d %s", field, status, b)
		}
	}
	if status, _ := e.postJSON(t, "/api/v1/authorities", staff, grant); status != 403 {
		t.Errorf("staff grants: %d", status)
	}
	status, b := e.postJSON(t, "/api/v1/authorities", director, grant)
	var a struct {
		ID   int64
		Line string
	}
	if json.Unmarshal(b, &a); status != 201 || a.Line != "TUQ. GIÁM ĐỐC" {
		t.Fatalf("grant: %d %s", status, b)
	}
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/authorities/%d/revoke", a.ID), director, nil); status != 200 || !strings.Contains(string(b), `"revoked_at"`) {
		t.Fatalf("revoke: %d %s", status, b)
	}
	status, b, _ = e.request("GET", "/api/v1/authorities", director, nil, "")
	if status != 200 || !strings.Contains(string(b), `"can_grant":true`) || strings.Count(string(b), `"line"`) != 3 {
		t.Fatalf("list: %d %s", status, b)
	}

	// The page: the list, and the form with its errors on the page.
	w := newBrowser(t, e)
	w.login("giamdoc.sgd")
	status, page, _ := w.get("/settings/authorities")
	if status != 200 || !strings.Contains(page, "KT. GIÁM ĐỐC") || !strings.Contains(page, `id="grant-form"`) {
		t.Fatalf("page: %d", status)
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "user_id": {fmt.Sprint(me.ID)}, "capacity": {"TL"}, "on_behalf_of": {"giám đốc"},
		"doc_types": {"TB", "GM"}, "valid_from": {"2026-12-01"}, "valid_to": {"2026-11-01"}, "basis": {"Quy chế làm việc"}}
	status, page, _ = w.postForm("/settings/authorities", form, "")
	if status != 422 || !strings.Contains(page, "ngày kết thúc không được trước ngày bắt đầu") {
		t.Fatalf("bad dates: %d", status)
	}
	form.Set("valid_to", "")
	status, page, _ = w.postForm("/settings/authorities", form, "")
	if status != 200 || !strings.Contains(page, "Đã giao thẩm quyền «TL. GIÁM ĐỐC»") || !strings.Contains(page, "từ 01/12/2026") {
		t.Fatalf("grant on the page: %d", status)
	}
	w2 := newBrowser(t, e)
	w2.login("chuyenvien.sgd")
	if status, page, _ := w2.get("/settings/authorities"); status != 200 || strings.Contains(page, `id="grant-form"`) {
		t.Fatalf("staff sees the form: %d", status)
	}
}

// The batch of the "Chờ tôi ký" form: one confirmation, then one result per
// document; the one that changed since the list was shown is named, the
// others are signed. The API answers per item too.
func TestSignBatchInThePagesAndAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	var docs []docJSON
	for range 6 {
		docs = append(docs, e.create(t, clerk, validFields(), "Kế hoạch.pdf", signerBlockPDF(t, "Lê Hoài Nam", "GIÁM ĐỐC")))
	}
	item := func(d docJSON) string { return fmt.Sprintf("%d:%s", d.ID, d.Versions[0].SHA256) }

	w := newBrowser(t, e)
	w.login("giamdoc.sgd")
	_, page, _ := w.get("/documents")
	form := url.Values{"_csrf": {csrfOf(t, page)}, "doc": {item(docs[0]), item(docs[1]), item(docs[2])}}
	status, page, _ := w.postForm("/documents/sign-batch", form, "")
	if status != 200 || !strings.Contains(page, "Ký số 3 văn bản") || !strings.Contains(page, `action="/documents/sign-batch/confirm"`) {
		t.Fatalf("confirmation: %d %s", status, page)
	}
	// Changed after the confirmation was shown.
	ctx := context.Background()
	p, err := auth.NewService(e.db, time.Hour).PrincipalByUsername(ctx, "vanthu.sgd")
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.docs.Spool(ctx, bytes.NewReader(testenv.PDF(3000, 5)), "Kế hoạch.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if _, err := e.docs.ReplaceDraft(ctx, p, docs[1].ID, up, "Sửa"); err != nil {
		t.Fatal(err)
	}
	form = url.Values{"_csrf": {csrfOf(t, page)}, "doc": {item(docs[0]), item(docs[1]), item(docs[2])}}
	status, page, _ = w.postForm("/documents/sign-batch/confirm", form, "")
	if status != 200 || !strings.Contains(page, "Đã ký 2 văn bản. 1 văn bản không ký được") ||
		!strings.Contains(page, fmt.Sprintf(`id="batch-failed-%d"`, docs[1].ID)) || !strings.Contains(page, "phiên bản mới hơn") {
		t.Fatalf("results: %d %s", status, page)
	}
	// Too many for one batch.
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprintf("%d:%s", 100000+i, strings.Repeat("0", 64)))
	}
	if status, page, _ := w.postForm("/documents/sign-batch", url.Values{"_csrf": {csrfOf(t, page)}, "doc": many}, ""); status != 422 || !strings.Contains(page, "tối đa 50 văn bản") {
		t.Fatalf("51 documents: %d", status)
	}

	// The API: per item, 200 or the problem.
	status, b := e.postJSON(t, "/api/v1/documents/sign-batch", director, map[string]any{"items": []map[string]any{
		{"id": docs[3].ID, "version_sha256": docs[3].Versions[0].SHA256},
		{"id": docs[4].ID, "version_sha256": strings.Repeat("0", 64)},
		{"id": docs[5].ID, "version_sha256": docs[5].Versions[0].SHA256},
	}})
	var res struct {
		Signed, Failed int
		Items          []struct {
			ID     int64
			Status int
			Error  *struct{ Code string }
		}
	}
	if json.Unmarshal(b, &res); status != 200 || res.Signed != 2 || res.Failed != 1 || len(res.Items) != 3 ||
		res.Items[1].Status != http.StatusConflict || res.Items[1].Error == nil || res.Items[1].Error.Code != "version_conflict" || res.Items[0].Status != 200 {
		t.Fatalf("API batch: %d %s", status, b)
	}
	if status, b := e.postJSON(t, "/api/v1/documents/sign-batch", director, map[string]any{"items": []any{}}); status != 422 {
		t.Fatalf("empty batch: %d %s", status, b)
	}
}
