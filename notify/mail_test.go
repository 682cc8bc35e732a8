package notify

import (
	"context"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/jmoiron/sqlx"
)

const publicURL = "https://vanban.hcm.edu.vn"

// mailWorker returns a worker that sends e-mail jobs through the SMTP
// server at addr.
func mailWorker(t *testing.T, db *sqlx.DB, id, addr string, cfg SMTPConfig) *Worker {
	t.Helper()
	cfg.Addr = addr
	if cfg.From == "" {
		cfg.From = "Sở Giáo dục và Đào tạo TP.HCM <vanban@hcm.edu.vn>"
	}
	if cfg.TLS == "" {
		cfg.TLS = "none"
	}
	m, err := NewMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return NewWorker(db, id, map[string]Handler{KindEmail: EmailHandler(db, m, publicURL)},
		WorkerOptions{Logger: quiet, RetryBase: time.Minute})
}

// address returns an address no other test uses, since the test server
// keeps every message.
func address(t *testing.T) string {
	return fmt.Sprintf("%s-%s@thpt-bxt.edu.vn", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), randHex(4))
}

func TestEmailSent(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	ctx := context.Background()
	to, disabledTo := address(t), address(t)
	u := addUser(t, db, to, false)
	noMail := addUser(t, db, "", false)
	disabled := addUser(t, db, disabledTo, true)
	title := "Văn bản đến: Kế hoạch tuyển sinh lớp 10 năm học 2026–2027 của Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"
	body := "Trường THPT Bùi Thị Xuân nhận văn bản số 123/KH-SGDĐT, hạn xử lý 15/03/2026."
	s := NewStore(db, true)
	err := s.Add(ctx, db, []Notification{
		{UserID: u, Kind: "delivery.arrived", Title: title, Body: body, Link: "/deliveries/42"},
		{UserID: noMail, Kind: "delivery.arrived", Title: title},
		{UserID: disabled, Kind: "delivery.arrived", Title: title},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := mailWorker(t, db, "w", srv.Addr, SMTPConfig{})
	if n := runOnce(t, w); n != 1 {
		t.Fatalf("%d jobs ran, want 1", n)
	}
	if j := jobs(t, db)[0]; j.State != "done" {
		t.Fatalf("job: %+v", j)
	}
	msgs := srv.WaitMessages(t, to, 1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	var nid int64
	db.Get(&nid, `SELECT id FROM notifications WHERE user_id = $1`, u)
	if m.Subject != title {
		t.Errorf("subject = %q", m.Subject)
	}
	if want := fmt.Sprintf("vanban-notification-%d@hcm.edu.vn", nid); m.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", m.MessageID, want)
	}
	if m.From != "vanban@hcm.edu.vn" || len(m.To) != 1 || m.To[0] != to {
		t.Errorf("from %q to %q", m.From, m.To)
	}
	for _, want := range []string{title, body, "Xem chi tiết: https://vanban.hcm.edu.vn/deliveries/42"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text does not contain %q:\n%s", want, m.Text)
		}
	}
	head, _, _ := strings.Cut(m.Raw, "\r\n\r\n")
	for _, want := range []string{"Subject: =?UTF-8?b?", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", "MIME-Version: 1.0"} {
		if !strings.Contains(head, want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	ours := m.Raw[strings.Index(m.Raw, "\r\nFrom: ")+2:] // after the server's Received
	for _, line := range strings.Split(ours, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
	// The header parses back to the title with the standard decoder too.
	pm, err := mail.ReadMessage(strings.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject")); err != nil || dec != title {
		t.Errorf("decoded subject %q, %v", dec, err)
	}

	// Nothing more: not a second time, not to the disabled user.
	runOnce(t, w)
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.Messages(t, to)); n != 1 {
		t.Errorf("%d messages after a second run, want 1", n)
	}
	if n := len(srv.Messages(t, disabledTo)); n != 0 {
		t.Errorf("the disabled user got %d messages", n)
	}
}

func TestEmailWithLogin(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	to := address(t)
	u := addUser(t, db, to, false)
	if err := NewStore(db, true).Add(context.Background(), db, []Notification{{UserID: u, Kind: "k", Title: "Đăng nhập"}}); err != nil {
		t.Fatal(err)
	}
	runOnce(t, mailWorker(t, db, "w", srv.Addr, SMTPConfig{Username: "vanban", Password: "mật-khẩu"}))
	if msgs := srv.WaitMessages(t, to, 1, 10*time.Second); len(msgs) != 1 {
		t.Errorf("%d messages", len(msgs))
	}
}

// A user disabled, or whose address was removed, after the e-mail was
// queued gets nothing.
func TestEmailDroppedForUserDisabledSince(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	to := address(t)
	u := addUser(t, db, to, false)
	NewStore(db, true).Add(context.Background(), db, []Notification{{UserID: u, Kind: "k", Title: "Khoá sau"}})
	db.MustExec(`UPDATE users SET disabled = true WHERE id = $1`, u)
	runOnce(t, mailWorker(t, db, "w", srv.Addr, SMTPConfig{}))
	if j := jobs(t, db)[0]; j.State != "done" {
		t.Errorf("job: %+v", j)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.Messages(t, to)); n != 0 {
		t.Errorf("%d messages", n)
	}
}

// With the SMTP server down, the e-mail waits and is sent, once, when it is
// back.
func TestEmailRetriedWhileServerDown(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	to := address(t)
	u := addUser(t, db, to, false)
	NewStore(db, true).Add(context.Background(), db, []Notification{{UserID: u, Kind: "k", Title: "Máy chủ thư tạm ngừng"}})
	proxy := testenv.NewProxy(t, srv.Addr)
	proxy.Down() // the port is closed: connections are refused
	w := mailWorker(t, db, "w", proxy.Addr(), SMTPConfig{})
	runOnce(t, w)
	j := jobs(t, db)[0]
	if j.State != "queued" || j.Attempts != 1 || !strings.Contains(j.LastError, "connect") || time.Until(j.RunAt) < 20*time.Second {
		t.Fatalf("with the server down: %+v", j)
	}
	makeDue(t, db)
	runOnce(t, w)
	if j := jobs(t, db)[0]; j.State != "queued" || j.Attempts != 2 {
		t.Fatalf("second try with the server down: %+v", j)
	}
	proxy.Up()
	makeDue(t, db)
	runOnce(t, w)
	if j := jobs(t, db)[0]; j.State != "done" || j.Attempts != 3 {
		t.Errorf("with the server back: %+v", j)
	}
	if msgs := srv.WaitMessages(t, to, 1, 10*time.Second); len(msgs) != 1 {
		t.Errorf("%d messages", len(msgs))
	}
}

// Several instances share the queue: each e-mail goes out once.
func TestEmailSeveralWorkers(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	ctx := context.Background()
	var addrs []string
	var ns []Notification
	for i := 0; i < 40; i++ {
		to := address(t)
		addrs = append(addrs, to)
		u := addUser(t, db, to, false)
		ns = append(ns, Notification{UserID: u, Kind: "k", Title: fmt.Sprintf("Thông báo số %d", i)})
	}
	if err := NewStore(db, true).Add(ctx, db, ns); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		w := mailWorker(t, db, fmt.Sprintf("instance-%d", i), srv.Addr, SMTPConfig{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := w.RunOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				if n == 0 || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if c := count(t, db, `SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1`); c != len(addrs) {
		t.Errorf("%d jobs done, want %d", c, len(addrs))
	}
	srv.WaitMessages(t, addrs[len(addrs)-1], 1, 10*time.Second)
	for i, to := range addrs {
		if n := len(srv.Messages(t, to)); n != 1 {
			t.Errorf("%s (notification %d) got %d messages", to, i, n)
		}
	}
}

func TestEmailDedupeKey(t *testing.T) {
	srv := testenv.RequireSMTP(t)
	db := newDB(t)
	ctx := context.Background()
	to := address(t)
	u := addUser(t, db, to, false)
	s := NewStore(db, true)
	n := Notification{UserID: u, Kind: "delivery.overdue", Title: "Văn bản quá hạn xử lý", DedupeKey: "overdue:42"}
	s.Add(ctx, db, []Notification{n})
	s.Add(ctx, db, []Notification{n, n})
	w := mailWorker(t, db, "w", srv.Addr, SMTPConfig{})
	runOnce(t, w)
	runOnce(t, w)
	if c := count(t, db, `SELECT count(*) FROM notifications`); c != 1 {
		t.Errorf("%d notifications", c)
	}
	srv.WaitMessages(t, to, 1, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if msgs := srv.Messages(t, to); len(msgs) != 1 {
		t.Errorf("%d messages", len(msgs))
	}
}
