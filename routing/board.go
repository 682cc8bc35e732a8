package routing

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// The sender's board: what became of a document's deliveries.

// Summary counts a document's deliveries by state, for its sender.
type Summary struct {
	Total          int            `json:"total"`
	ByStatus       map[string]int `json:"by_status"`
	Accepted       int            `json:"accepted"` // accepted or further along
	Overdue        int            `json:"overdue"`
	ReceiptOverdue int            `json:"receipt_overdue"`
	RecallPending  int            `json:"recall_pending"`
}

// Board is the sender's view of a document's deliveries.
type Board struct {
	Summary Summary    `json:"summary"`
	Items   []Delivery `json:"items"`
	Total   int        `json:"filtered_total"`
}

// BoardFilter narrows the board's rows (the summary always counts all).
type BoardFilter struct {
	Status  string
	Overdue bool
	Offset  int
	Limit   int // default 200, at most 5000
}

// Deliveries is the sender's view: every delivery of the document from p's
// unit, with its state, when it changed and who changed it.
func (s *Service) Deliveries(ctx context.Context, p auth.Principal, documentID int64, f BoardFilter) (Board, error) {
	if _, err := s.docs.Get(ctx, p, documentID); err != nil {
		return Board{}, err
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	if f.Limit < 0 || f.Limit > 5000 || f.Offset < 0 || (f.Status != "" && f.Status != "open" && StatusLabels[f.Status] == "") {
		return Board{}, &domain.ValidationError{Fields: map[string]string{"filter": "trạng thái " + stateChoices + " hoặc open; limit từ 1 đến 5000; offset không âm"}}
	}
	var all []Delivery
	err := s.db.SelectContext(ctx, &all, `SELECT `+deliveryColumns+deliveryFrom+`
		WHERE dl.document_id = $1 AND dl.sender_unit_id = $2 ORDER BY recipient_name, dl.id`, documentID, p.UnitID)
	if err != nil {
		return Board{}, fmt.Errorf("routing: unable to list deliveries: %w", err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Board{}, err
	}
	s.decorate(cal, all)
	b := Board{Summary: Summary{ByStatus: map[string]int{}}, Items: []Delivery{}}
	var rows []Delivery
	for _, d := range all {
		b.Summary.Total++
		b.Summary.ByStatus[d.Status]++
		if d.Recall != nil {
			b.Summary.ByStatus[*d.Recall]++
			if *d.Recall == RecallRequested {
				b.Summary.RecallPending++
			}
		}
		if d.Status >= Accepted {
			b.Summary.Accepted++
		}
		if d.Overdue {
			b.Summary.Overdue++
		}
		if d.ReceiptOverdue {
			b.Summary.ReceiptOverdue++
		}
		match := true
		switch {
		case f.Status == "open":
			match = !isClosed(d.Status)
		case isRecall(f.Status):
			match = d.Recall != nil && *d.Recall == f.Status
		case f.Status != "":
			match = d.Status == f.Status
		}
		if f.Overdue && !(d.Overdue || d.ReceiptOverdue) {
			match = false
		}
		if match {
			rows = append(rows, d)
		}
	}
	b.Total = len(rows)
	if f.Offset < len(rows) {
		end := min(len(rows), f.Offset+f.Limit)
		b.Items = rows[f.Offset:end]
	}
	return b, nil
}

// SummaryText is the one-line summary, e.g. "2.871/3.022 đã tiếp nhận, 14 quá hạn".
func (sm Summary) SummaryText() string {
	t := fmt.Sprintf("%s/%s đơn vị đã tiếp nhận", thousands(sm.Accepted), thousands(sm.Total))
	if sm.Overdue > 0 {
		t += fmt.Sprintf(", %s quá hạn xử lý", thousands(sm.Overdue))
	}
	if sm.ReceiptOverdue > 0 {
		t += fmt.Sprintf(", %s chưa tiếp nhận quá hạn", thousands(sm.ReceiptOverdue))
	}
	if n := sm.ByStatus[Refused]; n > 0 {
		t += fmt.Sprintf(", %s từ chối", thousands(n))
	}
	return t
}

// thousands formats n with dots between thousands, as Vietnamese does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// Transitions.
