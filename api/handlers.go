package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/org"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz reports whether PostgreSQL and the store answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{"database": "ok", "store": "ok"}
	ready := true
	if err := s.db.PingContext(ctx); err != nil {
		checks["database"], ready = "unavailable", false
		s.log.Warn("readiness: database unavailable", "error", err)
	}
	if err := s.blobs.Ping(ctx); err != nil {
		checks["store"], ready = "unavailable", false
		s.log.Warn("readiness: store unavailable", "error", err)
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(s.spec)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return badRequest(400, "bad_json", "Nội dung phải là JSON {\"username\": ..., \"password\": ...}")
	}
	bad := map[string]string{}
	if strings.TrimSpace(req.Username) == "" {
		bad["username"] = "cần tên đăng nhập"
	}
	if req.Password == "" {
		bad["password"] = "cần mật khẩu"
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Fields: bad}
	}
	sess, err := s.auth.Login(c.UserContext(), req.Username, req.Password, c.IP(), auth.KindAPI)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"token":      sess.Token,
		"token_type": "Bearer",
		"expires_at": sess.ExpiresAt,
		"user":       sess.Principal,
	})
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	_, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if token == "" {
		token = c.Cookies(sessionCookie)
	}
	if err := s.auth.Logout(c.UserContext(), strings.TrimSpace(token)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getMe(c *fiber.Ctx) error {
	return c.JSON(principal(c))
}

func (s *Server) listUnits(c *fiber.Ctx) error {
	f := org.Filter{Kind: c.Query("kind"), Query: c.Query("q")}
	switch f.Kind {
	case "", org.KindDepartment, org.KindOffice, org.KindDistrictOffice, org.KindSchool:
	default:
		return &domain.ValidationError{Fields: map[string]string{"kind": "loại đơn vị không hợp lệ (department, office, district_office, school)"}}
	}
	if v := c.Query("parent"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return &domain.ValidationError{Fields: map[string]string{"parent": "mã đơn vị cấp trên phải là số"}}
		}
		f.ParentID = id
	}
	units, err := s.units.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": units})
}

func (s *Server) getUnit(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.units.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) getVocabulary(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"doc_types":         documents.Types,
		"urgencies":         documents.Urgencies,
		"confidentialities": documents.Confidentialities,
		"statuses":          documents.Statuses,
	})
}

// documentJSON adds the date in the form clients send it.
type documentJSON struct {
	documents.Document
	DocDate string `json:"doc_date"`
}

func toJSON(d documents.Document) documentJSON { return documentJSON{d, d.Date()} }

func filterFrom(c *fiber.Ctx) (documents.Filter, error) {
	f := documents.Filter{
		DocType: c.Query("type"), Status: c.Query("status"),
		From: c.Query("from"), To: c.Query("to"), Query: c.Query("q"), Cursor: c.Query("cursor"),
	}
	bad := map[string]string{}
	if v := c.Query("unit"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad["unit"] = "mã đơn vị phải là số"
		}
		f.UnitID = id
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	for k, v := range f.Problems() {
		bad[k] = v
	}
	if len(bad) > 0 {
		return f, &domain.ValidationError{Fields: bad}
	}
	return f, nil
}

func (s *Server) listDocuments(c *fiber.Ctx) error {
	f, err := filterFrom(c)
	if err != nil {
		return err
	}
	page, err := s.docs.List(c.UserContext(), principal(c), f)
	if err != nil {
		return err
	}
	items := make([]documentJSON, len(page.Items))
	for i, d := range page.Items {
		items[i] = toJSON(d)
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": page.NextCursor})
}

func (s *Server) getDocument(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.docs.Get(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) createDocument(c *fiber.Ctx) error {
	d, _, err := s.receiveDocument(c, false)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/documents/%d", d.ID))
	return c.Status(fiber.StatusCreated).JSON(toJSON(d))
}

// maxFormOverhead is what a multipart body may hold beyond the file: the
// metadata fields and the part headers.
const maxFormOverhead = 64 << 10

// receiveDocument streams a multipart upload: metadata fields and one
// "file" part, which is spooled and checked before anything is stored.
// With checkCSRF the first part must be the form's _csrf field, so a forged
// cross-site upload is refused before its file is read.
func (s *Server) receiveDocument(c *fiber.Ctx, checkCSRF bool) (doc documents.Document, fields map[string]string, err error) {
	p := principal(c)
	if !documents.CanCreate(p) {
		return doc, fields, domain.ErrForbidden
	}
	mr, err := s.multipartReader(c)
	if err != nil {
		return doc, fields, err
	}
	fields = map[string]string{}
	var up *documents.Upload
	defer func() { up.Close() }()
	ctx := c.UserContext()
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return doc, fields, multipartError(err)
		}
		name := part.FormName()
		if checkCSRF && i == 0 {
			if err := checkCSRFPart(c, part); err != nil {
				return doc, fields, err
			}
			continue
		}
		if name == "file" {
			if up != nil {
				return doc, fields, &domain.ValidationError{Fields: map[string]string{"file": "chỉ gửi một tệp cho mỗi văn bản"}}
			}
			if up, err = s.docs.Spool(ctx, part, part.FileName()); err != nil {
				return doc, fields, err
			}
			continue
		}
		if len(fields) >= 32 {
			return doc, fields, badRequest(400, "too_many_fields", "Biểu mẫu có quá nhiều trường")
		}
		v, err := io.ReadAll(io.LimitReader(part, 8<<10+1))
		if err != nil {
			return doc, fields, fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
		}
		if len(v) > 8<<10 {
			return doc, fields, &domain.ValidationError{Fields: map[string]string{name: "giá trị quá dài"}}
		}
		fields[name] = string(v)
	}
	meta := documents.Meta{
		DocType: fields["doc_type"], Title: fields["title"], DocDate: fields["doc_date"],
		Urgency: fields["urgency"], Confidentiality: fields["confidentiality"],
		Number: fields["number"], Symbol: fields["symbol"], SignerName: fields["signer_name"],
	}
	if err := documents.CheckMeta(meta); err != nil {
		return doc, fields, err
	}
	if up == nil {
		return doc, fields, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF của văn bản (trường file)"}}
	}
	doc, err = s.docs.Create(ctx, p, meta, up)
	return doc, fields, err
}

// multipartReader streams a multipart/form-data body whose size is checked
// against the upload limit before anything is read.
func (s *Server) multipartReader(c *fiber.Ctx) (*multipart.Reader, error) {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return nil, badRequest(fiber.StatusUnsupportedMediaType, "multipart_required",
			"Gửi biểu mẫu multipart/form-data gồm các trường thông tin và trường file chứa tệp PDF")
	}
	if n := int64(c.Request().Header.ContentLength()); n > s.docs.MaxBytes()+maxFormOverhead {
		return nil, documents.ErrTooLarge
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = strings.NewReader(string(c.Body()))
	}
	// The multipart reader reads 4 KiB at a time: buffer the stream.
	return multipart.NewReader(bufio.NewReaderSize(body, 256<<10), params["boundary"]), nil
}

// checkCSRFPart requires the first part of a web form to be its _csrf
// field, so a forged cross-site upload is refused before its file is read.
func checkCSRFPart(c *fiber.Ctx, part *multipart.Part) error {
	v, _ := io.ReadAll(io.LimitReader(part, 256))
	want, _ := c.Locals(localsCSRF).(string)
	if part.FormName() != "_csrf" || !auth.TokensEqual(want, string(v)) {
		return errCSRF
	}
	return nil
}

// multipartError tells a body cut short (the client went away) from a
// malformed one, which the client can fix.
func multipartError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || isUnavailable(err) {
		return fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
	}
	return badRequest(fiber.StatusBadRequest, "bad_multipart",
		"Biểu mẫu multipart/form-data không hợp lệ (tiêu đề phần hoặc tên tệp chứa ký tự không cho phép); hãy kiểm tra tên tệp và gửi lại")
}

func (s *Server) version(c *fiber.Ctx) (documents.Version, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return documents.Version{}, err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return documents.Version{}, fiber.ErrNotFound
	}
	return s.docs.Version(c.UserContext(), principal(c), id, no)
}

// downloadVersion streams a version's bytes with Range, ETag and a
// Content-Disposition that keeps Vietnamese file names.
func (s *Server) downloadVersion(c *fiber.Ctx) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	etag := `"` + v.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	disposition := "attachment"
	if c.Query("inline") == "1" {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition(disposition, v.FileName))
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	offset, length := int64(0), v.Size
	status := fiber.StatusOK
	if rh := c.Get(fiber.HeaderRange); rh != "" && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		off, n, ok, err := parseRange(rh, v.Size)
		if err != nil {
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", v.Size))
			return badRequest(fiber.StatusRequestedRangeNotSatisfiable, "bad_range", "Khoảng byte yêu cầu nằm ngoài tệp")
		}
		if ok {
			offset, length, status = off, n, fiber.StatusPartialContent
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, v.Size))
		}
	}
	c.Set(fiber.HeaderContentType, v.MediaType)
	c.Status(status)
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(int(length))
		c.Response().SkipBody = true
		return nil
	}
	rc, err := s.docs.Open(c.UserContext(), v, offset, length)
	if err != nil {
		return err
	}
	c.Context().SetBodyStream(rc, int(length))
	return nil
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=" range. ok is false for forms it does
// not serve (several ranges), which get the whole file as RFC 9110 allows.
func parseRange(h string, size int64) (offset, length int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, fmt.Errorf("bad range")
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, fmt.Errorf("bad range")
		}
		if n > size {
			n = size
		}
		return size - n, n, true, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, fmt.Errorf("bad range")
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, fmt.Errorf("bad range")
		}
		if e < end {
			end = e
		}
	}
	return start, end - start + 1, true, nil
}

// versionLink returns a short-lived URL for a version: presigned on the
// store when it offers them (large files bypass the service), otherwise the
// service's own download URL.
func (s *Server) versionLink(c *fiber.Ctx) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	expires := time.Now().Add(s.cfg.PresignExpiry)
	u, err := s.docs.PresignURL(c.UserContext(), v, s.cfg.PresignExpiry)
	if err == documents.ErrNoPresign {
		return c.JSON(fiber.Map{"url": fmt.Sprintf("/api/v1/documents/%d/versions/%d/download", v.DocumentID, v.No), "presigned": false})
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": u, "presigned": true, "expires_at": expires})
}
