package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/org"
)

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
		return httpx.BadRequest(400, "bad_json", "Nội dung phải là JSON {\"username\": ..., \"password\": ...}")
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
		token = c.Cookies(httpx.SessionCookie)
	}
	if err := s.auth.Logout(c.UserContext(), strings.TrimSpace(token)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getMe(c *fiber.Ctx) error {
	return c.JSON(httpx.Principal(c))
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
	id, err := httpx.PathID(c, "id")
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

func (s *Server) listDocuments(c *fiber.Ctx) error {
	f, err := httpx.DocumentFilter(c)
	if err != nil {
		return err
	}
	page, err := s.docs.List(c.UserContext(), httpx.Principal(c), f)
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
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.docs.Get(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) createDocument(c *fiber.Ctx) error {
	d, _, err := httpx.ReceiveDocument(c, s.docs, false)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/documents/%d", d.ID))
	return c.Status(fiber.StatusCreated).JSON(toJSON(d))
}

func (s *Server) version(c *fiber.Ctx) (documents.Version, error) {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return documents.Version{}, err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return documents.Version{}, fiber.ErrNotFound
	}
	return s.docs.Version(c.UserContext(), httpx.Principal(c), id, no)
}

// readableVersion is version for a read of the file: the version's row
// alone, with the same check of who sees the document.
func (s *Server) readableVersion(c *fiber.Ctx) (documents.Version, error) {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return documents.Version{}, err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return documents.Version{}, fiber.ErrNotFound
	}
	return s.docs.ReadableVersion(c.UserContext(), httpx.Principal(c), id, no)
}

// downloadVersion streams a version's bytes with Range, ETag and a
// Content-Disposition that keeps Vietnamese file names.
func (s *Server) downloadVersion(c *fiber.Ctx) error {
	v, err := s.readableVersion(c)
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
			return httpx.BadRequest(fiber.StatusRequestedRangeNotSatisfiable, "bad_range", "Khoảng byte yêu cầu nằm ngoài tệp")
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
	if err := s.docs.RecordDownload(c.UserContext(), httpx.Principal(c), v, offset, disposition == "inline", httpx.RequestID(c)); err != nil {
		return err
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
	if err := s.docs.RecordAccess(c.UserContext(), httpx.Principal(c), v.DocumentID, v.No, documents.AccessLink, httpx.RequestID(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": u, "presigned": true, "expires_at": expires})
}
