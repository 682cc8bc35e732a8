package notify

import (
	"bufio"
	"context"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// The integration tests send through a real SMTP server; these put the
// client in front of a peer that misbehaves at one exact step of the
// dialogue, which a real server cannot be made to do, to check how Send
// classifies each failure.

// peer answers one SMTP session: reply(cmd) gives the answer to each
// command ("" hangs up without answering; "hang" waits for the client to
// give up), and afterData the answer to the end of the data.
func peer(t *testing.T, reply func(cmd string) string, afterData string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		say := func(s string) bool {
			switch s {
			case "":
				return false
			case "hang":
				r.ReadString(0) // until the client closes
				return false
			}
			c.Write([]byte(s + "\r\n"))
			return true
		}
		say("220 peer ESMTP")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.Fields(line + " x")[0])
			var answer string
			switch {
			case cmd == "EHLO":
				answer = "250-peer\r\n250 8BITMIME"
			case reply != nil && reply(cmd) != "-":
				answer = reply(cmd)
			case cmd == "DATA":
				answer = "354 go ahead"
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				answer = "250 ok"
			}
			if !say(answer) {
				return
			}
			if cmd == "DATA" && strings.HasPrefix(answer, "354") {
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				if !say(afterData) {
					return
				}
			}
		}
	}()
	return ln.Addr().String()
}

func send(t *testing.T, addr string, timeout time.Duration) error {
	t.Helper()
	m, err := NewMailer(SMTPConfig{Addr: addr, From: "vanban@hcm.edu.vn", TLS: "none", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return m.Send(context.Background(), Message{To: &mail.Address{Address: "a@b.vn"}, Subject: "Thử", Text: "Nội dung", MessageID: "x@hcm.edu.vn"})
}

func TestSendClassifiesFailures(t *testing.T) {
	only := func(which, answer string) func(string) string {
		return func(cmd string) string {
			if cmd == which {
				return answer
			}
			return "-"
		}
	}
	for _, tc := range []struct {
		name      string
		reply     func(string) string
		afterData string
		want      string // ok, retry, permanent or uncertain
	}{
		{"accepted", nil, "250 queued as 1", "ok"},
		{"MAIL 4xx", only("MAIL", "451 try later"), "250 ok", "retry"},
		{"MAIL 5xx", only("MAIL", "550 no such sender"), "250 ok", "permanent"},
		{"RCPT 4xx", only("RCPT", "452 mailbox full"), "250 ok", "retry"},
		{"RCPT 5xx", only("RCPT", "550 no such user"), "250 ok", "permanent"},
		{"DATA 4xx", only("DATA", "451 later"), "250 ok", "retry"},
		{"DATA 5xx", only("DATA", "554 no"), "250 ok", "permanent"},
		{"hang up at RCPT", only("RCPT", ""), "250 ok", "retry"},
		{"end of data 4xx", nil, "451 try again", "retry"},
		{"end of data 5xx", nil, "554 spam", "permanent"},
		{"hang up after the end of data", nil, "", "uncertain"},
		{"no answer after the end of data", nil, "hang", "uncertain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := send(t, peer(t, tc.reply, tc.afterData), 2*time.Second)
			got := "retry"
			switch {
			case err == nil:
				got = "ok"
			case isUncertain(err):
				got = "uncertain"
			case isPermanent(err):
				got = "permanent"
			}
			if got != tc.want {
				t.Errorf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestSendConnectionRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	err := send(t, addr, 2*time.Second)
	if err == nil || isPermanent(err) || isUncertain(err) {
		t.Errorf("err = %v, want one to retry", err)
	}
}

func TestSendCancelledWaitingForAnswer(t *testing.T) {
	addr := peer(t, nil, "hang")
	m, _ := NewMailer(SMTPConfig{Addr: addr, From: "vanban@hcm.edu.vn", TLS: "none"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	err := m.Send(ctx, Message{To: &mail.Address{Address: "a@b.vn"}, Subject: "Thử", Text: "x"})
	if !isUncertain(err) {
		t.Errorf("err = %v, want uncertain", err)
	}
}

func TestStartTLSRequired(t *testing.T) {
	addr := peer(t, nil, "250 ok")
	m, _ := NewMailer(SMTPConfig{Addr: addr, From: "vanban@hcm.edu.vn"}) // starttls by default
	err := m.Send(context.Background(), Message{To: &mail.Address{Address: "a@b.vn"}, Subject: "Thử", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || isPermanent(err) || isUncertain(err) {
		t.Errorf("err = %v", err)
	}
}

func TestNewMailerChecks(t *testing.T) {
	for _, cfg := range []SMTPConfig{
		{Addr: "smtp.example.vn", From: "a@b.vn"},
		{Addr: "smtp.example.vn:25", From: "not an address"},
		{Addr: "smtp.example.vn:25", From: "a@b.vn", TLS: "ssl"},
	} {
		if _, err := NewMailer(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestHeaderEncoding(t *testing.T) {
	for _, s := range []string{"Thử", "Plain ASCII subject", "Văn bản đến\r\nBcc: x@y.vn", "=?UTF-8?q?x?=",
		strings.Repeat("Kế hoạch tuyển sinh ", 10), strings.Repeat("x", 100)} {
		enc := foldHeader("Subject", encodeWords(s))
		for _, line := range strings.Split("Subject: "+enc, "\r\n") {
			if len(line) > 78 && strings.Contains(s, " ") {
				t.Errorf("line of %d characters: %q", len(line), line)
			}
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(enc, "\r\n ", " "))
		want := strings.Join(strings.Fields(s), " ")
		if err != nil || dec != want {
			t.Errorf("%q encodes to %q, which decodes to %q (%v)", s, enc, dec, err)
		}
	}
	a := foldHeader("From", encodeAddress(&mail.Address{Name: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", Address: "vanban@hcm.edu.vn"}))
	got, err := mail.ParseAddress(strings.ReplaceAll(a, "\r\n ", " "))
	if err != nil || got.Name != "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh" || got.Address != "vanban@hcm.edu.vn" {
		t.Errorf("%q parses to %+v (%v)", a, got, err)
	}
}
