package routing

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/lib/pq"
)

// DispatchPreview is what Issue or Relay would do now, without doing it:
// the confirmation a page shows and the answer to ?dry_run=1. It only
// reads (no lock, no row written); the action checks everything again.
type DispatchPreview struct {
	Kind         string `json:"kind"` // "issue" or "relay"
	DocumentID   int64  `json:"document_id"`
	NumberSymbol string `json:"number_symbol,omitempty"`
	Title        string `json:"title"`
	Version      int    `json:"version"`
	Urgency      string `json:"urgency"`
	// Units is how many units would receive it; Already, how many of those
	// chosen have it already (skipped).
	Units   int `json:"units"`
	Already int `json:"already"`
	// Groups are the chosen groups, each with its number of units.
	Groups []GroupCount `json:"groups,omitempty"`
	// Refused are chosen units the action would refuse (out of the
	// relaying unit's reach); while there are any, nothing would be sent.
	Refused []RefusedUnit `json:"refused,omitempty"`
	Allowed bool          `json:"allowed"`
	// Message names the consequence in Vietnamese.
	Message string `json:"message"`
}

// GroupCount is a chosen group of recipients and how many units it holds.
type GroupCount struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Units int    `json:"units"`
}

// RefusedUnit is a chosen unit a dispatch would refuse, and why.
type RefusedUnit struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// PreviewIssue is what Issue would do: the same checks, then how many
// units the recipients resolve to. A document that may not be issued is
// the error Issue would return.
func (s *Service) PreviewIssue(ctx context.Context, p auth.Principal, documentID int64, req IssueRequest) (DispatchPreview, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return DispatchPreview{}, err
	}
	if err := documents.IssueRule(p, d).Err(); err != nil {
		return DispatchPreview{}, err
	}
	return s.preview(ctx, p, d, "issue", req)
}

// PreviewRelay is what Relay of a delivery to p's unit would do.
func (s *Service) PreviewRelay(ctx context.Context, p auth.Principal, deliveryID int64, req IssueRequest) (DispatchPreview, error) {
	dl, err := s.delivery(ctx, p, deliveryID)
	if err != nil {
		return DispatchPreview{}, err
	}
	relay := rules[actRelay]
	if !relay.permits(p, dl) {
		return DispatchPreview{}, domain.ErrForbidden
	}
	if !relay.legal(dl) {
		return DispatchPreview{}, &StateError{Current: dl.state(), Message: "Văn bản chưa được tiếp nhận hoặc đã bị đề nghị thu hồi; không chuyển tiếp được"}
	}
	d, err := s.relayable(ctx, p, dl)
	if err != nil {
		return DispatchPreview{}, err
	}
	return s.preview(ctx, p, d, "relay", req)
}

func (s *Service) preview(ctx context.Context, p auth.Principal, d documents.Document, kind string, req IssueRequest) (DispatchPreview, error) {
	pl, err := s.prepare(ctx, p, d, kind, req)
	if err != nil {
		return DispatchPreview{}, err
	}
	out := DispatchPreview{Kind: kind, DocumentID: d.ID, NumberSymbol: deref(d.NumberSymbol), Title: d.Title,
		Version: d.Versions[0].No, Urgency: pl.req.Urgency}
	for _, u := range pl.outside {
		out.Refused = append(out.Refused, RefusedUnit{ID: u.ID, Name: u.Name, Reason: "ngoài phạm vi chuyển tiếp của đơn vị"})
	}
	if err := s.db.GetContext(ctx, &out.Already, `SELECT count(*) FROM deliveries WHERE document_id = $1 AND recipient_unit_id = ANY($2)`,
		d.ID, pq.Array(pl.units)); err != nil {
		return out, fmt.Errorf("routing: unable to count deliveries: %w", err)
	}
	out.Units = len(pl.units) - out.Already
	if len(pl.req.Recipients.Groups) > 0 {
		all, err := s.Groups(ctx, p)
		if err != nil {
			return out, err
		}
		names := map[string]string{}
		for _, g := range all {
			names[g.ID] = g.Name
		}
		for _, id := range pl.req.Recipients.Groups {
			ids, _, err := s.resolve(ctx, p, Recipients{Groups: []string{id}})
			if err != nil {
				return out, err
			}
			out.Groups = append(out.Groups, GroupCount{ID: id, Name: names[id], Units: len(ids)})
		}
	}
	out.Allowed = len(out.Refused) == 0 && out.Units > 0
	out.Message = previewMessage(out, len(pl.req.Recipients.Units))
	return out, nil
}

func previewMessage(pv DispatchPreview, chosen int) string {
	verb := "Phát hành"
	if pv.Kind == "relay" {
		verb = "Chuyển tiếp"
	}
	doc := "«" + pv.Title + "»"
	if pv.NumberSymbol != "" {
		doc = "số " + pv.NumberSymbol + " " + doc
	}
	if len(pv.Refused) > 0 {
		return verb + " sẽ bị từ chối: " + outsideMessage(refusedNames(pv.Refused)) + "."
	}
	if pv.Units == 0 {
		return "Tất cả đơn vị đã chọn đều đã nhận văn bản này; không có gì để gửi."
	}
	var parts []string
	for _, g := range pv.Groups {
		parts = append(parts, g.Name+": "+thousands(g.Units))
	}
	if chosen > 0 {
		parts = append(parts, strconv.Itoa(chosen)+" đơn vị chọn riêng")
	}
	msg := fmt.Sprintf("%s văn bản %s tới %s đơn vị", verb, doc, thousands(pv.Units))
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	msg += ", độ khẩn " + documents.Label(documents.Urgencies, pv.Urgency) + "."
	if pv.Already > 0 {
		msg += " " + thousands(pv.Already) + " đơn vị đã nhận trước đó sẽ không nhận lại."
	}
	if pv.Kind == "issue" {
		msg += " Văn bản đã phát hành không sửa được, chỉ thu hồi được."
	}
	return msg
}

func refusedNames(r []RefusedUnit) []unitName {
	out := make([]unitName, len(r))
	for i, u := range r {
		out[i] = unitName{ID: u.ID, Name: u.Name}
	}
	return out
}
