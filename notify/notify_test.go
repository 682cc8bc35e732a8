package notify

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestListUnreadMarkRead(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	s := NewStore(db, false)
	alice, bob := addUser(t, db, "", false), addUser(t, db, "", false)
	var ns []Notification
	for i := 1; i <= 5; i++ {
		ns = append(ns, Notification{UserID: alice, Kind: "delivery.arrived", Title: fmt.Sprintf("Văn bản đến %d", i), Link: fmt.Sprintf("/deliveries/%d", i)})
	}
	ns = append(ns, Notification{UserID: bob, Kind: "delivery.arrived", Title: "Văn bản của Bob"})
	if err := s.Add(ctx, db, ns); err != nil {
		t.Fatal(err)
	}

	all, err := s.List(ctx, alice, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 || all[0].Title != "Văn bản đến 5" || all[4].Title != "Văn bản đến 1" {
		t.Fatalf("list = %+v", all)
	}
	page1, _ := s.List(ctx, alice, 2, 0)
	page2, _ := s.List(ctx, alice, 2, page1[1].ID)
	if len(page1) != 2 || len(page2) != 2 || page2[0].ID != all[2].ID || page2[1].ID != all[3].ID {
		t.Errorf("pages: %+v then %+v", page1, page2)
	}
	if other, _ := s.List(ctx, bob, 10, all[0].ID); len(other) != 0 {
		t.Errorf("a cursor from another user's list gives %+v", other)
	}

	if n, _ := s.Unread(ctx, alice); n != 5 {
		t.Errorf("unread = %d, want 5", n)
	}
	bobs, _ := s.List(ctx, bob, 0, 0)
	// Bob's id among Alice's: ignored.
	if err := s.MarkRead(ctx, alice, []int64{all[0].ID, all[1].ID, bobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Unread(ctx, alice); n != 3 {
		t.Errorf("unread after marking 2 = %d, want 3", n)
	}
	if n, _ := s.Unread(ctx, bob); n != 1 {
		t.Errorf("Bob's unread = %d, want 1 (Alice cannot mark his)", n)
	}
	all, _ = s.List(ctx, alice, 0, 0)
	if all[0].ReadAt == nil || all[2].ReadAt != nil {
		t.Errorf("read_at: %+v", all)
	}
	if err := s.MarkRead(ctx, alice, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Unread(ctx, alice); n != 0 {
		t.Errorf("unread after marking all = %d", n)
	}
	if n, _ := s.Unread(ctx, bob); n != 1 {
		t.Errorf("Bob's unread after Alice marked all = %d, want 1", n)
	}
}

func TestAddQueuesEmailForReachableUsersOnly(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	withMail := addUser(t, db, "giaovien@thpt-bxt.edu.vn", false)
	noMail := addUser(t, db, "", false)
	disabled := addUser(t, db, "nghiviec@thpt-bxt.edu.vn", true)
	ns := []Notification{
		{UserID: withMail, Kind: "k", Title: "Có thư"},
		{UserID: noMail, Kind: "k", Title: "Không địa chỉ"},
		{UserID: disabled, Kind: "k", Title: "Đã khoá"},
	}
	if err := NewStore(db, true).Add(ctx, db, ns); err != nil {
		t.Fatal(err)
	}
	js := jobs(t, db)
	if len(js) != 1 || js[0].Kind != KindEmail || js[0].State != "queued" || js[0].MaxAttempts != emailAttempts {
		t.Fatalf("jobs = %+v", js)
	}
	var id int64
	db.Get(&id, `SELECT id FROM notifications WHERE user_id = $1`, withMail)
	if want := fmt.Sprintf(`{"notification_id": %d}`, id); js[0].Payload != want {
		t.Errorf("payload = %s, want %s", js[0].Payload, want)
	}
	if n := count(t, db, `SELECT count(*) FROM notifications`); n != 3 {
		t.Errorf("%d notifications, want 3: every user sees them in the UI", n)
	}

	// E-mail off: notifications, no jobs.
	if err := NewStore(db, false).Add(ctx, db, []Notification{{UserID: withMail, Kind: "k", Title: "Không gửi thư"}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM jobs`); n != 1 {
		t.Errorf("%d jobs with e-mail off, want still 1", n)
	}
}

func TestAddDedupeKey(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	s := NewStore(db, true)
	u := addUser(t, db, "a@b.vn", false)
	n := Notification{UserID: u, Kind: "delivery.overdue", Title: "Quá hạn xử lý", DedupeKey: "overdue:7:2026-03-02"}
	// Twice in one batch, then again in another transaction.
	if err := s.Add(ctx, db, []Notification{n, n}); err != nil {
		t.Fatal(err)
	}
	tx := db.MustBegin()
	if err := s.Add(ctx, tx, []Notification{n, {UserID: u, Kind: "k", Title: "Khác"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if c := count(t, db, `SELECT count(*) FROM notifications WHERE dedupe_key = $1`, n.DedupeKey); c != 1 {
		t.Errorf("%d notifications with the key, want 1", c)
	}
	if c := count(t, db, `SELECT count(*) FROM jobs`); c != 2 {
		t.Errorf("%d e-mail jobs, want 2 (the keyed one once, and the other)", c)
	}
}

func TestAddRolledBack(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "a@b.vn", false)
	tx := db.MustBegin()
	if err := NewStore(db, true).Add(ctx, tx, []Notification{{UserID: u, Kind: "k", Title: "t"}}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if c := count(t, db, `SELECT (SELECT count(*) FROM notifications) + (SELECT count(*) FROM jobs)`); c != 0 {
		t.Errorf("%d rows after rollback", c)
	}
}

func TestAddRefusesIncomplete(t *testing.T) {
	db := newDB(t)
	s := NewStore(db, true)
	u := addUser(t, db, "", false)
	missing := int64(999999)
	for _, n := range []Notification{{Kind: "k", Title: "t"}, {UserID: u, Title: "t"}, {UserID: u, Kind: "k"},
		{UserID: u, Kind: "k", Title: "t", DocumentID: &missing}, {UserID: u, Kind: "k", Title: "t", DeliveryID: &missing}} {
		if err := s.Add(context.Background(), db, []Notification{n}); err == nil {
			t.Errorf("%+v accepted", n)
		}
	}
}

func TestAddThousandsInOneStatement(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	var users []int64
	for i := 0; i < 50; i++ {
		users = append(users, addUser(t, db, fmt.Sprintf("gv%d@truong.edu.vn", i), false))
	}
	var ns []Notification
	for i := 0; i < 5000; i++ {
		ns = append(ns, Notification{UserID: users[i%len(users)], Kind: "delivery.arrived",
			Title: fmt.Sprintf("Văn bản %d", i), DedupeKey: fmt.Sprintf("arrived:%d", i)})
	}
	start := time.Now()
	tx := db.MustBegin()
	if err := NewStore(db, true).Add(ctx, tx, ns); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("5000 notifications and e-mail jobs in %s", took)
	if c := count(t, db, `SELECT count(*) FROM jobs`); c != 5000 {
		t.Errorf("%d jobs", c)
	}
	if took > 10*time.Second {
		t.Errorf("took %s", took)
	}
}
