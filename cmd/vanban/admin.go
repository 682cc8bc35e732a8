package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/workdays"
	"github.com/jmoiron/sqlx"
)

// openChecked opens a small pool on a schema that is up to date.
func openChecked(ctx context.Context, cfg *config.Config) (*sqlx.DB, error) {
	db, err := database.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return nil, err
	}
	if err := database.CheckSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// auditCmd checks the hash chain of the audit log.
func auditCmd(ctx context.Context, cfg *config.Config, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: vanban audit verify")
	}
	db, err := openChecked(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := audit.Check(ctx, db)
	var bl *audit.BrokenLink
	if errors.As(err, &bl) {
		return fmt.Errorf("the audit log is broken: %d entries check out, then entry %d: %s", n, bl.ID, bl.Reason)
	}
	if err != nil {
		return err
	}
	fmt.Printf("audit log intact: %d entries, each chained to the one before\n", n)
	return nil
}

// holidayCmd manages the public holidays deadlines skip.
func holidayCmd(ctx context.Context, cfg *config.Config, args []string) error {
	const help = `usage:
  vanban holiday list [YEAR]
  vanban holiday add YYYY-MM-DD "Tên ngày nghỉ"
  vanban holiday remove YYYY-MM-DD`
	if len(args) == 0 {
		return errors.New(help)
	}
	db, err := openChecked(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	day := func(s string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, s, domain.VietnamTime)
		if err != nil {
			return t, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
		}
		return t, nil
	}
	switch {
	case args[0] == "list" && len(args) <= 2:
		year := time.Now().In(domain.VietnamTime).Year()
		if len(args) == 2 {
			if year, err = strconv.Atoi(args[1]); err != nil {
				return fmt.Errorf("%q is not a year", args[1])
			}
		}
		hs, err := workdays.List(ctx, db, year)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			fmt.Fprintf(os.Stderr, "no holidays recorded for %d: deadlines count weekends only; add them with `vanban holiday add`\n", year)
		}
		for _, h := range hs {
			fmt.Printf("%s  %s\n", h.Day.Format(time.DateOnly), h.Name)
		}
		return nil
	case args[0] == "add" && len(args) == 3:
		t, err := day(args[1])
		if err != nil {
			return err
		}
		return workdays.Add(ctx, db, t, strings.TrimSpace(args[2]))
	case args[0] == "remove" && len(args) == 2:
		t, err := day(args[1])
		if err != nil {
			return err
		}
		return workdays.Remove(ctx, db, t)
	}
	return errors.New(help)
}

// seedMeeting schedules a demo meeting about 20 minutes ahead, within its
// check-in window so that it can be started at once, once: the
// department's weekly briefing, chaired by the director, with the Quận 1
// office and the THPT school as participants and a two-item agenda. It
// does nothing when the demo organiser already has a meeting.
func seedMeeting(ctx context.Context, db *sqlx.DB, users *auth.Service, units *org.Store, ms *meetings.Service) error {
	organiser, err := users.PrincipalByUsername(ctx, "chuyenvien.sgd")
	if err != nil {
		return err
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM meetings WHERE created_by = $1`, organiser.UserID); err != nil {
		return fmt.Errorf("demo: unable to count meetings: %w", err)
	}
	if n > 0 {
		return nil
	}
	chair, err := users.PrincipalByUsername(ctx, "giamdoc.sgd")
	if err != nil {
		return err
	}
	start := time.Now().In(domain.VietnamTime).Add(20 * time.Minute).Truncate(5 * time.Minute)
	m, err := ms.Create(ctx, organiser, meetings.Input{Title: "Họp giao ban công tác văn thư, lưu trữ", StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), Place: "Phòng họp số 1, 66-68 Lê Thánh Tôn, Quận 1",
		ChairID: chair.UserID, SecretaryID: organiser.UserID})
	if err != nil {
		return fmt.Errorf("demo: unable to create the meeting: %w", err)
	}
	for i, it := range []meetings.ItemInput{
		{Title: "Đánh giá việc gửi, nhận văn bản điện tử có chữ ký số", Presenter: "Văn phòng Sở"},
		{Title: "Triển khai phòng họp không giấy", Presenter: "Trung tâm Thông tin và Chương trình giáo dục"},
	} {
		s, e := start.Add(time.Duration(i)*time.Hour), start.Add(time.Duration(i+1)*time.Hour)
		it.StartsAt, it.EndsAt = &s, &e
		if _, err := ms.AddItem(ctx, organiser, m.ID, it); err != nil {
			return fmt.Errorf("demo: unable to add an agenda item: %w", err)
		}
	}
	for _, code := range []string{"000.01.24.H29", "001.00.24.H29"} {
		u, err := units.GetByCode(ctx, code)
		if err != nil {
			return err
		}
		if _, err := ms.AddParticipant(ctx, organiser, m.ID, meetings.ParticipantInput{UnitID: u.ID}); err != nil {
			return fmt.Errorf("demo: unable to add a participant: %w", err)
		}
	}
	return nil
}
