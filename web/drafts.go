package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The drafting pages: my drafts, a new draft (upload or template), the
// draft page (the PDF in a viewer beside its comments, revisions with what
// changed, reviewers and their decisions, the actions), and the work
// queues. The rules are drafting's (Draft.Actions); these pages only show
// them.

// The drafting actions in a document's history.
func init() {
	for k, v := range map[string]string{
		"document.version": "Tải lên phiên bản mới", "draft.revise": "Tải lên bản sửa dự thảo",
		"draft.review_request": "Đề nghị góp ý, duyệt", "draft.review_approved": "Duyệt dự thảo",
		"draft.review_changes_requested": "Đề nghị sửa dự thảo", "draft.submit": "Trình ký",
		"draft.return": "Trả lại dự thảo", "draft.withdraw": "Rút lại dự thảo",
		"draft.conversion_pending": "Chờ chuyển đổi tệp Word",
	} {
		if _, ok := actionLabels[k]; !ok {
			actionLabels[k] = v
		}
	}
}

// draftView is what the drafting pages show.
type draftView struct {
	Draft      *drafting.Draft
	Viewed     drafting.Revision // the revision in the viewer
	Comments   []drafting.Comment
	Items      []drafting.Item
	Pending    []drafting.Pending
	Queue      string
	QueueTitle string
	Colleagues []auth.Principal // whom a review may be asked of
	Signers    []auth.Principal // whom a draft may be submitted to
	Diff       *drafting.Diff
	Capacities []string
	DueDefault string
	Today      string
}

func (s *Server) queueCounts(c *fiber.Ctx, p auth.Principal) drafting.Counts {
	if s.drafts == nil {
		return drafting.Counts{}
	}
	n, err := s.drafts.Counts(c.UserContext(), p)
	if err != nil {
		s.log.Warn("unable to count the work queues", "request_id", httpx.RequestID(c), "error", err)
	}
	return n
}

// landing is where a logged-in user starts (drafting.Landing).
func (s *Server) landing(c *fiber.Ctx, p auth.Principal) string {
	if s.drafts == nil {
		return "/documents"
	}
	where, err := s.drafts.Landing(c.UserContext(), p)
	if err != nil {
		s.log.Warn("unable to choose the landing page", "request_id", httpx.RequestID(c), "error", err)
	}
	return where
}

func today() string { return time.Now().In(domain.VietnamTime).Format(time.DateOnly) }

func (s *Server) draftsPage(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	items, err := s.drafts.Queue(c.UserContext(), p, drafting.QueueMine)
	if err != nil {
		return err
	}
	pending, err := s.drafts.PendingOf(c.UserContext(), p)
	if err != nil {
		return err
	}
	d := s.page(c, "Dự thảo của tôi")
	d.Q = &draftView{Items: items, Pending: pending, Queue: drafting.QueueMine}
	if c.Query("pending") == "1" {
		d.Flash = drafting.PendingMessage
	}
	return s.render(c, fiber.StatusOK, "drafts", d)
}

func (s *Server) newDraftPage(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if !documents.CanCreate(p) {
		return domain.ErrForbidden
	}
	d := s.page(c, "Soạn dự thảo")
	if err := s.fillPeople(c, d, p); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "draft_new", d)
}

// fillPeople lists the people of p's unit a draft involves.
func (s *Server) fillPeople(c *fiber.Ctx, d *pageData, p auth.Principal) error {
	users, err := s.auth.UnitUsers(c.UserContext(), p.UnitID)
	if err != nil {
		return err
	}
	if d.Q == nil {
		d.Q = &draftView{}
	}
	d.Q.Capacities = drafting.Capacities
	d.Q.Today = today()
	d.Q.DueDefault = time.Now().In(domain.VietnamTime).AddDate(0, 0, 3).Format(time.DateOnly)
	for _, u := range users {
		if u.UserID == p.UserID {
			continue
		}
		if u.Has(auth.RoleSigner) {
			d.Q.Signers = append(d.Q.Signers, u)
		}
		if !u.Has(auth.RoleAdmin) || len(u.Roles) > 1 {
			d.Q.Colleagues = append(d.Q.Colleagues, u)
		}
	}
	if p.Has(auth.RoleSigner) {
		d.Q.Signers = append([]auth.Principal{p}, d.Q.Signers...)
	}
	return nil
}

// draftFormAgain shows the new-draft form again with the problem.
func (s *Server) draftFormAgain(c *fiber.Ctx, fields map[string]string, err error) error {
	pr := s.toProblem(httpx.DraftError(err))
	if pr.Status >= 500 && pr.Status != fiber.StatusServiceUnavailable || pr.Status == fiber.StatusForbidden || pr.Status == fiber.StatusUnauthorized {
		return err
	}
	c.Context().SetConnectionClose()
	d := s.page(c, "Soạn dự thảo")
	d.Error, d.Fields = pr.Message, pr.Fields
	for k, v := range fields {
		d.Form[k] = v
	}
	if ferr := s.fillPeople(c, d, httpx.Principal(c)); ferr != nil {
		return ferr
	}
	return s.render(c, pr.Status, "draft_new", d)
}

func (s *Server) createDraftSubmit(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if !documents.CanCreate(p) {
		return domain.ErrForbidden
	}
	fields, f, err := httpx.ReceiveDraftFile(c, s.docs.MaxBytes(), true)
	if err == nil {
		var dr drafting.Draft
		dr, err = s.drafts.Create(c.UserContext(), p, documents.Meta{DocType: fields["doc_type"], Title: fields["title"],
			Urgency: fields["urgency"]}, f)
		if err == nil {
			return c.Redirect(fmt.Sprintf("/drafts/%d?done=created", dr.Document.ID), fiber.StatusSeeOther)
		}
	}
	if errors.As(err, new(*drafting.PendingError)) {
		return c.Redirect("/drafts?pending=1", fiber.StatusSeeOther)
	}
	return s.draftFormAgain(c, fields, err)
}

func (s *Server) templateDraftSubmit(c *fiber.Ctx) error {
	signer, _ := strconv.ParseInt(c.FormValue("signer_id"), 10, 64)
	form := drafting.TemplateForm{DocType: c.FormValue("doc_type"), Title: c.FormValue("title"),
		Addressees: httpx.SplitLines(c.FormValue("addressees")), Recipients: httpx.SplitLines(c.FormValue("recipients")),
		SignerID: signer, Capacity: c.FormValue("capacity"), OnBehalfOf: c.FormValue("on_behalf_of")}
	dr, err := s.drafts.CreateFromTemplate(c.UserContext(), httpx.Principal(c), form)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/drafts/%d?done=created", dr.Document.ID), fiber.StatusSeeOther)
	}
	if errors.As(err, new(*drafting.PendingError)) {
		return c.Redirect("/drafts?pending=1", fiber.StatusSeeOther)
	}
	fields := map[string]string{"mode": "template"}
	for _, k := range []string{"doc_type", "title", "addressees", "recipients", "signer_id", "capacity", "on_behalf_of"} {
		fields[k] = c.FormValue(k)
	}
	return s.draftFormAgain(c, fields, err)
}

var draftDone = map[string]string{
	"created": "Đã tạo dự thảo.", "revised": "Đã tải lên bản sửa.", "commented": "Đã gửi bình luận.",
	"review": "Đã gửi đề nghị góp ý, duyệt.", "decided": "Đã ghi ý kiến của bạn.", "submitted": "Đã trình ký.",
	"returned": "Đã trả lại dự thảo cho người soạn thảo.", "withdrawn": "Đã rút lại dự thảo.",
}

func (s *Server) draftPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.draftPageData(c, id)
	if err != nil {
		return err
	}
	d.Flash = draftDone[c.Query("done")]
	return s.render(c, fiber.StatusOK, "draft", d)
}

func (s *Server) draftPageData(c *fiber.Ctx, id int64) (*pageData, error) {
	p := httpx.Principal(c)
	dr, err := s.drafts.Get(c.UserContext(), p, id)
	if err != nil {
		return nil, err
	}
	if err := s.docs.RecordView(c.UserContext(), p, dr.Document, httpx.RequestID(c)); err != nil {
		return nil, err
	}
	d := s.page(c, dr.Document.Title)
	d.Wide = true
	if err := s.fillPeople(c, d, p); err != nil {
		return nil, err
	}
	d.Q.Draft = &dr
	d.Q.Viewed = dr.Latest()
	if v, err := strconv.Atoi(c.Query("v")); err == nil {
		for _, r := range dr.Revisions {
			if r.No == v {
				d.Q.Viewed = r
			}
		}
	}
	for _, cm := range dr.Comments {
		if cm.VersionNo == d.Q.Viewed.No {
			d.Q.Comments = append(d.Q.Comments, cm)
		}
	}
	return d, nil
}

// draftAgain goes back to the draft page after a form: with the problem
// on it when the action was refused.
func (s *Server) draftAgain(c *fiber.Ctx, id int64, done string, err error) error {
	if err == nil {
		return c.Redirect(fmt.Sprintf("/drafts/%d?done=%s", id, done), fiber.StatusSeeOther)
	}
	if errors.As(err, new(*drafting.PendingError)) {
		return c.Redirect("/drafts?pending=1", fiber.StatusSeeOther)
	}
	pr := s.toProblem(httpx.DraftError(err))
	if pr.Status >= 500 && pr.Status != fiber.StatusServiceUnavailable || pr.Status == 404 || pr.Status == 401 {
		return err
	}
	d, gerr := s.draftPageData(c, id)
	if gerr != nil {
		return gerr
	}
	d.Error, d.Fields = pr.Message, pr.Fields
	for _, k := range []string{"reason", "note", "body", "due_date"} {
		d.Form[k] = c.FormValue(k)
	}
	return s.render(c, pr.Status, "draft", d)
}

func (s *Server) revisionSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	fields, f, err := httpx.ReceiveDraftFile(c, s.docs.MaxBytes(), true)
	if err == nil {
		_, err = s.drafts.AddRevision(c.UserContext(), httpx.Principal(c), id, f, fields["note"])
	}
	if err != nil {
		c.Context().SetConnectionClose()
	}
	return s.draftAgain(c, id, "revised", err)
}

func (s *Server) draftCommentSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	v, _ := strconv.Atoi(c.FormValue("version"))
	_, err = s.drafts.Comment(c.UserContext(), httpx.Principal(c), id, v, c.FormValue("body"))
	if err == nil {
		return c.Redirect(fmt.Sprintf("/drafts/%d?v=%d&done=commented#comments", id, v), fiber.StatusSeeOther)
	}
	return s.draftAgain(c, id, "", err)
}

func (s *Server) reviewSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var ids []int64
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == "reviewer_id" {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				ids = append(ids, n)
			}
		}
	})
	_, err = s.drafts.RequestReview(c.UserContext(), httpx.Principal(c), id, ids, c.FormValue("note"))
	return s.draftAgain(c, id, "review", err)
}

func (s *Server) decideSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.drafts.Decide(c.UserContext(), httpx.Principal(c), id, c.FormValue("decision"), c.FormValue("note"))
	return s.draftAgain(c, id, "decided", err)
}

// draftConfirm is the confirmation page of submit, return and withdraw:
// the draft's own rule says whether the action is allowed.
func (s *Server) draftConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	action := c.Params("action")
	dr, err := s.drafts.Get(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	cv := &confirmView{Action: fmt.Sprintf("/drafts/%d/%s", id, action), Back: fmt.Sprintf("/drafts/%d", id), Fields: postedFields(c)}
	var perm drafting.Permission
	switch action {
	case "submit":
		perm = dr.Actions.Submit
		cv.Heading, cv.Button = "Xác nhận trình ký", "Trình ký"
		signer := c.FormValue("signer_id")
		name := signer
		users, err := s.auth.UnitUsers(c.UserContext(), dr.Document.UnitID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if strconv.FormatInt(u.UserID, 10) == signer {
				name = u.FullName
			}
		}
		cv.Message = fmt.Sprintf("Trình ký dự thảo «%s» (bản sửa %d) cho %s, hạn ký %s.", dr.Document.Title, dr.Latest().No, name, c.FormValue("due_date"))
		cv.Notes = []string{"Khi đã trình ký, chỉ người được trình mới ký được; bạn không tải bản sửa được cho đến khi người ký trả lại hoặc bạn rút lại."}
	case "return":
		perm = dr.Actions.Return
		cv.Heading, cv.Button = "Xác nhận trả lại dự thảo", "Trả lại"
		cv.Message = fmt.Sprintf("Trả lại dự thảo «%s» cho %s với lý do: %s", dr.Document.Title, dr.Document.CreatorName, strings.TrimSpace(c.FormValue("reason")))
		if strings.TrimSpace(c.FormValue("reason")) == "" {
			return s.draftAgain(c, id, "", domain.Invalid("reason", "cần lý do trả lại (nội dung cần sửa)"))
		}
	case "withdraw":
		perm = dr.Actions.Withdraw
		cv.Heading, cv.Button = "Xác nhận rút lại dự thảo", "Rút lại"
		cv.Message = fmt.Sprintf("Rút lại dự thảo «%s». Dự thảo đã rút không sửa, góp ý hay trình ký được nữa.", dr.Document.Title)
	default:
		return fiber.ErrNotFound
	}
	cv.Allowed = perm.Allowed
	if !perm.Allowed {
		cv.Message = perm.Reason
	}
	return s.renderConfirm(c, cv)
}

func (s *Server) submitDraftSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	signer, _ := strconv.ParseInt(c.FormValue("signer_id"), 10, 64)
	_, err = s.drafts.Submit(c.UserContext(), httpx.Principal(c), id, signer, c.FormValue("due_date"))
	return s.draftAgain(c, id, "submitted", err)
}

func (s *Server) returnDraftSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.drafts.Return(c.UserContext(), httpx.Principal(c), id, c.FormValue("reason"))
	return s.draftAgain(c, id, "returned", err)
}

func (s *Server) withdrawDraftSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.drafts.Withdraw(c.UserContext(), httpx.Principal(c), id, c.FormValue("reason"))
	return s.draftAgain(c, id, "withdrawn", err)
}

func (s *Server) draftDiffPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	diff, err := s.drafts.Diff(c.UserContext(), p, id, c.QueryInt("from"), c.QueryInt("to"))
	if err != nil {
		return err
	}
	dr, err := s.drafts.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d := s.page(c, "Thay đổi: "+dr.Document.Title)
	d.Q = &draftView{Draft: &dr, Diff: &diff}
	return s.render(c, fiber.StatusOK, "draft_diff", d)
}

func (s *Server) draftSourceDownload(c *fiber.Ctx) error { return httpx.SendDraftSource(c, s.drafts) }

func (s *Server) queuePage(c *fiber.Ctx) error {
	q := c.Params("queue")
	title := drafting.QueueTitle(q)
	if title == "" || q == drafting.QueueMine {
		return fiber.ErrNotFound
	}
	items, err := s.drafts.Queue(c.UserContext(), httpx.Principal(c), q)
	if err != nil {
		return err
	}
	d := s.page(c, title)
	d.Q = &draftView{Items: items, Queue: q, QueueTitle: title}
	d.Wide = true
	return s.render(c, fiber.StatusOK, "queue", d)
}

// draftFuncs are the template functions of the drafting pages.
func draftFuncs() map[string]any {
	return map[string]any{
		"draftState": func(state, status string) string {
			if status != "draft" {
				return documents.Label(documents.Statuses, status)
			}
			return map[string]string{drafting.StateOpen: "Đang soạn thảo", drafting.StateSubmitted: "Chờ ký",
				drafting.StateReturned: "Bị trả lại", drafting.StateWithdrawn: "Đã rút lại"}[state]
		},
		"dateVN": func(iso string) string {
			t, err := time.Parse(time.DateOnly, iso)
			if err != nil {
				return iso
			}
			return t.Format("02/01/2006")
		},
		"decisionName": func(d *string) string {
			if d == nil {
				return ""
			}
			return map[string]string{drafting.Approved: "Đã duyệt", drafting.ChangesRequested: "Đề nghị sửa"}[*d]
		},
		"approved": func(d *string) bool { return d != nil && *d == drafting.Approved },
		"decisionClass": func(d *string) string {
			if d != nil && *d == drafting.Approved {
				return "ok"
			}
			return "bad"
		},
		"diffClass": func(op string) string { return map[string]string{"+": "added", "-": "removed"}[op] },
		"sub":       func(a, b int) int { return a - b },
	}
}
