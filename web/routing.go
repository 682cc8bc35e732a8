package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
)

// The web pages of routing: the inbox and the handling of one delivery,
// the register, issue and recall forms of the document page, the sender's
// board, the registers, the indicators and the notifications.

// routingView is what the routing pages add to pageData.
type routingView struct {
	// Inbox.
	Tabs  []inboxTab
	Items []routing.Delivery
	Next  string

	// One delivery.
	Delivery  *routing.Delivery
	Doc       *documents.Document // nil once the document left the unit
	Can       routing.Actions     // the forms the delivery page offers: routing's rules
	Responses []documents.Document
	History   []audit.Entry
	Relayed   int // units this unit sent the document on to

	// Its handling inside the unit (handling.go).
	Tasks    []taskView
	Trail    []routing.Entry
	Leaders  []routing.Member // whom the clerk presents to, a leader forwards to
	Sections []routing.Section
	Members  []routing.Member
	Urgent   bool // present at once: "Tiếp nhận và trình" first

	// Issue (document page) or relay (delivery page).
	Dispatch *dispatchForm

	// Document page.
	CanRegister, NeedsDraftingUnit, CanRecall, ShowBoard bool
	SecretNote, IssueNote                                string

	// A confirmation page: what the action will do, and the form that does it.
	Confirm *confirmView

	// Board.
	Board   *routing.Board
	Summary string
	Counts  []stateCount
	States  []documents.Choice
	Prev    string

	// Registers.
	Register     *routing.RegisterData
	Kinds        []documents.Choice
	CSV, PDF     string
	RegisterName string

	// Indicators.
	Indicators []routing.Indicator
	Total      *routing.Indicator

	// Notifications.
	Notes []notify.Item

	selGroups map[string]bool
	selUnits  map[int64]bool
}

type inboxTab struct {
	ID, Label, URL string
	Active         bool
}

// dispatchForm is the recipient picker and the dispatch fields shared by
// the issue and relay forms.
type dispatchForm struct {
	Name      string // "issue" or "relay": prefix of the element ids
	Groups    []routing.Group
	UnitSets  []unitSet
	SelGroups map[string]bool
	SelUnits  map[int64]bool
	Urgencies []documents.Choice
	Urgency   string
	DueDate   string
	Steering  string
	Note      string
	Key       string
	Today     string
}

type unitSet struct {
	Label string
	Units []org.Unit
}

type stateCount struct {
	Code, Label, URL string
	N                int
	Active           bool
}

var inboxTabs = []struct{ ID, Label string }{
	{"", "Tất cả"}, {"work", "Việc của tôi"}, {"arrived", "Chờ tiếp nhận"}, {"open", "Đang xử lý"}, {"overdue", "Quá hạn"},
	{"recall", "Đề nghị thu hồi"}, {"removed", "Đã thu hồi"},
}

func inboxFilterFor(tab string) routing.InboxFilter {
	switch tab {
	case "work":
		return routing.InboxFilter{Work: true}
	case "arrived":
		return routing.InboxFilter{Status: routing.Arrived}
	case "open":
		return routing.InboxFilter{Status: "open"}
	case "overdue":
		return routing.InboxFilter{Overdue: true}
	case "recall":
		return routing.InboxFilter{Status: routing.RecallRequested}
	case "removed":
		return routing.InboxFilter{Removed: true}
	}
	return routing.InboxFilter{}
}

var steeringLabels = map[int]string{
	routing.SteeringNone: "Không", routing.SteeringDirective: "Chỉ đạo", routing.SteeringReport: "Báo cáo thực hiện chỉ đạo",
}

var actionLabels = map[string]string{
	"document.create": "Tải lên văn bản", "document.sign": "Ký số", "document.seal": "Ký số của cơ quan",
	"document.register": "Đăng ký, cấp số", "document.issue": "Phát hành", "document.relay": "Chuyển tiếp",
	"document.import": "Nhập từ gói hồ sơ", "file.import": "Nhập hồ sơ từ gói",
	"document.recall": "Đề nghị thu hồi", "delivery.accept": "Tiếp nhận", "delivery.refuse": "Từ chối nhận",
	"delivery.assign": "Phân công xử lý", "delivery.status.05": "Bắt đầu xử lý", "delivery.status.06": "Hoàn thành xử lý",
	"delivery.recall.15": "Đồng ý thu hồi", "delivery.recall.16": "Từ chối thu hồi",
	"delivery.present": "Trình lãnh đạo", "delivery.forward": "Chuyển lãnh đạo khác", "delivery.file": "Lưu để biết",
	"delivery.direct": "Chỉ đạo, giao xử lý", "delivery.remind": "Nhắc việc", "delivery.task.assign": "Giao người xử lý",
	"delivery.task.proposal": "Đề xuất", "delivery.task.progress": "Báo tiến độ", "delivery.task.contribution": "Ý kiến phối hợp",
	"delivery.task.done": "Hoàn thành phần việc", "delivery.task.reopen": "Mở lại phần việc",
}

// routingFuncs are the template functions of the routing pages.
func routingFuncs() template.FuncMap {
	return template.FuncMap{
		// day formats a calendar date (a PostgreSQL date, at midnight UTC).
		"day": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Format("02/01/2006")
		},
		"vnTimeP": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(domain.VietnamTime).Format("15:04 02/01/2006")
		},
		// due is the deadline that counts: the leader's, else the sender's.
		"due": func(d routing.Delivery) string {
			if d.TaskDue != nil {
				return d.TaskDue.Format("02/01/2006")
			}
			if d.DueDate != nil {
				return d.DueDate.Format("02/01/2006")
			}
			return ""
		},
		"steeringName": func(n int) string { return steeringLabels[n] },
		"actionName": func(a string) string {
			if l, ok := actionLabels[a]; ok {
				return l
			}
			return a
		},
		"sigLabel": func(v *bool) string {
			switch {
			case v == nil:
				return "Chưa kiểm tra"
			case *v:
				return "Hợp lệ"
			}
			return "Không hợp lệ"
		},
		"sigClass": func(v *bool) string {
			switch {
			case v == nil:
				return "none"
			case *v:
				return "ok"
			}
			return "bad"
		},
		"pct":   percent,
		"hours": hours,
		"low":   func(v float64) bool { return v >= 0 && v < 0.98 },
		"month": func(m string) string {
			if t, err := time.Parse("2006-01", m); err == nil {
				return t.Format("01/2006")
			}
			return m
		},
		"prefixed": func(form map[string]string, prefix, key string) string { return form[prefix+"."+key] },
	}
}

// percent formats a share (0..1) the Vietnamese way, "97,5%", or a dash
// when there is nothing to count (-1).
func percent(v float64) string {
	if v < 0 {
		return "—"
	}
	return strings.Replace(strconv.FormatFloat(v*100, 'f', 1, 64), ".", ",", 1) + "%"
}

func hours(v *float64) string {
	if v == nil {
		return "—"
	}
	return strings.Replace(strconv.FormatFloat(*v, 'f', 1, 64), ".", ",", 1)
}

// keepForm keeps what was posted to the form that failed, under
// "form.field" in d.Form, so the page shows it again in that form only.
func keepForm(c *fiber.Ctx, d *pageData, form string) {
	d.Form["_form"] = form
	r := d.R
	r.selGroups, r.selUnits = map[string]bool{}, map[int64]bool{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		switch key := string(k); key {
		case "_csrf":
		case "group":
			r.selGroups[string(v)] = true
		case "unit":
			if id, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				r.selUnits[id] = true
			}
		default:
			d.Form[form+"."+key] = string(v)
			// Every value of a multiple choice, for the select to keep them.
			d.Form[form+"."+key+"="+string(v)] = "1"
		}
	})
}

// formProblem decides whether a refused form comes back with its message
// (what the user can fix) or goes to the error page.
func (s *Server) formProblem(err error) (httpx.Problem, bool) {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == fiber.StatusNotFound || pr.Status == fiber.StatusUnauthorized {
		return pr, false
	}
	return pr, true
}

// Inbox.

func (s *Server) inboxPage(c *fiber.Ctx) error {
	d := s.page(c, "Văn bản đến")
	d.Wide = true
	tab := c.Query("tab")
	for _, t := range inboxTabs {
		u := "/inbox"
		if t.ID != "" {
			u += "?tab=" + t.ID
		}
		d.R.Tabs = append(d.R.Tabs, inboxTab{ID: t.ID, Label: t.Label, URL: u, Active: t.ID == tab})
	}
	f := inboxFilterFor(tab)
	f.Cursor, f.Before, f.Query = c.Query("cursor"), c.Query("before"), c.Query("q")
	d.Form["q"] = f.Query
	page, err := s.routing.Inbox(c.UserContext(), httpx.Principal(c), f)
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "inbox", d)
	}
	d.R.Items = page.Items
	d.R.Next, d.R.Prev = inboxPageURL(tab, f.Query, "cursor", page.NextCursor), inboxPageURL(tab, f.Query, "before", page.PrevCursor)
	d.Filtered = tab != "" || f.Cursor != "" || f.Before != "" || f.Query != ""
	return s.render(c, fiber.StatusOK, "inbox", d)
}

var deliveryFlashes = map[string]string{
	"refused":         "Đã từ chối nhận văn bản; đơn vị gửi được báo kèm lý do.",
	"paper-received":  "Đã tiếp nhận văn bản giấy vào Văn bản đến; hãy tiếp nhận, vào sổ. Chữ trong bản quét đang được nhận dạng (OCR).",
	"assigned":        "Đã phân công xử lý; người được giao đã được thông báo.",
	"progress":        "Đã chuyển sang đang xử lý.",
	"done":            "Đã báo hoàn thành xử lý; đơn vị gửi được thông báo.",
	"recall-accepted": "Đã đồng ý thu hồi; văn bản được gỡ khỏi Văn bản đến (vết xử lý vẫn được giữ).",
	"recall-refused":  "Đã từ chối thu hồi; đơn vị gửi được báo kèm lý do.",
}

func (s *Server) deliveryPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d := s.page(c, "Xử lý văn bản đến")
	if err := s.fillDelivery(c, d, id); err != nil {
		return err
	}
	if err := s.readNotesAbout(c, d, id); err != nil {
		return err
	}
	dl := d.R.Delivery
	switch done := c.Query("done"); done {
	case "accepted":
		d.Flash = "Đã tiếp nhận văn bản."
		if dl.IncomingNumber != nil {
			d.Flash = fmt.Sprintf("Đã tiếp nhận văn bản, số đến %d.", *dl.IncomingNumber)
		}
	case "relayed":
		d.Flash = fmt.Sprintf("Đã chuyển tiếp văn bản đến %s đơn vị.", c.Query("n"))
		if c.Query("replayed") == "1" {
			d.Flash = "Văn bản đã được chuyển tiếp bằng lần gửi trước; không gửi thêm lần nữa."
		}
	default:
		d.Flash = deliveryFlashes[done]
	}
	return s.render(c, fiber.StatusOK, "inbox_item", d)
}

// fillDelivery loads one delivery of the user's unit with what its page
// shows: the document, the actions allowed, the people and documents the
// forms choose from, and the history.
func (s *Server) fillDelivery(c *fiber.Ctx, d *pageData, id int64) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	dl, err := s.routing.Delivery(ctx, p, id)
	if err != nil {
		return err
	}
	r := d.R
	r.Delivery = &dl
	doc, err := s.docs.Get(ctx, p, dl.DocumentID)
	switch {
	case err == nil:
		r.Doc = &doc
		if err := s.fillAttachments(c, d, doc); err != nil {
			return err
		}
	case !errors.Is(err, domain.ErrNotFound):
		return err
	}
	r.Can = routing.Allowed(p, dl)
	if err := s.fillHandling(c, d, dl); err != nil {
		return err
	}
	if r.Can.Done || r.needsResponses() {
		page, err := s.docs.List(ctx, p, documents.Filter{Limit: 50})
		if err != nil {
			return err
		}
		r.Responses = page.Items
	}
	if r.Can.Relay {
		if err := s.fillDispatch(c, d, "relay", dl.Urgency); err != nil {
			return err
		}
		// A unit with no one under it relays to no one: no form.
		r.Can.Relay = len(r.Dispatch.UnitSets[0].Units)+len(r.Dispatch.UnitSets[1].Units)+len(r.Dispatch.UnitSets[2].Units) > 0
	}
	if r.Relayed, err = s.routing.Relayed(ctx, p, dl.DocumentID); err != nil {
		return err
	}
	r.History, err = s.routing.History(ctx, p, dl.DocumentID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return nil
}

// readNotesAbout marks read the user's notifications about the delivery
// now on screen, so the bell counts only what is still to be seen. Doing
// it twice changes nothing.
func (s *Server) readNotesAbout(c *fiber.Ctx, d *pageData, deliveryID int64) error {
	if d.Unread == 0 {
		return nil
	}
	ctx, userID := c.UserContext(), httpx.Principal(c).UserID
	items, err := s.notes.List(ctx, userID, 200, 0)
	if err != nil {
		return err
	}
	var ids []int64
	for _, n := range items {
		if n.ReadAt == nil && n.DeliveryID != nil && *n.DeliveryID == deliveryID {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.notes.MarkRead(ctx, userID, ids); err != nil {
		return err
	}
	d.Unread = max(0, d.Unread-len(ids))
	return nil
}

// deliveryAction runs one form of the delivery page: back to the page with
// a message when it worked, or the page again with the error and what was
// typed.
func (s *Server) deliveryAction(c *fiber.Ctx, form string, act func(id int64) (string, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	done, err := act(id)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/inbox/%d?done=%s", id, done), fiber.StatusSeeOther)
	}
	return s.deliveryFormError(c, id, form, err)
}

// deliveryFormError shows the delivery page again with a refused form's
// error and what was typed.
func (s *Server) deliveryFormError(c *fiber.Ctx, id int64, form string, err error) error {
	pr, ok := s.formProblem(err)
	if !ok {
		return err
	}
	d := s.page(c, "Xử lý văn bản đến")
	d.Error, d.Fields = pr.Message, pr.Fields
	keepForm(c, d, form)
	d.Form["_problem"] = pr.Code
	if ferr := s.fillDelivery(c, d, id); ferr != nil {
		return ferr
	}
	return s.render(c, pr.Status, "inbox_item", d)
}

func (s *Server) acceptSubmit(c *fiber.Ctx) error {
	if c.FormValue("present") == "1" {
		return s.acceptPresentSubmit(c)
	}
	return s.deliveryAction(c, "accept", func(id int64) (string, error) {
		_, err := s.routing.Accept(c.UserContext(), httpx.Principal(c), id)
		return "accepted", err
	})
}

func (s *Server) refuseSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "refuse", func(id int64) (string, error) {
		_, err := s.routing.Refuse(c.UserContext(), httpx.Principal(c), id, c.FormValue("reason"))
		return "refused", err
	})
}

func (s *Server) assignSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "assign", func(id int64) (string, error) {
		assignee, _ := strconv.ParseInt(c.FormValue("assignee_id"), 10, 64)
		_, err := s.routing.Assign(c.UserContext(), httpx.Principal(c), id, routing.AssignRequest{AssigneeID: assignee,
			Section: c.FormValue("section"), Coordinators: c.FormValue("coordinators"), Opinion: c.FormValue("opinion"), Due: c.FormValue("due")})
		return "assigned", err
	})
}

func (s *Server) statusSubmit(c *fiber.Ctx) error {
	status := c.FormValue("status")
	form, done := "progress", "progress"
	if status == routing.Done {
		form, done = "done", "done"
	}
	return s.deliveryAction(c, form, func(id int64) (string, error) {
		response, _ := strconv.ParseInt(c.FormValue("response_id"), 10, 64)
		_, err := s.routing.UpdateStatus(c.UserContext(), httpx.Principal(c), id, routing.StatusRequest{Status: status,
			Note: c.FormValue("note"), ResponseID: response})
		return done, err
	})
}

func (s *Server) relaySubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "relay", func(id int64) (string, error) {
		req, err := issueRequestFrom(c)
		if err != nil {
			return "", err
		}
		res, err := s.routing.Relay(c.UserContext(), httpx.Principal(c), id, req)
		return dispatchDone("relayed", res), err
	})
}

func (s *Server) recallAnswerSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "recall", func(id int64) (string, error) {
		accept := c.FormValue("accept") == "1"
		_, err := s.routing.AnswerRecall(c.UserContext(), httpx.Principal(c), id, accept, c.FormValue("reason"))
		if accept {
			return "recall-accepted", err
		}
		return "recall-refused", err
	})
}

func dispatchDone(done string, res routing.IssueResult) string {
	done += "&n=" + strconv.Itoa(res.Delivered)
	if res.Replayed {
		done += "&replayed=1"
	}
	return done
}

// issueRequestFrom reads the issue and relay forms.
func issueRequestFrom(c *fiber.Ctx) (routing.IssueRequest, error) {
	args := c.Request().PostArgs()
	req := routing.IssueRequest{Urgency: c.FormValue("urgency"), DueDate: c.FormValue("due_date"),
		Note: c.FormValue("note"), IdempotencyKey: c.FormValue("idempotency_key")}
	for _, g := range args.PeekMulti("group") {
		req.Recipients.Groups = append(req.Recipients.Groups, string(g))
	}
	for _, u := range args.PeekMulti("unit") {
		id, err := strconv.ParseInt(string(u), 10, 64)
		if err != nil {
			return req, &domain.ValidationError{Fields: map[string]string{"recipients": "đơn vị nhận không hợp lệ"}}
		}
		req.Recipients.Units = append(req.Recipients.Units, id)
	}
	if v := c.FormValue("steering"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // routing names the field
		}
		req.Steering = n
	}
	return req, nil
}

// fillDispatch prepares the recipient picker and the dispatch fields,
// with what was typed when the form comes back with an error. A relay
// offers only the units and groups within the unit's reach.
func (s *Server) fillDispatch(c *fiber.Ctx, d *pageData, name, urgency string) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	var groups []routing.Group
	var units []org.Unit
	var err error
	if name == "relay" {
		if groups, err = s.routing.RelayGroups(ctx, p); err != nil {
			return err
		}
		targets, err := s.routing.RelayTargets(ctx, p)
		if err != nil {
			return err
		}
		for _, t := range targets {
			units = append(units, org.Unit{ID: t.ID, Code: t.Code, Name: t.Name, Abbreviation: t.Abbreviation,
				Kind: t.Kind, SchoolLevel: t.SchoolLevel, ParentID: t.ParentID})
		}
	} else {
		if groups, err = s.routing.Groups(ctx, p); err != nil {
			return err
		}
		if units, err = s.units.List(ctx, org.Filter{Limit: 5000}); err != nil {
			return err
		}
	}
	sets := []unitSet{{Label: "Sở GD&ĐT và các phòng, ban"}, {Label: "Phòng GD&ĐT quận, huyện"}, {Label: "Trường học"}}
	for _, u := range units {
		if u.ID == p.UnitID {
			continue
		}
		switch u.Kind {
		case org.KindDepartment, org.KindOffice:
			sets[0].Units = append(sets[0].Units, u)
		case org.KindDistrictOffice:
			sets[1].Units = append(sets[1].Units, u)
		case org.KindSchool:
			sets[2].Units = append(sets[2].Units, u)
		}
	}
	form := func(k string) string { return d.Form[name+"."+k] }
	// The urgency is the document's, shown read-only: a dispatch cannot change it.
	f := &dispatchForm{Name: name, Groups: groups, UnitSets: sets, SelGroups: d.R.selGroups, SelUnits: d.R.selUnits,
		Urgencies: documents.Urgencies, Urgency: urgency, DueDate: form("due_date"), Steering: form("steering"),
		Note: form("note"), Key: form("idempotency_key"), Today: time.Now().In(domain.VietnamTime).Format(time.DateOnly)}
	// A key the server refused as used for another request is replaced: the
	// user means a new dispatch.
	if f.Key == "" || d.Form["_problem"] == "idempotency_key_reused" {
		f.Key = randomToken()
	}
	d.R.Dispatch = f
	return nil
}

// Document page: register, issue, recall.

// fillRouting adds the routing forms to the document page for the clerk of
// the unit that owns the document.
func (s *Server) fillRouting(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	p := httpx.Principal(c)
	r := d.R
	own := doc.UnitID == p.UnitID
	clerk := own && p.Has(auth.RoleClerk)
	r.ShowBoard = own && (doc.Status == "issued" || doc.Status == "recalled")
	a, err := s.docs.Actions(c.UserContext(), p, doc)
	if err != nil {
		return err
	}
	r.CanRegister = a.Register.Allowed
	r.NeedsDraftingUnit = doc.DocType == "CV"
	r.CanRecall = clerk && doc.Status == "issued"
	switch {
	case clerk && doc.Number != nil && doc.Status != "recalled" && documents.IsSecret(doc.Confidentiality):
		r.SecretNote = "Văn bản mật (" + documents.Label(documents.Confidentialities, doc.Confidentiality) +
			") không được phát hành qua hệ thống; hãy chuyển theo quy định về văn bản mật."
	case a.Issue.Allowed:
		if err := s.fillDispatch(c, d, "issue", doc.Urgency); err != nil {
			return err
		}
	case clerk && doc.Number != nil && doc.Status != "recalled":
		// Numbered but not issuable yet (a paper copy without its copy
		// mark, say): say what is missing.
		r.IssueNote = a.Issue.Reason
	}
	if d.Flash == "" {
		switch c.Query("done") {
		case "registered":
			d.Flash = "Đã đăng ký, cấp số."
			if doc.NumberSymbol != nil {
				d.Flash = "Đã đăng ký, cấp số " + *doc.NumberSymbol + "."
			}
		case "issued":
			d.Flash = fmt.Sprintf("Đã phát hành văn bản đến %s đơn vị.", c.Query("n"))
			if c.Query("replayed") == "1" {
				d.Flash = "Văn bản đã được phát hành bằng lần gửi trước; không gửi thêm lần nữa."
			}
		case "recalled":
			d.Flash = fmt.Sprintf("Đã gửi đề nghị thu hồi đến %s đơn vị.", c.Query("n"))
		}
	}
	return nil
}

// documentAction runs a routing form of the document page.
func (s *Server) documentAction(c *fiber.Ctx, form string, act func(id int64) (string, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	done, err := act(id)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/documents/%d?done=%s", id, done), fiber.StatusSeeOther)
	}
	return s.documentFormError(c, id, form, err)
}

// documentFormError shows the document page again with a refused routing
// form's error and what was typed.
func (s *Server) documentFormError(c *fiber.Ctx, id int64, form string, err error) error {
	pr, ok := s.formProblem(err)
	if !ok {
		return err
	}
	doc, gerr := s.docs.Get(c.UserContext(), httpx.Principal(c), id)
	if gerr != nil {
		return gerr
	}
	d := s.page(c, doc.Title)
	d.Doc = &doc
	d.Error, d.Fields = pr.Message, pr.Fields
	keepForm(c, d, form)
	d.Form["_problem"] = pr.Code
	if err := s.fillSigning(c, d, doc); err != nil {
		return err
	}
	if err := s.fillRouting(c, d, doc); err != nil {
		return err
	}
	return s.render(c, pr.Status, "document", d)
}

func (s *Server) registerSubmit(c *fiber.Ctx) error {
	return s.documentAction(c, "register", func(id int64) (string, error) {
		req, err := numberRequestFrom(c)
		if err != nil {
			return "", err
		}
		_, err = s.docs.AssignNumber(c.UserContext(), httpx.Principal(c), id, req)
		return "registered", err
	})
}

func (s *Server) issueSubmit(c *fiber.Ctx) error {
	return s.documentAction(c, "issue", func(id int64) (string, error) {
		req, err := issueRequestFrom(c)
		if err != nil {
			return "", err
		}
		res, err := s.routing.Issue(c.UserContext(), httpx.Principal(c), id, req)
		return dispatchDone("issued", res), err
	})
}

func (s *Server) recallSubmit(c *fiber.Ctx) error {
	return s.documentAction(c, "recall", func(id int64) (string, error) {
		n, err := s.routing.Recall(c.UserContext(), httpx.Principal(c), id, c.FormValue("reason"))
		return "recalled&n=" + strconv.Itoa(n), err
	})
}

// Board.

const boardPageSize = 50

func (s *Server) boardPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), httpx.Principal(c)
	doc, err := s.docs.Get(ctx, p, id)
	if err != nil {
		return err
	}
	d := s.page(c, "Theo dõi tình hình xử lý")
	d.Wide = true
	d.Doc = &doc
	status := c.Query("status")
	overdue := c.Query("overdue") == "1"
	offset, _ := strconv.Atoi(c.Query("offset"))
	if offset < 0 {
		offset = 0
	}
	d.Form["status"] = status
	if overdue {
		d.Form["overdue"] = "1"
	}
	d.R.States = []documents.Choice{{Code: "open", Label: "Chưa hoàn thành"}}
	for _, st := range routing.States {
		d.R.States = append(d.R.States, documents.Choice{Code: st, Label: routing.StatusLabels[st]})
	}
	b, err := s.routing.Deliveries(ctx, p, id, routing.BoardFilter{Status: status, Overdue: overdue, Offset: offset, Limit: boardPageSize})
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "board", d)
	}
	d.R.Board = &b
	d.R.Summary = b.Summary.SummaryText()
	link := func(status string, overdue bool, offset int) string {
		q := url.Values{}
		if status != "" {
			q.Set("status", status)
		}
		if overdue {
			q.Set("overdue", "1")
		}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		u := fmt.Sprintf("/documents/%d/deliveries", id)
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return u
	}
	for _, st := range routing.States {
		if n := b.Summary.ByStatus[st]; n > 0 {
			d.R.Counts = append(d.R.Counts, stateCount{Code: st, Label: routing.StatusLabels[st], N: n,
				URL: link(st, false, 0), Active: st == status})
		}
	}
	if offset+boardPageSize < b.Total {
		d.R.Next = link(status, overdue, offset+boardPageSize)
	}
	if offset > 0 {
		d.R.Prev = link(status, overdue, max(0, offset-boardPageSize))
	}
	d.Filtered = status != "" || overdue
	return s.render(c, fiber.StatusOK, "board", d)
}

// Registers.

var registerKinds = []documents.Choice{
	{Code: routing.RegisterOutgoing, Label: "Sổ đăng ký văn bản đi"},
	{Code: routing.RegisterSecret, Label: "Sổ đăng ký văn bản mật đi"},
	{Code: routing.RegisterIncoming, Label: "Sổ đăng ký văn bản đến"},
}

func (s *Server) registersPage(c *fiber.Ctx) error {
	if c.Query("kind") == registerFollowUp {
		return s.followUpRegisterPage(c)
	}
	d := s.page(c, "Sổ đăng ký")
	d.Wide = true
	d.R.Kinds = registerKinds
	kind := c.Query("kind", routing.RegisterOutgoing)
	yearText := c.Query("year", strconv.Itoa(time.Now().In(domain.VietnamTime).Year()))
	d.Form["kind"], d.Form["year"] = kind, yearText
	year, err := strconv.Atoi(yearText)
	var data routing.RegisterData
	if err != nil {
		err = &domain.ValidationError{Fields: map[string]string{"year": "năm phải là số, ví dụ 2026"}}
	} else {
		data, err = s.routing.RegisterBook(c.UserContext(), httpx.Principal(c), kind, year)
	}
	if err != nil {
		return s.registerError(c, d, err)
	}
	d.R.Register = &data
	d.R.RegisterName = documents.Label(registerKinds, kind)
	// The API accepts the session cookie on GET: the links download directly.
	base := "/api/v1/registers/" + url.PathEscape(kind) + "?year=" + strconv.Itoa(year)
	d.R.CSV, d.R.PDF = base+"&format=csv", base+"&format=pdf"
	return s.render(c, fiber.StatusOK, "registers", d)
}

// registerError shows a register's invalid year or period on the
// registers page; any other error goes to the error page.
func (s *Server) registerError(c *fiber.Ctx, d *pageData, err error) error {
	pr := s.toProblem(err)
	if pr.Status != fiber.StatusUnprocessableEntity {
		return err
	}
	d.Error, d.Fields = pr.Message, pr.Fields
	return s.render(c, pr.Status, "registers", d)
}

// Indicators.

func (s *Server) indicatorsPage(c *fiber.Ctx) error {
	d := s.page(c, "Chỉ số")
	d.Wide = true
	now := time.Now().In(domain.VietnamTime)
	from := c.Query("from", now.AddDate(0, -11, 0).Format("2006-01"))
	to := c.Query("to", now.Format("2006-01"))
	d.Form["from"], d.Form["to"] = from, to
	rows, err := s.routing.Indicators(c.UserContext(), httpx.Principal(c), from, to)
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "indicators", d)
	}
	d.R.Indicators = rows
	if len(rows) > 1 {
		t := routing.Totals(rows)
		d.R.Total = &t
	}
	return s.render(c, fiber.StatusOK, "indicators", d)
}

// Notifications.

const notesPageSize = 50

func (s *Server) notificationsPage(c *fiber.Ctx) error {
	d := s.page(c, "Thông báo")
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	items, err := s.notes.List(c.UserContext(), httpx.Principal(c).UserID, notesPageSize, before)
	if err != nil {
		return err
	}
	d.R.Notes = items
	if len(items) == notesPageSize {
		d.R.Next = "/notifications?before=" + strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	if c.Query("done") == "read" {
		d.Flash = "Đã đánh dấu đã đọc tất cả thông báo."
	}
	return s.render(c, fiber.StatusOK, "notifications", d)
}

func (s *Server) markAllReadSubmit(c *fiber.Ctx) error {
	if err := s.notes.MarkRead(c.UserContext(), httpx.Principal(c).UserID, nil); err != nil {
		return err
	}
	return c.Redirect("/notifications?done=read", fiber.StatusSeeOther)
}

// openNotificationSubmit marks one notification read and goes to its link.
// The link comes with the form; safeNext keeps it on this site.
func (s *Server) openNotificationSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.notes.MarkRead(c.UserContext(), httpx.Principal(c).UserID, []int64{id}); err != nil {
		return err
	}
	next := "/notifications"
	if l := c.FormValue("next"); l != "" {
		next = safeNext(l)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}
