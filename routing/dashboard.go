package routing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/lib/pq"
)

// Targets of the 2021 reform plan (206/KH-SGDĐT) the dashboard measures.
const (
	TargetSigned  = 1.00 // documents exchanged with a valid digital signature
	TargetOnTime  = 0.98 // cases handled on time
	TargetLeaders = 1.00 // leaders using the system regularly
)

// MaxDashboardMonths is the longest period a dashboard covers.
const MaxDashboardMonths = 60

// syncRefreshLimit is how many stale (unit, month) pairs a view refreshes
// itself before it reads; more are left to the job and the page says so.
const syncRefreshLimit = 200

// Figures are the plan's indicators over a set of units and months.
type Figures struct {
	Issued              int      `db:"issued" json:"issued"`
	IssuedValid         int      `db:"issued_valid" json:"issued_valid"`
	CasesDue            int      `db:"cases_due" json:"cases_due"`
	CasesOnTime         int      `db:"cases_on_time" json:"cases_on_time"`
	CasesOverdue        int      `db:"cases_overdue" json:"cases_overdue"`
	Received            int      `db:"received" json:"received"`
	MedianHoursToAccept *float64 `db:"median_hours_to_accept" json:"median_hours_to_accept"`
	// Leaders (role signer, enabled, as of today) times months, and the
	// (leader, month) pairs in which a leader signed or directed.
	LeaderMonths  int `db:"leader_months" json:"leader_months"`
	LeadersActive int `db:"leaders_active" json:"leaders_active"`
	// Meetings that ended, those with a packet read on screen, and the
	// packet pages times the people who checked in: pages not printed.
	Meetings          int `db:"meetings" json:"meetings"`
	MeetingsPaperless int `db:"meetings_paperless" json:"meetings_paperless"`
	PagesNotPrinted   int `db:"pages_not_printed" json:"pages_not_printed"`
}

// SignedShare is the share of issued documents with a valid signature, or
// -1 when none were issued.
func (f Figures) SignedShare() float64 { return share(f.IssuedValid, f.Issued) }

// OnTimeShare is the share of due cases done on time, or -1.
func (f Figures) OnTimeShare() float64 { return share(f.CasesOnTime, f.CasesDue) }

// LeaderShare is the share of leader-months with activity, or -1.
func (f Figures) LeaderShare() float64 { return share(f.LeadersActive, f.LeaderMonths) }

// HasData reports whether anything happened: a unit with no activity is
// shown as no data, not as 0% or 100%.
func (f Figures) HasData() bool {
	return f.Issued > 0 || f.CasesDue > 0 || f.CasesOverdue > 0 || f.Received > 0 || f.LeadersActive > 0 || f.Meetings > 0
}

// MonthFigures are a scope's figures in one month.
type MonthFigures struct {
	Month string `db:"month" json:"month"` // YYYY-MM
	Figures
}

// UnitFigures are the figures of a unit and the units under it.
type UnitFigures struct {
	UnitID   int64  `db:"unit_id" json:"unit_id"`
	UnitName string `db:"unit_name" json:"unit_name"`
	Kind     string `db:"kind" json:"kind"`
	// Units under it (a district office's schools); 0 for a school.
	Units int `db:"units" json:"units"`
	Figures
}

// OverdueCase is an open case of the unit past its deadline.
type OverdueCase struct {
	DeliveryID   int64     `db:"delivery_id" json:"delivery_id"`
	DocumentID   int64     `db:"document_id" json:"document_id"`
	NumberSymbol string    `db:"number_symbol" json:"number_symbol"`
	Title        string    `db:"title" json:"title"`
	Sender       string    `db:"sender" json:"sender"`
	Due          time.Time `db:"due" json:"due"`
	DaysLate     int       `db:"days_late" json:"days_late"`
}

// Dashboard is the view of one scope over a period: the unit's own
// figures with everything under it, the monthly trend, each unit
// directly under it, and its overdue cases.
type Dashboard struct {
	UnitID   int64  `json:"unit_id"`
	UnitName string `json:"unit_name"`
	Kind     string `json:"kind"`
	// ParentID is the scope one level up that the viewer may open, or 0.
	ParentID   int64          `json:"parent_id,omitempty"`
	ParentName string         `json:"parent_name,omitempty"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	Totals     Figures        `json:"totals"`
	Own        Figures        `json:"own"`
	Trend      []MonthFigures `json:"trend"`
	Children   []UnitFigures  `json:"children"`
	Overdue    []OverdueCase  `json:"overdue"`
	// Stale (unit, month) pairs in scope the refresh job has not reached
	// yet; the figures are then those of RefreshedAt.
	Pending     int       `json:"pending"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

// Period parses a dashboard period of months (YYYY-MM): not reversed, not
// in the future, at most MaxDashboardMonths.
func Period(from, to string, now time.Time) (time.Time, time.Time, error) {
	f, err1 := time.Parse("2006-01", from)
	t, err2 := time.Parse("2006-01", to)
	bad := func(msg string) error {
		return &domain.ValidationError{Fields: map[string]string{"from": msg}}
	}
	switch {
	case err1 != nil || err2 != nil:
		return f, t, bad("tháng dạng YYYY-MM, ví dụ 2026-01")
	case t.Before(f):
		return f, t, bad("tháng bắt đầu phải trước hoặc bằng tháng kết thúc")
	}
	y, m, _ := now.In(domain.VietnamTime).Date()
	current := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case f.After(current):
		return f, t, bad("khoảng thời gian ở tương lai: chưa có số liệu")
	case months(f, t) > MaxDashboardMonths:
		return f, t, bad(fmt.Sprintf("tối đa %d tháng (5 năm); hãy chọn khoảng ngắn hơn", MaxDashboardMonths))
	}
	if t.After(current) {
		t = current
	}
	return f, t, nil
}

func months(f, t time.Time) int { return (t.Year()-f.Year())*12 + int(t.Month()-f.Month()) + 1 }

// viewable returns the scope unit for p: the department's clerks, leaders
// and admins see every unit; a district office's, its own and its
// schools; anyone else, their own unit. Others get ErrNotFound.
func (s *Service) viewable(ctx context.Context, p auth.Principal, id int64) (UnitFigures, int64, string, error) {
	var u struct {
		ID         int64          `db:"id"`
		Name       string         `db:"name"`
		Kind       string         `db:"kind"`
		ParentID   sql.NullInt64  `db:"parent_id"`
		ParentName sql.NullString `db:"parent_name"`
		Mine       string         `db:"mine"`
		Path       pq.Int64Array  `db:"path"`
	}
	if id == 0 {
		id = p.UnitID
	}
	err := s.db.GetContext(ctx, &u, `
		WITH RECURSIVE up AS (
		  SELECT id, parent_id FROM units WHERE id = $1
		  UNION ALL SELECT x.id, x.parent_id FROM units x JOIN up ON x.id = up.parent_id
		)
		SELECT u.id, u.name, u.kind, u.parent_id, pu.name AS parent_name,
		       (SELECT kind FROM units WHERE id = $2) AS mine, array(SELECT id FROM up) AS path
		FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1`, id, p.UnitID)
	if errors.Is(err, sql.ErrNoRows) {
		return UnitFigures{}, 0, "", domain.ErrNotFound
	}
	if err != nil {
		return UnitFigures{}, 0, "", fmt.Errorf("routing: unable to read the unit: %w", err)
	}
	staff := p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin)
	inPath := func(x int64) bool {
		for _, v := range u.Path {
			if v == x {
				return true
			}
		}
		return false
	}
	var ok bool
	switch {
	case u.Mine == "department" && staff:
		ok = true
	case u.Mine == "district_office" && staff:
		ok = inPath(p.UnitID)
	default:
		ok = id == p.UnitID
	}
	if !ok {
		return UnitFigures{}, 0, "", domain.ErrNotFound
	}
	parent, parentName := int64(0), ""
	if u.ParentID.Valid && (u.Mine == "department" && staff || u.ID != p.UnitID && u.ParentID.Int64 == p.UnitID) {
		parent, parentName = u.ParentID.Int64, u.ParentName.String
	}
	return UnitFigures{UnitID: u.ID, UnitName: u.Name, Kind: u.Kind}, parent, parentName, nil
}

// Dashboard returns the dashboard of unit id (0: p's own unit; the
// department's is the city's) over [from, to] (months, YYYY-MM).
func (s *Service) Dashboard(ctx context.Context, p auth.Principal, id int64, from, to string) (Dashboard, error) {
	f, t, err := Period(from, to, s.now())
	if err != nil {
		return Dashboard{}, err
	}
	scope, parent, parentName, err := s.viewable(ctx, p, id)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{UnitID: scope.UnitID, UnitName: scope.UnitName, Kind: scope.Kind, ParentID: parent, ParentName: parentName,
		From: f.Format("2006-01"), To: t.Format("2006-01"), Trend: []MonthFigures{}, Children: []UnitFigures{}, Overdue: []OverdueCase{}}
	var units pq.Int64Array
	if err := s.db.GetContext(ctx, &units, `
		WITH RECURSIVE tree AS (SELECT id FROM units WHERE id = $1 UNION ALL SELECT u.id FROM units u JOIN tree ON u.parent_id = tree.id)
		SELECT array(SELECT id FROM tree)`, scope.UnitID); err != nil {
		return d, fmt.Errorf("routing: unable to read the units: %w", err)
	}
	if err := s.refreshScope(ctx, &d, units); err != nil {
		return d, err
	}
	end := t.AddDate(0, 1, 0)
	if err := s.dashboardFigures(ctx, &d, f, end); err != nil {
		return d, err
	}
	if scope.Kind != "department" {
		rows, err := s.overdueCases(ctx, scope.UnitID, f, end)
		if err != nil {
			return d, err
		}
		d.Overdue = rows
	}
	return d, nil
}

// refreshScope refreshes the scope's stale pairs itself when they are few,
// so that a view after a change shows it; otherwise the job does.
func (s *Service) refreshScope(ctx context.Context, d *Dashboard, units []int64) error {
	pending, err := s.refreshSome(ctx, units)
	if err != nil {
		return err
	}
	if pending > syncRefreshLimit {
		// Counted in full only when the page has to say it.
		if err := s.db.GetContext(ctx, &pending, `SELECT count(*) FROM indicator_dirty WHERE unit_id = ANY($1)`, pq.Array(units)); err != nil {
			return fmt.Errorf("routing: unable to count stale indicators: %w", err)
		}
	}
	d.Pending = pending
	return s.db.GetContext(ctx, &d.RefreshedAt, `SELECT coalesce(max(refreshed_at), now()) FROM indicator_months WHERE unit_id = ANY($1)`, pq.Array(units))
}

// figuresSQL sums indicator_months rows (im) and meetings over a group;
// the caller supplies the grouping. Medians are the median of the units'
// monthly medians.
const figuresSQL = `
	coalesce(sum(im.issued), 0) AS issued, coalesce(sum(im.issued_valid), 0) AS issued_valid,
	coalesce(sum(im.cases_due), 0) AS cases_due, coalesce(sum(im.cases_on_time), 0) AS cases_on_time,
	coalesce(sum(im.cases_overdue), 0) AS cases_overdue, coalesce(sum(im.received), 0) AS received,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY im.median_hours_to_accept) AS median_hours_to_accept,
	coalesce(sum(im.leaders_active), 0) AS leaders_active`

func (s *Service) dashboardFigures(ctx context.Context, d *Dashboard, from, end time.Time) error {
	// One snapshot for the figures and the trend, and no JIT: the planner
	// cannot estimate the recursive walk of the units, guesses a cost high
	// enough to compile the query, and the compilation took 1.5 to 2.5 s of
	// a city view that runs in 0.15 s without it.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("routing: unable to read the dashboard: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		return fmt.Errorf("routing: unable to read the dashboard: %w", err)
	}
	nMonths := months(from, end.AddDate(0, -1, 0))
	args := []any{d.UnitID, from.Format(time.DateOnly), end.Format(time.DateOnly), nMonths}
	// Each unit of the scope mapped to its branch: the unit directly under
	// the scope it belongs to, or the scope itself for its own rows.
	const tree = `
		WITH RECURSIVE tree AS (
		  SELECT id, id AS branch FROM units WHERE parent_id = $1
		  UNION ALL SELECT u.id, tree.branch FROM units u JOIN tree ON u.parent_id = tree.id
		), scope AS (SELECT id, branch FROM tree UNION ALL SELECT $1::bigint, $1::bigint),
		leaders AS (
		  SELECT s.branch, count(*) * $4::int AS n FROM scope s JOIN users u ON u.unit_id = s.id
		  WHERE 'signer' = ANY(u.roles) AND NOT u.disabled GROUP BY 1
		), met AS (
		  SELECT s.branch, count(*) AS meetings, count(pk.meeting_id) AS paperless,
		         coalesce(sum(pk.pages * (SELECT count(*) FROM meeting_attendance a WHERE a.meeting_id = m.id)), 0) AS pages
		  FROM scope s JOIN meetings m ON m.organiser_unit_id = s.id
		  LEFT JOIN LATERAL (SELECT mp.meeting_id, (mp.base->>'pages')::int AS pages FROM meeting_packets mp
		                     WHERE mp.meeting_id = m.id AND mp.withheld = '' ORDER BY mp.revision DESC LIMIT 1) pk ON true
		  WHERE m.status = 'ended' AND m.starts_at >= ($2::date::timestamp AT TIME ZONE '` + domain.VietnamZone + `')
		    AND m.starts_at < ($3::date::timestamp AT TIME ZONE '` + domain.VietnamZone + `')
		  GROUP BY 1
		), sums AS (
		  SELECT s.branch,` + figuresSQL + `
		  FROM scope s JOIN indicator_months im ON im.unit_id = s.id AND im.month >= $2::date AND im.month < $3::date
		  GROUP BY 1
		), branches AS (SELECT branch, count(*) - 1 AS units FROM scope GROUP BY branch)`
	var rows []UnitFigures
	err = tx.SelectContext(ctx, &rows, tree+`
		SELECT b.branch AS unit_id, u.name AS unit_name, u.kind,
		       b.units,
		       coalesce(x.issued, 0) AS issued, coalesce(x.issued_valid, 0) AS issued_valid, coalesce(x.cases_due, 0) AS cases_due,
		       coalesce(x.cases_on_time, 0) AS cases_on_time, coalesce(x.cases_overdue, 0) AS cases_overdue,
		       coalesce(x.received, 0) AS received, x.median_hours_to_accept, coalesce(x.leaders_active, 0) AS leaders_active,
		       coalesce(l.n, 0) AS leader_months, coalesce(m.meetings, 0) AS meetings,
		       coalesce(m.paperless, 0) AS meetings_paperless, coalesce(m.pages, 0) AS pages_not_printed
		FROM branches b JOIN units u ON u.id = b.branch
		LEFT JOIN sums x ON x.branch = b.branch LEFT JOIN leaders l ON l.branch = b.branch LEFT JOIN met m ON m.branch = b.branch
		ORDER BY u.name`, args...)
	if err != nil {
		return fmt.Errorf("routing: unable to read the dashboard: %w", err)
	}
	var medians []float64
	for _, r := range rows {
		if r.UnitID == d.UnitID {
			d.Own = r.Figures
		} else {
			d.Children = append(d.Children, r)
		}
		addFigures(&d.Totals, r.Figures)
		if r.MedianHoursToAccept != nil {
			medians = append(medians, *r.MedianHoursToAccept)
		}
	}
	d.Totals.MedianHoursToAccept = nil
	if len(medians) > 0 {
		m := median(medians)
		d.Totals.MedianHoursToAccept = &m
	}
	// The trend: the whole scope per month.
	err = tx.SelectContext(ctx, &d.Trend, `
		WITH RECURSIVE tree AS (SELECT id FROM units WHERE id = $1 UNION ALL SELECT u.id FROM units u JOIN tree ON u.parent_id = tree.id),
		months AS (SELECT generate_series($2::date, $3::date - interval '1 day', interval '1 month')::date AS m),
		leaders AS (SELECT count(*) AS n FROM tree JOIN users u ON u.unit_id = tree.id WHERE 'signer' = ANY(u.roles) AND NOT u.disabled),
		met AS (
		  SELECT date_trunc('month', m.starts_at AT TIME ZONE '`+domain.VietnamZone+`')::date AS m, count(*) AS meetings,
		         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM meeting_packets mp WHERE mp.meeting_id = m.id)) AS paperless
		  FROM tree JOIN meetings m ON m.organiser_unit_id = tree.id WHERE m.status = 'ended' GROUP BY 1
		)
		SELECT to_char(months.m, 'YYYY-MM') AS month,`+figuresSQL+`,
		       (SELECT n FROM leaders) AS leader_months, coalesce(max(met.meetings), 0) AS meetings,
		       coalesce(max(met.paperless), 0) AS meetings_paperless
		FROM months LEFT JOIN (indicator_months im JOIN tree ON tree.id = im.unit_id) ON im.month = months.m
		LEFT JOIN met ON met.m = months.m
		GROUP BY months.m ORDER BY months.m`, d.UnitID, from.Format(time.DateOnly), end.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("routing: unable to read the trend: %w", err)
	}
	return nil
}

func addFigures(t *Figures, f Figures) {
	t.Issued += f.Issued
	t.IssuedValid += f.IssuedValid
	t.CasesDue += f.CasesDue
	t.CasesOnTime += f.CasesOnTime
	t.CasesOverdue += f.CasesOverdue
	t.Received += f.Received
	t.LeaderMonths += f.LeaderMonths
	t.LeadersActive += f.LeadersActive
	t.Meetings += f.Meetings
	t.MeetingsPaperless += f.MeetingsPaperless
	t.PagesNotPrinted += f.PagesNotPrinted
}

// overdueCases are the unit's open cases due in [from, end) and past due
// today, judged as indicators judges them, the latest first.
func (s *Service) overdueCases(ctx context.Context, unitID int64, from, end time.Time) ([]OverdueCase, error) {
	out := []OverdueCase{}
	today := dateOf(s.now())
	if end.After(today) {
		end = today
	}
	err := s.db.SelectContext(ctx, &out, `
		SELECT j.id AS delivery_id, j.document_id, coalesce(d.number_symbol, '') AS number_symbol, d.title, su.name AS sender,
		       j.due, ($4::date - j.due) AS days_late
		FROM (
		  SELECT dl.id, dl.document_id, dl.sender_unit_id, `+judgedCase+`
		  FROM deliveries dl `+leadTask+`
		  WHERE dl.recipient_unit_id = $1 AND dl.status <> `+lit(Refused)+` AND NOT dl.removed
		) j
		JOIN documents d ON d.id = j.document_id JOIN units su ON su.id = j.sender_unit_id
		WHERE NOT j.done AND j.due >= $2::date AND j.due < $3::date
		ORDER BY j.due, j.id LIMIT 500`, unitID, from.Format(time.DateOnly), end.Format(time.DateOnly), today.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list overdue cases: %w", err)
	}
	return out, nil
}
