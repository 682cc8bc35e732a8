package workdays_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/workdays"
)

func TestStore(t *testing.T) {
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	date := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, hcm)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// The seed of migration 3.
	c, err := workdays.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(date("2026-02-18")) {
		t.Error("Tết 2026 is not in the loaded calendar")
	}
	if got := c.AddWorkingDays(date("2026-02-13"), 1).Format(time.DateOnly); got != "2026-02-23" {
		t.Errorf("AddWorkingDays over Tết = %s, want 2026-02-23", got)
	}
	list, err := workdays.List(ctx, db, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 11 {
		t.Fatalf("List(2026) has %d days, want 11: %v", len(list), list)
	}
	if first := list[0]; first.Day.Format(time.DateOnly) != "2026-01-01" || first.Name != "Tết Dương lịch" || first.Day.Location().String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("List(2026)[0] = %+v", first)
	}
	for i := 1; i < len(list); i++ {
		if !list[i-1].Day.Before(list[i].Day) {
			t.Errorf("List not in date order at %d: %v", i, list)
		}
	}

	// Tết 2027 (Tết Nguyên đán falls on 6 February 2027). The day is given
	// as a UTC instant late on 4 February, which is the 5th in Vietnam.
	if err := workdays.Add(ctx, db, time.Date(2027, 2, 4, 18, 0, 0, 0, time.UTC), "Tết Nguyên đán"); err != nil {
		t.Fatal(err)
	}
	if err := workdays.Add(ctx, db, date("2027-02-08"), "Tết"); err != nil {
		t.Fatal(err)
	}
	if err := workdays.Add(ctx, db, date("2027-02-08"), "  Tết Nguyên đán "); err != nil {
		t.Fatalf("adding a day twice renames it: %v", err)
	}
	if err := workdays.Add(ctx, db, date("2027-02-09"), "  "); err == nil {
		t.Error("Add accepted an empty name")
	}
	list, err = workdays.List(ctx, db, 2027)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range list {
		got = append(got, h.Day.Format(time.DateOnly)+" "+h.Name)
	}
	want := []string{"2027-01-01 Tết Dương lịch", "2027-02-05 Tết Nguyên đán", "2027-02-08 Tết Nguyên đán"}
	if len(got) != len(want) {
		t.Fatalf("List(2027) = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("List(2027)[%d] = %q, want %q", i, got[i], want[i])
		}
	}

	c, err = workdays.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(date("2027-02-05")) || c.IsWorkingDay(date("2027-02-08")) || !c.IsWorkingDay(date("2027-02-04")) {
		t.Error("the calendar does not show the added days")
	}

	if err := workdays.Remove(ctx, db, date("2027-02-05")); err != nil {
		t.Fatal(err)
	}
	if err := workdays.Remove(ctx, db, date("2027-02-05")); !errors.Is(err, workdays.ErrNotFound) {
		t.Errorf("removing twice: %v, want ErrNotFound", err)
	}
	if list, err = workdays.List(ctx, db, 2027); err != nil || len(list) != 2 {
		t.Errorf("List(2027) after Remove = %v, %v", list, err)
	}
	if list, err = workdays.List(ctx, db, 2030); err != nil || len(list) != 0 {
		t.Errorf("List(2030) = %v, %v, want none", list, err)
	}
}
