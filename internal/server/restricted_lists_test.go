package server

import (
	"fmt"
	"strings"
	"testing"
)

// A restricted document's title shows only to those who may see it: the
// clerk's "to register" queue and its count leave out one the clerk may
// not see, and the outgoing register keeps its number but not its title
// for a reader it is hidden from.
func TestRestrictedTitleInQueuesAndRegisters(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director, deputy := e.login("vanthu.sgd"), e.login("giamdoc.sgd"), e.login("phogiamdoc.sgd")
	var ids struct{ director, clerk int64 }
	e.db.Get(&ids.director, `SELECT id FROM users WHERE username = 'giamdoc.sgd'`)
	e.db.Get(&ids.clerk, `SELECT id FROM users WHERE username = 'vanthu.sgd'`)
	d := e.unsignedPlan(t, clerk)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	queue := func() string {
		t.Helper()
		status, b, _ := e.request("GET", "/api/v1/queues/register", clerk, nil, "")
		if status != 200 {
			t.Fatalf("queue: %d %s", status, b)
		}
		return string(b)
	}
	count := func() int {
		t.Helper()
		var c struct {
			Register int `json:"register"`
		}
		e.call(t, "GET", "/api/v1/queues", clerk, nil, 200, &c)
		return c.Register
	}
	if !strings.Contains(queue(), d.Title) || count() != 1 {
		t.Fatalf("the signed document is not waiting for the clerk: %s", queue())
	}
	// Restricted to the director alone. The creator always sees their
	// document, so the director is made its creator first (the clerk
	// uploaded it for them).
	e.db.MustExec(`UPDATE documents SET created_by = $1 WHERE id = $2`, ids.director, d.ID)
	e.call(t, "PUT", fmt.Sprintf("/api/v1/documents/%d/restriction", d.ID), director,
		map[string]any{"restricted": true, "users": []int64{ids.director}}, 200, nil)
	if q := queue(); strings.Contains(q, d.Title) || count() != 0 {
		t.Fatalf("a document hidden from the clerk is in the clerk's queue (%d): %s", count(), q)
	}

	// Registered while the clerk was named, then hidden from the deputy:
	// the register keeps the line, not the title.
	e.call(t, "PUT", fmt.Sprintf("/api/v1/documents/%d/restriction", d.ID), director,
		map[string]any{"restricted": true, "users": []int64{ids.director, ids.clerk}}, 200, nil)
	sha, _ := e.latest(t, clerk, d.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": sha}); status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	book := func(token string) string {
		t.Helper()
		status, b, _ := e.request("GET", "/api/v1/registers/outgoing?format=csv", token, nil, "")
		if status != 200 {
			t.Fatalf("register book: %d %s", status, b)
		}
		return string(b)
	}
	if b := book(clerk); !strings.Contains(b, d.Title) {
		t.Errorf("the clerk's register lacks the title:\n%s", b)
	}
	if b := book(deputy); strings.Contains(b, d.Title) || !strings.Contains(b, "01/KH-SGDĐT") || !strings.Contains(b, "văn bản hạn chế quyền xem") {
		t.Errorf("the deputy's register:\n%s", b)
	}
}
