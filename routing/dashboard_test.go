package routing_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/routing"
)

// TestDashboardFromSummaries: the dashboard reads the summaries the
// triggers and the refresh keep, and they say what the raw rows say, in
// the city, in a district and in a school, also when only the calendar
// moved (a case past its deadline at midnight).
func TestDashboardFromSummaries(t *testing.T) {
	h := newHandlingFixture(t)
	vn := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, domain.VietnamTime)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	sgd, director := h.who("vanthu.sgd"), h.who("giamdoc.sgd")
	sec := h.section("Tổ Giáo dục tiểu học", h.q1lead.UserID)
	var ds []routing.Delivery
	for range 4 {
		ds = append(ds, h.received())
	}
	onTime := h.task(ds[0].ID, 0, routing.TaskLead, sec, 0, "2026-12-10", h.q1lead.UserID)
	h.done(onTime, vn("2026-12-10 23:59:59"))
	late := h.task(ds[1].ID, 0, routing.TaskLead, sec, 0, "2026-12-10", h.q1lead.UserID)
	h.done(late, vn("2026-12-11 00:00:00"))
	h.task(ds[2].ID, 0, routing.TaskLead, 0, h.q1clerk.UserID, "2026-12-10", h.q1lead.UserID)
	h.sqlID(`UPDATE deliveries SET status = '06', task_due = '2026-12-09', done_at = $2 WHERE id = $1 RETURNING id`, ds[3].ID, vn("2026-12-10 08:00:00"))
	// A document to Quận 1's schools, one of which leaves it past due.
	q1 := h.unit("000.01.24.H29")
	doc := h.document(sgd, "yes", "thuong")
	h.issue(sgd, doc.ID, routing.Recipients{Groups: []string{"district:" + strconv.FormatInt(q1.ID, 10)}}, "")
	h.db.MustExec(`UPDATE deliveries SET due_date = '2026-12-05' WHERE document_id = $1`, doc.ID)

	raw := func(unitIDs ...int64) routing.Indicator {
		t.Helper()
		rows, err := routing.RawIndicators(h.rt, h.ctx, "2026-12", "2026-12", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		var mine []routing.Indicator
		for _, r := range rows {
			for _, id := range unitIDs {
				if r.UnitID == id {
					mine = append(mine, r)
				}
			}
		}
		return routing.Totals(mine)
	}
	same := func(what string, d routing.Figures, r routing.Indicator) {
		t.Helper()
		if d.Issued != r.Issued || d.IssuedValid != r.IssuedValid || d.CasesDue != r.CasesDue || d.CasesOnTime != r.CasesOnTime || d.Received != r.Received {
			t.Fatalf("%s: dashboard %+v, raw %+v", what, d, r)
		}
	}
	dash := func(p interface{}, id int64, clock string) routing.Dashboard {
		t.Helper()
		h.rt.SetClock(func() time.Time { return vn(clock) })
		d, err := h.rt.Dashboard(h.ctx, h.who(p.(string)), id, "2026-12", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// The city, before and after midnight of the 10th: no row changes,
	// one more case is due (and overdue).
	city := dash("giamdoc.sgd", 0, "2026-12-10 23:59:00")
	if city.UnitID != director.UnitID || len(city.Children) == 0 {
		t.Fatalf("city = %+v", city)
	}
	var all []int64
	h.db.Select(&all, `SELECT id FROM units`)
	h.rt.SetClock(func() time.Time { return vn("2026-12-10 23:59:00") })
	same("city before midnight", city.Totals, raw(all...))
	city = dash("giamdoc.sgd", 0, "2026-12-11 00:00:00")
	h.rt.SetClock(func() time.Time { return vn("2026-12-11 00:00:00") })
	same("city after midnight", city.Totals, raw(all...))
	if city.Totals.CasesOverdue == 0 {
		t.Fatalf("no overdue case in the city: %+v", city.Totals)
	}

	// Drill down: Quận 1 among the city's branches, then its schools.
	var branch *routing.UnitFigures
	for i, c := range city.Children {
		if c.UnitID == q1.ID {
			branch = &city.Children[i]
		}
	}
	if branch == nil || branch.Units != 3 {
		t.Fatalf("Quận 1 in the city: %+v", branch)
	}
	district := dash("giamdoc.sgd", q1.ID, "2026-12-11 00:00:00")
	if district.Totals.Received != branch.Received || district.Totals.CasesDue != branch.CasesDue || len(district.Children) != 3 {
		t.Fatalf("district %+v against its branch %+v", district.Totals, branch.Figures)
	}
	if district.ParentID != director.UnitID {
		t.Fatalf("district's way back up: %d", district.ParentID)
	}
	school := district.Children[0]
	one := dash("giamdoc.sgd", school.UnitID, "2026-12-11 00:00:00")
	same("school", one.Totals, raw(school.UnitID))
	if len(one.Overdue) != 1 || one.Overdue[0].DocumentID != doc.ID || one.Overdue[0].DaysLate != 6 {
		t.Fatalf("the school's overdue cases: %+v", one.Overdue)
	}

	// A district office sees itself and its schools, no other district
	// and not the city; a school sees itself.
	own := dash("vanthu.q1", 0, "2026-12-11 00:00:00")
	if own.UnitID != q1.ID || own.ParentID != 0 || own.Totals.Received != district.Totals.Received {
		t.Fatalf("Quận 1's own dashboard: %+v", own)
	}
	for _, id := range []int64{director.UnitID, h.unit("000.02.24.H29").ID} {
		if _, err := h.rt.Dashboard(h.ctx, h.q1clerk, id, "2026-12", "2026-12"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("Quận 1 opens unit %d: %v", id, err)
		}
	}
	if _, err := h.rt.Dashboard(h.ctx, h.q1clerk, school.UnitID, "2026-12", "2026-12"); err != nil {
		t.Fatalf("Quận 1 opens its school: %v", err)
	}

	// Bad periods.
	for _, p := range [][2]string{{"2026-13", "2026-12"}, {"2026-12", "2026-11"}, {"2027-03", "2027-04"}, {"2016-01", "2026-12"}} {
		_, err := h.rt.Dashboard(h.ctx, sgd, 0, p[0], p[1])
		var v *domain.ValidationError
		if !errors.As(err, &v) {
			t.Errorf("period %v: %v", p, err)
		}
	}
	// The indicators table reads the same summaries, row for row what the
	// raw rows say.
	h.rt.SetClock(func() time.Time { return vn("2026-12-11 00:00:00") })
	table, err := h.rt.Indicators(h.ctx, sgd, "2026-12", "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	rawRows, err := routing.RawIndicators(h.rt, h.ctx, "2026-12", "2026-12", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := func(i routing.Indicator) string {
		m := "-"
		if i.MedianHoursToAccept != nil {
			m = strconv.FormatFloat(*i.MedianHoursToAccept, 'f', 6, 64)
		}
		return fmt.Sprint(i.UnitID, i.Month, i.Issued, i.IssuedValid, i.CasesDue, i.CasesOnTime, i.Received, m)
	}
	var got, want []string
	for _, r := range table {
		got = append(got, key(r))
	}
	for _, r := range rawRows {
		want = append(want, key(r))
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(got) < 3 || !slices.Equal(got, want) {
		t.Fatalf("the table from the summaries:\n%v\nfrom the raw rows:\n%v", got, want)
	}

	// A unit with nothing to show is no data, not 0%.
	quiet := dash("giamdoc.sgd", h.unit("000.02.24.H29").ID, "2026-12-11 00:00:00")
	if quiet.Totals.HasData() || quiet.Totals.OnTimeShare() != -1 || quiet.Totals.SignedShare() != -1 {
		t.Fatalf("a quiet district: %+v", quiet.Totals)
	}
}
