// Package workdays counts Vietnamese working days for deadlines: Monday to
// Friday, less the public holidays kept in the holidays table. Every date is
// a calendar day in Vietnam time, whatever zone the time.Time given is in.
package workdays

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// vietnam is the zone dates are taken in.
var vietnam = domain.VietnamTime

// ErrNotFound is returned by Remove for a day that is not a holiday.
var ErrNotFound = errors.New("workdays: no such holiday")

// Holiday is a public holiday: Day is midnight, Vietnam time.
type Holiday struct {
	Day  time.Time
	Name string
}

// day is a calendar date; comparable, so it keys the holiday map.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day {
	y, m, d := t.In(vietnam).Date()
	return day{y, m, d}
}

func (d day) time() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, vietnam) }

// next is the following day; time.Date normalises the 32nd and the like.
func (d day) next() day {
	y, m, dd := time.Date(d.y, d.m, d.d+1, 0, 0, 0, 0, time.UTC).Date()
	return day{y, m, dd}
}

func (d day) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (d day) before(e day) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

// Calendar knows which days are worked: not Saturday, not Sunday, not a
// holiday. It is not changed after New, so it is safe for concurrent use.
type Calendar struct {
	holidays map[day]string
}

// New makes a calendar from holidays keyed "2006-01-02". It panics on a
// malformed key, like regexp.MustCompile: the map is written by a
// programmer, while Load reads the database.
func New(holidays map[string]string) *Calendar {
	c := &Calendar{holidays: make(map[day]string, len(holidays))}
	for k, name := range holidays {
		t, err := time.ParseInLocation(time.DateOnly, k, vietnam)
		if err != nil {
			panic(fmt.Sprintf("workdays: bad holiday date %q: %v", k, err))
		}
		c.holidays[dayOf(t)] = name
	}
	return c
}

// Load reads the calendar from the holidays table.
func Load(ctx context.Context, db sqlx.QueryerContext) (*Calendar, error) {
	var rows []struct {
		Day  string `db:"day"`
		Name string `db:"name"`
	}
	// The date travels as text so that no driver or session time zone can
	// move it by a day.
	err := sqlx.SelectContext(ctx, db, &rows, `SELECT to_char(day, 'YYYY-MM-DD') AS day, name FROM holidays`)
	if err != nil {
		return nil, fmt.Errorf("workdays: unable to load the holidays: %v", err)
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Day] = r.Name
	}
	return New(m), nil
}

// Holiday returns the name of the holiday on d's date, if it is one.
func (c *Calendar) Holiday(d time.Time) (string, bool) {
	name, ok := c.holidays[dayOf(d)]
	return name, ok
}

func (c *Calendar) working(d day) bool {
	if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, off := c.holidays[d]
	return !off
}

// IsWorkingDay tells whether d's date, in Vietnam time, is a working day.
func (c *Calendar) IsWorkingDay(d time.Time) bool { return c.working(dayOf(d)) }

// AddWorkingDays returns the date (midnight, Vietnam time) of the n-th
// working day after d's date. With n = 0 it is d's date itself when that
// is a working day, else the next working day. A negative n counts as 0.
func (c *Calendar) AddWorkingDays(d time.Time, n int) time.Time {
	x := dayOf(d)
	if n <= 0 {
		for !c.working(x) {
			x = x.next()
		}
		return x.time()
	}
	for n > 0 {
		x = x.next()
		if c.working(x) {
			n--
		}
	}
	return x.time()
}

// WorkingDaysBetween counts the working days after from's date up to and
// including to's date. It is negative when to's date comes first, so that
// WorkingDaysBetween(due, now) reads as "working days late".
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := dayOf(from), dayOf(to)
	sign := 1
	if b.before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for a.before(b) {
		a = a.next()
		if c.working(a) {
			n++
		}
	}
	return sign * n
}

// Overdue tells whether now is past the end of due's date, Vietnam time:
// a deadline is met by anything done on the day itself.
func (c *Calendar) Overdue(due, now time.Time) bool {
	return !now.Before(dayOf(due).next().time())
}

// ReceiptDue is the date by which a document that arrived at arrived must
// be received (Decree 30/2020 art. 23: the same day, or the next working
// day at the latest): the next working day after the arrival's date. It
// is met until the end of that day; check it with Overdue.
func (c *Calendar) ReceiptDue(arrived time.Time) time.Time { return c.AddWorkingDays(arrived, 1) }

// Add records day's date (Vietnam time) as a holiday called name, or
// renames it if it is one already.
func Add(ctx context.Context, db sqlx.ExecerContext, day time.Time, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errors.New("workdays: a holiday needs a name")
	}
	_, err := db.ExecContext(ctx, `
INSERT INTO holidays (day, name) VALUES ($1::date, $2)
ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name`, dateText(day), name)
	if err != nil {
		return fmt.Errorf("workdays: unable to add the holiday: %v", err)
	}
	return nil
}

// Remove deletes the holiday on day's date (Vietnam time); ErrNotFound if
// there is none.
func Remove(ctx context.Context, db sqlx.ExecerContext, day time.Time) error {
	res, err := db.ExecContext(ctx, `DELETE FROM holidays WHERE day = $1::date`, dateText(day))
	if err != nil {
		return fmt.Errorf("workdays: unable to remove the holiday: %v", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("workdays: unable to remove the holiday: %v", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// List returns the holidays of a year, in date order.
func List(ctx context.Context, db sqlx.QueryerContext, year int) ([]Holiday, error) {
	var rows []struct {
		Day  string `db:"day"`
		Name string `db:"name"`
	}
	err := sqlx.SelectContext(ctx, db, &rows, `
SELECT to_char(day, 'YYYY-MM-DD') AS day, name
FROM holidays
WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)
ORDER BY day`, year)
	if err != nil {
		return nil, fmt.Errorf("workdays: unable to list the holidays: %v", err)
	}
	out := make([]Holiday, 0, len(rows))
	for _, r := range rows {
		t, err := time.ParseInLocation(time.DateOnly, r.Day, vietnam)
		if err != nil {
			return nil, fmt.Errorf("workdays: unable to list the holidays: %v", err)
		}
		out = append(out, Holiday{Day: t, Name: r.Name})
	}
	return out, nil
}

func dateText(t time.Time) string { return t.In(vietnam).Format(time.DateOnly) }
