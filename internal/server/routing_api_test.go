package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/signing"
)

type deliveryJSON struct {
	ID             int64  `json:"id"`
	DocumentID     int64  `json:"document_id"`
	Status         string `json:"status"`
	Recall         string `json:"recall"`
	IncomingNumber int    `json:"incoming_number"`
	SenderName     string `json:"sender_name"`
	RecipientName  string `json:"recipient_name"`
	SignatureValid *bool  `json:"signature_valid"`
	Reason         string `json:"reason"`
	StatusByName   string `json:"status_by_name"`
	Overdue        bool   `json:"overdue"`
}

// signAndRegister takes an uploaded draft through the director's signature
// and the clerk's registration, and returns the registered document.
func (e *testEnv) signAndRegister(t *testing.T, clerk, director string) docJSON {
	t.Helper()
	return e.signAndRegisterFields(t, clerk, director, validFields())
}

func (e *testEnv) signAndRegisterFields(t *testing.T, clerk, director string, f map[string]string) docJSON {
	t.Helper()
	d := e.create(t, clerk, f, "Kế hoạch.pdf", fixturePDF(t))
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	sha, _ := e.latest(t, clerk, d.ID)
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": sha, "copies": 2, "file_unit": "Văn phòng"})
	if status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	var reg docJSON
	if err := json.Unmarshal(b, &reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func (e *testEnv) inbox(t *testing.T, token string, query string) []deliveryJSON {
	t.Helper()
	status, b, _ := e.request("GET", "/api/v1/inbox"+query, token, nil, "")
	if status != 200 {
		t.Fatalf("inbox: %d %s", status, b)
	}
	var page struct{ Items []deliveryJSON }
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (e *testEnv) unitID(t *testing.T, code string) int64 {
	t.Helper()
	u, err := org.NewStore(e.db).GetByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestRegisterIssueAndHandleThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	// The urgency is the document's, set at upload: the issue keeps it.
	khan := validFields()
	khan["urgency"] = "khan"
	reg := e.signAndRegisterFields(t, clerk, director, khan)
	year := time.Now().In(domain.VietnamTime).Year()
	if reg.NumberSymbol != "01/KH-SGDĐT" || reg.DocDate != time.Now().In(domain.VietnamTime).Format(time.DateOnly) {
		t.Fatalf("registered = %+v", reg)
	}
	// The registered file carries two valid signatures, the seal naming
	// the number, for independent verifiers too.
	status, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", reg.ID), clerk, nil, "")
	if status != 200 {
		t.Fatalf("download: %d", status)
	}
	testenv.CheckSignedPDF(t, pdf, 2)
	status, out, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/verification", reg.ID), clerk, nil, "")
	if status != 200 || !strings.Contains(string(out), "Văn thư ký số của cơ quan, 01/KH-SGDĐT") {
		t.Errorf("the organisation's signature does not name the number: %d %s", status, out)
	}
	// Registering twice is refused.
	sha, _ := e.latest(t, clerk, reg.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", reg.ID), clerk, map[string]any{"version_sha256": sha}); status != 409 {
		t.Fatalf("register twice: %d %s", status, b)
	}

	thcs := e.unitID(t, "001.01.24.H29")
	body := map[string]any{"recipients": map[string]any{"groups": []string{"district_offices"}, "units": []int64{thcs}},
		"due_date": time.Now().AddDate(0, 0, 30).Format(time.DateOnly), "steering": 2}
	b, _ := json.Marshal(body)
	req := func(key string) (int, []byte, http.Header) {
		r, _ := http.NewRequest("POST", e.baseURL+fmt.Sprintf("/api/v1/documents/%d/issue", reg.ID), bytes.NewReader(b))
		r.Header.Set("Authorization", "Bearer "+clerk)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes(), resp.Header
	}
	status, out, _ = req("phat-hanh-01")
	if status != 201 || !strings.Contains(string(out), `"delivered":23`) {
		t.Fatalf("issue: %d %s", status, out)
	}
	status, out, h := req("phat-hanh-01")
	if status != 200 || h.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(out), `"delivered":23`) {
		t.Fatalf("retry: %d %s", status, out)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM deliveries`)
	if n != 23 {
		t.Fatalf("%d deliveries after a retried issue, want 23", n)
	}

	school := e.login("vanthu.thcs1")
	items := e.inbox(t, school, "")
	if len(items) != 1 || items[0].SignatureValid == nil || !*items[0].SignatureValid || items[0].Status != "01" {
		t.Fatalf("the school's inbox = %+v (the verdict is computed before it arrives)", items)
	}
	d := items[0]
	// Another school learns nothing.
	other := e.login("vanthu.thpt1")
	if len(e.inbox(t, other, "")) != 0 {
		t.Fatal("another school sees the delivery")
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/inbox/%d", d.ID), fmt.Sprintf("/api/v1/documents/%d", reg.ID)} {
		if status, body, _ := e.request("GET", path, other, nil, ""); status != 404 {
			t.Errorf("another school GET %s: %d %s", path, status, body)
		}
	}
	if status, body := e.postJSON(t, fmt.Sprintf("/api/v1/inbox/%d/accept", d.ID), other, nil); status != 404 {
		t.Errorf("another school accepts: %d %s", status, body)
	}
	// An illegal move is a 409 with the state now.
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/inbox/%d/status", d.ID), school, map[string]any{"status": "06"})
	var prob struct {
		Error struct {
			Code  string `json:"code"`
			State string `json:"current_state"`
		} `json:"error"`
	}
	json.Unmarshal(out, &prob)
	if status != 409 || prob.Error.Code != "illegal_transition" || prob.Error.State != "01" {
		t.Fatalf("done before accepted: %d %s", status, out)
	}
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/inbox/%d/accept", d.ID), school, nil)
	var acc deliveryJSON
	json.Unmarshal(out, &acc)
	if status != 200 || acc.Status != "03" || acc.IncomingNumber != 1 {
		t.Fatalf("accept: %d %s", status, out)
	}
	// The document reached the school: it can read and download it now.
	if status, _, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/3/download", reg.ID), school, nil, ""); status != 200 {
		t.Fatalf("the recipient downloads: %d", status)
	}
	// Bad bodies.
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{fmt.Sprintf("/api/v1/inbox/%d/refuse", d.ID), map[string]any{}, 422},
		{fmt.Sprintf("/api/v1/inbox/%d/status", d.ID), map[string]any{"status": "09"}, 422},
		{fmt.Sprintf("/api/v1/inbox/%d/assign", d.ID), map[string]any{"assignee_id": 1}, 403}, // a clerk does not assign
		{"/api/v1/inbox/999999/accept", nil, 404},
		{"/api/v1/inbox/abc/accept", nil, 404},
	} {
		if status, body := e.postJSON(t, c.path, school, c.body); status != c.want {
			t.Errorf("POST %s %v: %d %s, want %d", c.path, c.body, status, body, c.want)
		}
	}
	if status, body, _ := e.request("POST", fmt.Sprintf("/api/v1/inbox/%d/refuse", d.ID), school, strings.NewReader("{not json"), "application/json"); status != 400 {
		t.Errorf("malformed JSON: %d %s", status, body)
	}
	if status, body, _ := e.request("GET", "/api/v1/inbox?status=99", school, nil, ""); status != 422 {
		t.Errorf("bad inbox filter: %d %s", status, body)
	}

	// The sender's board.
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/deliveries?status=03", reg.ID), clerk, nil, "")
	var board struct {
		Summary struct {
			Total    int `json:"total"`
			Accepted int `json:"accepted"`
		} `json:"summary"`
		Text  string         `json:"summary_text"`
		Items []deliveryJSON `json:"items"`
	}
	json.Unmarshal(out, &board)
	if status != 200 || board.Summary.Total != 23 || board.Summary.Accepted != 1 || len(board.Items) != 1 ||
		board.Items[0].StatusByName != "Huỳnh Văn Đức" || !strings.HasPrefix(board.Text, "1/23 đơn vị đã tiếp nhận") {
		t.Fatalf("board: %d %s", status, out)
	}
	// A recipient sees no one else's delivery on the board.
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/deliveries", reg.ID), school, nil, "")
	if status != 200 || !strings.Contains(string(out), `"total":0`) {
		t.Fatalf("a recipient's board: %d %s", status, out)
	}

	// Registers: the outgoing one lists the document with its recipients.
	status, csvBody, hdr := e.request("GET", fmt.Sprintf("/api/v1/registers/outgoing?year=%d&format=csv", year), clerk, nil, "")
	if status != 200 || !bytes.HasPrefix(csvBody, []byte("\xef\xbb\xbf")) || !strings.Contains(hdr.Get("Content-Disposition"), "filename*=UTF-8''S%E1%BB%95") {
		t.Fatalf("outgoing register CSV: %d %q %s", status, hdr.Get("Content-Disposition"), csvBody)
	}
	rows, err := csv.NewReader(bytes.NewReader(csvBody[3:])).ReadAll()
	// Nơi nhận lists every recipient (the 22 district offices and the school).
	if err != nil || len(rows) != 2 || rows[1][0] != "01/KH-SGDĐT" || strings.Count(rows[1][4], "; ") != 22 || !strings.Contains(rows[1][4], "Trường THCS Văn Lang") {
		t.Fatalf("outgoing register rows = %q, %v", rows, err)
	}
	status, csvBody, _ = e.request("GET", fmt.Sprintf("/api/v1/registers/incoming?year=%d&format=csv", year), school, nil, "")
	rows, _ = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBody, []byte("\xef\xbb\xbf")))).ReadAll()
	if status != 200 || len(rows) != 2 || !strings.Contains(strings.Join(rows[1], "|"), "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh") {
		t.Fatalf("incoming register: %d %q", status, rows)
	}
	status, pdfBody, _ := e.request("GET", fmt.Sprintf("/api/v1/registers/incoming?year=%d&format=pdf", year), school, nil, "")
	if status != 200 || !bytes.HasPrefix(pdfBody, []byte("%PDF-")) {
		t.Fatalf("incoming register PDF: %d", status)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Missing(t, "pdftotext")
	}
	f := filepath.Join(t.TempDir(), "so-den.pdf")
	os.WriteFile(f, pdfBody, 0o600)
	txt, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil || !strings.Contains(string(txt), "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN") || !strings.Contains(string(txt), "01/KH-SGDĐT") {
		t.Fatalf("incoming register PDF text: %v\n%s", err, txt)
	}
	for _, q := range []string{"/api/v1/registers/outgoing?format=docx", "/api/v1/registers/sent?year=2026", "/api/v1/registers/outgoing?year=abc"} {
		if status, body, _ := e.request("GET", q, clerk, nil, ""); status != 422 {
			t.Errorf("GET %s: %d %s", q, status, body)
		}
	}
	if status, _, _ := e.request("GET", "/api/v1/registers/outgoing", e.login("chuyenvien.sgd"), nil, ""); status != 403 {
		t.Errorf("a staff member reads the register: %d", status)
	}

	// Indicators: the department sees every unit; the document was issued
	// with a valid signature, and the school accepted it.
	month := time.Now().In(domain.VietnamTime).Format("2006-01")
	status, out, _ = e.request("GET", "/api/v1/indicators?from="+month+"&to="+month, clerk, nil, "")
	var ind struct {
		Items []struct {
			UnitName   string   `json:"unit_name"`
			Issued     int      `json:"issued"`
			ValidShare *float64 `json:"valid_share"`
			Received   int      `json:"received"`
			Median     *float64 `json:"median_hours_to_accept"`
		} `json:"items"`
	}
	json.Unmarshal(out, &ind)
	var dept, sch bool
	for _, r := range ind.Items {
		if r.Issued == 1 && r.ValidShare != nil && *r.ValidShare == 1 {
			dept = true
		}
		if r.UnitName == "Trường THCS Văn Lang" && r.Received == 1 && r.Median != nil {
			sch = true
		}
	}
	if status != 200 || !dept || !sch {
		t.Fatalf("indicators: %d %s", status, out)
	}
	status, out, _ = e.request("GET", "/api/v1/indicators?from="+month+"&to="+month, school, nil, "")
	if status != 200 || strings.Contains(string(out), "Phòng Giáo dục") {
		t.Fatalf("a school sees other units' indicators: %s", out)
	}
	if status, _, _ := e.request("GET", "/api/v1/indicators?from=2026-13", clerk, nil, ""); status != 422 {
		t.Errorf("bad month: %d", status)
	}

	// Notifications: the arrival reached the school's clerk once the job ran.
	w := notify.NewWorker(e.db, "test", e.routing.Handlers(), notify.WorkerOptions{})
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, out, _ = e.request("GET", "/api/v1/notifications", school, nil, "")
	if status != 200 || !strings.Contains(string(out), `"unread":1`) || !strings.Contains(string(out), "[Khẩn] Văn bản đến: 01/KH-SGDĐT") {
		t.Fatalf("notifications: %d %s", status, out)
	}
	status, out = e.postJSON(t, "/api/v1/notifications/read", school, map[string]any{"ids": []int64{}})
	if status != 200 || !strings.Contains(string(out), `"unread":0`) {
		t.Fatalf("mark read: %d %s", status, out)
	}

	// The audit trail holds it all, and the chain checks out.
	if n, err := audit.Check(context.Background(), e.db); err != nil || n < 3 {
		t.Fatalf("audit: %d %v", n, err)
	}
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/history", reg.ID), clerk, nil, "")
	if status != 200 || !strings.Contains(string(out), "document.register") || !strings.Contains(string(out), "delivery.accept") {
		t.Fatalf("history: %d %s", status, out)
	}
}

// trust adds the development root of one environment to another's roots.
func trust(t *testing.T, from, to *testEnv) {
	t.Helper()
	b, err := os.ReadFile(signing.DevRootPath(from.cfg.KeysDir))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	to.docs.AddRoot(c)
}

func TestEdXMLRoundTripBetweenTwoSystems(t *testing.T) {
	ctx := context.Background()
	// System A: this department. System B: another province's department,
	// known to A as an external unit reached through edXML.
	a := newEnv(t, envOptions{signing: true})
	b := newEnv(t, envOptions{signing: true})
	const otherCode, otherName = "000.00.24.I56", "Sở Giáo dục và Đào tạo tỉnh Bình Dương"
	if _, err := org.NewStore(a.db).Create(ctx, org.Unit{Code: otherCode, Name: otherName, Abbreviation: "SGDĐT-BD", Kind: org.KindExternal}); err != nil {
		t.Fatal(err)
	}
	// In B, the department of Ho Chi Minh City is not a unit of its own.
	b.db.MustExec(`UPDATE units SET code = '000.00.24.Z99' WHERE code = '000.00.24.H29'`)
	bu, err := org.NewStore(b.db).Create(ctx, org.Unit{Code: otherCode, Name: otherName, Abbreviation: "SGDĐT", Kind: org.KindDepartment})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewService(b.db, time.Hour).CreateUser(ctx, auth.NewUser{Username: "vanthu.bd", FullName: "Trần Thị Bình",
		UnitID: bu.ID, Roles: []string{auth.RoleClerk}, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if err := signing.GenerateDevPKI(b.cfg.KeysDir, signing.DevOrg{Code: otherCode, Name: otherName}, nil); err != nil {
		t.Fatal(err)
	}
	trust(t, a, b)
	trust(t, b, a)

	clerkA := a.login("vanthu.sgd")
	reg := a.signAndRegister(t, clerkA, a.login("giamdoc.sgd"))
	due := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	status, out := a.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", reg.ID), clerkA, map[string]any{
		"recipients": map[string]any{"units": []int64{a.unitID(t, otherCode)}}, "due_date": due, "steering": 2})
	if status != 201 {
		t.Fatalf("issue to the external unit: %d %s", status, out)
	}
	status, pkg, hdr := a.request("GET", fmt.Sprintf("/api/v1/documents/%d/edxml?to=%s", reg.ID, otherCode), clerkA, nil, "")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/xml") || !bytes.Contains(pkg, []byte("edXML")) {
		t.Fatalf("export: %d %s", status, pkg[:min(len(pkg), 300)])
	}
	if status, _, _ := a.request("GET", fmt.Sprintf("/api/v1/documents/%d/edxml?to=000.01.24.H29", reg.ID), clerkA, nil, ""); status != 422 {
		t.Errorf("export for a unit it was not issued to: %d", status)
	}

	clerkB := b.login("vanthu.bd")
	post := func(e *testEnv, path, token string, body []byte) (int, []byte) {
		status, out, _ := e.request("POST", path, token, bytes.NewReader(body), "application/xml")
		return status, out
	}
	// A changed package, or one for someone else, is refused.
	tampered := bytes.Replace(pkg, []byte("Kế hoạch cải cách"), []byte("Kế hoạch cải tiến"), 1)
	if status, out := post(b, "/api/v1/edxml/packages", clerkB, tampered); status != 422 || decodeError(t, out).Error.Code != "edxml_bad_signature" {
		t.Fatalf("tampered package: %d %s", status, out)
	}
	if status, out := post(b, "/api/v1/edxml/packages", b.login("vanthu.thcs1"), pkg); status != 422 || decodeError(t, out).Error.Code != "edxml_not_addressed" {
		t.Fatalf("package for another unit: %d %s", status, out)
	}
	if status, out, _ := b.request("POST", "/api/v1/edxml/packages", clerkB, bytes.NewReader(pkg), "application/pdf"); status != 415 {
		t.Fatalf("wrong content type: %d %s", status, out)
	}
	status, out = post(b, "/api/v1/edxml/packages", clerkB, pkg)
	var imported deliveryJSON
	json.Unmarshal(out, &imported)
	if status != 201 || imported.Status != "01" || imported.SenderName != "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh" ||
		imported.SignatureValid == nil || !*imported.SignatureValid {
		t.Fatalf("import: %d %s", status, out)
	}
	if status, out := post(b, "/api/v1/edxml/packages", clerkB, pkg); status != 409 {
		t.Fatalf("the same package twice: %d %s", status, out)
	}
	// B accepts it and reports back.
	if status, out := b.postJSON(t, fmt.Sprintf("/api/v1/inbox/%d/accept", imported.ID), clerkB, nil); status != 200 {
		t.Fatalf("accept in B: %d %s", status, out)
	}
	status, st, _ := b.request("GET", fmt.Sprintf("/api/v1/inbox/%d/edxml-status", imported.ID), clerkB, nil, "")
	if status != 200 {
		t.Fatalf("status export: %d %s", status, st)
	}
	status, out = post(a, "/api/v1/edxml/statuses", clerkA, st)
	var back deliveryJSON
	json.Unmarshal(out, &back)
	if status != 200 || back.Status != "03" || back.RecipientName != otherName {
		t.Fatalf("status import in A: %d %s", status, out)
	}
	// A status about someone else's document is refused.
	if status, out := post(a, "/api/v1/edxml/statuses", a.login("vanthu.q1"), st); status != 422 {
		t.Fatalf("status import by another unit: %d %s", status, out)
	}
	// B's document record keeps the sender's number and the due date.
	var got struct {
		Number string `db:"number_symbol"`
		Owner  string `db:"code"`
	}
	b.db.Get(&got, `SELECT d.number_symbol, u.code FROM documents d JOIN units u ON u.id = d.unit_id WHERE d.id = $1`, imported.DocumentID)
	if got.Number != "01/KH-SGDĐT" || got.Owner != "000.00.24.H29" {
		t.Fatalf("imported document = %+v", got)
	}
}

func TestManualNumbersJoinTheSeries(t *testing.T) {
	// A number typed when sealing is accepted only as the register's next
	// one (numbers run without gaps, Decree 30/2020 art. 15.1): 01 is taken
	// like Đăng ký, cấp số would take it; 207 would skip and is refused;
	// the series carries on intact.
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	signed := func() int64 {
		f := validFields()
		f["doc_date"] = time.Now().In(domain.VietnamTime).Format(time.DateOnly) // this year's series
		d := e.create(t, clerk, f, "Kế hoạch.pdf", fixturePDF(t))
		if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
			t.Fatalf("sign: %d %s", status, b)
		}
		return d.ID
	}
	seal := func(id int64, number int) (int, []byte) {
		sha, _ := e.latest(t, clerk, id)
		return e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/seal", id), clerk, map[string]any{"version_sha256": sha, "number": number, "symbol": "KH-SGDĐT"})
	}
	a := signed()
	if status, b := seal(a, 1); status != 200 || !strings.Contains(string(b), `"number_symbol":"01/KH-SGDĐT"`) {
		t.Fatalf("manual 01, the next: %d %s", status, b)
	}
	b := signed()
	if status, out := seal(b, 207); status != 422 || decodeError(t, out).Error.Fields["number"] == "" {
		t.Fatalf("a number that skips 02-206: %d %s", status, out)
	}
	if status, out := seal(b, 1); status != 422 || decodeError(t, out).Error.Fields["number"] == "" {
		t.Fatalf("a number already given: %d %s", status, out)
	}
	sha, _ := e.latest(t, clerk, b)
	status, out := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", b), clerk, map[string]any{"version_sha256": sha})
	if status != 200 || !strings.Contains(string(out), `"number_symbol":"02/KH-SGDĐT"`) {
		t.Fatalf("register after the refusals: %d %s", status, out)
	}
	var numbers []int
	e.db.Select(&numbers, `SELECT number FROM registrations WHERE series = 'outgoing' ORDER BY number`)
	if fmt.Sprint(numbers) != "[1 2]" {
		t.Errorf("outgoing register holds %v, want [1 2]", numbers)
	}
}
