package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The signing authorities page (Decree 30 art. 13) and batch signing: one
// confirmation for several documents, then one result per document.

// authorityView is what the authorities and batch pages add to pageData.
type authorityView struct {
	Items      []documents.Authority
	CanGrant   bool
	Signers    []auth.Principal
	Capacities []documents.Choice
	Selected   map[string]bool // the grant form's document types, when it comes back
	Labels     map[string]string
	// Batch results.
	Signed []documents.Document
	Failed []batchFailure
}

type batchFailure struct {
	ID     int64
	Title  string
	Reason string
	Status int
}

var authorityLabels = map[string]string{
	"user_id": "Người được giao", "capacity": "Thẩm quyền", "on_behalf_of": "Ký thay cho (chức vụ, tập thể)",
	"doc_types": "Loại văn bản", "valid_from": "Từ ngày", "valid_to": "Đến ngày", "basis": "Văn bản giao, ủy quyền",
	"items": "Văn bản", "doc": "Văn bản",
}

func (s *Server) authoritiesPage(c *fiber.Ctx) error {
	return s.renderAuthorities(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderAuthorities(c *fiber.Ctx, status int, flash string, pr *httpx.Problem) error {
	p := httpx.Principal(c)
	d := s.page(c, "Thẩm quyền ký")
	d.Flash = flash
	av := &authorityView{Capacities: documents.Capacities, Labels: authorityLabels, Selected: map[string]bool{}}
	d.A = av
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
		for _, k := range []string{"user_id", "capacity", "on_behalf_of", "valid_from", "valid_to", "basis"} {
			d.Form[k] = c.FormValue(k)
		}
		for _, t := range formValues(c, "doc_types") {
			av.Selected[t] = true
		}
	}
	var err error
	if av.Items, err = s.docs.Authorities(c.UserContext(), p); err != nil {
		return err
	}
	if av.CanGrant, err = s.docs.CanGrantAuthority(c.UserContext(), p); err != nil {
		return err
	}
	if av.CanGrant {
		users, err := s.auth.UnitUsers(c.UserContext(), p.UnitID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Has(auth.RoleSigner) {
				av.Signers = append(av.Signers, u)
			}
		}
	}
	return s.render(c, status, "authorities", d)
}

// formValues are the values of a repeated form field, in order.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}

func (s *Server) grantAuthoritySubmit(c *fiber.Ctx) error {
	uid, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("user_id")), 10, 64)
	g := documents.AuthorityGrant{UserID: uid, Capacity: c.FormValue("capacity"), OnBehalfOf: c.FormValue("on_behalf_of"),
		DocTypes: formValues(c, "doc_types"), ValidFrom: c.FormValue("valid_from"), ValidTo: c.FormValue("valid_to"), Basis: c.FormValue("basis")}
	a, err := s.docs.GrantAuthority(c.UserContext(), httpx.Principal(c), g)
	if err != nil {
		return s.authorityError(c, err)
	}
	return s.renderAuthorities(c, fiber.StatusOK, fmt.Sprintf("Đã giao thẩm quyền «%s» cho %s.", a.Line, a.UserName), nil)
}

func (s *Server) revokeAuthoritySubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.docs.RevokeAuthority(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return s.authorityError(c, err)
	}
	return s.renderAuthorities(c, fiber.StatusOK, fmt.Sprintf("Đã thu hồi thẩm quyền «%s» của %s.", a.Line, a.UserName), nil)
}

func (s *Server) authorityError(c *fiber.Ctx, err error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 401 || pr.Status == 404 {
		return err
	}
	return s.renderAuthorities(c, pr.Status, "", &pr)
}

// batchItems reads the repeated "doc" fields, "<id>:<sha256 of the version
// the list showed>".
func batchItems(c *fiber.Ctx) ([]documents.BatchItem, error) {
	var items []documents.BatchItem
	for _, v := range formValues(c, "doc") {
		id, sha, _ := strings.Cut(strings.TrimSpace(v), ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return nil, domain.Invalid("doc", fmt.Sprintf("mục %q không đúng dạng mã:SHA-256", v))
		}
		items = append(items, documents.BatchItem{ID: n, VersionSHA256: sha})
	}
	if len(items) == 0 {
		return nil, domain.Invalid("items", "hãy chọn ít nhất một văn bản để ký")
	}
	if len(items) > documents.MaxBatch {
		return nil, domain.Invalid("items", fmt.Sprintf("mỗi lần ký tối đa %d văn bản; bạn đã chọn %d", documents.MaxBatch, len(items)))
	}
	return items, nil
}

// signBatchConfirm is the one confirmation of a batch: what each document
// is, in which version, and those that cannot be signed as things stand.
func (s *Server) signBatchConfirm(c *fiber.Ctx) error {
	items, err := batchItems(c)
	if err != nil {
		return s.batchError(c, err)
	}
	p := httpx.Principal(c)
	cv := &confirmView{Heading: "Xác nhận ký số nhiều văn bản", Action: "/documents/sign-batch/confirm", Back: "/documents", OTP: true}
	var as string
	for _, it := range items {
		pv, err := s.docs.PreviewSign(c.UserContext(), p, it.ID, it.VersionSHA256)
		if err != nil {
			pr := s.toProblem(err)
			if pr.Status >= 500 {
				return err
			}
			cv.Notes = append(cv.Notes, fmt.Sprintf("Sẽ không ký văn bản số %d: %s", it.ID, pr.Message))
			continue
		}
		as = pv.As
		cv.Fields = append(cv.Fields, confirmField{"doc", fmt.Sprintf("%d:%s", it.ID, pv.VersionSHA256)})
		cv.Notes = append(cv.Notes, fmt.Sprintf("«%s» — phiên bản %d", pv.Title, pv.Version))
	}
	if n := len(cv.Fields); n > 0 {
		cv.Allowed = true
		cv.Button = fmt.Sprintf("Ký số %d văn bản", n)
		cv.Message = fmt.Sprintf("Ký số với tư cách %s vào %d văn bản dưới đây, mỗi văn bản đúng phiên bản đã xem, theo thẩm quyền ghi ở phần chữ ký của văn bản. Sau khi ký, văn bản chuyển văn thư cấp số; không sửa được nữa. Văn bản nào không ký được sẽ được nêu tên, các văn bản khác vẫn được ký.", as, n)
	} else {
		cv.Message = "Không có văn bản nào ký được trong danh sách đã chọn."
	}
	return s.renderConfirm(c, cv)
}

// signBatchSubmit signs the confirmed documents and shows each result.
func (s *Server) signBatchSubmit(c *fiber.Ctx) error {
	items, err := batchItems(c)
	if err != nil {
		return s.batchError(c, err)
	}
	p := httpx.Principal(c)
	res, err := s.docs.SignBatch(c.UserContext(), p, items, "", c.FormValue("otp"))
	if err != nil {
		return s.batchError(c, err)
	}
	d := s.page(c, "Kết quả ký số")
	av := &authorityView{}
	d.A = av
	for _, r := range res {
		if r.Err == nil {
			av.Signed = append(av.Signed, *r.Document)
			continue
		}
		pr := s.toProblem(r.Err)
		f := batchFailure{ID: r.ID, Reason: pr.Message, Status: pr.Status}
		if doc, err := s.docs.Get(c.UserContext(), p, r.ID); err == nil {
			f.Title = doc.Title
		}
		av.Failed = append(av.Failed, f)
	}
	d.Flash = fmt.Sprintf("Đã ký %d văn bản.", len(av.Signed))
	if len(av.Failed) > 0 {
		d.Flash += fmt.Sprintf(" %d văn bản không ký được (xem bên dưới).", len(av.Failed))
	}
	return s.render(c, fiber.StatusOK, "sign_batch", d)
}

func (s *Server) batchError(c *fiber.Ctx, err error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 401 {
		return err
	}
	d := s.page(c, "Ký số nhiều văn bản")
	d.A = &authorityView{}
	d.Error, d.Fields = pr.Message, pr.Fields
	return s.render(c, pr.Status, "sign_batch", d)
}

// dayVN writes a date kept as YYYY-MM-DD the Vietnamese way: 06/12/2026.
func dayVN(day any) string {
	var s string
	switch v := day.(type) {
	case string:
		s = v
	case *string:
		if v == nil {
			return ""
		}
		s = *v
	}
	if y, rest, ok := strings.Cut(s, "-"); ok {
		if m, d, ok := strings.Cut(rest, "-"); ok {
			return d + "/" + m + "/" + y
		}
	}
	return s
}
