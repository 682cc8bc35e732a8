package workdays

import (
	"testing"
	"time"
)

// The official days off of 2026, as seeded by migration 3.
var holidays2026 = map[string]string{
	"2026-01-01": "Tết Dương lịch",
	"2026-02-16": "Tết Nguyên đán", "2026-02-17": "Tết Nguyên đán", "2026-02-18": "Tết Nguyên đán",
	"2026-02-19": "Tết Nguyên đán", "2026-02-20": "Tết Nguyên đán",
	"2026-04-27": "Giỗ Tổ Hùng Vương (nghỉ bù)",
	"2026-04-30": "Ngày Giải phóng miền Nam", "2026-05-01": "Ngày Quốc tế Lao động",
	"2026-09-01": "Quốc khánh", "2026-09-02": "Quốc khánh",
	"2027-01-01": "Tết Dương lịch",
}

// vn is a wall-clock time in Vietnam; d a date there.
func vn(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, vietnam)
	if err != nil {
		panic(err)
	}
	return t
}

func d(s string) time.Time { return vn(s + " 00:00") }

func TestIsWorkingDay(t *testing.T) {
	c := New(holidays2026)
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"ordinary Monday", d("2026-03-02"), true},
		{"Friday before Tết", d("2026-02-13"), true},
		{"Saturday", d("2026-02-14"), false},
		{"Sunday", d("2026-02-15"), false},
		{"first day of Tết", d("2026-02-16"), false},
		{"last day of Tết", d("2026-02-20"), false},
		{"first day back", d("2026-02-23"), true},
		{"New Year's Day 2026", d("2026-01-01"), false},
		{"2 January 2026 (Friday)", d("2026-01-02"), true},
		{"31 December 2025 (Wednesday)", d("2025-12-31"), true},
		{"Quốc khánh", d("2026-09-02"), false},
		{"2027 not seeded beyond 1 January", d("2027-01-04"), true},
		{"Friday 23:59 in Hanoi", vn("2026-02-13 23:59"), true},
		{"Friday 17:30 UTC is Saturday in Hanoi", time.Date(2026, 2, 13, 17, 30, 0, 0, time.UTC), false},
		{"Sunday 20:00 UTC is Monday in Hanoi", time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC), true},
		{"Sunday 16:59 UTC is still Sunday in Hanoi", time.Date(2026, 3, 1, 16, 59, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.IsWorkingDay(tt.at); got != tt.want {
				t.Errorf("IsWorkingDay(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := New(holidays2026)
	tests := []struct {
		name string
		from time.Time
		n    int
		want string
	}{
		{"0 on a working day is the day", vn("2026-03-04 15:00"), 0, "2026-03-04"},
		{"0 on a Saturday is Monday", d("2026-03-07"), 0, "2026-03-09"},
		{"0 during Tết is the day back", d("2026-02-17"), 0, "2026-02-23"},
		{"negative counts as 0", d("2026-03-07"), -3, "2026-03-09"},
		{"1 from Monday", d("2026-03-02"), 1, "2026-03-03"},
		{"1 from Friday skips the weekend", d("2026-03-06"), 1, "2026-03-09"},
		{"1 from Saturday is Monday", d("2026-03-07"), 1, "2026-03-09"},
		{"1 from Friday before Tết", d("2026-02-13"), 1, "2026-02-23"},
		{"5 from Thursday before Tết", d("2026-02-12"), 5, "2026-02-26"},
		{"10 from the eve of Tết", d("2026-02-13"), 10, "2026-03-06"},
		{"1 from 31 December 2025", d("2025-12-31"), 1, "2026-01-02"},
		{"1 from 31 December 2026 skips New Year and the weekend", d("2026-12-31"), 1, "2027-01-04"},
		{"over the 30 April and 1 May holidays", d("2026-04-29"), 1, "2026-05-04"},
		{"over Hùng Kings' day (observed)", d("2026-04-24"), 1, "2026-04-28"},
		{"20 working days in January 2026", d("2025-12-31"), 20, "2026-01-29"},
		{"a time late on Friday UTC is Saturday in Hanoi", time.Date(2026, 3, 6, 18, 0, 0, 0, time.UTC), 1, "2026-03-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkingDays(tt.from, tt.n)
			if got.Location() != vietnam || got.Hour() != 0 || got.Minute() != 0 {
				t.Errorf("AddWorkingDays gave %v, want midnight in Vietnam", got)
			}
			if s := got.Format(time.DateOnly); s != tt.want {
				t.Errorf("AddWorkingDays(%v, %d) = %s, want %s", tt.from, tt.n, s, tt.want)
			}
			if tt.n > 0 {
				if back := c.WorkingDaysBetween(tt.from, got); back != tt.n {
					t.Errorf("WorkingDaysBetween(from, AddWorkingDays(from, %d)) = %d", tt.n, back)
				}
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := New(holidays2026)
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"same day", d("2026-03-04"), vn("2026-03-04 17:00"), 0},
		{"next day", d("2026-03-04"), d("2026-03-05"), 1},
		{"a whole week", d("2026-03-02"), d("2026-03-09"), 5},
		{"over a weekend", d("2026-03-06"), d("2026-03-09"), 1},
		{"Saturday to Sunday", d("2026-03-07"), d("2026-03-08"), 0},
		{"across Tết", d("2026-02-13"), d("2026-02-23"), 1},
		{"inside Tết", d("2026-02-16"), d("2026-02-20"), 0},
		{"across the year end", d("2026-12-30"), d("2027-01-05"), 3},
		{"February 2026", d("2026-01-31"), d("2026-02-28"), 15},
		{"the whole of 2026", d("2025-12-31"), d("2026-12-31"), 261 - 11},
		{"backwards is negative", d("2026-02-23"), d("2026-02-13"), -1},
		{"dates are taken in Vietnam time", time.Date(2026, 3, 5, 17, 30, 0, 0, time.UTC), vn("2026-03-06 08:00"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(tt.from, tt.to); got != tt.want {
				t.Errorf("WorkingDaysBetween(%v, %v) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestOverdue(t *testing.T) {
	c := New(holidays2026)
	due := d("2026-02-23")
	tests := []struct {
		name string
		due  time.Time
		now  time.Time
		want bool
	}{
		{"before the day", due, vn("2026-02-20 10:00"), false},
		{"on the day, morning", due, vn("2026-02-23 08:00"), false},
		{"on the day, last second", due, vn("2026-02-23 23:59").Add(59 * time.Second), false},
		{"at midnight after", due, d("2026-02-24"), true},
		{"next day", due, vn("2026-02-24 09:00"), true},
		{"now in UTC, still the day in Hanoi", due, time.Date(2026, 2, 23, 16, 59, 0, 0, time.UTC), false},
		{"now in UTC, next day in Hanoi", due, time.Date(2026, 2, 23, 17, 0, 0, 0, time.UTC), true},
		{"due given as a UTC date is read in Hanoi", time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC), vn("2026-02-23 20:00"), false},
		{"due 31 December, now 1 January", d("2026-12-31"), vn("2027-01-01 00:01"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Overdue(tt.due, tt.now); got != tt.want {
				t.Errorf("Overdue(%v, %v) = %v, want %v", tt.due, tt.now, got, tt.want)
			}
		})
	}
}

func TestReceiptDue(t *testing.T) {
	c := New(holidays2026)
	tests := []struct {
		name    string
		arrived time.Time
		want    string
	}{
		{"Tuesday morning", vn("2026-03-03 09:00"), "2026-03-04"},
		{"Friday afternoon", vn("2026-03-06 16:30"), "2026-03-09"},
		{"Saturday", vn("2026-03-07 10:00"), "2026-03-09"},
		{"the Friday before Tết", vn("2026-02-13 15:00"), "2026-02-23"},
		{"during Tết", vn("2026-02-18 10:00"), "2026-02-23"},
		{"New Year's Eve 2026", vn("2026-12-31 17:00"), "2027-01-04"},
		{"Friday 20:00 UTC is Saturday in Hanoi", time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC), "2026-03-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.ReceiptDue(tt.arrived)
			if s := got.Format(time.DateOnly); s != tt.want {
				t.Errorf("ReceiptDue(%v) = %s, want %s", tt.arrived, s, tt.want)
			}
			if c.Overdue(got, got.Add(23*time.Hour)) {
				t.Error("receipt late during its due day")
			}
			if !c.Overdue(got, got.AddDate(0, 0, 1)) {
				t.Error("receipt not late the day after its due day")
			}
		})
	}
}

func TestHoliday(t *testing.T) {
	c := New(holidays2026)
	if name, ok := c.Holiday(vn("2026-02-17 12:00")); !ok || name != "Tết Nguyên đán" {
		t.Errorf("Holiday(17 February) = %q, %v", name, ok)
	}
	if _, ok := c.Holiday(d("2026-02-21")); ok {
		t.Error("a Saturday is not a named holiday")
	}
}

func TestNewPanicsOnBadKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted 17/02/2026")
		}
	}()
	New(map[string]string{"17/02/2026": "Tết"})
}

func TestEmptyCalendar(t *testing.T) {
	var c Calendar // the zero value: weekends only
	if !c.IsWorkingDay(d("2026-02-16")) {
		t.Error("the zero calendar knows no holidays")
	}
	if got := c.AddWorkingDays(d("2026-02-13"), 1).Format(time.DateOnly); got != "2026-02-16" {
		t.Errorf("AddWorkingDays = %s", got)
	}
}
