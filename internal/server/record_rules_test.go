package server

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The HTTP side of Decree 30's record rules: dry runs and confirmations
// that change nothing, the relay's reach, digitised paper originals.

// recordCounts is what any irreversible action would change.
func (e *testEnv) recordCounts(t *testing.T) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT count(*) FROM documents`, `SELECT count(*) FROM document_versions`,
		`SELECT count(*) FROM document_signatures`, `SELECT count(*) FROM registrations`,
		`SELECT coalesce(sum(last_number), 0) FROM number_counters`, `SELECT count(*) FROM deliveries`,
		`SELECT count(*) FROM documents WHERE number IS NOT NULL`, `SELECT count(*) FROM documents WHERE status = 'issued'`,
	} {
		var n int
		if err := e.db.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		out = append(out, strconv.Itoa(n))
	}
	return strings.Join(out, ",")
}

// previewJSON holds the fields of documents.Preview and routing.DispatchPreview.
type previewJSON struct {
	Action       string `json:"action"`
	Kind         string `json:"kind"`
	NumberSymbol string `json:"number_symbol"`
	As           string `json:"as"`
	Units        int    `json:"units"`
	Allowed      bool   `json:"allowed"`
	Refused      []struct {
		Name string `json:"name"`
	} `json:"refused"`
	Message string `json:"message"`
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director, q1 := e.login("vanthu.sgd"), e.login("giamdoc.sgd"), e.login("vanthu.q1")
	d := e.create(t, clerk, validFields(), "Kế hoạch.pdf", fixturePDF(t))
	path := func(action string) string { return fmt.Sprintf("/api/v1/documents/%d/%s", d.ID, action) }
	dry := func(step, p, token string, body map[string]any, want int) previewJSON {
		t.Helper()
		before := e.recordCounts(t)
		status, b := e.postJSON(t, p+"?dry_run=1", token, body)
		if status != want {
			t.Fatalf("%s: %d %s", step, status, b)
		}
		if after := e.recordCounts(t); after != before {
			t.Errorf("%s changed the record: %s, then %s", step, before, after)
		}
		var pv previewJSON
		if status == 200 {
			if err := json.Unmarshal(b, &pv); err != nil || pv.Message == "" {
				t.Fatalf("%s: no preview: %s", step, b)
			}
		}
		return pv
	}

	// Issuing a draft: refused as issuing is, nothing changed.
	dry("issue a draft", path("issue"), clerk, map[string]any{"recipients": map[string]any{"groups": []string{"district_offices"}}}, 409)
	pv := dry("sign", path("sign"), director, map[string]any{"version_sha256": d.Versions[0].SHA256}, 200)
	if pv.Action != "sign" || !strings.Contains(pv.Message, "Lê Hoài Nam") || !strings.Contains(pv.Message, "phiên bản 1") {
		t.Errorf("sign preview: %+v", pv)
	}
	if status, b := e.postJSON(t, path("sign"), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	v2, _ := e.latest(t, clerk, d.ID)
	pv = dry("register", path("register"), clerk, map[string]any{"version_sha256": v2}, 200)
	if pv.Action != "register" || pv.NumberSymbol != "01/KH-SGDĐT" || !strings.Contains(pv.Message, "Cấp số 01/KH-SGDĐT") {
		t.Errorf("register preview: %+v", pv)
	}
	pv = dry("seal with the next number", path("seal"), clerk, map[string]any{"version_sha256": v2, "number": 1, "symbol": "KH-SGDĐT"}, 200)
	if pv.NumberSymbol != "01/KH-SGDĐT" {
		t.Errorf("seal preview: %+v", pv)
	}
	dry("seal with a number that skips", path("seal"), clerk, map[string]any{"version_sha256": v2, "number": 207, "symbol": "KH-SGDĐT"}, 422)
	if status, b := e.postJSON(t, path("register"), clerk, map[string]any{"version_sha256": v2}); status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}

	q1ID, vl := e.unitID(t, codeQ1Office), e.unitID(t, codeTHCSVL)
	issue := map[string]any{"recipients": map[string]any{"units": []int64{q1ID, vl}}}
	pv = dry("issue", path("issue"), clerk, issue, 200)
	if pv.Kind != "issue" || pv.Units != 2 || !pv.Allowed || !strings.Contains(pv.Message, "tới 2 đơn vị") {
		t.Errorf("issue preview: %+v", pv)
	}
	dry("issue with another urgency", path("issue"), clerk, map[string]any{"recipients": issue["recipients"], "urgency": "hoa_toc"}, 422)
	if status, b := e.postJSON(t, path("issue"), clerk, issue); status != 201 {
		t.Fatalf("issue: %d %s", status, b)
	}

	// The Quận 1 office relays to its own schools only.
	var dl int64
	for _, it := range e.inbox(t, q1, "") {
		dl = it.ID
	}
	if status, b, _ := e.request("POST", fmt.Sprintf("/api/v1/inbox/%d/accept", dl), q1, nil, ""); status != 200 {
		t.Fatalf("accept: %d %s", status, b)
	}
	var outside int64
	if err := e.db.Get(&outside, `SELECT id FROM units WHERE kind = 'school' AND parent_id <> $1 ORDER BY id LIMIT 1`, q1ID); err != nil {
		t.Fatal(err)
	}
	relay := fmt.Sprintf("/api/v1/inbox/%d/relay", dl)
	var school int64
	if err := e.db.Get(&school, `SELECT id FROM units WHERE kind = 'school' AND parent_id = $1 AND id <> $2 ORDER BY id LIMIT 1`, q1ID, vl); err != nil {
		t.Fatal(err)
	}
	pv = dry("relay", relay, q1, map[string]any{"recipients": map[string]any{"units": []int64{school}}}, 200)
	if pv.Kind != "relay" || pv.Units != 1 || !pv.Allowed {
		t.Errorf("relay preview: %+v", pv)
	}
	pv = dry("relay out of reach", relay, q1, map[string]any{"recipients": map[string]any{"units": []int64{school, outside}}}, 200)
	if pv.Allowed || len(pv.Refused) != 1 {
		t.Errorf("relay preview out of reach: %+v", pv)
	}
	before := e.recordCounts(t)
	status, b := e.postJSON(t, relay, q1, map[string]any{"recipients": map[string]any{"units": []int64{school, outside}}})
	if status != 422 || decodeError(t, b).Error.Fields["recipients"] == "" {
		t.Errorf("relay out of reach: %d %s", status, b)
	}
	if after := e.recordCounts(t); after != before {
		t.Errorf("a refused relay changed the record: %s, then %s", before, after)
	}
	// The reach, as the API lists it.
	status, b, _ = e.request("GET", "/api/v1/relay-targets", q1, nil, "")
	var reach struct{ Units []struct{ ID int64 } }
	if status != 200 || json.Unmarshal(b, &reach) != nil || len(reach.Units) == 0 {
		t.Fatalf("relay targets: %d %s", status, b)
	}
	for _, u := range reach.Units {
		if u.ID == outside {
			t.Errorf("the Quận 1 office may relay to a school of another district")
		}
	}
	if status, b := e.postJSON(t, path("issue")+"?dry_run=maybe", clerk, issue); status != 422 {
		t.Errorf("dry_run=maybe: %d %s", status, b)
	}
}

var confirmFormRE = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)" id="confirm-form"[^>]*>(.*?)</form>`)
var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// confirmed reads a confirmation page's form: where it posts and its fields.
func confirmed(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := confirmFormRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no confirmation form")
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
		form.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), form
}

func TestConfirmPagesNameTheConsequence(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	d := e.create(t, e.login("vanthu.sgd"), validFields(), "Kế hoạch.pdf", fixturePDF(t))
	docPath := "/documents/" + strconv.FormatInt(d.ID, 10)

	// Sign: the button goes to the confirmation, which names the signer.
	director := newBrowser(t, e)
	director.login("giamdoc.sgd")
	_, page, _ := director.get(docPath)
	if !strings.Contains(page, `formaction="`+docPath+`/sign/confirm"`) {
		t.Fatal("the sign button does not ask for a confirmation")
	}
	before := e.recordCounts(t)
	status, page, _ := director.postForm(docPath+"/sign/confirm", url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {d.Versions[0].SHA256}}, "")
	if status != 200 || !strings.Contains(page, "Ký số với tư cách Lê Hoài Nam") || !strings.Contains(page, `id="confirm-button"`) {
		t.Fatalf("sign confirmation: %d", status)
	}
	if after := e.recordCounts(t); after != before {
		t.Errorf("the sign confirmation changed the record: %s, then %s", before, after)
	}
	action, form := confirmed(t, page)
	if status, _, _ := director.postForm(action, form, ""); action != docPath+"/sign" || status != http.StatusSeeOther {
		t.Fatalf("confirm the signature: %s %d", action, status)
	}

	// Register: the confirmation names the number it will take.
	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	_, page, _ = clerk.get(docPath)
	if !strings.Contains(page, `id="seal-next-number">01/KH-SGDĐT<`) {
		t.Error("the seal form of an unnumbered document does not say the only number it takes")
	}
	sha := shaInput.FindStringSubmatch(page)[1]
	before = e.recordCounts(t)
	status, page, _ = clerk.postForm(docPath+"/register/confirm", url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {sha}, "copies": {"2"}}, "")
	if status != 200 || !strings.Contains(page, "Cấp số 01/KH-SGDĐT") {
		t.Fatalf("register confirmation: %d", status)
	}
	if after := e.recordCounts(t); after != before {
		t.Errorf("the register confirmation changed the record: %s, then %s", before, after)
	}
	action, form = confirmed(t, page)
	if form.Get("copies") != "2" || form.Get("version_sha256") != sha {
		t.Errorf("the confirmation does not carry the form on: %v", form)
	}
	if status, _, _ := clerk.postForm(action, form, ""); status != http.StatusSeeOther {
		t.Fatalf("confirm the registration: %d", status)
	}

	// Issue: the confirmation says how many units; a mistake comes back
	// on the document page.
	_, page, _ = clerk.get(docPath)
	csrf := csrfOf(t, page)
	key := idempotencyRE.FindStringSubmatch(page)[1]
	if status, page, _ := clerk.postForm(docPath+"/issue/confirm", url.Values{"_csrf": {csrf}, "idempotency_key": {key}}, ""); status != 422 || !strings.Contains(page, `id="issue-form"`) {
		t.Errorf("issue confirmation without recipients: %d", status)
	}
	before = e.recordCounts(t)
	status, page, _ = clerk.postForm(docPath+"/issue/confirm", url.Values{"_csrf": {csrf}, "group": {"district_offices"}, "idempotency_key": {key}}, "")
	if status != 200 || !strings.Contains(page, "Phát hành văn bản số 01/KH-SGDĐT") || !strings.Contains(page, "Tất cả phòng giáo dục và đào tạo quận, huyện") {
		t.Fatalf("issue confirmation: %d", status)
	}
	if after := e.recordCounts(t); after != before {
		t.Errorf("the issue confirmation changed the record: %s, then %s", before, after)
	}
	action, form = confirmed(t, page)
	status, _, h := clerk.postForm(action, form, "")
	if status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=issued") {
		t.Fatalf("confirm the issue: %d %q", status, h.Get("Location"))
	}
	runWebJobs(e)

	// Relay: the Quận 1 office's form offers its schools only; the
	// confirmation names them; a school has no relay form at all.
	q1 := newBrowser(t, e)
	q1.login("vanthu.q1")
	_, page, _ = q1.get("/inbox")
	dl := deliveryIn(t, page)
	_, page, _ = q1.get("/inbox/" + dl)
	if status, _, _ := q1.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrfOf(t, page)}}, ""); status != http.StatusSeeOther {
		t.Fatalf("accept: %d", status)
	}
	_, page, _ = q1.get("/inbox/" + dl)
	vl, outside := webUnitID(e, codeTHCSVL), int64(0)
	if err := e.db.Get(&outside, `SELECT id FROM units WHERE kind = 'school' AND parent_id <> $1 ORDER BY id LIMIT 1`, webUnitID(e, codeQ1Office)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, `id="relay-form"`) || !strings.Contains(page, fmt.Sprintf(`id="relay-unit-%d"`, vl)) ||
		strings.Contains(page, fmt.Sprintf(`id="relay-unit-%d"`, outside)) {
		t.Fatal("the relay form must offer the office's own schools only")
	}
	status, page, _ = q1.postForm("/inbox/"+dl+"/relay/confirm", url.Values{"_csrf": {csrfOf(t, page)}, "unit": {fmt.Sprint(vl)},
		"idempotency_key": {idempotencyRE.FindStringSubmatch(page)[1]}}, "")
	if status != 200 || !strings.Contains(page, "Chuyển tiếp văn bản số 01/KH-SGDĐT") || !strings.Contains(page, "tới 1 đơn vị") {
		t.Fatalf("relay confirmation: %d", status)
	}
	action, form = confirmed(t, page)
	if status, _, h := q1.postForm(action, form, ""); status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=relayed") {
		t.Fatalf("confirm the relay: %d %q", status, h.Get("Location"))
	}
	runWebJobs(e)
	school := newBrowser(t, e)
	school.login("vanthu.thcs1")
	_, page, _ = school.get("/inbox")
	dl = deliveryIn(t, page)
	_, page, _ = school.get("/inbox/" + dl)
	school.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrfOf(t, page)}}, "")
	if _, page, _ = school.get("/inbox/" + dl); !strings.Contains(page, "Đã tiếp nhận") || strings.Contains(page, `id="relay-form"`) {
		t.Error("a school, with no unit under it, is offered the relay form")
	}
}

func TestPaperCopyUpload(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk := e.login("vanthu.sgd")
	upload := func(token string, f map[string]string) (int, []byte) {
		body, ct := multipartBody(t, f, "Bản gốc.pdf", fixturePDF(t))
		status, b, _ := e.request("POST", "/api/v1/documents", token, body, ct)
		return status, b
	}
	paper := validFields()
	paper["kind"], paper["number"], paper["symbol"] = "paper_copy", "206", "KH-SGDĐT"
	if status, b := upload(e.login("chuyenvien.sgd"), paper); status != 403 {
		t.Errorf("a paper copy by someone who is not a clerk: %d %s", status, b)
	}
	noNumber := validFields()
	noNumber["kind"] = "paper_copy"
	if status, b := upload(clerk, noNumber); status != 422 || decodeError(t, b).Error.Fields["number"] == "" {
		t.Errorf("a paper copy without its number: %d %s", status, b)
	}
	status, b := upload(clerk, paper)
	var d struct {
		docJSON
		Origin string `json:"origin"`
		Status string `json:"status"`
	}
	if status != 201 || json.Unmarshal(b, &d) != nil || d.NumberSymbol != "206/KH-SGDĐT" || d.Origin != "paper_copy" || d.Status != "draft" {
		t.Fatalf("paper copy: %d %s", status, b)
	}
	if status, b := upload(clerk, paper); status != 422 || decodeError(t, b).Error.Fields["number"] == "" {
		t.Errorf("the same paper original twice: %d %s", status, b)
	}
	var registered int
	e.db.Get(&registered, `SELECT count(*) FROM registrations WHERE series = 'outgoing'`)
	if registered != 0 {
		t.Errorf("a paper copy entered the outgoing register")
	}
	// It goes out only with the copy mark.
	issue := map[string]any{"recipients": map[string]any{"groups": []string{"district_offices"}}}
	path := fmt.Sprintf("/api/v1/documents/%d/", d.ID)
	if status, b := e.postJSON(t, path+"issue", clerk, issue); status != 409 || decodeError(t, b).Error.Code != "no_copy_mark" {
		t.Errorf("issue a paper copy without its copy mark: %d %s", status, b)
	}
	if status, b := e.postJSON(t, path+"seal", clerk, map[string]any{"version_sha256": d.Versions[0].SHA256, "copy": true}); status != 200 {
		t.Fatalf("copy mark: %d %s", status, b)
	}
	if status, b := e.postJSON(t, path+"issue", clerk, issue); status != 201 {
		t.Errorf("issue the marked copy: %d %s", status, b)
	}
}
