package documents

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// StatsFilter chooses the reads AccessStats counts: from and to are days
// (YYYY-MM-DD, Vietnam time, inclusive; default the last 30 days), UnitID
// the readers' unit (0 all the units the administrator manages).
type StatsFilter struct {
	From, To string
	UnitID   int64
}

// StatsCount is a number of reads of each kind.
type StatsCount struct {
	Views     int `db:"views" json:"views"`
	Downloads int `db:"downloads" json:"downloads"`
	Links     int `db:"links" json:"links"`
	Total     int `db:"total" json:"total"`
}

// UnitStats counts the reads made by the people of one unit.
type UnitStats struct {
	UnitID   int64  `db:"unit_id" json:"unit_id"`
	UnitName string `db:"unit_name" json:"unit_name"`
	StatsCount
}

// DocumentStats counts the reads of one document. The title of a
// restricted document is not shown.
type DocumentStats struct {
	DocumentID   int64  `db:"document_id" json:"document_id"`
	NumberSymbol string `db:"number_symbol" json:"number_symbol"`
	Title        string `db:"title" json:"title"`
	UnitName     string `db:"unit_name" json:"unit_name"`
	StatsCount
}

// DayStats counts the reads of one day (Vietnam time).
type DayStats struct {
	Day string `db:"day" json:"day"`
	StatsCount
}

// AccessStats is the access statistics of a period (Decree 30 Appendix
// VI III.6.l).
type AccessStats struct {
	From      string          `json:"from"`
	To        string          `json:"to"`
	UnitID    int64           `json:"unit_id,omitempty"`
	Total     StatsCount      `json:"total"`
	Units     []UnitStats     `json:"units"`
	Documents []DocumentStats `json:"documents"` // the 100 most read
	Days      []DayStats      `json:"days"`
}

// statsTopDocuments is how many documents AccessStats lists.
const statsTopDocuments = 100

// managedUnits is the SQL set of the units an administrator of :admin_unit
// manages: that unit and those under it.
const managedUnits = `(WITH RECURSIVE m AS (SELECT id FROM units WHERE id = :admin_unit
	UNION SELECT c.id FROM units c JOIN m ON c.parent_id = m.id) SELECT id FROM m)`

// AccessStats counts the reads of documents in a period per readers'
// unit, per document and per day, for administrators: over the reads made
// by the people of their unit and the units under it. Another unit is
// domain.ErrNotFound.
func (s *Service) AccessStats(ctx context.Context, p auth.Principal, f StatsFilter) (AccessStats, error) {
	if !p.Has(auth.RoleAdmin) {
		return AccessStats{}, domain.ErrForbidden
	}
	today := time.Now().In(domain.VietnamTime)
	if f.To == "" {
		f.To = today.Format(time.DateOnly)
	}
	if f.From == "" {
		f.From = today.AddDate(0, 0, -29).Format(time.DateOnly)
	}
	bad := map[string]string{}
	from, err1 := time.ParseInLocation(time.DateOnly, f.From, domain.VietnamTime)
	to, err2 := time.ParseInLocation(time.DateOnly, f.To, domain.VietnamTime)
	if err1 != nil {
		bad["from"] = "ngày không hợp lệ; dùng dạng YYYY-MM-DD"
	}
	if err2 != nil {
		bad["to"] = "ngày không hợp lệ; dùng dạng YYYY-MM-DD"
	}
	if err1 == nil && err2 == nil && (to.Before(from) || to.Sub(from) > 366*24*time.Hour) {
		bad["to"] = "khoảng thời gian phải từ 1 ngày đến 1 năm"
	}
	if len(bad) > 0 {
		return AccessStats{}, &domain.ValidationError{Fields: bad}
	}
	args := map[string]any{"admin_unit": p.UnitID, "from": from, "to": to.AddDate(0, 0, 1), "unit": f.UnitID}
	if f.UnitID != 0 {
		var ok bool
		if err := s.named(ctx, &ok, false, `SELECT EXISTS (SELECT 1 FROM units WHERE id = :unit AND id IN `+managedUnits+`)`, args); err != nil {
			return AccessStats{}, err
		}
		if !ok {
			return AccessStats{}, domain.ErrNotFound
		}
	}
	if err := s.FlushAccess(ctx); err != nil {
		return AccessStats{}, err
	}
	where := ` FROM document_access a WHERE a.at >= :from AND a.at < :to AND a.unit_id IN ` + managedUnits +
		` AND (CAST(:unit AS bigint) = 0 OR a.unit_id = :unit)`
	counts := `count(*) FILTER (WHERE a.kind = 'view') AS views, count(*) FILTER (WHERE a.kind = 'download') AS downloads,
		count(*) FILTER (WHERE a.kind = 'link') AS links, count(*) AS total`
	out := AccessStats{From: f.From, To: f.To, UnitID: f.UnitID, Units: []UnitStats{}, Documents: []DocumentStats{}, Days: []DayStats{}}
	var totals []StatsCount
	if err := s.named(ctx, &totals, true, `SELECT `+counts+where, args); err != nil {
		return out, err
	}
	if len(totals) == 1 {
		out.Total = totals[0]
	}
	if err := s.named(ctx, &out.Units, true, `SELECT x.unit_id, n.name AS unit_name, x.views, x.downloads, x.links, x.total
		FROM (SELECT a.unit_id, `+counts+where+` GROUP BY a.unit_id) x JOIN units n ON n.id = x.unit_id
		ORDER BY x.total DESC, n.name`, args); err != nil {
		return out, err
	}
	args["top"] = statsTopDocuments
	if err := s.named(ctx, &out.Documents, true, `SELECT x.document_id, coalesce(d.number_symbol, '') AS number_symbol,
		CASE WHEN d.restricted THEN '(văn bản hạn chế)' ELSE d.title END AS title, n.name AS unit_name,
		x.views, x.downloads, x.links, x.total
		FROM (SELECT a.document_id, `+counts+where+` GROUP BY a.document_id ORDER BY count(*) DESC, a.document_id LIMIT :top) x
		JOIN documents d ON d.id = x.document_id JOIN units n ON n.id = d.unit_id
		ORDER BY x.total DESC, x.document_id`, args); err != nil {
		return out, err
	}
	if err := s.named(ctx, &out.Days, true, `SELECT to_char(timezone('Asia/Ho_Chi_Minh', a.at), 'YYYY-MM-DD') AS day, `+counts+where+`
		GROUP BY 1 ORDER BY 1`, args); err != nil {
		return out, err
	}
	return out, nil
}

// named runs a query with named parameters into dest: a slice (many) or
// one value.
func (s *Service) named(ctx context.Context, dest any, many bool, q string, args map[string]any) error {
	q, qargs, err := sqlx.Named(q, args)
	if err != nil {
		return err
	}
	if many {
		err = s.db.SelectContext(ctx, dest, s.db.Rebind(q), qargs...)
	} else {
		err = s.db.GetContext(ctx, dest, s.db.Rebind(q), qargs...)
	}
	if err != nil {
		return fmt.Errorf("documents: unable to count accesses: %w", err)
	}
	return nil
}
