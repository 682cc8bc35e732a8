package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/org"
	"github.com/jmoiron/sqlx"
)

// SeedMeeting schedules a demo meeting for the next morning, once: the
// department's weekly briefing, chaired by the director, with the Quận 1
// office and the THPT school as participants and a two-item agenda. It
// does nothing when the demo organiser already has a meeting.
func SeedMeeting(ctx context.Context, db *sqlx.DB, users *auth.Service, units *org.Store, ms *meetings.Service) error {
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
	now := time.Now().In(documents.VietnamTime)
	start := time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, documents.VietnamTime)
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
