package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// SMTP is the test SMTP server (mailpit, started by scripts/smtp.sh): Addr
// takes mail, API is the HTTP API that shows what it received. It keeps
// every message, so tests tell theirs apart by a recipient of their own.
type SMTP struct {
	Addr string // host:port
	API  string // http://host:port
}

// Mail is a message as the SMTP server received it.
type Mail struct {
	ID        string // the server's own id
	MessageID string // without the angle brackets
	From      string // address only
	To        []string
	Subject   string // decoded
	Text      string // the decoded text/plain body
	Raw       string // the message as received: headers and encoded body
}

// RequireSMTP returns the test SMTP server from VANBAN_TEST_SMTP_ADDR and
// VANBAN_TEST_SMTP_API.
func RequireSMTP(t testing.TB) SMTP {
	t.Helper()
	skipShort(t)
	s := SMTP{Addr: os.Getenv("VANBAN_TEST_SMTP_ADDR"), API: strings.TrimRight(os.Getenv("VANBAN_TEST_SMTP_API"), "/")}
	switch {
	case s.Addr == "":
		Missing(t, "VANBAN_TEST_SMTP_ADDR")
	case s.API == "":
		Missing(t, "VANBAN_TEST_SMTP_API")
	}
	return s
}

// Messages returns every message the server received for the address, oldest
// first.
func (s SMTP) Messages(t testing.TB, to string) []Mail {
	t.Helper()
	var list struct {
		Messages []struct {
			ID string
		} `json:"messages"`
	}
	s.get(t, "/api/v1/search?limit=1000&query="+url.QueryEscape(`to:"`+to+`"`), &list)
	mails := make([]Mail, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		id := list.Messages[i].ID
		var m struct {
			MessageID string
			From      struct{ Address string }
			To        []struct{ Address string }
			Subject   string
			Text      string
		}
		s.get(t, "/api/v1/message/"+url.PathEscape(id), &m)
		mail := Mail{ID: id, MessageID: m.MessageID, From: m.From.Address, Subject: m.Subject, Text: m.Text}
		for _, a := range m.To {
			mail.To = append(mail.To, a.Address)
		}
		mail.Raw = string(s.read(t, "/api/v1/message/"+url.PathEscape(id)+"/raw"))
		mails = append(mails, mail)
	}
	return mails
}

// WaitMessages waits until at least n messages for the address have arrived
// (at most timeout), then returns them all.
func (s SMTP) WaitMessages(t testing.TB, to string, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := s.Messages(t, to)
		if len(m) >= n || time.Now().After(deadline) {
			return m
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s SMTP) get(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(s.read(t, path), v); err != nil {
		t.Fatalf("testenv: SMTP API %s: %v", path, err)
	}
}

func (s SMTP) read(t testing.TB, path string) []byte {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(s.API + path)
	if err != nil {
		t.Fatalf("testenv: SMTP API: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s: %.200s", resp.Status, b)
	}
	if err != nil {
		t.Fatalf("testenv: SMTP API %s: %v", path, err)
	}
	return b
}
