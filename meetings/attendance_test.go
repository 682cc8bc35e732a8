package meetings_test

import (
	"testing"
	"time"

	"github.com/hcm-edu/vanban/meetings"
)

func testCheckInWindowAndLateness(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	chair, person, q1clerk, q1head := f.who("giamdoc.sgd"), f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")

	f.setClock(f.start.Add(-31 * time.Minute))
	_, err := f.svc.CheckIn(f.ctx, chair, mid)
	wantCode(t, err, "check_in_not_open")

	f.setClock(f.start.Add(-29 * time.Minute))
	a, err := f.svc.CheckIn(f.ctx, chair, mid)
	if err != nil {
		t.Fatal(err)
	}
	if a.Late || a.UserID != chair.UserID || a.Name != "Lê Hoài Nam" || a.CheckedInAt == nil {
		t.Errorf("check-in = %+v", a)
	}
	f.setClock(f.start.Add(10 * time.Minute))
	if a, err = f.svc.CheckIn(f.ctx, person, mid); err != nil || a.Late {
		t.Errorf("at 10 minutes past: %+v %v, want on time", a, err)
	}
	f.setClock(f.start.Add(11 * time.Minute))
	if a, err = f.svc.CheckIn(f.ctx, q1clerk, mid); err != nil || !a.Late {
		t.Errorf("at 11 minutes past: %+v %v, want late", a, err)
	}
	// Idempotent: the first check-in stands.
	again, err := f.svc.CheckIn(f.ctx, chair, mid)
	if err != nil || !again.CheckedInAt.Equal(f.start.Add(-29*time.Minute)) || again.Late {
		t.Errorf("second check-in = %+v %v", again, err)
	}

	att, err := f.svc.Attendance(f.ctx, person, mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Present) != 3 || att.Late != 1 || att.Present[0].UserID != chair.UserID || !att.Present[2].Late {
		t.Errorf("present = %+v (late %d)", att.Present, att.Late)
	}
	// Absent: the secretary. The Quận 1 office is present through its clerk.
	if len(att.Absent) != 1 || att.Absent[0].Name != "Phan Thị Mai" {
		t.Errorf("absent = %+v", att.Absent)
	}
	m, _ := f.svc.Get(f.ctx, q1head, mid)
	for _, pt := range m.Participants {
		if pt.CheckedInAt == nil {
			t.Errorf("participant %s shows no check-in", pt.Name)
		}
	}

	// A unit none of whose people came is absent as a unit.
	org := f.who("vanthu.sgd")
	if _, err := f.svc.AddParticipant(f.ctx, org, mid, meetings.ParticipantInput{UnitID: f.unit("000.93.24.H29").ID}); err != nil {
		t.Fatal(err)
	}
	att, _ = f.svc.Attendance(f.ctx, chair, mid)
	if len(att.Absent) != 2 || att.Absent[1].UserID != 0 || att.Absent[1].Name != "Phòng Kế hoạch tài chính" {
		t.Errorf("absent = %+v, want the secretary and the KHTC office", att.Absent)
	}

	// Once in progress, check-in stays open whatever the clock says.
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.start.Add(-3 * time.Hour))
	if _, err := f.svc.CheckIn(f.ctx, f.who("thuky.vp"), mid); err != nil {
		t.Errorf("in progress: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusEnded}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CheckIn(f.ctx, q1head, mid)
	wantCode(t, err, "meeting_closed")
}
