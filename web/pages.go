package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/signing"
)

var fieldLabels = map[string]string{
	"doc_type": "Loại văn bản", "title": "Trích yếu", "doc_date": "Ngày ban hành",
	"urgency": "Độ khẩn", "confidentiality": "Độ mật", "number": "Số", "symbol": "Ký hiệu",
	"signer_name": "Người ký", "file": "Tệp PDF", "from": "Từ ngày", "to": "Đến ngày",
	"status": "Trạng thái", "cursor": "Trang", "username": "Tên đăng nhập", "password": "Mật khẩu",
	"reason": "Lý do", "recipients": "Nơi nhận", "due_date": "Hạn xử lý", "due": "Hạn xử lý", "steering": "Loại chỉ đạo",
	"note": "Ghi chú", "assignee_id": "Người được giao", "section": "Đơn vị, bộ phận chủ trì", "coordinators": "Phối hợp",
	"opinion": "Ý kiến chỉ đạo", "response_id": "Văn bản trả lời", "drafting_unit": "Đơn vị soạn thảo",
	"copies": "Số lượng bản", "idempotency_key": "Khóa chống gửi trùng", "kind": "Loại sổ", "year": "Năm",
	"response_for": "Văn bản được trả lời", "replaces": "Văn bản được thay thế", "filter": "Bộ lọc", "limit": "Số dòng",
}

var sigKindLabels = map[string]string{
	"person": "Chữ ký người có thẩm quyền", "organisation": "Chữ ký số của cơ quan (con dấu)", "copy": "Chữ ký số của cơ quan trên bản sao/phụ lục",
}

// parsePages returns one template set per page: the layout with that page's
// "content". The sets must be separate, since every page defines "content".
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"vnTime": func(t time.Time) string { return t.In(domain.VietnamTime).Format("15:04 02/01/2006") },
		"vnDate": func(t time.Time) string { return t.Format("02/01/2006") },
		"typeName": func(code string) string {
			return documents.Label(documents.Types, code)
		},
		"statusName":          func(c string) string { return documents.Label(documents.Statuses, c) },
		"urgencyName":         func(c string) string { return documents.Label(documents.Urgencies, c) },
		"confidentialityName": func(c string) string { return documents.Label(documents.Confidentialities, c) },
		"size":                httpx.HumanBytes,
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"changeKinds": func(cs []signing.Change) string {
			var out []string
			for _, c := range cs {
				out = append(out, c.KindVI)
			}
			return strings.Join(out, ", ")
		},
		"sigKind": func(k string) string { return sigKindLabels[k] },
		"fieldLabel": func(k string) string {
			if l, ok := fieldLabels[k]; ok {
				return l
			}
			return k
		},
	}
	for k, f := range routingFuncs() {
		funcs[k] = f
	}
	for k, f := range meetingFuncs() {
		funcs[k] = f
	}
	funcs["dayVN"] = dayVN
	for k, f := range draftFuncs() {
		funcs[k] = f
	}
	for k, f := range accessFuncs() {
		funcs[k] = f
	}
	root := template.New("pages").Funcs(funcs)
	files, err := fs.Glob(Templates(), "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	layout, err := fs.ReadFile(Templates(), "templates/layout.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(Templates(), f)
		if err != nil {
			return nil, err
		}
		t := template.Must(root.Clone()).New(name)
		if _, err := t.Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("web: template layout: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// pageData is what every page template receives.
type pageData struct {
	Title             string
	User              *auth.Principal
	CanUpload         bool
	CSRF              string
	Flash, Error      string
	Fields            map[string]string
	RequestID         string
	Form              map[string]string
	Next              string
	OIDCButton        string // the OpenID login button's label; empty: none
	Docs              []documents.Document
	Doc               *documents.Document
	Filtered          bool
	Types             []documents.Choice
	Urgencies         []documents.Choice
	Confidentialities []documents.Choice
	Statuses          []documents.Choice
	MaxUpload         string
	CanSign, CanSeal  bool
	NextNumber        string // the register's next number, for the seal form
	Signing           bool   // signing is configured
	Verification      *documents.Verification
	VerifyError       string
	Report            *signing.Report
	Signatures        []documents.Signature
	HasSignatureImage bool
	HasSealImage      bool
	IsSigner          bool
	IsClerk           bool
	Unread            int             // the bell: unread notifications
	District          bool            // the user's unit is a district office or the department: the link to the district boards
	Wide              bool            // a page of wide tables
	R                 *routingView    // the routing pages and forms
	M                 *meetingView    // the meeting pages
	A                 *authorityView  // the signing authorities page and batch signing
	Att               *attachmentView // a document's attachments
	Q                 *draftView      // the drafting pages
	TOTP              *totpView       // the settings page's two factors
	C                 *certView       // the certificate pages
	Adm               *adminView      // the administration and account pages
	Acc               *accessView     // a document's restriction and access history; access statistics
	F                 *followupView   // the follow-up register, the handling statistics, the district board
	I                 *importView     // the import page
	Txt               *textView       // a document's text (extraction, OCR) and paper copy mark
	S                 *searchView     // the search page
	Rec               *recordsView    // the records pages (hồ sơ) and the document page's filing form
	Dash              *dashView       // the dashboard of the reform plan's indicators
	Work              drafting.Counts
}

func (s *Server) page(c *fiber.Ctx, title string) *pageData {
	d := &pageData{Title: title, Form: map[string]string{}, Types: documents.Types, Urgencies: documents.Urgencies,
		Confidentialities: documents.Confidentialities, Statuses: documents.Statuses,
		MaxUpload: httpx.HumanBytes(s.cfg.MaxUploadBytes), R: &routingView{}}
	if p, ok := httpx.LoggedIn(c); ok {
		d.User = &p
		d.CanUpload = documents.CanCreate(p)
		d.CSRF = httpx.CSRFToken(c)
		if s.notes != nil {
			n, err := s.notes.Unread(c.UserContext(), p.UserID)
			if err != nil {
				s.log.Warn("unable to count unread notifications", "request_id", httpx.RequestID(c), "error", err)
			}
			d.Unread = n
		}
		d.Work = s.queueCounts(c, p)
		d.District = s.isDistrict(c, p)
	}
	return d
}

func (s *Server) render(c *fiber.Ctx, status int, name string, d *pageData) error {
	t := s.pages[name]
	if t == nil {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// The signing helper on the signer's own PC is the one other place a
	// page's script may reach.
	c.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' "+helperOrigin(s.helperURL())+"; frame-ancestors 'none'; form-action 'self'")
	c.Set("X-Frame-Options", "DENY")
	return c.Status(status).Send(buf.Bytes())
}

// RenderError shows the problem of a page request on the error page; a
// 401 on a GET goes to the login page instead, and a form refused for its
// text comes back on its own page (formAgain).
func (s *Server) RenderError(c *fiber.Ctx, p httpx.Problem) error {
	if p.Status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if err, ok := s.formAgain(c, p); ok && err == nil {
		return nil
	} // else the error page, also when the form's page cannot be shown
	d := s.page(c, "Lỗi")
	d.Error, d.Fields = p.Message, p.Fields
	if p.Status >= 500 {
		d.RequestID = p.RequestID
	}
	return s.render(c, p.Status, "error", d)
}

// StaticHandler serves the static assets, under /static.
func StaticHandler() fiber.Handler {
	return filesystem.New(filesystem.Config{Root: http.FS(Static()), MaxAge: 3600})
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) home(c *fiber.Ctx) error {
	if p, ok := httpx.LoggedIn(c); ok {
		return c.Redirect(s.landing(c, p), fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	return auth.SafeRedirect(next, "/documents")
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	d := s.page(c, "Đăng nhập")
	d.User = nil
	d.Next = safeNext(c.Query("next"))
	if c.Query("next") == "" {
		d.Next = "" // after login: the landing page of the user's work
	}
	d.CSRF = s.loginCSRF(c)
	d.OIDCButton = s.oidcButton()
	return s.render(c, fiber.StatusOK, "login", d)
}

// loginCSRF sets (or reuses) the double-submit cookie that protects the
// login form itself.
func (s *Server) loginCSRF(c *fiber.Ctx) string {
	tok := c.Cookies(loginCSRFCookie)
	if len(tok) < 20 {
		tok = randomToken()
	}
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HTTPOnly: true,
		Secure: s.cookieSecure(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 3600})
	return tok
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	d := s.page(c, "Đăng nhập")
	d.User = nil
	d.Next = safeNext(c.FormValue("next"))
	d.Form["username"] = c.FormValue("username")
	d.OIDCButton = s.oidcButton()
	want := c.Cookies(loginCSRFCookie)
	if !httpx.SameOrigin(c) || want == "" || !auth.TokensEqual(want, c.FormValue("_csrf")) {
		d.CSRF = s.loginCSRF(c)
		d.Error = "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại"
		return s.render(c, fiber.StatusForbidden, "login", d)
	}
	sess, err := s.auth.LoginFrom(c.UserContext(), c.FormValue("username"), c.FormValue("password"), auth.Client{IP: c.IP(), Device: c.Cookies(auth.DeviceCookie)}, auth.KindWeb)
	if err != nil {
		p := s.toProblem(err)
		if p.Status >= 500 {
			return err
		}
		if p.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(p.RetryAfter))
		}
		d.CSRF = s.loginCSRF(c)
		d.Error = p.Message
		return s.render(c, p.Status, "login", d)
	}
	s.setSessionCookie(c, sess)
	c.Cookie(&fiber.Cookie{Name: auth.DeviceCookie, Value: sess.Device, Path: "/login", HTTPOnly: true,
		Secure: s.cookieSecure(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(auth.KnownFor.Seconds())})
	c.ClearCookie(loginCSRFCookie)
	if c.FormValue("next") == "" {
		d.Next = s.landing(c, sess.Principal) // where the user's work is
	}
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

func (s *Server) logoutSubmit(c *fiber.Ctx) error {
	if err := s.auth.Logout(c.UserContext(), c.Cookies(httpx.SessionCookie)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: httpx.SessionCookie, Value: "", Path: "/", HTTPOnly: true, Expires: time.Unix(0, 0), MaxAge: -1})
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) documentsPage(c *fiber.Ctx) error {
	d := s.page(c, "Văn bản")
	for _, k := range []string{"q", "type", "status", "from", "to"} {
		d.Form[k] = c.Query(k)
		d.Filtered = d.Filtered || d.Form[k] != ""
	}
	f, err := httpx.DocumentFilter(c)
	if err == nil && f.Query != "" {
		err = s.documentsSearch(c, d) // one search: what reached the unit is found too
	} else if err == nil {
		var page documents.Page
		page, err = s.docs.List(c.UserContext(), httpx.Principal(c), f)
		d.Docs = page.Items
		if page.NextCursor != "" {
			q := c.Request().URI().QueryArgs()
			q.Set("cursor", page.NextCursor)
			d.Next = "/documents?" + q.String()
		}
	}
	if err != nil {
		p := s.toProblem(err)
		if p.Status >= 500 {
			return err
		}
		d.Error, d.Fields = p.Message, p.Fields
		return s.render(c, p.Status, "documents", d)
	}
	return s.render(c, fiber.StatusOK, "documents", d)
}

func (s *Server) newDocumentPage(c *fiber.Ctx) error {
	if !documents.CanCreate(httpx.Principal(c)) {
		return domain.ErrForbidden
	}
	d := s.page(c, "Tải lên văn bản")
	d.IsClerk = httpx.Principal(c).Has(auth.RoleClerk) // may digitise a paper original
	d.Form["doc_date"] = time.Now().In(domain.VietnamTime).Format(time.DateOnly)
	return s.render(c, fiber.StatusOK, "new", d)
}

// createDocumentSubmit handles the upload form. On a mistake the form comes
// back with what was typed and a message per field.
func (s *Server) createDocumentSubmit(c *fiber.Ctx) error {
	doc, fields, err := httpx.ReceiveDocument(c, s.docs, true)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/documents/%d?created=1", doc.ID), fiber.StatusSeeOther)
	}
	p := s.toProblem(err)
	if p.Status >= 500 || p.Status == fiber.StatusForbidden || p.Status == fiber.StatusUnauthorized {
		return err
	}
	c.Context().SetConnectionClose()
	d := s.page(c, "Tải lên văn bản")
	d.IsClerk = httpx.Principal(c).Has(auth.RoleClerk)
	d.Error, d.Fields = p.Message, p.Fields
	for k, v := range fields {
		d.Form[k] = v
	}
	return s.render(c, p.Status, "new", d)
}

func (s *Server) documentPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	doc, err := s.docs.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if err := s.docs.RecordView(c.UserContext(), p, doc, httpx.RequestID(c)); err != nil {
		return err
	}
	d := s.page(c, doc.Title)
	d.Doc = &doc
	switch c.Query("done") {
	case "signed":
		d.Flash = "Đã ký số. Phiên bản mới đã được lưu."
	case "sealed":
		d.Flash = "Văn thư đã ký số của cơ quan. Phiên bản mới đã được lưu."
	case "restricted", "unrestricted":
		d.Flash = restrictionFlash[c.Query("done")]
	}
	if c.Query("created") == "1" {
		d.Flash = "Đã tải lên văn bản."
		if doc.Origin == documents.OriginPaperCopy {
			d.Flash = "Đã tải lên bản số hóa của bản gốc giấy; văn thư ký số của cơ quan dạng bản sao trước khi phát hành."
		}
	}
	if err := s.fillSigning(c, d, doc); err != nil {
		return err
	}
	if err := s.fillRouting(c, d, doc); err != nil {
		return err
	}
	if err := s.fillAttachments(c, d, doc); err != nil {
		return err
	}
	if err := s.fillAccess(c, d, doc); err != nil {
		return err
	}
	if err := s.fillText(c, d, doc); err != nil {
		return err
	}
	if err := s.fillRecords(c, d, doc); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "document", d)
}

// fillSigning adds the signatures panel: the latest version's report, the
// signatures applied here, and the actions the user may take.
func (s *Server) fillSigning(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	p := httpx.Principal(c)
	d.Signing = s.docs.SigningEnabled()
	if !d.Signing || len(doc.Versions) == 0 { // a secret document is metadata only
		return nil
	}
	sigs, err := s.docs.Signatures(c.UserContext(), p, doc.ID)
	if err != nil {
		return err
	}
	d.Signatures = sigs
	v, err := s.docs.Verification(c.UserContext(), p, doc.ID, doc.Versions[0].No)
	if err != nil {
		pr := s.toProblem(err)
		if pr.Status >= 500 {
			return err
		}
		d.VerifyError = pr.Message
	} else {
		d.Verification = &v
	}
	a, err := s.docs.Actions(c.UserContext(), p, doc)
	if err != nil {
		return err
	}
	d.CanSign, d.CanSeal = a.Sign.Allowed, a.Seal.Allowed
	if d.CanSeal && doc.Number == nil && a.Register.Allowed {
		// The only number the seal form accepts: the register's next.
		if pv, err := s.docs.PreviewRegister(c.UserContext(), p, doc.ID, documents.NumberRequest{VersionSHA256: doc.Versions[0].SHA256}); err == nil {
			d.NextNumber = pv.NumberSymbol
		}
	}
	return nil
}

// signSubmit and sealSubmit are the buttons of the document page.
func (s *Server) signSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.docs.SignAsPerson(c.UserContext(), httpx.Principal(c), id, documents.SignRequest{VersionSHA256: c.FormValue("version_sha256"), OTP: c.FormValue("otp")})
	return s.afterAction(c, id, "signed", err)
}

func (s *Server) sealSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.docs.Seal(c.UserContext(), httpx.Principal(c), id, documents.SealRequest{VersionSHA256: c.FormValue("version_sha256"),
		Number: c.FormValue("number"), Symbol: c.FormValue("symbol"), Copy: c.FormValue("copy") == "1", OTP: c.FormValue("otp")})
	return s.afterAction(c, id, "sealed", err)
}

// afterAction goes back to the document page, with the error on it when
// the action was refused.
func (s *Server) afterAction(c *fiber.Ctx, id int64, done string, err error) error {
	if err == nil {
		return c.Redirect(fmt.Sprintf("/documents/%d?done=%s", id, done), fiber.StatusSeeOther)
	}
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 404 || pr.Status == 401 {
		return err
	}
	doc, gerr := s.docs.Get(c.UserContext(), httpx.Principal(c), id)
	if gerr != nil {
		return gerr
	}
	d := s.page(c, doc.Title)
	d.Doc = &doc
	d.Error, d.Fields = pr.Message, pr.Fields
	for _, k := range []string{"number", "symbol"} {
		d.Form[k] = c.FormValue(k)
	}
	if ferr := s.fillSigning(c, d, doc); ferr != nil {
		return ferr
	}
	if ferr := s.fillRouting(c, d, doc); ferr != nil {
		return ferr
	}
	if ferr := s.fillAttachments(c, d, doc); ferr != nil {
		return ferr
	}
	if ferr := s.fillAccess(c, d, doc); ferr != nil {
		return ferr
	}
	if ferr := s.fillText(c, d, doc); ferr != nil {
		return ferr
	}
	return s.render(c, pr.Status, "document", d)
}

func (s *Server) verifyPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "verify", s.page(c, "Kiểm tra chữ ký số"))
}

func (s *Server) verifySubmit(c *fiber.Ctx) error {
	d := s.page(c, "Kiểm tra chữ ký số")
	rep, err := httpx.ReceiveForVerification(c, s.docs, true)
	if err != nil {
		pr := s.toProblem(err)
		if pr.Status >= 500 || pr.Status == 403 {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "verify", d)
	}
	d.Report = &rep
	return s.render(c, fiber.StatusOK, "verify", d)
}

func (s *Server) settingsPage(c *fiber.Ctx) error {
	return s.renderSettings(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderSettings(c *fiber.Ctx, status int, flash string, perr *httpx.Problem) error {
	p := httpx.Principal(c)
	d := s.page(c, "Chữ ký và con dấu")
	d.Flash = flash
	if perr != nil {
		d.Error, d.Fields = perr.Message, perr.Fields
	}
	d.IsSigner, d.IsClerk = documents.CanSetSignatureImage(p), documents.CanSetSealImage(p)
	var err error
	if d.HasSignatureImage, err = s.docs.HasImage(c.UserContext(), "signature", p.UserID, 0); err != nil {
		return err
	}
	if d.HasSealImage, err = s.docs.HasImage(c.UserContext(), "seal", 0, p.UnitID); err != nil {
		return err
	}
	if err := s.fillTOTP(c, d); err != nil {
		return err
	}
	return s.render(c, status, "settings", d)
}

// imageSubmit takes the settings page's upload of a signature or seal image.
func (s *Server) imageSubmit(c *fiber.Ctx) error {
	var img []byte
	_, err := httpx.ReadUpload(c, httpx.UploadForm{CSRF: true, File: "image", MaxBytes: s.docs.MaxBytes()},
		func(part *multipart.Part) (err error) {
			if img, err = io.ReadAll(io.LimitReader(part, 2<<20+1)); err != nil {
				return httpx.MultipartError(err)
			}
			return nil
		})
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	switch {
	case len(img) == 0:
		err = &domain.ValidationError{Fields: map[string]string{"image": "hãy chọn tệp ảnh PNG"}}
	case len(img) > 2<<20:
		err = &domain.ValidationError{Fields: map[string]string{"image": "ảnh tối đa 2 MiB"}}
	case c.Params("kind") == "signature":
		err = s.docs.SetSignatureImage(c.UserContext(), p, img)
	case c.Params("kind") == "seal":
		err = s.docs.SetSealImage(c.UserContext(), p, img)
	default:
		return fiber.ErrNotFound
	}
	if err != nil {
		pr := s.toProblem(err)
		if pr.Status >= 500 || pr.Status == 403 {
			return err
		}
		return s.renderSettings(c, pr.Status, "", &pr)
	}
	return s.renderSettings(c, fiber.StatusOK, "Đã lưu ảnh.", nil)
}

// helperOrigin is the scheme://host:port of the signing helper's URL, or
// nothing when it is not an http(s) URL.
func helperOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, " ;'") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
