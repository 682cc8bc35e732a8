package routing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/registers"
	"github.com/lib/pq"
)

// Register book kinds.
const (
	RegisterOutgoing = "outgoing"
	RegisterSecret   = "secret" // outgoing secret documents: their own series and book
	RegisterIncoming = "incoming"
)

// RegisterData is one unit's register book for a year.
type RegisterData struct {
	Kind     string
	Year     int
	Unit     string
	Parent   string
	Outgoing []registers.Outgoing
	Incoming []registers.Incoming
}

// RegisterBook returns p's unit's register book of the kind for the year. Clerks,
// leaders and admins of the unit may read it.
// hiddenTitle stands in the register for the title of a document
// restricted to other people: the register keeps every number (Decree 30
// art. 16), the title stays with those who may see it.
const hiddenTitle = "(văn bản hạn chế quyền xem)"

func (s *Service) RegisterBook(ctx context.Context, p auth.Principal, kind string, year int) (RegisterData, error) {
	fields := map[string]string{}
	if kind != RegisterOutgoing && kind != RegisterSecret && kind != RegisterIncoming {
		fields["kind"] = "sổ phải là outgoing (văn bản đi), secret (văn bản mật đi) hoặc incoming (văn bản đến)"
	}
	if year < 2000 || year > 2100 {
		fields["year"] = "năm từ 2000 đến 2100"
	}
	if len(fields) > 0 {
		return RegisterData{}, &domain.ValidationError{Fields: fields}
	}
	if !p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin) {
		return RegisterData{}, domain.ErrForbidden
	}
	out := RegisterData{Kind: kind, Year: year}
	err := s.db.GetContext(ctx, &out, `
		SELECT u.name AS unit, coalesce(pu.name, '') AS parent FROM units u LEFT JOIN units pu ON pu.id = u.parent_id
		WHERE u.id = $1`, p.UnitID)
	if err != nil {
		return out, fmt.Errorf("routing: unable to read the unit: %w", err)
	}
	if kind == RegisterIncoming {
		restricted := strings.ReplaceAll(s.docs.RestrictionSQL(), ":user", "$3")
		var rows []struct {
			ArrivedAt   time.Time  `db:"arrived_at"`
			Number      int        `db:"incoming_number"`
			Author      string     `db:"author"`
			RelayedBy   string     `db:"relayed_by"`
			NumberSym   *string    `db:"number_symbol"`
			Date        time.Time  `db:"doc_date"`
			Type        string     `db:"doc_type"`
			Title       string     `db:"title"`
			Assignee    string     `db:"assignee"`
			AssignedAt  *time.Time `db:"assigned_at"`
			Status      string     `db:"status"`
			Recall      *string    `db:"recall"`
			AcceptedBy  string     `db:"accepted_by"`
			Section     string     `db:"section"`
			ResponseFor *string    `db:"response_for"`
		}
		err := s.db.SelectContext(ctx, &rows, `
			SELECT dl.arrived_at, dl.incoming_number, au_.name AS author,
			       CASE WHEN dl.sender_unit_id <> d.unit_id THEN su.name ELSE '' END AS relayed_by, d.number_symbol, d.doc_date, d.doc_type,
			       CASE WHEN d.unit_id <> $1 OR `+restricted+` THEN d.title ELSE `+lit(hiddenTitle)+` END AS title,
			       coalesce(au.full_name, '') AS assignee, dl.assigned_at, dl.status, dl.recall, dl.section,
			       coalesce((SELECT u.full_name FROM audit_log a JOIN users u ON u.id = a.actor_id
			                 WHERE a.delivery_id = dl.id AND a.action = 'delivery.accept' LIMIT 1), '') AS accepted_by,
			       NULL AS response_for
			FROM deliveries dl
			JOIN documents d ON d.id = dl.document_id
			JOIN units su ON su.id = dl.sender_unit_id
			JOIN units au_ ON au_.id = d.unit_id
			LEFT JOIN users au ON au.id = dl.assignee_id
			WHERE dl.recipient_unit_id = $1 AND dl.incoming_year = $2
			ORDER BY dl.incoming_number`, p.UnitID, year, p.UserID)
		if err != nil {
			return out, fmt.Errorf("routing: unable to read the incoming register: %w", err)
		}
		out.Incoming = make([]registers.Incoming, len(rows))
		for i, r := range rows {
			recipient := strings.TrimSpace(strings.Join(nonEmpty(r.Section, r.Assignee), ", "))
			notes := ""
			if r.Recall != nil && *r.Recall == RecallAccepted {
				notes = "Đã thu hồi"
			}
			out.Incoming[i] = registers.Incoming{ReceivedAt: r.ArrivedAt, IncomingNumber: r.Number, Author: r.Author, RelayedBy: r.RelayedBy,
				NumberSymbol: deref(r.NumberSym), Date: r.Date, Type: typeName(r.Type), Title: r.Title,
				Recipient: recipient, ForwardedAt: r.AssignedAt, Receipt: r.AcceptedBy, Notes: notes}
		}
		return out, nil
	}
	series := documents.SeriesOutgoing
	if kind == RegisterSecret {
		series = documents.SeriesSecret
	}
	var rows []struct {
		NumberSym  string         `db:"number_symbol"`
		Date       time.Time      `db:"doc_date"`
		Type       string         `db:"doc_type"`
		Title      string         `db:"title"`
		Signer     string         `db:"signer_name"`
		Recipients pq.StringArray `db:"recipients"`
		NRecip     int            `db:"n_recipients"`
		NAccepted  int            `db:"n_accepted"`
		FileUnit   string         `db:"file_unit"`
		Copies     int            `db:"copies"`
		SentAt     *time.Time     `db:"sent_at"`
		Notes      string         `db:"notes"`
		Status     string         `db:"status"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		SELECT d.number_symbol, d.doc_date, d.doc_type, d.signer_name, r.file_unit, r.copies, r.notes, d.status,
		       CASE WHEN `+strings.ReplaceAll(s.docs.RestrictionSQL(), ":user", "$4")+` THEN d.title ELSE `+lit(hiddenTitle)+` END AS title,
		       coalesce((SELECT array_agg(ru.name ORDER BY ru.name) FROM deliveries dl JOIN units ru ON ru.id = dl.recipient_unit_id
		           WHERE dl.document_id = d.id AND dl.sender_unit_id = r.unit_id), '{}') AS recipients,
		       (SELECT count(*) FROM deliveries dl WHERE dl.document_id = d.id AND dl.sender_unit_id = r.unit_id) AS n_recipients,
		       (SELECT count(*) FROM deliveries dl WHERE dl.document_id = d.id AND dl.sender_unit_id = r.unit_id AND dl.status >= `+lit(Accepted)+`) AS n_accepted,
		       (SELECT min(created_at) FROM dispatches x WHERE x.document_id = d.id AND x.sender_unit_id = r.unit_id) AS sent_at
		FROM registrations r JOIN documents d ON d.id = r.document_id
		WHERE r.unit_id = $1 AND r.year = $2 AND r.series = $3
		ORDER BY r.number`, p.UnitID, year, series, p.UserID)
	if err != nil {
		return out, fmt.Errorf("routing: unable to read the outgoing register: %w", err)
	}
	out.Outgoing = make([]registers.Outgoing, len(rows))
	for i, r := range rows {
		// The printed book names the first six; the CSV, every one.
		recipients := strings.Join(r.Recipients[:min(len(r.Recipients), 6)], "; ")
		if r.NRecip > 6 {
			recipients = fmt.Sprintf("%s đơn vị: %s; …", thousands(r.NRecip), recipients)
		}
		receipt := ""
		if r.NRecip > 0 {
			receipt = fmt.Sprintf("%s/%s đã tiếp nhận", thousands(r.NAccepted), thousands(r.NRecip))
		}
		notes := r.Notes
		if r.Status == "recalled" {
			notes = strings.TrimSpace("Đã thu hồi. " + notes)
		}
		out.Outgoing[i] = registers.Outgoing{NumberSymbol: r.NumberSym, Date: r.Date, Type: typeName(r.Type), Title: r.Title,
			Signer: r.Signer, Recipients: recipients, AllRecipients: r.Recipients, FileUnit: r.FileUnit, Copies: r.Copies, SentAt: r.SentAt,
			Receipt: receipt, Notes: notes}
	}
	return out, nil
}

func typeName(code string) string {
	if n, ok := documents.TypeName(code); ok {
		return n
	}
	return code
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonEmpty(v ...string) []string {
	var out []string
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// Indicator is one unit's figures for one month.
type Indicator struct {
	UnitID   int64  `db:"unit_id" json:"unit_id"`
	UnitName string `db:"unit_name" json:"unit_name"`
	Month    string `db:"month" json:"month"` // YYYY-MM
	// Documents the unit issued in the month, and those whose signature
	// verified as valid.
	Issued      int `db:"issued" json:"issued"`
	IssuedValid int `db:"issued_valid" json:"issued_valid"`
	// Cases with a deadline in the month handled by the unit: done by the
	// deadline, and all (done late or still open past the deadline). A
	// delivery with a lead task is judged by that task, one without by its
	// status (see indicators).
	CasesDue    int `db:"cases_due" json:"cases_due"`
	CasesOnTime int `db:"cases_on_time" json:"cases_on_time"`
	// Documents that reached the unit in the month, and the median hours
	// from arrival to acceptance.
	Received            int      `db:"received" json:"received"`
	MedianHoursToAccept *float64 `db:"median_hours_to_accept" json:"median_hours_to_accept"`
}

// ValidShare is the share of issued documents with a valid signature, or
// -1 when none were issued.
func (i Indicator) ValidShare() float64 { return share(i.IssuedValid, i.Issued) }

// OnTimeShare is the share of cases done within the deadline, or -1.
func (i Indicator) OnTimeShare() float64 { return share(i.CasesOnTime, i.CasesDue) }

func share(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// Indicators computes the department's indicators per unit and month over
// [from, to] (months, YYYY-MM). The department's staff see every unit; any
// other unit sees its own.
func (s *Service) Indicators(ctx context.Context, p auth.Principal, from, to string) ([]Indicator, error) {
	var kind string
	if err := s.db.GetContext(ctx, &kind, `SELECT kind FROM units WHERE id = $1`, p.UnitID); err != nil {
		return nil, err
	}
	all := kind == "department" && p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin)
	return s.indicators(ctx, from, to, all, []int64{p.UnitID})
}

// rawIndicators computes the indicators of the units (every unit when all)
// from the raw rows: the definitions the summaries (indicator_months,
// refreshPairs) follow, kept as their reference and the benchmarks' baseline.
//
// A case is a delivery with a deadline. Since handling has tasks
// (migration 16), a delivery whose leader named a lead task is judged by
// that task: its deadline (its own, else the delivery's), and whether it
// was done by that day, in Vietnam. A delivery handled the old way, with
// no task, is judged as before by its status: done (06) by
// coalesce(task_due, due_date). Either way a case counts as due once its
// deadline passed or it is done, and on time when done by the deadline.
func (s *Service) rawIndicators(ctx context.Context, from, to string, all bool, units []int64) ([]Indicator, error) {
	f, err1 := time.Parse("2006-01", from)
	t, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 5*366*24*time.Hour {
		return nil, &domain.ValidationError{Fields: map[string]string{"from": "khoảng tháng dạng YYYY-MM, từ tháng đến tháng, tối đa 5 năm"}}
	}
	end := t.AddDate(0, 1, 0)
	today := dateOf(s.now()).Format(time.DateOnly)
	out := []Indicator{}
	err := s.db.SelectContext(ctx, &out, `
		WITH months AS (
		  SELECT generate_series($1::date, $2::date - interval '1 day', interval '1 month')::date AS m
		), issued AS (
		  SELECT x.sender_unit_id AS unit_id, date_trunc('month', min(x.created_at) AT TIME ZONE '`+domain.VietnamZone+`')::date AS m,
		         bool_or(coalesce(vr.valid, false)) AS valid
		  FROM dispatches x LEFT JOIN verification_reports vr ON vr.document_id = x.document_id AND vr.version_no = x.version_no
		  WHERE x.kind = 'issue' AND ($3 OR x.sender_unit_id = ANY($4)) GROUP BY x.sender_unit_id, x.document_id
		), judged AS (
		  SELECT dl.recipient_unit_id AS unit_id, `+judgedCase+`
		  FROM deliveries dl `+leadTask+`
		  WHERE dl.status <> `+lit(Refused)+` AND NOT dl.removed AND ($3 OR dl.recipient_unit_id = ANY($4))
		), cases AS (
		  SELECT unit_id, date_trunc('month', due)::date AS m,
		         count(*) FILTER (WHERE due < $5::date OR done) AS due,
		         count(*) FILTER (WHERE done AND (done_at AT TIME ZONE '`+domain.VietnamZone+`')::date <= due) AS on_time
		  FROM judged WHERE due IS NOT NULL
		  GROUP BY 1, 2
		), received AS (
		  SELECT recipient_unit_id AS unit_id, date_trunc('month', arrived_at AT TIME ZONE '`+domain.VietnamZone+`')::date AS m,
		         count(*) AS n,
		         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - arrived_at) / 3600)
		           FILTER (WHERE accepted_at IS NOT NULL) AS median_hours
		  FROM deliveries WHERE $3 OR recipient_unit_id = ANY($4) GROUP BY 1, 2
		), keys AS (
		  SELECT unit_id, m FROM issued UNION SELECT unit_id, m FROM cases UNION SELECT unit_id, m FROM received
		)
		SELECT k.unit_id, u.name AS unit_name, to_char(k.m, 'YYYY-MM') AS month,
		       (SELECT count(*) FROM issued i WHERE i.unit_id = k.unit_id AND i.m = k.m) AS issued,
		       (SELECT count(*) FROM issued i WHERE i.unit_id = k.unit_id AND i.m = k.m AND i.valid) AS issued_valid,
		       coalesce(c.due, 0) AS cases_due, coalesce(c.on_time, 0) AS cases_on_time,
		       coalesce(r.n, 0) AS received, r.median_hours AS median_hours_to_accept
		FROM keys k JOIN months ON months.m = k.m JOIN units u ON u.id = k.unit_id
		LEFT JOIN cases c ON c.unit_id = k.unit_id AND c.m = k.m
		LEFT JOIN received r ON r.unit_id = k.unit_id AND r.m = k.m
		WHERE $3 OR k.unit_id = ANY($4)
		ORDER BY k.m, u.name`, f.Format(time.DateOnly), end.Format(time.DateOnly), all, pq.Array(units), today)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to compute indicators: %w", err)
	}
	return out, nil
}

// indicators returns the indicators of the units (every unit when all) per
// month over [from, to] from the summaries, refreshed first when few of
// their pairs are stale (the job refreshes the rest within a minute).
func (s *Service) indicators(ctx context.Context, from, to string, all bool, units []int64) ([]Indicator, error) {
	f, err1 := time.Parse("2006-01", from)
	t, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 5*366*24*time.Hour {
		return nil, &domain.ValidationError{Fields: map[string]string{"from": "khoảng tháng dạng YYYY-MM, từ tháng đến tháng, tối đa 5 năm"}}
	}
	scope := units
	if all {
		scope = nil
	}
	if _, err := s.refreshSome(ctx, scope); err != nil {
		return nil, err
	}
	out := []Indicator{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT im.unit_id, u.name AS unit_name, to_char(im.month, 'YYYY-MM') AS month, im.issued, im.issued_valid,
		       im.cases_due, im.cases_on_time, im.received, im.median_hours_to_accept
		FROM indicator_months im JOIN units u ON u.id = im.unit_id
		WHERE im.month >= $1::date AND im.month < $2::date AND ($3 OR im.unit_id = ANY($4))
		ORDER BY im.month, u.name`, f.Format(time.DateOnly), t.AddDate(0, 1, 0).Format(time.DateOnly), all, pq.Array(units))
	if err != nil {
		return nil, fmt.Errorf("routing: unable to read indicators: %w", err)
	}
	return out, nil
}

// judgedCase are a case's deadline, whether it is done and when (due,
// done, done_at), judged as rawIndicators says: by the delivery's lead task
// (leadTask, as lt) where there is one, by its status otherwise.
const judgedCase = `
	CASE WHEN lt.id IS NULL THEN coalesce(dl.task_due, dl.due_date) ELSE coalesce(lt.due_date, dl.task_due, dl.due_date) END AS due,
	CASE WHEN lt.id IS NULL THEN dl.status = ` + "'" + Done + "'" + ` ELSE lt.state = 'done' END AS done,
	CASE WHEN lt.id IS NULL THEN dl.done_at ELSE lt.done_at END AS done_at`

// leadTask joins the lead task of the delivery dl as lt, if it has one.
const leadTask = `
	LEFT JOIN LATERAL (SELECT t.id, t.due_date, t.state, t.done_at FROM delivery_tasks t
	                   WHERE t.delivery_id = dl.id AND t.role = 'lead' AND t.parent_id IS NULL AND t.state <> 'cancelled'
	                   ORDER BY t.id LIMIT 1) lt ON true`

// Totals sums indicators (a city-wide line for the department).
func Totals(rows []Indicator) Indicator {
	var t Indicator
	var hours []float64
	for _, r := range rows {
		t.Issued += r.Issued
		t.IssuedValid += r.IssuedValid
		t.CasesDue += r.CasesDue
		t.CasesOnTime += r.CasesOnTime
		t.Received += r.Received
		if r.MedianHoursToAccept != nil {
			hours = append(hours, *r.MedianHoursToAccept)
		}
	}
	if len(hours) > 0 {
		// The median of the units' medians: a fair "typical unit" figure.
		m := median(hours)
		t.MedianHoursToAccept = &m
	}
	return t
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
