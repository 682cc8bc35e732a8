package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// SMTPConfig says how to reach the SMTP server and whom mail is from.
type SMTPConfig struct {
	Addr      string // host:port
	From      string // "Name <address>" or address
	Username  string // empty: no AUTH
	Password  string
	TLS       string        // none, starttls (default) or tls
	TLSConfig *tls.Config   // nil: verify the server against the system roots
	Timeout   time.Duration // longest time for one message (default 1m)
}

// Mailer sends e-mail through one SMTP server, one connection per message.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
	host string // of Addr, for TLS and AUTH
	helo string // name given in EHLO
}

// NewMailer checks cfg and returns a Mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("notify: SMTP address %q must be host:port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: sender %q: %v", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = "starttls"
	case "none", "starttls", "tls":
	default:
		return nil, fmt.Errorf("notify: SMTP TLS mode %q must be none, starttls or tls", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	helo, err := os.Hostname()
	if err != nil || helo == "" {
		helo = "localhost"
	}
	return &Mailer{cfg: cfg, from: from, host: host, helo: helo}, nil
}

// Message is one e-mail to one person, in plain text.
type Message struct {
	To        *mail.Address
	Subject   string
	Text      string
	MessageID string // without angle brackets; the same for every try of one message
}

// Send sends msg. Its error says whether the server may have taken the
// message: failures before the server was handed the end of the data (no
// connection, a refusal of MAIL, RCPT or DATA, a broken write) are plain
// errors to retry, or Permanent for a 5xx refusal of this message; a
// failure once the whole message was sent and before the server answered
// is Uncertain, since the server may have accepted it.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	data, err := m.compose(msg)
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	d := net.Dialer{}
	raw, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	conn := &watchedConn{Conn: raw}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// Cancelling ctx interrupts whatever read or write is under way.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var c *smtp.Client
	if m.cfg.TLS == "tls" {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: TLS handshake: %w", err)
		}
		c, err = smtp.NewClient(tc, m.host)
	} else {
		c, err = smtp.NewClient(conn, m.host)
	}
	if err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(m.helo); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if m.cfg.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS (set SMTP_TLS)")
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return refused("MAIL FROM", err)
	}
	if err := c.Rcpt(msg.To.Address); err != nil {
		return refused("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return refused("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp: sending the message: %w", err)
	}
	// Close writes the final "." and reads the server's answer.
	before := conn.writeFailures()
	if err := w.Close(); err != nil {
		var te *textproto.Error
		switch {
		case errors.As(err, &te):
			return refused("end of DATA", err)
		case conn.writeFailures() > before:
			// The final "." did not all go out: the server cannot take it.
			return fmt.Errorf("smtp: sending the end of the message: %w", err)
		default:
			return Uncertain(fmt.Errorf("smtp: no answer after the end of the message, which may have been delivered: %w", err))
		}
	}
	c.Quit() //nolint:errcheck // the message is accepted
	return nil
}

// refused classifies the server's answer to a command: 5xx refuses this
// message for good, anything else (4xx, a broken connection) may pass later.
func refused(cmd string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", cmd, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

func (m *Mailer) tlsConfig() *tls.Config {
	if m.cfg.TLSConfig != nil {
		c := m.cfg.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = m.host
		}
		return c
	}
	return &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
}

// compose renders msg: UTF-8 headers as RFC 2047 encoded-words, and a
// text/plain body in quoted-printable.
func (m *Mailer) compose(msg Message) ([]byte, error) {
	if msg.To == nil || msg.To.Address == "" {
		return nil, errors.New("notify: e-mail without a recipient")
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", foldHeader("From", encodeAddress(m.from)))
	header("To", foldHeader("To", encodeAddress(msg.To)))
	header("Subject", foldHeader("Subject", encodeWords(msg.Subject)))
	header("Date", time.Now().Format(time.RFC1123Z))
	if msg.MessageID != "" {
		header("Message-ID", "<"+msg.MessageID+">")
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(msg.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// encodeWords splits s into the words of a header: itself split at spaces
// if it is printable ASCII, else RFC 2047 encoded-words, each short enough
// to fit on a folded line. Control characters become spaces, so that a
// title cannot add a header.
func encodeWords(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	s = strings.Join(fields, " ")
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			ascii = false
			break
		}
	}
	if ascii && !strings.Contains(s, "=?") {
		return fields
	}
	// Decoders drop the space between two encoded-words, so s may be cut
	// anywhere between runes.
	const chunk = 36 // bytes of text: 48 of base64, a 60-character word
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, l := utf8.DecodeRuneInString(s[n:])
			if n > 0 && n+l > chunk {
				break
			}
			n += l
		}
		words = append(words, "=?UTF-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return words
}

// encodeAddress gives the words of a mailbox: the encoded display name, if
// any, then <address>.
func encodeAddress(a *mail.Address) []string {
	if a.Name == "" {
		return []string{"<" + a.Address + ">"}
	}
	for i := 0; i < len(a.Name); i++ {
		if a.Name[i] < ' ' || a.Name[i] > '~' {
			return append(encodeWords(a.Name), "<"+a.Address+">")
		}
	}
	return []string{a.String()}
}

// foldHeader joins the words of header name's value, starting a new line
// where one would pass 78 characters.
func foldHeader(name string, words []string) string {
	var b strings.Builder
	line := len(name) + 2
	for i, w := range words {
		switch {
		case i == 0:
		case line+1+len(w) > 78:
			b.WriteString("\r\n ")
			line = 1
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// watchedConn counts failed writes, to tell an end of data that never left
// from one the server may have taken.
type watchedConn struct {
	net.Conn
	mu       sync.Mutex
	failures int
}

func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.mu.Lock()
		c.failures++
		c.mu.Unlock()
	}
	return n, err
}

func (c *watchedConn) writeFailures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failures
}

// EmailHandler returns the handler of KindEmail jobs: it e-mails one
// notification to its user, with a link under publicURL. It is not
// idempotent: a message that may have been delivered is never sent again.
// A notification that is gone, or whose user has no address or is
// disabled by now, is dropped.
func EmailHandler(db *sqlx.DB, m *Mailer, publicURL string) Handler {
	publicURL = strings.TrimRight(publicURL, "/")
	return Handler{Run: func(ctx context.Context, payload json.RawMessage) error {
		var p struct {
			NotificationID int64 `json:"notification_id"`
		}
		if err := json.Unmarshal(payload, &p); err != nil || p.NotificationID <= 0 {
			return Permanent(fmt.Errorf("notify: bad e-mail job payload %s", payload))
		}
		var n struct {
			ID       int64  `db:"id"`
			Title    string `db:"title"`
			Body     string `db:"body"`
			Link     string `db:"link"`
			Email    string `db:"email"`
			Name     string `db:"full_name"`
			Disabled bool   `db:"disabled"`
		}
		err := db.GetContext(ctx, &n, `
SELECT n.id, n.title, n.body, n.link, u.email, u.full_name, u.disabled
FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.id = $1`, p.NotificationID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (n.Email == "" || n.Disabled)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("notify: unable to load notification %d: %v", p.NotificationID, err)
		}
		return m.Send(ctx, Message{
			To:        &mail.Address{Name: n.Name, Address: n.Email},
			Subject:   n.Title,
			Text:      emailText(n.Title, n.Body, absoluteLink(publicURL, n.Link)),
			MessageID: fmt.Sprintf("vanban-notification-%d@%s", n.ID, m.domain()),
		})
	}}
}

// domain is the sender's domain, the right-hand side of Message-IDs.
func (m *Mailer) domain() string {
	if i := strings.LastIndexByte(m.from.Address, '@'); i >= 0 && i+1 < len(m.from.Address) {
		return m.from.Address[i+1:]
	}
	return m.helo
}

func absoluteLink(base, link string) string {
	switch {
	case link == "":
		return ""
	case strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://"):
		return link
	}
	return base + "/" + strings.TrimLeft(link, "/")
}

func emailText(title, body, link string) string {
	var b strings.Builder
	b.WriteString(title + "\n")
	if body != "" {
		b.WriteString("\n" + body + "\n")
	}
	if link != "" {
		b.WriteString("\nXem chi tiết: " + link + "\n")
	}
	b.WriteString("\n-- \nThư gửi tự động từ hệ thống văn bản điện tử của Sở GD&ĐT TP.HCM; xin đừng trả lời thư này.\n")
	return b.String()
}
