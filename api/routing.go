package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

type registerBody struct {
	VersionSHA256 string `json:"version_sha256"`
	DraftingUnit  string `json:"drafting_unit"`
	Copies        int    `json:"copies"`
	FileUnit      string `json:"file_unit"`
	Notes         string `json:"notes"`
	OTP           string `json:"otp"` // second factor, when the clerk has enrolled
}

func (s *Server) registerDocument(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b registerBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	req := documents.NumberRequest{VersionSHA256: b.VersionSHA256, DraftingUnit: b.DraftingUnit, Copies: b.Copies, FileUnit: b.FileUnit, Notes: b.Notes, OTP: b.OTP}
	if dry, err := boolQuery(c, "dry_run"); err != nil || dry {
		if err != nil {
			return err
		}
		pv, err := s.docs.PreviewRegister(c.UserContext(), httpx.Principal(c), id, req)
		if err != nil {
			return err
		}
		return c.JSON(pv)
	}
	d, err := s.docs.AssignNumber(c.UserContext(), httpx.Principal(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

type issueBody struct {
	Recipients  routing.Recipients `json:"recipients"`
	Urgency     string             `json:"urgency"`
	DueDate     string             `json:"due_date"`
	Steering    int                `json:"steering"`
	ResponseFor int64              `json:"response_for"`
	Replaces    int64              `json:"replaces"`
	Note        string             `json:"note"`
}

func (b issueBody) request(c *fiber.Ctx) routing.IssueRequest {
	return routing.IssueRequest{Recipients: b.Recipients, Urgency: b.Urgency, DueDate: b.DueDate, Steering: b.Steering,
		ResponseFor: b.ResponseFor, Replaces: b.Replaces, Note: b.Note, IdempotencyKey: c.Get("Idempotency-Key")}
}

// dispatchCall issues or relays: the path's id, the body and the
// Idempotency-Key header make the request. With ?dry_run=1 it answers
// preview's DispatchPreview instead, and sends nothing.
func dispatchCall(c *fiber.Ctx, fn func(context.Context, auth.Principal, int64, routing.IssueRequest) (routing.IssueResult, error),
	preview func(context.Context, auth.Principal, int64, routing.IssueRequest) (routing.DispatchPreview, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b issueBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if dry, err := boolQuery(c, "dry_run"); err != nil || dry {
		if err != nil {
			return err
		}
		pv, err := preview(c.UserContext(), httpx.Principal(c), id, b.request(c))
		if err != nil {
			return err
		}
		return c.JSON(pv)
	}
	r, err := fn(c.UserContext(), httpx.Principal(c), id, b.request(c))
	if err != nil {
		return err
	}
	if r.Replayed {
		c.Set("Idempotent-Replayed", "true")
		return c.JSON(r)
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) issueDocument(c *fiber.Ctx) error {
	return dispatchCall(c, s.routing.Issue, s.routing.PreviewIssue)
}

func (s *Server) relayDocument(c *fiber.Ctx) error {
	return dispatchCall(c, s.routing.Relay, s.routing.PreviewRelay)
}

// listRelayTargets lists the units the user's unit may relay to, and the
// groups wholly within that reach.
func (s *Server) listRelayTargets(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	units, err := s.routing.RelayTargets(ctx, p)
	if err != nil {
		return err
	}
	groups, err := s.routing.RelayGroups(ctx, p)
	if err != nil {
		return err
	}
	if groups == nil {
		groups = []routing.Group{}
	}
	return c.JSON(fiber.Map{"units": units, "groups": groups})
}

func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	switch v := c.Query(name); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, httpx.BadRequest(422, "validation_failed", fmt.Sprintf("Tham số %s phải là true hoặc false", name))
}

func intQuery(c *fiber.Ctx, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &domain.ValidationError{Fields: map[string]string{name: "phải là số nguyên"}}
	}
	return n, nil
}

func (s *Server) inboxFilter(c *fiber.Ctx) (routing.InboxFilter, error) {
	f := routing.InboxFilter{Status: c.Query("status"), Cursor: c.Query("cursor"), Before: c.Query("before"), Query: c.Query("q")}
	var err error
	if f.Overdue, err = boolQuery(c, "overdue"); err != nil {
		return f, err
	}
	if f.Removed, err = boolQuery(c, "removed"); err != nil {
		return f, err
	}
	if f.Work, err = boolQuery(c, "work"); err != nil {
		return f, err
	}
	if f.Limit, err = intQuery(c, "limit"); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) listInbox(c *fiber.Ctx) error {
	f, err := s.inboxFilter(c)
	if err != nil {
		return err
	}
	page, err := s.routing.Inbox(c.UserContext(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) getDelivery(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.routing.Delivery)
}

func (s *Server) acceptDelivery(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.routing.Accept)
}

type reasonBody struct {
	Reason string `json:"reason"`
	Accept bool   `json:"accept"`
}

func (s *Server) refuseDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b reasonBody) (routing.Delivery, error) {
		return s.routing.Refuse(ctx, p, id, b.Reason)
	})
}

type assignBody struct {
	AssigneeID   int64  `json:"assignee_id"`
	Section      string `json:"section"`
	Coordinators string `json:"coordinators"`
	Opinion      string `json:"opinion"`
	Due          string `json:"due"`
}

func (s *Server) assignDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b assignBody) (routing.Delivery, error) {
		return s.routing.Assign(ctx, p, id, routing.AssignRequest{
			AssigneeID: b.AssigneeID, Section: b.Section, Coordinators: b.Coordinators, Opinion: b.Opinion, Due: b.Due})
	})
}

type statusBody struct {
	Status     string `json:"status"`
	Note       string `json:"note"`
	ResponseID int64  `json:"response_id"`
}

func (s *Server) updateDeliveryStatus(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b statusBody) (routing.Delivery, error) {
		return s.routing.UpdateStatus(ctx, p, id, routing.StatusRequest{Status: b.Status, Note: b.Note, ResponseID: b.ResponseID})
	})
}

func (s *Server) answerRecall(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b reasonBody) (routing.Delivery, error) {
		return s.routing.AnswerRecall(ctx, p, id, b.Accept, b.Reason)
	})
}

func (s *Server) recallDocument(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b reasonBody) (fiber.Map, error) {
		n, err := s.routing.Recall(ctx, p, id, b.Reason)
		return fiber.Map{"recalled": n}, err
	})
}

func (s *Server) boardFilter(c *fiber.Ctx) (routing.BoardFilter, error) {
	f := routing.BoardFilter{Status: c.Query("status")}
	var err error
	if f.Overdue, err = boolQuery(c, "overdue"); err != nil {
		return f, err
	}
	if f.Offset, err = intQuery(c, "offset"); err != nil {
		return f, err
	}
	if f.Limit, err = intQuery(c, "limit"); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) listDeliveries(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	f, err := s.boardFilter(c)
	if err != nil {
		return err
	}
	b, err := s.routing.Deliveries(c.UserContext(), httpx.Principal(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"summary": b.Summary, "summary_text": b.Summary.SummaryText(), "filtered_total": b.Total, "items": b.Items})
}

func (s *Server) documentHistory(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	entries, err := s.routing.History(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	return c.JSON(fiber.Map{"items": entries})
}

func (s *Server) listUnitGroups(c *fiber.Ctx) error {
	gs, err := s.routing.Groups(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": gs})
}

func (s *Server) saveUnitGroup(c *fiber.Ctx) error {
	var b struct {
		Name  string  `json:"name"`
		Units []int64 `json:"units"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	g, err := s.routing.SaveGroup(c.UserContext(), httpx.Principal(c), b.Name, b.Units)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(g)
}

// registerFile renders a register as CSV or PDF, with its file name.
func registerFile(data routing.RegisterData, format string) ([]byte, string, string, error) {
	var buf bytes.Buffer
	viNames := map[string]string{routing.RegisterOutgoing: "Sổ văn bản đi", routing.RegisterSecret: "Sổ văn bản mật đi", routing.RegisterIncoming: "Sổ văn bản đến"}
	base := fmt.Sprintf("%s %d", viNames[data.Kind], data.Year)
	h := registers.Header{Organisation: strings.ToUpper(data.Parent), Unit: data.Unit, Year: data.Year, GeneratedAt: time.Now()}
	var err error
	switch format {
	case "csv":
		if data.Kind == routing.RegisterIncoming {
			err = registers.WriteIncomingCSV(&buf, data.Incoming)
		} else {
			err = registers.WriteOutgoingCSV(&buf, data.Outgoing)
		}
		return buf.Bytes(), "text/csv; charset=utf-8", base + ".csv", err
	case "pdf":
		if data.Kind == routing.RegisterIncoming {
			err = registers.IncomingPDF(&buf, h, data.Incoming)
		} else {
			err = registers.OutgoingPDF(&buf, h, data.Outgoing)
		}
		return buf.Bytes(), "application/pdf", base + ".pdf", err
	}
	return nil, "", "", &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là csv hoặc pdf"}}
}

func (s *Server) exportRegister(c *fiber.Ctx) error {
	year := time.Now().In(domain.VietnamTime).Year()
	if v := c.Query("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return &domain.ValidationError{Fields: map[string]string{"year": "năm phải là số, ví dụ 2026"}}
		}
		year = n
	}
	format := c.Query("format", "csv")
	if format != "csv" && format != "pdf" {
		return &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là csv hoặc pdf"}}
	}
	data, err := s.routing.RegisterBook(c.UserContext(), httpx.Principal(c), c.Params("kind"), year)
	if err != nil {
		return err
	}
	body, ctype, name, err := registerFile(data, format)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", name))
	return c.Send(body)
}

func (s *Server) getIndicators(c *fiber.Ctx) error {
	now := time.Now().In(domain.VietnamTime)
	from := c.Query("from", now.AddDate(0, -11, 0).Format("2006-01"))
	to := c.Query("to", now.Format("2006-01"))
	rows, err := s.routing.Indicators(c.UserContext(), httpx.Principal(c), from, to)
	if err != nil {
		return err
	}
	type row struct {
		routing.Indicator
		ValidShare  *float64 `json:"valid_share"`
		OnTimeShare *float64 `json:"on_time_share"`
	}
	wrap := func(i routing.Indicator) row {
		r := row{Indicator: i}
		if v := i.ValidShare(); v >= 0 {
			r.ValidShare = &v
		}
		if v := i.OnTimeShare(); v >= 0 {
			r.OnTimeShare = &v
		}
		return r
	}
	items := make([]row, len(rows))
	for i, r := range rows {
		items[i] = wrap(r)
	}
	return c.JSON(fiber.Map{"from": from, "to": to, "items": items, "total": wrap(routing.Totals(rows))})
}

func (s *Server) listNotifications(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	before, err := intQuery(c, "before")
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit")
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return &domain.ValidationError{Fields: map[string]string{"limit": "từ 1 đến 200"}}
	}
	items, err := s.notes.List(c.UserContext(), p.UserID, limit, int64(before))
	if err != nil {
		return err
	}
	unread, err := s.notes.Unread(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "unread": unread})
}

func (s *Server) markNotificationsRead(c *fiber.Ctx) error {
	var b struct {
		IDs []int64 `json:"ids"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	p := httpx.Principal(c)
	if err := s.notes.MarkRead(c.UserContext(), p.UserID, b.IDs); err != nil {
		return err
	}
	unread, err := s.notes.Unread(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"unread": unread})
}

func (s *Server) exportEdxml(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	to := strings.TrimSpace(c.Query("to"))
	if to == "" {
		return &domain.ValidationError{Fields: map[string]string{"to": "cần mã định danh của đơn vị nhận"}}
	}
	out, name, err := s.routing.ExportPackage(c.UserContext(), httpx.Principal(c), id, to)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", name))
	return c.Send(out)
}

// readXMLBody reads a raw XML request body of at most max bytes.
func (s *Server) readXMLBody(c *fiber.Ctx, max int64) ([]byte, error) {
	mt := strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0])
	if mt != "application/xml" && mt != "text/xml" {
		return nil, httpx.BadRequest(fiber.StatusUnsupportedMediaType, "xml_required", "Gửi gói tin edXML với Content-Type: application/xml")
	}
	if n := int64(c.Request().Header.ContentLength()); n > max {
		return nil, documents.ErrTooLarge
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
	}
	if int64(len(b)) > max {
		return nil, documents.ErrTooLarge
	}
	return b, nil
}

func (s *Server) importEdxml(c *fiber.Ctx) error {
	if !httpx.Principal(c).Has("clerk") {
		return domain.ErrForbidden
	}
	b, err := s.readXMLBody(c, 2*s.docs.MaxBytes())
	if err != nil {
		return err
	}
	d, err := s.routing.ImportPackage(c.UserContext(), httpx.Principal(c), b)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) exportEdxmlStatus(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.routing.ExportStatus(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", fmt.Sprintf("trang-thai-%d.edxml", id)))
	return c.Send(out)
}

func (s *Server) importEdxmlStatus(c *fiber.Ctx) error {
	b, err := s.readXMLBody(c, httpx.SmallBodyLimit)
	if err != nil {
		return err
	}
	d, err := s.routing.ImportStatus(c.UserContext(), httpx.Principal(c), b)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
