package drafting

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/doctemplate"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

// TemplateForm is what a drafter types to start a draft from the
// template of its type.
type TemplateForm struct {
	DocType    string   `json:"doc_type"`
	Title      string   `json:"title"`      // trích yếu
	Addressees []string `json:"addressees"` // Kính gửi
	Recipients []string `json:"recipients"` // Nơi nhận
	SignerID   int64    `json:"signer_id"`  // a signer of the unit
	Capacity   string   `json:"capacity"`   // "", "TM.", "KT.", "TL.", "TUQ."
	OnBehalfOf string   `json:"on_behalf_of"`
}

// Capacities are the signing capacities of Decree 30/2020 art. 13.
var Capacities = []string{"", "TM.", "KT.", "TL.", "TUQ."}

// CreateFromTemplate makes a new draft from the template of f's type,
// filled from p's unit and f: the DOCX is the revision's original, which
// the drafter downloads, edits in Word and uploads again as a revision;
// its PDF is the revision. The signer is recorded as the one the draft is
// meant for (submitted to them later).
func (s *Service) CreateFromTemplate(ctx context.Context, p auth.Principal, f TemplateForm) (Draft, error) {
	if !documents.CanCreate(p) {
		return Draft{}, domain.ErrForbidden
	}
	m := documents.Meta{DocType: f.DocType, Title: f.Title, DocDate: s.today()}
	if err := documents.CheckMeta(m); err != nil {
		return Draft{}, err
	}
	bad := map[string]string{}
	clean := func(field string, in []string) []string {
		var out []string
		for _, l := range in {
			v, err := cleanText(field, l, 300, false)
			if err != nil {
				bad[field] = "mỗi dòng dài tối đa 300 ký tự, không chứa ký tự điều khiển"
			}
			if v != "" {
				out = append(out, v)
			}
		}
		if len(out) > 50 {
			bad[field] = "tối đa 50 dòng"
		}
		return out
	}
	addressees, recipients := clean("addressees", f.Addressees), clean("recipients", f.Recipients)
	capOK := false
	for _, c := range Capacities {
		capOK = capOK || c == f.Capacity
	}
	if !capOK {
		bad["capacity"] = "thẩm quyền ký không hợp lệ (TM., KT., TL., TUQ. hoặc để trống)"
	}
	onBehalf, _ := cleanText("on_behalf_of", f.OnBehalfOf, 200, false)
	if f.Capacity != "" && onBehalf == "" {
		bad["on_behalf_of"] = "cần chức danh của người đứng đầu khi ký thay, thừa lệnh hoặc thừa ủy quyền (ví dụ GIÁM ĐỐC)"
	}
	var signer struct {
		Name     string `db:"full_name"`
		Position string `db:"position"`
	}
	u, ok, err := s.user(ctx, s.db, f.SignerID)
	if err != nil {
		return Draft{}, err
	}
	if !ok || u.UnitID != p.UnitID || !u.Signer || u.Disabled {
		bad["signer_id"] = "người ký phải là lãnh đạo có thẩm quyền ký (vai trò người ký) của đơn vị"
	} else if err := s.db.GetContext(ctx, &signer, `SELECT full_name, position FROM users WHERE id = $1`, u.ID); err != nil {
		return Draft{}, fmt.Errorf("drafting: unable to read the signer: %w", err)
	}
	if len(bad) > 0 {
		return Draft{}, &domain.ValidationError{Fields: bad}
	}
	unit, err := s.templateUnit(ctx, p.UnitID)
	if err != nil {
		return Draft{}, err
	}
	form := doctemplate.Form{DocType: strings.TrimSpace(f.DocType), Title: strings.Join(strings.Fields(f.Title), " "),
		Addressees: addressees, Recipients: recipients,
		Signer: doctemplate.Signer{Capacity: f.Capacity, OnBehalfOf: strings.ToUpper(onBehalf),
			Title: strings.ToUpper(signer.Position), Name: signer.Name}}
	docx, err := s.DOCX(unit, form)
	if errors.Is(err, doctemplate.ErrUnsupported) {
		return Draft{}, errNoTemplate
	}
	if err != nil {
		return Draft{}, fmt.Errorf("drafting: unable to fill the template: %w", err)
	}
	name := doctemplate.FileName(form)
	if name == "" {
		name = documents.Label(documents.Types, form.DocType) + " - " + form.Title + ".docx"
	}
	signerID := u.ID
	return s.createFile(ctx, p, m, File{Name: name, Data: docx}, &signerID)
}

// templateUnit is the issuing unit as the template prints it.
func (s *Service) templateUnit(ctx context.Context, unitID int64) (doctemplate.Unit, error) {
	var r struct {
		Name   string  `db:"name"`
		Abbr   string  `db:"abbreviation"`
		Parent *string `db:"parent"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT n.name, n.abbreviation, pn.name AS parent FROM units n LEFT JOIN units pn ON pn.id = n.parent_id WHERE n.id = $1`, unitID)
	if err != nil {
		return doctemplate.Unit{}, fmt.Errorf("drafting: unable to read the unit: %w", err)
	}
	u := doctemplate.Unit{Name: strings.ToUpper(r.Name), Abbr: r.Abbr, Place: domain.Place, ParentName: "UBND THÀNH PHỐ HỒ CHÍ MINH"}
	if r.Parent != nil {
		u.ParentName = strings.ToUpper(*r.Parent)
	}
	return u, nil
}
