package localsigner

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/miekg/pkcs11"
)

// Messages of the confirmation page.
const (
	msgSigned       = "Đã ký xong. Bạn có thể đóng cửa sổ này."
	msgRefusedPage  = "Đã từ chối ký. Bạn có thể đóng cửa sổ này."
	msgWrongPIN     = "Mã PIN không đúng. Hãy nhập lại; thiết bị sẽ bị khóa nếu nhập sai quá số lần cho phép."
	msgPINLocked    = "Mã PIN của thiết bị ký đã bị khóa do nhập sai quá số lần cho phép. Hãy liên hệ tổ chức cung cấp chứng thư số để mở khóa."
	msgPINExpired   = "Mã PIN của thiết bị ký đã hết hạn. Hãy đổi mã PIN bằng phần mềm của tổ chức cung cấp chứng thư số rồi ký lại."
	msgNoPIN        = "Hãy nhập mã PIN của thiết bị ký."
	msgTokenAbsent  = "Không tìm thấy thiết bị ký. Hãy cắm thiết bị rồi bấm Ký số lại."
	msgKeyNotFound  = "Không tìm thấy khóa bí mật ứng với chứng thư số này trên thiết bị ký."
	msgBadSignature = "Chữ ký do thiết bị tạo ra không khớp với chứng thư số; chưa ký được."
	msgTokenFailed  = "Thiết bị ký báo lỗi; chưa ký được. Hãy thử lại từ trang văn bản."
	msgBusy         = "Thiết bị đang ký yêu cầu này, vui lòng chờ."
	msgFinalTry     = " Chỉ còn một lần thử: nếu nhập sai nữa, thiết bị sẽ bị khóa."
	msgCountLow     = " Thiết bị báo đã nhập sai nhiều lần."
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Xác nhận ký số — vanban</title>
<style nonce="{{.Nonce}}">
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; font-size: .95rem; }
.origin { font-weight: 700; color: #0b4f9c; }
.error { color: #a40000; font-weight: 600; border: 1px solid #a40000; padding: .5rem; }
.done { font-size: 1.2rem; font-weight: 600; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input[type=password] { font-size: 1.1rem; padding: .3rem; width: 14rem; }
.actions { margin-top: 1rem; display: flex; gap: 1rem; }
button { font-size: 1.05rem; padding: .45rem 1.2rem; }
#sign { background: #0b4f9c; color: #fff; border: 0; }
</style>
</head>
<body>
<main>
<h1>Xác nhận ký số</h1>
{{if .Done}}
<p class="done" id="message" role="status">{{.Done}}</p>
{{if .Close}}<script nonce="{{.Nonce}}">setTimeout(function () { window.close(); }, 2000);</script>{{end}}
{{else}}
<p>Trang <span class="origin" id="origin">{{.Origin}}</span> đề nghị bạn ký số văn bản sau.
Chỉ ký khi bạn đang thao tác trên trang này và thông tin dưới đây đúng.</p>
<dl>
<dt>Trích yếu</dt><dd id="title">{{or .Doc.Title "(không có)"}}</dd>
<dt>Số, ký hiệu</dt><dd id="number">{{or .Doc.Number "(chưa cấp số)"}}</dd>
<dt>Đơn vị</dt><dd id="unit">{{or .Doc.Unit "(không có)"}}</dd>
{{if .Doc.Signer}}<dt>Người ký</dt><dd id="signer">{{.Doc.Signer}}</dd>{{end}}
{{if .Doc.FileSHA256}}<dt>SHA-256 của tệp</dt><dd><code id="file-sha256">{{.Doc.FileSHA256}}</code></dd>{{end}}
</dl>
<h2>Chứng thư số dùng để ký</h2>
<dl>
<dt>Người được cấp</dt><dd id="cert-cn">{{.CN}}</dd>
<dt>Tổ chức cấp</dt><dd id="cert-issuer">{{.Issuer}}</dd>
<dt>Hiệu lực</dt><dd id="cert-validity">từ {{.NotBefore}} đến {{.NotAfter}}</dd>
{{if .CertWarning}}<dt>Lưu ý</dt><dd class="error" id="cert-warning">{{.CertWarning}}</dd>{{end}}
<dt>Thiết bị ký</dt><dd id="cert-token">{{.Token}}</dd>
</dl>
<h2>Giá trị băm cần ký (SHA-256)</h2>
<p><code id="digest">{{.Digest}}</code></p>
<p>Yêu cầu này hết hạn lúc {{.Expires}}.</p>
{{if .Error}}<p class="error" id="message" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/confirm/{{.ID}}" autocomplete="off">
<input type="hidden" name="t" value="{{.Secret}}">
<label for="pin">Mã PIN của thiết bị ký</label>
<input id="pin" name="pin" type="password" autocomplete="off" autofocus required>
<div class="actions">
<button type="submit" name="action" value="sign" id="sign">Ký số</button>
<button type="submit" name="action" value="refuse" id="refuse" formnovalidate>Từ chối</button>
</div>
</form>
<p>Mã PIN chỉ được gửi tới thiết bị ký trên máy này, không gửi tới vanban.</p>
{{end}}
</main>
</body>
</html>
`))

type pageData struct {
	Nonce, ID, Secret, Origin       string
	Doc                             Document
	CN, Issuer, NotBefore, NotAfter string
	Token, Digest, CertWarning      string
	Expires                         string
	Error, Done                     string
	Close                           bool
}

const validityLayout = "02/01/2006 15:04"

func (s *Server) renderPage(w http.ResponseWriter, status int, q *request, errMsg, done string) {
	nonce := base64.RawStdEncoding.EncodeToString(randomBytes(16))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; script-src 'nonce-"+nonce+
		"'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	// Not no-referrer: under it a browser sends "Origin: null" with the
	// page's own form, which confirm refuses. The page links nowhere else.
	h.Set("Referrer-Policy", "same-origin")
	d := pageData{Nonce: nonce, Error: errMsg, Done: done, Close: done == msgSigned || done == msgRefusedPage}
	if q != nil {
		c := q.cert.Cert
		issuer := c.Issuer.CommonName
		if issuer == "" {
			issuer = c.Issuer.String()
		}
		d.ID, d.Secret, d.Origin, d.Doc = q.id, q.secret, q.origin, q.doc
		d.CN, d.Issuer, d.Token = c.Subject.CommonName, issuer, q.cert.Token
		d.NotBefore = c.NotBefore.In(domain.VietnamTime).Format(validityLayout)
		d.NotAfter = c.NotAfter.In(domain.VietnamTime).Format(validityLayout)
		d.Digest = hex.EncodeToString(q.digest)
		d.Expires = q.created.Add(s.cfg.TTL).In(domain.VietnamTime).Format("15:04:05")
		// vanban refuses such a signature at completion; say so before
		// the PIN is spent.
		if now := s.cfg.Now(); now.Before(c.NotBefore) {
			d.CertWarning = "Chứng thư số này chưa đến thời hạn có hiệu lực."
		} else if now.After(c.NotAfter) {
			d.CertWarning = "Chứng thư số này đã hết hiệu lực."
		}
	}
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		s.log.Error("localsigner: unable to render the confirmation page", "error", err)
	}
}

// lookup finds the request of a confirmation page whose token matches;
// s.mu is held.
func (s *Server) lookup(id, secret string) *request {
	s.prune(s.cfg.Now())
	q := s.requests[id]
	if q == nil || subtle.ConstantTimeCompare([]byte(q.secret), []byte(secret)) != 1 {
		return nil
	}
	return q
}

// doneMessage is what the page shows for a request already decided; s.mu
// is held.
func doneMessage(q *request) string {
	switch q.state {
	case StateSigned:
		return msgSigned
	case StateRefused:
		return msgRefusedPage
	default:
		return q.message
	}
}

func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	q := s.lookup(r.PathValue("id"), r.URL.Query().Get("t"))
	var done string
	if q != nil && q.state != StatePending {
		done = doneMessage(q)
	}
	s.mu.Unlock()
	if q == nil {
		s.renderPage(w, http.StatusNotFound, nil, "", "Không tìm thấy yêu cầu ký, hoặc đường dẫn không đúng.")
		return
	}
	warning := ""
	if done == "" {
		warning = s.pinWarning(q.cert, "")
	}
	s.renderPage(w, http.StatusOK, q, warning, done)
}

// pinWarning is what the token's PIN flags say before the person types
// (prefix "") or after a wrong PIN (prefix msgWrongPIN).
func (s *Server) pinWarning(c Certificate, prefix string) string {
	flags, err := s.mod.PINFlags(c)
	if err != nil {
		return prefix
	}
	switch {
	case flags&pkcs11.CKF_USER_PIN_LOCKED != 0:
		return msgPINLocked
	case flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0:
		return strings.TrimSpace(prefix + msgFinalTry)
	case flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0:
		return strings.TrimSpace(prefix + msgCountLow)
	}
	return prefix
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	// The form posts from the page itself; another site's form, knowing
	// the token or not, is refused.
	if o := r.Header.Get("Origin"); o != "" {
		s.mu.Lock()
		own := o == s.base || strings.HasPrefix(o, "http://") && s.hosts[strings.TrimPrefix(o, "http://")]
		s.mu.Unlock()
		if !own {
			s.log.Warn("localsigner: confirmation refused: foreign origin", "origin", o)
			http.Error(w, "forbidden origin", http.StatusForbidden)
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action, pin := r.PostForm.Get("action"), r.PostForm.Get("pin")

	s.mu.Lock()
	q := s.lookup(r.PathValue("id"), r.PostForm.Get("t"))
	if q == nil {
		s.mu.Unlock()
		s.renderPage(w, http.StatusNotFound, nil, "", "Không tìm thấy yêu cầu ký, hoặc đường dẫn không đúng.")
		return
	}
	if q.state != StatePending {
		done := doneMessage(q)
		s.mu.Unlock()
		s.renderPage(w, http.StatusOK, q, "", done)
		return
	}
	if q.busy {
		s.mu.Unlock()
		s.renderPage(w, http.StatusConflict, q, msgBusy, "")
		return
	}
	switch action {
	case "refuse":
		q.state, q.message = StateRefused, msgRefused
		s.mu.Unlock()
		s.log.Info("localsigner: signing refused by the person", "id", q.id)
		s.renderPage(w, http.StatusOK, q, "", msgRefusedPage)
		return
	case "sign":
	default:
		s.mu.Unlock()
		http.Error(w, "bad action", http.StatusBadRequest)
		return
	}
	if pin == "" {
		s.mu.Unlock()
		s.renderPage(w, http.StatusOK, q, msgNoPIN, "")
		return
	}
	q.busy = true
	cert, digest := q.cert, q.digest
	s.mu.Unlock()

	start := time.Now()
	sig, err := s.mod.Sign(cert, pin, digest)

	s.mu.Lock()
	q.busy = false
	retry := ""
	switch {
	case err == nil:
		q.state, q.signature = StateSigned, sig
		s.log.Info("localsigner: signed", "id", q.id, "certificate", cert.Fingerprint, "duration", time.Since(start))
	case errors.Is(err, ErrWrongPIN):
		retry = msgWrongPIN // with the token's counter, read below
	case errors.Is(err, ErrTokenAbsent):
		retry = msgTokenAbsent
	case errors.Is(err, ErrPINLocked):
		q.state, q.message = StateFailed, msgPINLocked
	case errors.Is(err, ErrPINExpired):
		q.state, q.message = StateFailed, msgPINExpired
	case errors.Is(err, ErrKeyNotFound):
		q.state, q.message = StateFailed, msgKeyNotFound
	case errors.Is(err, ErrBadSignature):
		q.state, q.message = StateFailed, msgBadSignature
	default:
		q.state, q.message = StateFailed, msgTokenFailed
	}
	done := ""
	if retry == "" {
		done = doneMessage(q)
	}
	s.mu.Unlock()
	if errors.Is(err, ErrWrongPIN) {
		retry = s.pinWarning(cert, retry)
		if retry == msgPINLocked { // that was the last try
			s.mu.Lock()
			if q.state == StatePending {
				q.state, q.message = StateFailed, msgPINLocked
			}
			done = doneMessage(q)
			s.mu.Unlock()
			retry = ""
		}
	}
	if err != nil {
		s.log.Warn("localsigner: signing failed", "id", q.id, "error", err)
	}
	if retry != "" {
		s.renderPage(w, http.StatusOK, q, retry, "")
		return
	}
	s.renderPage(w, http.StatusOK, q, "", done)
}
