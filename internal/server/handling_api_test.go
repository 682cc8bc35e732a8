package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHandlingAPI: the handling operations of the JSON API, with the
// refusals a client meets: a section of another unit, a deadline before
// today, a clerk directing, a task of another delivery.
func TestHandlingAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	q1 := webUnitID(e, codeQ1Office)
	var foreign, leaderID, clerkID int64
	e.db.Get(&foreign, `INSERT INTO sections (unit_id, name) VALUES ($1, 'Văn phòng Sở') RETURNING id`, webUnitID(e, "000.00.24.H29"))
	e.db.Get(&leaderID, `SELECT id FROM users WHERE username = 'truongphong.q1'`)
	e.db.Get(&clerkID, `SELECT id FROM users WHERE username = 'vanthu.q1'`)
	sgd := newBrowser(t, e)
	sgd.login("vanthu.sgd")
	doc := e.issuable(t, nil)
	docPath := fmt.Sprintf("/documents/%d", doc.ID)
	_, page, _ := sgd.get(docPath)
	if status, _, _ := sgd.postForm(docPath+"/issue", url.Values{"_csrf": {csrfOf(t, page)}, "unit": {fmt.Sprint(q1)},
		"idempotency_key": {idempotencyRE.FindStringSubmatch(page)[1]}}, ""); status != http.StatusSeeOther {
		t.Fatalf("issue: %d", status)
	}
	clerk, leader := e.login("vanthu.q1"), e.login("truongphong.q1")
	var id int64
	e.db.Get(&id, `SELECT id FROM deliveries WHERE recipient_unit_id = $1`, q1)
	in := func(path string) string { return fmt.Sprintf("/api/v1/inbox/%d%s", id, path) }

	if status, out := e.postJSON(t, in("/accept"), clerk, nil); status != 200 {
		t.Fatalf("accept: %d %s", status, out)
	}
	if status, out := e.postJSON(t, in("/present"), clerk, map[string]any{"leader_id": leaderID}); status != 200 || !strings.Contains(string(out), `"presented_to_name":"Võ Minh Quân"`) {
		t.Fatalf("present: %d %s", status, out)
	}
	status, out, _ := e.request("GET", "/api/v1/inbox?work=true", leader, nil, "")
	if status != 200 || !strings.Contains(string(out), fmt.Sprintf(`"id":%d,`, id)) {
		t.Fatalf("the leader's work list: %d %s", status, out)
	}
	for _, c := range []struct {
		who   string
		body  map[string]any
		want  int
		field string
	}{
		{clerk, map[string]any{"lead": map[string]any{"user_id": clerkID}}, 403, ""},
		{leader, map[string]any{"lead": map[string]any{"section_id": foreign}}, 422, "lead"},
		{leader, map[string]any{"lead": map[string]any{"user_id": clerkID}, "due": "2020-01-01"}, 422, "due"},
		{leader, map[string]any{"lead": map[string]any{"user_id": clerkID}, "coordinators": []any{map[string]any{}}}, 422, "coordinators[0]"},
	} {
		status, out := e.postJSON(t, in("/direct"), c.who, c.body)
		if status != c.want || (c.field != "" && !strings.Contains(string(out), `"`+c.field+`":`)) {
			t.Errorf("direct %v: %d %s, want %d naming %s", c.body, status, out, c.want, c.field)
		}
	}
	if status, out := e.postJSON(t, in("/direct"), leader, map[string]any{"opinion": "Văn thư tổng hợp", "lead": map[string]any{"user_id": clerkID}}); status != 200 ||
		!strings.Contains(string(out), `"status":"04"`) {
		t.Fatalf("direct: %d %s", status, out)
	}
	status, out, _ = e.request("GET", in("/tasks"), leader, nil, "")
	var tasks struct {
		Items []struct {
			ID    int64  `json:"id"`
			Role  string `json:"role"`
			State string `json:"state"`
		} `json:"items"`
	}
	json.Unmarshal(out, &tasks)
	if status != 200 || len(tasks.Items) != 1 || tasks.Items[0].Role != "lead" {
		t.Fatalf("tasks: %d %s", status, out)
	}
	task := func(path string) string { return in(fmt.Sprintf("/tasks/%d%s", tasks.Items[0].ID, path)) }
	if status, out := e.postJSON(t, task("/entries"), clerk, map[string]any{"kind": "note", "body": "x"}); status != 422 {
		t.Errorf("an entry of a bad kind: %d %s", status, out)
	}
	if status, out := e.postJSON(t, task("/entries"), clerk, map[string]any{"kind": "progress", "body": "Đang tổng hợp"}); status != 200 || !strings.Contains(string(out), `"status":"05"`) {
		t.Fatalf("progress: %d %s", status, out)
	}
	if status, out := e.postJSON(t, in("/tasks/999999/done"), clerk, map[string]any{}); status != 404 {
		t.Errorf("a task of no delivery: %d %s", status, out)
	}
	if status, out := e.postJSON(t, task("/done"), clerk, map[string]any{"note": "Xong"}); status != 200 || !strings.Contains(string(out), `"status":"06"`) {
		t.Fatalf("done: %d %s", status, out)
	}
	if status, out := e.postJSON(t, task("/reopen"), leader, map[string]any{"note": "Bổ sung"}); status != 200 || !strings.Contains(string(out), `"status":"05"`) {
		t.Fatalf("reopen: %d %s", status, out)
	}
	if status, out := e.postJSON(t, in("/remind"), leader, map[string]any{}); status != 200 {
		t.Fatalf("remind: %d %s", status, out)
	}
	status, out, _ = e.request("GET", in("/trail"), leader, nil, "")
	var trail struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	json.Unmarshal(out, &trail)
	var kinds []string
	for _, x := range trail.Items {
		kinds = append(kinds, x.Kind)
	}
	if status != 200 || strings.Join(kinds, " ") != "accept present direct progress done reopen remind" {
		t.Fatalf("trail: %d %v", status, kinds)
	}
	if status, _, _ := e.request("GET", in("/trail"), e.login("vanthu.thcs1"), nil, ""); status != 404 {
		t.Errorf("another unit's trail: %d", status)
	}
}
