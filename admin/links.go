package admin

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
)

// SetPasswordPath is the page a link opens.
const SetPasswordPath = "/account/set-password"

// LinkResult is an invitation or reset link made by an administrator.
// Link is set only when it was not e-mailed (SMTP off, or the person has
// no address): the admin passes it on.
type LinkResult struct {
	Purpose string    `json:"purpose"`
	Sent    bool      `json:"sent"`
	Email   string    `json:"email,omitempty"`
	Link    string    `json:"link,omitempty"`
	Expires time.Time `json:"expires_at"`
}

// Invite makes an invitation link for an account in p's scope (a new one,
// or one that never set a password) and e-mails it.
func (s *Service) Invite(ctx context.Context, p auth.Principal, id int64) (LinkResult, error) {
	return s.sendLink(ctx, p, id, auth.LinkInvite)
}

// SendReset makes a password-reset link for an account in p's scope and
// e-mails it.
func (s *Service) SendReset(ctx context.Context, p auth.Principal, id int64) (LinkResult, error) {
	return s.sendLink(ctx, p, id, auth.LinkReset)
}

func (s *Service) sendLink(ctx context.Context, p auth.Principal, id int64, purpose string) (LinkResult, error) {
	person, err := s.Person(ctx, p, id)
	if err != nil {
		return LinkResult{}, err
	}
	if person.LeftAt != nil || person.Disabled {
		return LinkResult{}, &domain.PreconditionError{Code: "account_inactive", Message: "Tài khoản đã nghỉ việc hoặc bị khóa; hãy cho làm việc lại trước"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return LinkResult{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	token, expires, err := auth.NewLink(ctx, tx, id, p.UserID, purpose)
	if err != nil {
		return LinkResult{}, err
	}
	if err := s.audit(ctx, tx, p, "account."+purpose, map[string]any{"user": id, "username": person.Username,
		"email": person.Email, "expires_at": expires}); err != nil {
		return LinkResult{}, err
	}
	if err := commit(tx); err != nil {
		return LinkResult{}, err
	}
	res := LinkResult{Purpose: purpose, Expires: expires, Email: person.Email}
	link := s.link(token)
	if s.mail == nil || person.Email == "" {
		res.Link = link
		return res, nil
	}
	if err := s.mail.Send(ctx, linkMessage(person.FullName, person.Email, purpose, link, expires)); err != nil {
		s.log.Warn("unable to e-mail an account link", "user", id, "purpose", purpose, "error", err)
		return res, &domain.PreconditionError{Code: "mail_failed", Message: "Không gửi được thư (" + err.Error() + "); hãy thử lại sau"}
	}
	res.Sent = true
	return res, nil
}

func (s *Service) link(token string) string {
	return s.publicURL + SetPasswordPath + "?token=" + url.QueryEscape(token)
}

// linkMessage is the e-mail of a link. The secret is sent straight to the
// SMTP server and never stored: a job on the queue would keep it in the
// database, where only its SHA-256 may be.
func linkMessage(name, email, purpose, link string, expires time.Time) notify.Message {
	subject := "Mời sử dụng hệ thống văn bản điện tử"
	body := fmt.Sprintf("Kính gửi %s,\n\nTài khoản của bạn trên hệ thống văn bản điện tử của Sở GD&ĐT TP.HCM đã được tạo. Hãy mở liên kết dưới đây để đặt mật khẩu:\n\n%s\n\nLiên kết chỉ dùng được một lần, hết hạn lúc %s.\n",
		name, link, expires.In(domain.VietnamTime).Format("15:04 02/01/2006"))
	if purpose == auth.LinkReset {
		subject = "Đặt lại mật khẩu hệ thống văn bản điện tử"
		body = fmt.Sprintf("Kính gửi %s,\n\nCó yêu cầu đặt lại mật khẩu tài khoản của bạn. Hãy mở liên kết dưới đây để đặt mật khẩu mới:\n\n%s\n\nLiên kết chỉ dùng được một lần, hết hạn lúc %s. Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu cũ vẫn dùng được.\n",
			name, link, expires.In(domain.VietnamTime).Format("15:04 02/01/2006"))
	}
	body += "\n-- \nThư gửi tự động từ hệ thống văn bản điện tử của Sở GD&ĐT TP.HCM; xin đừng trả lời thư này.\n"
	return notify.Message{To: &mail.Address{Name: name, Address: email}, Subject: subject, Text: body}
}

// ForgotMessage is the one answer to a forgotten-password request, whether
// or not the account exists.
const ForgotMessage = "Nếu tên đăng nhập hoặc địa chỉ thư điện tử khớp với một tài khoản đang hoạt động có địa chỉ thư, một liên kết đặt lại mật khẩu (hiệu lực 1 giờ) đã được gửi tới địa chỉ đó."

// resetsPerHour caps the reset links one account gets, across instances.
const resetsPerHour = 3

// Forgot sends a reset link to the account named by a username or an
// e-mail address. It answers the same whatever the account, and does the
// work in the background so that its time says nothing either; only too
// many requests from one address are refused (auth.RateLimitedError).
func (s *Service) Forgot(ctx context.Context, who, ip string) error {
	if wait := s.limiter.take(ip, time.Now()); wait > 0 {
		return &auth.RateLimitedError{RetryAfter: wait}
	}
	who = strings.ToLower(strings.TrimSpace(who))
	if who == "" || len(who) > 254 {
		return nil
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := s.forgot(ctx, who); err != nil {
			s.log.Warn("unable to send a password reset", "error", err)
		}
	}()
	return nil
}

func (s *Service) forgot(ctx context.Context, who string) error {
	var people []Person
	if err := s.db.SelectContext(ctx, &people, personSelect+`
		WHERE (u.username = $1 OR lower(u.email) = $1) AND u.email <> '' AND u.left_at IS NULL AND NOT u.disabled
		LIMIT 5`, who); err != nil {
		return fmt.Errorf("admin: unable to find the account: %w", err)
	}
	for _, person := range people {
		var recent int
		if err := s.db.GetContext(ctx, &recent, `
			SELECT count(*) FROM account_links WHERE user_id = $1 AND purpose = 'reset' AND created_at > now() - interval '1 hour'`,
			person.ID); err != nil {
			return fmt.Errorf("admin: unable to count links: %w", err)
		}
		if recent >= resetsPerHour || s.mail == nil {
			continue
		}
		tx, err := s.db.BeginTxx(ctx, nil)
		if err != nil {
			return fmt.Errorf("admin: unable to begin: %w", err)
		}
		token, expires, err := auth.NewLink(ctx, tx, person.ID, 0, auth.LinkReset)
		if err == nil {
			err = s.audit(ctx, tx, auth.Principal{}, "account.reset_requested", map[string]any{"user": person.ID, "username": person.Username})
		}
		if err == nil {
			err = commit(tx)
		}
		tx.Rollback()
		if err != nil {
			return err
		}
		if err := s.mail.Send(ctx, linkMessage(person.FullName, person.Email, auth.LinkReset, s.link(token), expires)); err != nil {
			return fmt.Errorf("admin: unable to e-mail the reset link: %w", err)
		}
	}
	return nil
}

// ipLimiter caps forgotten-password requests per client address: a burst
// of forgotLimit, then one more per forgotEvery.
type ipLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const (
	forgotLimit = 5
	forgotEvery = 3 * time.Minute
)

func newIPLimiter() *ipLimiter { return &ipLimiter{buckets: map[string]*bucket{}} }

// take spends a token of ip, or returns how long to wait for one.
func (l *ipLimiter) take(ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 100000 {
		l.buckets = map[string]*bucket{} // bounded memory; a flood only resets the counts
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{tokens: forgotLimit, at: now}
		l.buckets[ip] = b
	}
	b.tokens = min(forgotLimit, b.tokens+now.Sub(b.at).Seconds()/forgotEvery.Seconds())
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(forgotEvery))
	}
	b.tokens--
	return 0
}
