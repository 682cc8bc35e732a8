package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
)

type meetingJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	MyRole    string `json:"my_role"`
	ChairName string `json:"chair_name"`
	Items     []struct {
		ID        int64  `json:"id"`
		Position  int    `json:"position"`
		Title     string `json:"title"`
		Documents []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
			Draft bool   `json:"draft"`
		} `json:"documents"`
	} `json:"items"`
	Participants []struct {
		ID     int64  `json:"id"`
		UserID *int64 `json:"user_id"`
		UnitID *int64 `json:"unit_id"`
		Name   string `json:"name"`
	} `json:"participants"`
	InvitationDocumentID *int64 `json:"invitation_document_id"`
	MinutesDocumentID    *int64 `json:"minutes_document_id"`
}

type ballotJSON struct {
	ID     int64          `json:"id"`
	State  string         `json:"state"`
	Secret bool           `json:"secret"`
	Voted  int            `json:"voted"`
	Totals map[string]int `json:"totals"`
}

// meetingUser returns the id of a demo user.
func (e *testEnv) meetingUser(t *testing.T, username string) int64 {
	t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM users WHERE username = $1`, username); err != nil {
		t.Fatal(err)
	}
	return id
}

// call sends a JSON request (nil body: none) and decodes a 2xx answer
// into out, failing the test when the status is not want.
func (e *testEnv) call(t *testing.T, method, path, token string, body any, want int, out any) []byte {
	t.Helper()
	var r io.Reader
	ct := ""
	if body != nil {
		b, _ := json.Marshal(body)
		r, ct = bytes.NewReader(b), "application/json"
	}
	status, b, _ := e.request(method, path, token, r, ct)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// vietnamese reports whether s has Vietnamese letters with their marks.
func vietnamese(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// refused checks a 4xx answer: its status, and a Vietnamese message (in
// the message or in the field named).
func (e *testEnv) refused(t *testing.T, what string, status int, body []byte, want int, field string) {
	t.Helper()
	if status != want {
		t.Errorf("%s: %d %s, want %d", what, status, body, want)
		return
	}
	ae := decodeError(t, body)
	msg := ae.Error.Message
	if field != "" {
		if msg = ae.Error.Fields[field]; msg == "" {
			t.Errorf("%s: no message for %q: %s", what, field, body)
			return
		}
	}
	if !vietnamese(msg) {
		t.Errorf("%s: the message is not in Vietnamese: %q", what, msg)
	}
}

// meetingPDFText checks a PDF with qpdf and extracts its text with
// poppler's pdftotext.
func meetingPDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "packet.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestMeetingThroughTheAPI holds a whole meeting through the JSON API:
// the department's clerk organises it with the Director in the chair and
// a specialist as secretary; the agenda gets a document and a draft; the
// Quận 1 office's head attends in person and a high school through its
// unit; an outsider sees nothing; attendance, a request to speak, the
// personal packets, an open and a secret ballot, a participant removed
// in the middle of a live stream, the minutes signed by both officers,
// and the invitation issued once signed and registered.
func TestMeetingThroughTheAPI(t *testing.T) {
	for _, tool := range []string{"qpdf", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool)
		}
	}
	e := newEnv(t, envOptions{signing: true})
	organiser, chair, secretary := e.login("vanthu.sgd"), e.login("giamdoc.sgd"), e.login("chuyenvien.sgd")
	head, school, outsider := e.login("truongphong.q1"), e.login("vanthu.thpt1"), e.login("vanthu.thcs1")
	chairID, secretaryID, headID := e.meetingUser(t, "giamdoc.sgd"), e.meetingUser(t, "chuyenvien.sgd"), e.meetingUser(t, "truongphong.q1")
	thpt, q1 := e.unitID(t, "001.00.24.H29"), e.unitID(t, "000.01.24.H29")

	start := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
	input := map[string]any{"title": "Họp triển khai kế hoạch cải cách hành chính năm 2021",
		"starts_at": start, "ends_at": start.Add(2 * time.Hour), "place": "Phòng họp số 1, 66-68 Lê Thánh Tôn",
		"chair_id": chairID, "secretary_id": secretaryID}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range input {
			m[k] = v
		}
		m[k] = v
		return m
	}

	// Bad meetings are refused with a message per field.
	for _, c := range []struct {
		what, field string
		body        map[string]any
	}{
		{"end before start", "ends_at", with("ends_at", start.Add(-time.Hour))},
		{"empty title", "title", with("title", "   ")},
		{"unknown chair", "chair_id", with("chair_id", 987654)},
		{"the chair as secretary", "secretary_id", with("secretary_id", chairID)},
		{"a bad link", "online_url", with("online_url", "javascript:alert(1)")},
	} {
		status, b := e.postJSON(t, "/api/v1/meetings", organiser, c.body)
		e.refused(t, c.what, status, b, 422, c.field)
	}
	if status, b := e.postJSON(t, "/api/v1/meetings", e.login("admin"), input); status != 403 {
		t.Errorf("an administrator organises a meeting: %d %s", status, b)
	}

	var m meetingJSON
	status, b, hdr := e.request("POST", "/api/v1/meetings", organiser, jsonBody(input), "application/json")
	if status != 201 || json.Unmarshal(b, &m) != nil || m.Status != "scheduled" || m.MyRole != "organiser" || m.ChairName != "Lê Hoài Nam" {
		t.Fatalf("create: %d %s", status, b)
	}
	if hdr.Get("Location") != fmt.Sprintf("/api/v1/meetings/%d", m.ID) {
		t.Errorf("Location = %q", hdr.Get("Location"))
	}
	base := fmt.Sprintf("/api/v1/meetings/%d", m.ID)

	// The agenda: three items, reordered; a document and a draft.
	var items [3]struct {
		ID int64 `json:"id"`
	}
	for i, title := range []string{"Khai mạc, giới thiệu đại biểu", "Triển khai kế hoạch 206/KH-SGDĐT", "Thảo luận dự thảo quy chế phối hợp"} {
		e.call(t, "POST", base+"/items", organiser, map[string]any{"title": title, "presenter": "Lê Hoài Nam"}, 201, &items[i])
	}
	status, b = e.postJSON(t, base+"/items", organiser, map[string]any{"title": ""})
	e.refused(t, "an item without a title", status, b, 422, "title")
	status, b, _ = e.request("PUT", base+"/items/order", organiser, jsonBody(map[string]any{"items": []int64{items[1].ID, items[0].ID}}), "application/json")
	e.refused(t, "reorder with a missing item", status, b, 422, "items")
	e.call(t, "PUT", base+"/items/order", secretary, map[string]any{"items": []int64{items[0].ID, items[2].ID, items[1].ID}}, 200, &m)
	if len(m.Items) != 3 || m.Items[1].ID != items[2].ID || m.Items[2].ID != items[1].ID {
		t.Fatalf("reordered agenda = %+v", m.Items)
	}
	plan := e.create(t, organiser, validFields(), "Kế hoạch 206.pdf", fixturePDF(t))
	var planDoc, draftDoc struct {
		ID    int64 `json:"id"`
		Draft bool  `json:"draft"`
	}
	e.call(t, "POST", fmt.Sprintf("%s/items/%d/documents", base, items[1].ID), organiser, map[string]any{"document_id": plan.ID}, 201, &planDoc)
	status, b = e.postJSON(t, fmt.Sprintf("%s/items/%d/documents", base, items[1].ID), organiser, map[string]any{"document_id": plan.ID})
	e.refused(t, "the same document twice", status, b, 409, "")
	status, b = e.postJSON(t, fmt.Sprintf("%s/items/%d/documents", base, items[1].ID), organiser, map[string]any{"document_id": 99999999})
	if status != 404 {
		t.Errorf("attach an unknown document: %d %s", status, b)
	}
	draft := testenv.PDF(4000, 77)
	const draftTitle = "Dự thảo Quy chế phối hợp liên ngành"
	body, ct := multipartBody(t, map[string]string{"title": draftTitle, "draft": "true"}, "du-thao-quy-che.pdf", draft)
	status, b, _ = e.request("POST", fmt.Sprintf("%s/items/%d/files", base, items[2].ID), organiser, body, ct)
	if status != 201 || json.Unmarshal(b, &draftDoc) != nil || !draftDoc.Draft {
		t.Fatalf("upload the draft: %d %s", status, b)
	}
	// A document put on the agenda by mistake is replaced, then removed;
	// a path naming another meeting finds nothing.
	other := e.create(t, organiser, validFields(), "Kế hoạch khác.pdf", testenv.PDF(3000, 78))
	again := e.create(t, organiser, validFields(), "Kế hoạch thay thế.pdf", testenv.PDF(3000, 79))
	var wrong struct {
		ID int64 `json:"id"`
	}
	e.call(t, "POST", fmt.Sprintf("%s/items/%d/documents", base, items[0].ID), organiser, map[string]any{"document_id": other.ID}, 201, &wrong)
	for _, path := range []string{
		fmt.Sprintf("/api/v1/meetings/%d/items/%d/documents", m.ID+1000, items[0].ID),
		fmt.Sprintf("/api/v1/meetings/%d/agenda-documents/%d", m.ID+1000, wrong.ID),
	} {
		method := "POST"
		if strings.Contains(path, "agenda-documents") {
			method = "DELETE"
		}
		if status, b, _ := e.request(method, path, organiser, jsonBody(map[string]any{"document_id": again.ID}), "application/json"); status != 404 {
			t.Errorf("%s %s naming another meeting: %d %s, want 404", method, path, status, b)
		}
	}
	if status, b, _ := e.request("DELETE", fmt.Sprintf("%s/agenda-documents/%d", base, wrong.ID), outsider, nil, ""); status != 404 {
		t.Errorf("an outsider removes an agenda document: %d %s", status, b)
	}
	var replaced struct {
		ID         int64  `json:"id"`
		DocumentID *int64 `json:"document_id"`
	}
	e.call(t, "PUT", fmt.Sprintf("%s/agenda-documents/%d", base, wrong.ID), organiser, map[string]any{"document_id": again.ID}, 200, &replaced)
	if replaced.DocumentID == nil || *replaced.DocumentID != again.ID {
		t.Fatalf("replaced agenda document = %+v, want document %d", replaced, again.ID)
	}
	e.call(t, "DELETE", fmt.Sprintf("%s/agenda-documents/%d", base, replaced.ID), organiser, nil, 204, nil)
	var after meetingJSON
	e.call(t, "GET", base, organiser, nil, 200, &after)
	for _, it := range after.Items {
		if it.ID == items[0].ID && len(it.Documents) != 0 {
			t.Fatalf("item 1 still lists %+v after the removal", it.Documents)
		}
	}

	body, ct = multipartBody(t, map[string]string{"title": "Không phải PDF"}, "ghi-chu.txt", []byte("chỉ là văn bản thuần"))
	status, b, _ = e.request("POST", fmt.Sprintf("%s/items/%d/files", base, items[2].ID), organiser, body, ct)
	e.refused(t, "a text file in the packet", status, b, 415, "")

	// Participants: a person of Quận 1, and a high school as a unit.
	var headPart, schoolPart struct {
		ID int64 `json:"id"`
	}
	e.call(t, "POST", base+"/participants", organiser, map[string]any{"user_id": headID}, 201, &headPart)
	e.call(t, "POST", base+"/participants", organiser, map[string]any{"unit_id": thpt, "role": "guest"}, 201, &schoolPart)
	for _, c := range []struct {
		what, field string
		body        map[string]any
	}{
		{"an unknown user", "user_id", map[string]any{"user_id": 987654}},
		{"an unknown unit", "unit_id", map[string]any{"unit_id": 987654}},
		{"a person and a unit at once", "user_id", map[string]any{"user_id": headID, "unit_id": thpt}},
		{"a bad role", "role", map[string]any{"user_id": headID, "role": "boss"}},
	} {
		status, b := e.postJSON(t, base+"/participants", organiser, c.body)
		e.refused(t, c.what, status, b, 422, c.field)
	}
	status, b = e.postJSON(t, base+"/participants", organiser, map[string]any{"user_id": headID})
	e.refused(t, "the same person twice", status, b, 409, "")
	// Only the meeting's managers change it.
	status, b = e.postJSON(t, base+"/items", school, map[string]any{"title": "Mục do khách thêm"})
	if status != 403 {
		t.Errorf("a participant adds an item: %d %s", status, b)
	}

	// The school's clerk reads it through the unit, and finds it in the
	// calendar; the outsider learns nothing.
	e.call(t, "GET", base, school, nil, 200, &m)
	if m.MyRole != "participant" || len(m.Items) != 3 || len(m.Participants) != 2 {
		t.Fatalf("the school's view: %+v", m)
	}
	var cal struct {
		Items []meetingJSON `json:"items"`
	}
	// The calendar's days are Vietnam days: two hours from now may already
	// be tomorrow there.
	day := start.In(domain.VietnamTime)
	month, next := day.Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly)
	e.call(t, "GET", "/api/v1/meetings?from="+month+"&to="+next, school, nil, 200, &cal)
	if len(cal.Items) != 1 || cal.Items[0].ID != m.ID {
		t.Errorf("the school's calendar = %+v", cal.Items)
	}
	e.call(t, "GET", "/api/v1/meetings?from="+month+"&to="+next, outsider, nil, 200, &cal)
	if len(cal.Items) != 0 {
		t.Errorf("the outsider's calendar = %+v", cal.Items)
	}
	status, b, _ = e.request("GET", "/api/v1/meetings?from=01/12/2026", school, nil, "")
	e.refused(t, "a calendar with a bad date", status, b, 422, "from")
	for _, path := range []string{base, base + "/packet", fmt.Sprintf("%s/documents/%d/download", base, planDoc.ID),
		fmt.Sprintf("%s/documents/%d/download", base, draftDoc.ID), fmt.Sprintf("%s/documents/%d/link", base, draftDoc.ID),
		base + "/events", base + "/attendance", base + "/ballots", base + "/comments", base + "/speakers"} {
		if status, b, _ := e.request("GET", path, outsider, nil, ""); status != 404 {
			t.Errorf("the outsider GET %s: %d %s", path, status, b)
		}
	}
	if status, b := e.postJSON(t, base+"/check-in", outsider, nil); status != 404 {
		t.Errorf("the outsider checks in: %d %s", status, b)
	}

	// The invitation: a draft document of the department for the
	// participants' units, issued only once signed and registered.
	var inv struct {
		Document       docJSON `json:"document"`
		RecipientUnits []int64 `json:"recipient_units"`
	}
	e.call(t, "POST", base+"/invitation", organiser, nil, 201, &inv)
	want := []int64{q1, thpt}
	slices.Sort(want)
	if !slices.Equal(inv.RecipientUnits, want) {
		t.Errorf("invitation recipients = %v, want %v (Quận 1 office, the school)", inv.RecipientUnits, want)
	}
	issue := map[string]any{"recipients": map[string]any{"units": inv.RecipientUnits}}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", inv.Document.ID), organiser, issue)
	e.refused(t, "issue an unregistered invitation", status, b, 409, "")
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", inv.Document.ID), chair,
		map[string]any{"version_sha256": inv.Document.Versions[0].SHA256}); status != 200 {
		t.Fatalf("the Director signs the invitation: %d %s", status, b)
	}
	sha, _ := e.latest(t, organiser, inv.Document.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", inv.Document.ID), organiser,
		map[string]any{"version_sha256": sha, "copies": 1, "file_unit": "Văn phòng"}); status != 200 {
		t.Fatalf("register the invitation: %d %s", status, b)
	}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", inv.Document.ID), organiser, issue)
	if status != 201 || !strings.Contains(string(b), `"delivered":2`) {
		t.Fatalf("issue the invitation: %d %s", status, b)
	}
	if items := e.inbox(t, school, ""); len(items) != 1 || items[0].DocumentID != inv.Document.ID {
		t.Errorf("the school's inbox = %+v", items)
	}

	// The meeting starts; people check in; the chair manages the floor.
	status, b = e.postJSON(t, base+"/check-in", head, nil)
	e.refused(t, "check in two hours early", status, b, 409, "")
	status, b, _ = e.request("PATCH", base, school, jsonBody(map[string]any{"status": "in_progress"}), "application/json")
	if status != 403 {
		t.Errorf("a participant starts the meeting: %d %s", status, b)
	}
	status, b, _ = e.request("PATCH", base, chair, jsonBody(map[string]any{"status": "in_progress"}), "application/json")
	e.refused(t, "start two hours early", status, b, 409, "")
	// Time passes: the meeting is about to begin.
	if _, err := e.db.Exec(`UPDATE meetings SET starts_at = now() + interval '5 minutes', ends_at = now() + interval '2 hours' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	e.call(t, "PATCH", base, chair, map[string]any{"status": "in_progress"}, 200, &m)
	if m.Status != "in_progress" {
		t.Fatalf("started: %+v", m)
	}
	status, b, _ = e.request("PATCH", base, chair, jsonBody(map[string]any{"status": "scheduled"}), "application/json")
	e.refused(t, "back to scheduled", status, b, 409, "")
	status, b, _ = e.request("PATCH", base, chair, jsonBody(map[string]any{"status": "postponed"}), "application/json")
	e.refused(t, "an unknown status", status, b, 422, "status")
	for _, tok := range []string{chair, secretary, head, school} {
		e.call(t, "POST", base+"/check-in", tok, nil, 200, nil)
	}
	var att struct {
		Present []struct {
			Name string `json:"name"`
		} `json:"present"`
	}
	e.call(t, "GET", base+"/attendance", chair, nil, 200, &att)
	if len(att.Present) != 4 {
		t.Errorf("attendance = %+v, want 4 present", att)
	}
	var req struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	}
	e.call(t, "POST", base+"/speakers", school, map[string]any{"item_id": items[2].ID}, 201, &req)
	status, b = e.postJSON(t, base+"/speakers", school, nil)
	e.refused(t, "a second request to speak", status, b, 409, "")
	status, b = e.postJSON(t, base+"/speakers", head, map[string]any{"item_id": 987654})
	e.refused(t, "speak on an item of another meeting", status, b, 422, "item_id")
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/speakers/%d", req.ID), head, map[string]any{"state": "speaking"}); status != 403 {
		t.Errorf("a participant gives the floor: %d %s", status, b)
	}
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/speakers/%d", req.ID), chair, map[string]any{"state": "applause"})
	e.refused(t, "a bad speaker state", status, b, 422, "state")
	e.call(t, "POST", fmt.Sprintf("/api/v1/speakers/%d", req.ID), chair, map[string]any{"state": "speaking"}, 200, &req)
	if req.State != "speaking" {
		t.Errorf("request after giving the floor: %+v", req)
	}
	e.call(t, "POST", fmt.Sprintf("/api/v1/speakers/%d", req.ID), chair, map[string]any{"state": "done"}, 200, &req)
	e.call(t, "POST", base+"/comments", school, map[string]any{"item_id": items[2].ID, "agenda_document_id": draftDoc.ID,
		"body": "Đề nghị bổ sung trách nhiệm của các trường THPT tại Điều 5."}, 201, nil)
	status, b = e.postJSON(t, base+"/comments", school, map[string]any{"body": " "})
	e.refused(t, "an empty comment", status, b, 422, "body")

	// Packets: each reader's copy carries their own watermark; the
	// originals come back byte for byte; the draft is no document.
	packets := map[string][]byte{}
	for name, tok := range map[string]string{"Đặng Thị Kim Oanh": school, "Võ Minh Quân": head} {
		status, pdf, h := e.request("GET", base+"/packet", tok, nil, "")
		if status != 200 || h.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("packet for %s: %d %s", name, status, h.Get("Content-Type"))
		}
		text := meetingPDFText(t, pdf)
		for _, s := range []string{name, "CHƯƠNG TRÌNH HỌP", "Thảo luận dự thảo"} {
			if !strings.Contains(text, s) {
				t.Errorf("the packet of %s lacks %q", name, s)
			}
		}
		packets[name] = pdf
	}
	if bytes.Equal(packets["Đặng Thị Kim Oanh"], packets["Võ Minh Quân"]) {
		t.Error("two readers got the same packet")
	}
	if strings.Contains(meetingPDFText(t, packets["Võ Minh Quân"]), "Đặng Thị Kim Oanh") {
		t.Error("one reader's packet names another reader")
	}
	status, got, _ := e.request("GET", fmt.Sprintf("%s/documents/%d/download", base, planDoc.ID), school, nil, "")
	if status != 200 || !bytes.Equal(got, fixturePDF(t)) {
		t.Errorf("the original document: %d, %d bytes, identical %v", status, len(got), bytes.Equal(got, fixturePDF(t)))
	}
	status, got, _ = e.request("GET", fmt.Sprintf("%s/documents/%d/download", base, draftDoc.ID), head, nil, "")
	if status != 200 || !bytes.Equal(got, draft) {
		t.Errorf("the draft: %d, identical %v", status, bytes.Equal(got, draft))
	}
	for _, tok := range []string{organiser, chair, school, head} {
		for _, q := range []string{"quy chế phối hợp", "du thao"} {
			var list struct {
				Items []docJSON `json:"items"`
			}
			e.call(t, "GET", "/api/v1/documents?q="+url.QueryEscape(q), tok, nil, 200, &list)
			for _, d := range list.Items {
				if strings.Contains(d.Title, "Quy chế") {
					t.Errorf("the draft shows in a document search for %q: %+v", q, d)
				}
			}
		}
	}

	// An open ballot and a secret one.
	var open, secret ballotJSON
	status, b = e.postJSON(t, base+"/ballots", head, map[string]any{"question": "Thông qua kế hoạch?"})
	if status != 403 {
		t.Errorf("a participant opens a ballot: %d %s", status, b)
	}
	status, b = e.postJSON(t, base+"/ballots", chair, map[string]any{"question": "Chọn?", "options": []string{"Một"}})
	e.refused(t, "a ballot of one option", status, b, 422, "options")
	e.call(t, "POST", base+"/ballots", chair, map[string]any{"item_id": items[1].ID, "question": "Thông qua kế hoạch triển khai?"}, 201, &open)
	e.call(t, "POST", base+"/ballots", chair, map[string]any{"item_id": items[2].ID, "question": "Chọn phương án phân công",
		"options": []string{"Phương án A", "Phương án B"}, "secret": true}, 201, &secret)
	vote := func(tok string, ballot int64, choice string) (int, []byte) {
		return e.postJSON(t, fmt.Sprintf("/api/v1/ballots/%d/votes", ballot), tok, map[string]any{"choice": choice})
	}
	var receipt struct {
		Seq  int    `json:"seq"`
		Hash string `json:"hash"`
	}
	status, b = vote(school, open.ID, "Tán thành")
	if status != 201 || json.Unmarshal(b, &receipt) != nil || receipt.Seq != 1 || len(receipt.Hash) != 64 {
		t.Fatalf("the school votes: %d %s", status, b)
	}
	status, b = vote(school, open.ID, "Không tán thành")
	e.refused(t, "a second vote", status, b, 409, "")
	status, b = vote(head, open.ID, "Có lẽ")
	e.refused(t, "an unknown choice", status, b, 422, "choice")
	status, b = vote(organiser, open.ID, "Tán thành")
	if e.refused(t, "a vote without check-in", status, b, 409, ""); !strings.Contains(string(b), "điểm danh") {
		t.Errorf("the refusal does not say to check in: %s", b)
	}
	if status, b := vote(outsider, open.ID, "Tán thành"); status != 404 {
		t.Errorf("the outsider votes: %d %s", status, b)
	}
	for _, v := range []struct {
		tok, choice string
		ballot      int64
	}{{head, "Không tán thành", open.ID}, {chair, "Tán thành", open.ID},
		{school, "Phương án A", secret.ID}, {head, "Phương án A", secret.ID}, {chair, "Phương án B", secret.ID}} {
		if status, b := vote(v.tok, v.ballot, v.choice); status != 201 {
			t.Fatalf("vote %q: %d %s", v.choice, status, b)
		}
	}
	// While open, the count shows; the choices only to the chair.
	var list struct {
		Items []ballotJSON `json:"items"`
	}
	e.call(t, "GET", base+"/ballots", school, nil, 200, &list)
	if len(list.Items) != 2 || list.Items[0].Voted != 3 || list.Items[0].Totals != nil || list.Items[1].Totals != nil {
		t.Errorf("the school's view of open ballots = %+v", list.Items)
	}
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/ballots/%d/close", open.ID), secretary, nil); status != 403 {
		t.Errorf("the secretary closes a ballot: %d %s", status, b)
	}
	e.call(t, "POST", fmt.Sprintf("/api/v1/ballots/%d/close", open.ID), chair, nil, 200, &open)
	e.call(t, "POST", fmt.Sprintf("/api/v1/ballots/%d/close", secret.ID), chair, nil, 200, &secret)
	if open.State != "closed" || open.Totals["Tán thành"] != 2 || open.Totals["Không tán thành"] != 1 || open.Totals["Không biểu quyết"] != 0 {
		t.Errorf("open ballot closed = %+v", open)
	}
	if secret.Totals["Phương án A"] != 2 || secret.Totals["Phương án B"] != 1 {
		t.Errorf("secret ballot closed = %+v", secret)
	}
	status, b = vote(secretary, open.ID, "Tán thành")
	e.refused(t, "a vote after the close", status, b, 409, "")
	type results struct {
		Ballot ballotJSON `json:"ballot"`
		Votes  []struct {
			Name   string `json:"name"`
			Choice string `json:"choice"`
			Hash   string `json:"hash"`
		} `json:"votes"`
		ChainOK bool `json:"chain_ok"`
	}
	var ro, rs results
	e.call(t, "GET", fmt.Sprintf("/api/v1/ballots/%d/results", open.ID), school, nil, 200, &ro)
	e.call(t, "GET", fmt.Sprintf("/api/v1/ballots/%d/results", secret.ID), school, nil, 200, &rs)
	if !ro.ChainOK || len(ro.Votes) != 3 || ro.Votes[0].Name != "Đặng Thị Kim Oanh" || ro.Votes[0].Choice != "Tán thành" || ro.Votes[0].Hash != receipt.Hash {
		t.Errorf("open ballot results = %+v", ro)
	}
	if !rs.ChainOK || len(rs.Votes) != 3 || rs.Ballot.Totals["Phương án A"] != 2 {
		t.Errorf("secret ballot results = %+v", rs)
	}
	for _, v := range rs.Votes {
		if v.Choice != "" {
			t.Errorf("the secret ballot tells what %s chose: %q", v.Name, v.Choice)
		}
	}
	if raw := e.call(t, "GET", fmt.Sprintf("/api/v1/ballots/%d/results", secret.ID), chair, nil, 200, nil); strings.Count(string(raw), "Phương án A") != 2 {
		// The options and the totals name it; no vote does.
		t.Errorf("the secret results name a choice elsewhere: %s", raw)
	}

	// Removing the head of the Quận 1 office: their stream gets "removed"
	// and ends, and every read answers 404 at once.
	stream, err := http.NewRequest("GET", e.baseURL+base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream.Header.Set("Authorization", "Bearer "+head)
	resp, err := http.DefaultClient.Do(stream)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	waitLine := func(what string, ok func(string) bool) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, more := <-lines:
				if !more {
					t.Fatalf("the stream ended before %s", what)
				}
				if ok(l) {
					return
				}
			case <-timeout:
				t.Fatalf("no %s in 10 s", what)
			}
		}
	}
	waitLine("the connected comment", func(l string) bool { return l == ": connected" })
	e.call(t, "POST", base+"/comments", chair, map[string]any{"body": "Đề nghị các đại biểu phát biểu ngắn gọn."}, 201, nil)
	waitLine("a comments event", func(l string) bool { return l == "event: comments" })
	e.call(t, "DELETE", fmt.Sprintf("%s/participants/%d", base, headPart.ID), organiser, nil, 204, nil)
	for _, path := range []string{base, base + "/packet", fmt.Sprintf("%s/documents/%d/download", base, draftDoc.ID), base + "/events"} {
		if status, b, _ := e.request("GET", path, head, nil, ""); status != 404 {
			t.Errorf("the removed participant GET %s: %d %s", path, status, b)
		}
	}
	waitLine("the removed event", func(l string) bool { return l == "event: removed" })
	end := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case l, more := <-lines:
			if !more {
				done = true
			} else if strings.HasPrefix(l, "event:") {
				t.Errorf("an event after the removal: %s", l)
			}
		case <-end:
			t.Fatal("the stream stays open after the removal")
		}
	}
	e.call(t, "GET", base, school, nil, 200, &m)
	if len(m.Participants) != 1 {
		t.Errorf("participants after the removal = %+v", m.Participants)
	}
	status, b, _ = e.request("DELETE", fmt.Sprintf("%s/participants/%d", base, headPart.ID), organiser, nil, "")
	if status != 404 {
		t.Errorf("remove twice: %d %s", status, b)
	}

	// The minutes: drafted by the secretary, signed by the secretary and
	// the chair, two valid signatures.
	var minutes docJSON
	if status, b := e.postJSON(t, base+"/minutes/sign", chair, map[string]any{"version_sha256": strings.Repeat("0", 64)}); status != 409 {
		t.Errorf("sign minutes not drafted: %d %s", status, b)
	}
	status, b = e.postJSON(t, base+"/minutes", school, nil)
	if status != 403 {
		t.Errorf("a participant drafts the minutes: %d %s", status, b)
	}
	e.call(t, "POST", base+"/minutes", secretary, nil, 201, &minutes)
	e.call(t, "POST", base+"/minutes/sign", secretary, map[string]any{"version_sha256": minutes.Versions[0].SHA256}, 200, nil)
	status, b = e.postJSON(t, base+"/minutes/sign", secretary, map[string]any{"version_sha256": minutes.Versions[0].SHA256})
	e.refused(t, "sign the minutes twice", status, b, 409, "")
	sha, _ = e.latest(t, chair, minutes.ID)
	// The chair has enrolled a second factor: the minutes take the code too.
	chairSecret := e.enrolTOTP(t, "giamdoc.sgd")
	status, b = e.postJSON(t, base+"/minutes/sign", chair, map[string]any{"version_sha256": sha})
	e.refused(t, "sign the minutes without the code", status, b, 403, "otp")
	e.call(t, "POST", base+"/minutes/sign", chair, map[string]any{"version_sha256": sha, "otp": e.freshCode(t, "giamdoc.sgd", chairSecret)}, 200, nil)
	_, no := e.latest(t, chair, minutes.ID)
	status, signed, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/%d/download", minutes.ID, no), secretary, nil, "")
	if status != 200 {
		t.Fatalf("download the minutes: %d", status)
	}
	testenv.CheckSignedPDF(t, signed, 2)
	text := meetingPDFText(t, signed)
	for _, s := range []string{"BIÊN BẢN HỌP", "Biểu quyết công khai", "Đặng Thị Kim Oanh"} {
		if !strings.Contains(text, s) {
			t.Errorf("the minutes lack %q", s)
		}
	}

	// The end: nothing changes any more.
	e.call(t, "PATCH", base, chair, map[string]any{"status": "ended"}, 200, &m)
	status, b = e.postJSON(t, base+"/items", organiser, map[string]any{"title": "Mục thêm sau khi kết thúc"})
	e.refused(t, "an item after the end", status, b, 409, "")
	status, b = e.postJSON(t, base+"/ballots", chair, map[string]any{"question": "Thêm một biểu quyết?"})
	e.refused(t, "a ballot after the end", status, b, 409, "")
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
